/**
 * `deno task count`: counts without running anything, for a scenario's cases or for any ONNX
 * model (params, buffers, MACs, FLOPs, the three memory-traffic estimates).
 *
 * A scenario's counts are a results file (`--json`): every case `skipped` with the reason
 * {@linkcode COUNTS_ONLY_REASON} and its forms' counts (no latencies), or `errored`; the
 * context names no machine and no onnxruntime ({@linkcode COUNTS_ONLY}), since counts depend on
 * neither, so `report` renders it and `gate` gates its counts against another such file.
 *
 * @module
 */
import { printOut } from "../output.ts";
import { type OptionValues, parseCommandLine, UsageError } from "../args.ts";
import {
  type CaseResult,
  type Context,
  type Results,
  RESULTS_SCHEMA_VERSION,
  TOOL,
} from "../results/schema.ts";
import type { ContextInput } from "../runner/context.ts";
import { formatCount, formatTable } from "../text_format.ts";
import { DEFAULT_SCENARIO, HELP } from "./help.ts";
import { loadContextInput } from "./bench.ts";
import { type Case, type CaseConfig, expandScenario } from "../scenario/expand.ts";
import type { Scenario } from "../scenario/schema.ts";
import { countCase } from "../case.ts";
import {
  type CaseSource,
  modelSource,
  routeSource,
  type ScenarioModel,
  stemSource,
} from "../source/mod.ts";
import { stemCountSource } from "../source/stem.ts";
import { PLACEHOLDER_CALIBRATOR, quantizedSource } from "../source/quantized.ts";
import { parseShapeFlags, withInputShape } from "../onnx/input_shape.ts";
import { loadModelInput } from "../source/model_file.ts";
import { countGraph } from "../profile/counts.ts";

/** Cache of the traffic estimate for a model, as a scenario's default (4 MiB). */
const MODEL_CACHE_MIB = 4;

/** The `reason` of every case a counts-only results file holds (state `skipped`). */
export const COUNTS_ONLY_REASON = "counts only";

/**
 * What a counts-only results file records as its onnxruntime version and CPU: none was used,
 * and counts do not depend on the machine, so two such files from any machines compare.
 */
export const COUNTS_ONLY = "none (counts only)";

/** Options of {@linkcode countScenario}. */
export interface CountScenarioOptions {
  /** Keep every node's counts in each form's `perNode` (else empty). @default false */
  readonly perNode?: boolean;
}

/**
 * The context of a counts-only results file: the scenario's part, the tool, Deno and the OS,
 * and {@linkcode COUNTS_ONLY} for onnxruntime and the CPU.
 *
 * @param input The scenario's part of the context (as `loadContextInput` gives it).
 * @param startedAt When counting started (ISO 8601).
 * @returns The context, finished now.
 */
export function countsOnlyContext(input: ContextInput, startedAt: string): Context {
  return {
    tool: { ...TOOL },
    startedAt,
    finishedAt: new Date().toISOString(),
    ortVersion: COUNTS_ONLY,
    denoVersion: Deno.version.deno,
    v8Version: Deno.version.v8,
    os: Deno.build.os,
    arch: Deno.build.arch,
    cpu: { model: COUNTS_ONLY, cores: 0 },
    ...input,
  };
}

/** What a case's graphs are built from: its spec, or its model file. */
function buildKey(config: CaseConfig): string {
  const precision = config.precision ?? "fp32";
  if (config.model) return `model ${config.model.name} ${config.model.sha256} ${precision}`;
  const { inChannels, width, branches, scaleBranch, se, activation } = config;
  return `stem ${inChannels} ${width} ${branches} ${scaleBranch} ${se} ${activation} ${precision}`;
}

/** What a case's counts depend on: all of its config but how onnxruntime runs it. */
function countKey(config: CaseConfig): string {
  if (!config.model) return `${buildKey(config)} ${config.batchSize} ${config.resolution}`;
  const { device: _d, threads: _t, optimizationLevel: _o, ...counted } = config;
  return JSON.stringify(counted);
}

/** A case counted before, for another case of the same counts (its id and config). */
function sameCounts(c: Case, result: CaseResult): CaseResult {
  const { id: _, config: __, ...rest } = result;
  return { id: c.id, config: c.config, ...rest } as CaseResult;
}

/**
 * Counts every case of a scenario without running anything: what `deno task count --json`
 * prints. Stem cases are built from weights without values (`stemCountSource`, once per spec),
 * models' cases from their files (fused once per file). Cases are counted grouped by what their
 * graphs are built from (a spec's every batch size and resolution, then the next spec's), so
 * each spec's graphs are made, counted and let go together, and a case that differs from
 * another only in how it would run (device, threads, optimization level) takes its counts; the
 * results keep the scenario's order.
 *
 * @param scenario The parsed scenario.
 * @param models Its models as read by `loadScenarioModels` (empty without models).
 * @param input The scenario's part of the context.
 * @param options Whether to keep the per-node counts.
 * @returns A results file: each case skipped ("counts only") with its counts, or errored.
 * @example
 * ```ts
 * import { countScenario } from "./count.ts";
 * import { parseScenario } from "../scenario/parse.ts";
 * const text = '{"name": "t", "description": "", "resolutions": [32], "widths": [8, 16]}';
 * const scenario = parseScenario(text, "t.json");
 * const results = await countScenario(scenario, [], {
 *   scenario: { name: "t", description: "", path: "t.json", hash: "", resolved: scenario },
 *   cacheBytes: scenario.cacheMiB * 2 ** 20,
 *   conventions: {},
 * });
 * if (results.cases.length !== 2 || results.cases[0].state !== "skipped") throw new Error();
 * ```
 */
export async function countScenario(
  scenario: Scenario,
  models: readonly ScenarioModel[],
  input: ContextInput,
  options: CountScenarioOptions = {},
): Promise<Results> {
  const startedAt = new Date().toISOString();
  // Grouped by spec, one spec's graphs at a time suffice
  const fp32 = routeSource(stemCountSource({ keep: 1 }), modelSource(models));
  // int8 cases need real weights (BatchNorm folding, dead channels) but no calibrated ranges:
  // their counts do not depend on ranges, so placeholder ones keep onnxruntime out of counting
  const int8 = quantizedSource(
    routeSource(stemSource(scenario.seed), modelSource(models)),
    scenario.quantization,
    PLACEHOLDER_CALIBRATOR,
  );
  const source: CaseSource = {
    build: (config) => (config.precision === "int8" ? int8 : fp32).build(config),
  };
  const perNode = options.perNode ?? false;
  const all = expandScenario(scenario, models);
  const groups = new Map<string, number[]>();
  all.forEach((c, i) => {
    const key = buildKey(c.config);
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  const cases = new Array<CaseResult>(all.length);
  const counted = new Map<string, CaseResult>();
  for (const group of groups.values()) {
    for (const i of group) {
      const c = all[i];
      const key = countKey(c.config);
      const known = counted.get(key);
      if (known) {
        cases[i] = sameCounts(c, known);
        continue;
      }
      cases[i] = (await countCase(c, scenario, source, { perNode })).result;
      counted.set(key, cases[i]);
    }
  }
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    context: countsOnlyContext(input, startedAt),
    cases,
  };
}

/**
 * Results as `JSON.stringify(results, null, 2)` gives them, made and printed a few cases at a
 * time: with every node's counts, many cases outgrow the longest string JavaScript can make.
 *
 * @param results A results file.
 * @param print Where each piece goes, in order (each ends with a line break).
 */
export function resultsJsonLines(results: Results, print: (text: string) => void): void {
  const { cases, ...head } = results;
  const top = JSON.stringify({ ...head, cases: [] }, null, 2);
  if (cases.length === 0) return print(`${top}\n`);
  let chunk = `${top.slice(0, top.lastIndexOf("[]"))}[\n`;
  cases.forEach((c, i) => {
    chunk += JSON.stringify(c, null, 2).replace(/^/gm, "    ");
    chunk += i < cases.length - 1 ? ",\n" : "\n";
    if (chunk.length >= 1 << 20) {
      print(chunk);
      chunk = "";
    }
  });
  print(`${chunk}  ]\n}\n`);
}

/** Counts one model file; prints a per-node table (or JSON) and the totals. */
async function countModel(path: string, v: OptionValues): Promise<number> {
  // a file that cannot be used throws ModelInputError: one line naming it, exit 2
  const model = await loadModelInput(path, parseShapeFlags(v.shape as string[] | undefined));
  const graph = withInputShape(model.graph, model.input.name, model.input.shape);
  const counts = countGraph(graph, { cacheBytes: MODEL_CACHE_MIB * 1024 * 1024 });
  if (v.json) {
    printOut(JSON.stringify(
      {
        model: { path, sha256: model.sha256 },
        input: model.input,
        cacheMiB: MODEL_CACHE_MIB,
        total: counts.total,
        uncounted: counts.uncounted,
        ...(v["per-node"] ? { perNode: counts.nodes } : {}),
      },
      null,
      2,
    ));
    return 0;
  }
  const t = counts.total;
  if (v["per-node"]) {
    printOut(formatTable(
      ["node", "op", "MACs", "FLOPs", "bytes naive", "output"],
      counts.nodes.map((n) => [
        n.node,
        n.opType,
        formatCount(n.macs),
        formatCount(n.flops.total),
        formatCount(n.bytes.naive),
        n.outputShape.join("x"),
      ]),
    ));
  }
  printOut([
    `${path}: input ${model.input.name} [${model.input.shape.join("x")}]`,
    `params ${formatCount(t.params)}, BN buffers ${formatCount(t.buffers)}, constants ${
      formatCount(t.constants)
    }`,
    `MACs ${formatCount(t.macs)}, FLOPs ${formatCount(t.flops.total)} (conv ${
      formatCount(t.flops.conv)
    }, elementwise ${formatCount(t.flops.elementwise)})`,
    `bytes naive ${formatCount(t.bytes.naive)}, minimum ${
      formatCount(t.bytes.minimum)
    }, cached (${MODEL_CACHE_MIB} MiB) ${formatCount(t.bytes.cached)}`,
    `nodes ${Object.entries(t.nodes).map(([op, n]) => `${op} ${n}`).join(", ")}`,
    ...(counts.uncounted.length > 0
      ? [
        `not counted (${counts.uncounted.length} nodes): ${
          [...new Set(counts.uncounted.map((u) => `${u.opType}`))].join(", ")
        }`,
      ]
      : []),
  ].join("\n"));
  return 0;
}

/** Runs `count` and returns its exit code. */
export async function count(args: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandLine(
    args,
    {
      scenario: { type: "string" },
      json: { type: "boolean" },
      shape: { type: "string", multiple: true },
      "per-node": { type: "boolean" },
    },
    HELP.count,
    1,
  );
  if (v.help) return printOut(HELP.count), 0;
  if (positionals.length > 0) {
    if (v.scenario) throw new UsageError(`Give a scenario or a model, not both\n\n${HELP.count}`);
    return await countModel(positionals[0], v);
  }
  const scenarioPath = (v.scenario as string | undefined) ?? DEFAULT_SCENARIO;
  const { scenario, models, input } = await loadContextInput(scenarioPath);
  const results = await countScenario(scenario, models, input, { perNode: !!v["per-node"] });
  const { cases } = results;
  if (v.json) {
    resultsJsonLines(results, printOut);
    return cases.some((c) => c.state === "errored") ? 1 : 0;
  }
  const rows = cases.map((c) => {
    const mb = c.forms?.multiBranch;
    const rp = c.forms?.reparameterized;
    if (!mb || !rp) {
      return [c.id, c.state === "errored" ? `errored: ${c.error}` : "-", "", "", "", ""];
    }
    return [
      c.id,
      `${formatCount(mb.params)} / ${formatCount(rp.params)}`,
      `${formatCount(mb.buffers)} / ${formatCount(rp.buffers)}`,
      `${formatCount(mb.macs)} / ${formatCount(rp.macs)}`,
      `${formatCount(mb.bytes.naive)} / ${formatCount(rp.bytes.naive)}`,
      `${formatCount(mb.bytes.cached)} / ${formatCount(rp.bytes.cached)}`,
    ];
  });
  printOut(
    formatTable([
      "case",
      "params mb/rp",
      "buffers mb/rp",
      "MACs mb/rp",
      "bytes naive mb/rp",
      `bytes cached (${scenario.cacheMiB} MiB) mb/rp`,
    ], rows),
  );
  return cases.some((c) => c.state === "errored") ? 1 : 0;
}
