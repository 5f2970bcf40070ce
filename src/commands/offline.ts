/**
 * `deno task count`, `export` and `schema`: everything that needs no onnxruntime.
 *
 * @module
 */
import { printOut } from "../output.ts";
import { join } from "node:path";
import { parseOptions, UsageError } from "../args.ts";
import { scenarioJsonSchema } from "../scenario/schema.ts";
import { RESULTS_SCHEMA_VERSION } from "../results/schema.ts";
import { formatCount, formatTable } from "../format.ts";
import type { Activation } from "../stem/spec.ts";
import { DEFAULT_SCENARIO, HELP } from "./help.ts";
import { loadContextInput } from "./bench.ts";
import { expandScenario } from "../scenario/expand.ts";
import { countCase, weightsCache } from "../case.ts";
import { randomStemWeights } from "../stem/weights.ts";
import { buildMultiBranchStem } from "../stem/multi_branch.ts";
import { buildReparamStem } from "../stem/reparameterized.ts";
import { encodeModel } from "../onnx/encode.ts";

function positiveInt(name: string, value: string | boolean | undefined, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isInteger(n) || n < 1) {
    throw new UsageError(
      `Cannot export as '--${name}' must be a positive integer: current value is ${
        value === undefined ? "missing" : JSON.stringify(value)
      }`,
    );
  }
  return n;
}

/** Runs `count` and returns its exit code. */
export async function count(args: string[]): Promise<number> {
  const v = parseOptions(
    args,
    { scenario: { type: "string" }, json: { type: "boolean" } },
    HELP.count,
  );
  if (v.help) return printOut(HELP.count), 0;
  const scenarioPath = (v.scenario as string | undefined) ?? DEFAULT_SCENARIO;
  const { scenario, input } = await loadContextInput(scenarioPath);
  const weightsFor = weightsCache(scenario.seed);
  const cases = [];
  for (const c of expandScenario(scenario)) {
    cases.push(countCase(c, scenario, weightsFor).result);
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

/** Runs `export` and returns its exit code. */
export async function exportModels(args: string[]): Promise<number> {
  const v = parseOptions(args, {
    width: { type: "string" },
    resolution: { type: "string" },
    branches: { type: "string" },
    batch: { type: "string" },
    "in-channels": { type: "string" },
    activation: { type: "string" },
    "no-scale": { type: "boolean" },
    se: { type: "boolean" },
    seed: { type: "string" },
    out: { type: "string" },
  }, HELP.export);
  if (v.help) return printOut(HELP.export), 0;
  const activation = (v.activation as string | undefined) ?? "gelu";
  if (!["gelu", "relu", "none"].includes(activation)) {
    throw new UsageError(
      `Cannot export as '--activation' must be gelu, relu or none: current value is ${
        JSON.stringify(activation)
      }`,
    );
  }
  const seed = v.seed === undefined ? 0 : Number(v.seed);
  if (!Number.isInteger(seed)) {
    throw new UsageError(
      `Cannot export as '--seed' must be an integer: current value is ${JSON.stringify(v.seed)}`,
    );
  }
  const spec = {
    inChannels: positiveInt("in-channels", v["in-channels"], 3),
    width: positiveInt("width", v.width),
    branches: positiveInt("branches", v.branches, 1),
    scaleBranch: !v["no-scale"],
    se: !!v.se,
    activation: activation as Activation,
  };
  const geometry = {
    batchSize: positiveInt("batch", v.batch, 1),
    resolution: positiveInt("resolution", v.resolution),
  };
  const weights = randomStemWeights(spec, seed);
  const out = (v.out as string | undefined) ?? "reports/export";
  await Deno.mkdir(out, { recursive: true });
  for (
    const [file, graph] of [["multi_branch.onnx", buildMultiBranchStem(spec, weights, geometry)], [
      "reparameterized.onnx",
      buildReparamStem(spec, weights, geometry),
    ]] as const
  ) {
    const path = join(out, file);
    await Deno.writeFile(path, encodeModel(graph));
    printOut(`Wrote ${path} (${graph.nodes.length} nodes)`);
  }
  return 0;
}

/** Runs `schema` and returns its exit code. */
export async function schema(args: string[]): Promise<number> {
  const v = parseOptions(args, { out: { type: "string" } }, HELP.schema);
  if (v.help) return printOut(HELP.schema), 0;
  const out = (v.out as string | undefined) ?? "scenarios/scenario.schema.json";
  await Deno.writeTextFile(out, JSON.stringify(scenarioJsonSchema(), null, 2) + "\n");
  printOut(`Wrote ${out}`);
  return 0;
}
