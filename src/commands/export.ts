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
