/** Shared test helpers: spec shorthand, error measures, an onnxruntime runner and a float64 stem. */
import * as ort from "onnxruntime-node";
export { hasPythonOnnx, ignoreWithout } from "./_tools.ts";
import type { Graph, Node } from "../src/onnx/ir.ts";
import { encodeModel } from "../src/onnx/encode.ts";
import { type Chw, referenceBlock } from "../src/stem/reference.ts";
import { stemBlocks, type StemSpec, type StemWeights } from "../src/stem/spec.ts";

/** A stem spec with FastViT's defaults (I = 3, B = 1, scale on, no SE, gelu), overridable. */
export function spec(overrides: Partial<StemSpec> = {}): StemSpec {
  return {
    inChannels: 3,
    width: 8,
    branches: 1,
    scaleBranch: true,
    se: false,
    activation: "gelu",
    ...overrides,
  };
}

/** Largest absolute element-wise difference; throws when the lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new TypeError(`Lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Largest absolute value. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Counts nodes per op type. */
export function histogram(nodes: readonly Node[]): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of nodes) h[n.opType] = (h[n.opType] ?? 0) + 1;
  return h;
}

/** Runs a graph once on CPU with ORT's optimizer off; returns the single output. */
export async function runModel(
  graph: Graph,
  input: Float32Array,
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(encodeModel(graph), {
    graphOptimizationLevel: "disabled",
  });
  try {
    const feeds = {
      [graph.inputs[0].name]: new ort.Tensor("float32", input, graph.inputs[0].shape),
    };
    const out = (await session.run(feeds))[graph.outputs[0].name];
    return { data: out.data as Float32Array, dims: out.dims };
  } finally {
    await session.release();
  }
}

/** The float64 reference stem: referenceBlock chained per image, images concatenated (NCHW). */
export function referenceStem(
  s: StemSpec,
  weights: StemWeights,
  input: Float32Array,
  batchSize: number,
  resolution: number,
): Float64Array {
  const blocks = stemBlocks(s);
  const per = s.inChannels * resolution * resolution;
  const images: Float64Array[] = [];
  for (let n = 0; n < batchSize; n++) {
    let x: Chw = {
      data: Float64Array.from(input.subarray(n * per, (n + 1) * per)),
      channels: s.inChannels,
      height: resolution,
      width: resolution,
    };
    blocks.forEach((b, i) => (x = referenceBlock(x, b, weights[i])));
    images.push(x.data);
  }
  const out = new Float64Array(images.reduce((a, d) => a + d.length, 0));
  let off = 0;
  for (const d of images) (out.set(d, off), off += d.length);
  return out;
}

/**
 * Whether a process is running (a zombie is not): `ps -o stat=`, since Deno reads /proc/PID only
 * with --allow-all. Needs --allow-run.
 */
export async function isRunning(pid: number): Promise<boolean> {
  const out = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).output();
  const state = new TextDecoder().decode(out.stdout).trim();
  return out.code === 0 && state !== "" && !state.startsWith("Z");
}
