/**
 * `deno task count`: counts without running anything, for a scenario's cases or for any ONNX
 * model (params, buffers, MACs, FLOPs, the three memory-traffic estimates).
 *
 * @module
 */
import { printErr, printOut } from "../output.ts";
import { type OptionValues, parseCommandLine, UsageError } from "../args.ts";
import { RESULTS_SCHEMA_VERSION } from "../results/schema.ts";
import { formatCount, formatTable } from "../format.ts";
import { DEFAULT_SCENARIO, HELP } from "./help.ts";
import { loadContextInput } from "./bench.ts";
import { expandScenario } from "../scenario/expand.ts";
import { countCase } from "../case.ts";
import { scenarioSource } from "../source/mod.ts";
import { parseShapeFlag, withInputShape } from "../onnx/input_shape.ts";
import { loadModelInput, ModelInputError } from "../source/model_file.ts";
import { countGraph } from "../profile/counts.ts";

/** Cache of the traffic estimate for a model, as a scenario's default (4 MiB). */
const MODEL_CACHE_MIB = 4;

/** Counts one model file; prints a per-node table (or JSON) and the totals. */
async function countModel(path: string, v: OptionValues): Promise<number> {
  const overrides = new Map(
    ((v.shape as string[] | undefined) ?? []).map((s) => {
      const { name, shape } = parseShapeFlag(s);
      return [name, shape] as const;
    }),
  );
  let model;
  try {
    model = await loadModelInput(path, overrides);
  } catch (e) {
    if (e instanceof ModelInputError) return printErr(`error: ${e.message}`), 2;
    throw e;
  }
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
  const source = scenarioSource(scenario, models);
  const cases = [];
  for (const c of expandScenario(scenario, models)) {
    cases.push((await countCase(c, scenario, source)).result);
  }
  if (v.json) {
    const results = {
      schemaVersion: RESULTS_SCHEMA_VERSION,
      context: { startedAt: new Date().toISOString(), ...input },
      cases: cases.map((c) =>
        c.state === "skipped" && c.reason === "counts only"
          ? { id: c.id, config: c.config, state: "counted", forms: c.forms }
          : c
      ),
    };
    printOut(JSON.stringify(results, null, 2));
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
