/**
 * `deno task export`: writes one stem's two forms as .onnx files.
 *
 * @module
 */
import { printOut } from "../output.ts";
import { join } from "node:path";
import { parseOptions, UsageError } from "../args.ts";
import type { Activation } from "../stem/spec.ts";
import { DEFAULT_EXPORT_OUT, HELP } from "./help.ts";
import { randomStemWeights } from "../stem/weights.ts";
import { buildMultiBranchStem } from "../stem/multi_branch.ts";
import { buildReparamStem } from "../stem/reparameterized.ts";
import { encodeModel } from "../onnx/encode.ts";
import { loadScenario } from "../scenario/load.ts";
import { expandScenario } from "../scenario/expand.ts";
import { loadScenarioModels, scenarioSource } from "../source/mod.ts";
import {
  EXPORT_KIND,
  EXPORT_VERSION,
  type ExportedCase,
  exportedCase,
  type ExportErroredCase,
  MANIFEST_FILE,
} from "../source/exported.ts";
import { writeJsonAtomic } from "../results/io.ts";

function positiveInt(
  name: string,
  value: string | boolean | string[] | undefined,
  fallback?: number,
): number {
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
    scenario: { type: "string" },
    out: { type: "string" },
  }, HELP.export);
  if (v.help) return printOut(HELP.export), 0;
  if (v.scenario !== undefined) {
    const stemFlag = Object.keys(v).find((k) => !["scenario", "out", "help"].includes(k));
    if (stemFlag) {
      throw new UsageError(
        `Cannot export a scenario as '--${stemFlag}' is a stem option: give --scenario alone`,
      );
    }
    return await exportScenario(
      String(v.scenario),
      (v.out as string | undefined) ?? DEFAULT_EXPORT_OUT,
    );
  }
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
  const out = (v.out as string | undefined) ?? DEFAULT_EXPORT_OUT;
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

/**
 * `export --scenario FILE`: both forms of every case, as bench builds them, and the manifest.
 * A case that cannot be built is kept in the manifest with its error (exit 1).
 */
async function exportScenario(scenarioPath: string, out: string): Promise<number> {
  const { scenario } = await loadScenario(scenarioPath);
  const models = await loadScenarioModels(scenario, scenarioPath);
  const source = scenarioSource(scenario, models);
  await Deno.mkdir(out, { recursive: true });
  const cases: (ExportedCase | ExportErroredCase)[] = [];
  for (const [index, c] of expandScenario(scenario, models).entries()) {
    try {
      const graphs = await source.build(c.config);
      const entry = exportedCase(index, c.config, graphs);
      await Deno.writeFile(join(out, entry.multiBranch), encodeModel(graphs.multiBranch));
      await Deno.writeFile(join(out, entry.reparameterized), encodeModel(graphs.reparameterized));
      cases.push(entry);
    } catch (e) {
      cases.push({ id: c.id, config: c.config, error: (e as Error).message.split("\n")[0] });
    }
  }
  const path = join(out, MANIFEST_FILE);
  await writeJsonAtomic(path, {
    kind: EXPORT_KIND,
    version: EXPORT_VERSION,
    scenario: scenarioPath,
    cases,
  });
  const failed = cases.filter((c) => "error" in c).length;
  printOut(`Wrote ${path} (${cases.length - failed} of ${cases.length} cases)`);
  return failed > 0 ? 1 : 0;
}
