/**
 * Proof that a fused model computes the same function as the model it came from, against the
 * model's own fp32 noise floor: the difference between its outputs with onnxruntime's optimizer
 * off ("disabled") and fully on ("all"), which reorders the same arithmetic.
 *
 * @module
 */
import { type Difference, difference } from "../stats/difference.ts";
import { encodeModel } from "../onnx/encode.ts";
import type { Graph } from "../onnx/ir.ts";
import type { Equivalence } from "../results/schema.ts";
import { createSession, type RunOutput } from "./ort.ts";

export { type Difference, difference };

/** Default multiple of the noise floor a fused model may differ by. */
export const DEFAULT_FLOOR_MULTIPLE = 10;
/** The tolerance never goes below this normwise error, whatever the floor. */
export const MIN_NORMWISE_TOLERANCE = 1e-5;

/** What {@linkcode verifyFusion} found. */
export interface Verification {
  /** Original at "disabled" against original at "all", worst over outputs. */
  readonly floor: Difference;
  /** Fused against original, both at "disabled", worst over outputs. */
  readonly error: Difference;
  /** Normwise tolerance: max(multiple x floor, 1e-5). */
  readonly tolerance: number;
  /** The floor multiple allowed: the `multiple` option, else {@linkcode DEFAULT_FLOOR_MULTIPLE}. */
  readonly multiple: number;
  /** True when `error.normwise <= tolerance` (false for NaN): the fused model is equivalent. */
  readonly equal: boolean;
  /** Per graph output. */
  readonly outputs: readonly ({ readonly name: string; readonly floor: Difference } & Difference)[];
  /** Per tapped tensor (a fused conv's output), largest normwise error first. */
  readonly taps: readonly ({ readonly name: string; readonly label: string } & Difference)[];
}

function worst(ds: readonly Difference[]): Difference {
  let w: Difference = { maxAbs: 0, normwise: 0 };
  for (const d of ds) {
    if (Number.isNaN(d.normwise) || d.normwise > w.normwise) w = d;
    if (Number.isNaN(w.normwise)) break;
  }
  return w;
}

/** The graph with extra float outputs (rank left open) for the tapped tensors. */
function withTaps(graph: Graph, taps: readonly string[]): Graph {
  const have = new Set(graph.outputs.map((o) => o.name));
  const extra = taps.filter((t) => !have.has(t)).map((name) => ({
    name,
    shape: [],
    unranked: true,
  }));
  return { ...graph, outputs: [...graph.outputs, ...extra] };
}

async function runOnce(
  graph: Graph,
  level: "disabled" | "all",
  input: Float32Array,
  dims: readonly number[],
): Promise<Record<string, RunOutput>> {
  const session = await createSession(encodeModel(graph), {
    device: "cpu",
    threads: 1,
    optimizationLevel: level,
  });
  try {
    return await session.runAll(input, dims);
  } finally {
    await session.release();
  }
}

/**
 * Runs the original at "disabled" and "all" and the fused model at "disabled" on onnxruntime's
 * CPU provider with the same input, and compares every float output and every tapped tensor.
 *
 * @param original The model as given.
 * @param fused The fused model (same inputs and outputs).
 * @param input The input's data.
 * @param dims The input's concrete shape.
 * @param options `taps`: tensors present in both graphs to compare too, each with a label (the
 *   merge group it ends); `multiple`: tolerance as a multiple of the floor.
 * @returns The comparison; `equal` when the worst normwise error is within tolerance.
 * @throws {Error} When onnxruntime cannot load or run either model.
 */
export async function verifyFusion(
  original: Graph,
  fused: Graph,
  input: Float32Array,
  dims: readonly number[],
  options: {
    readonly taps?: readonly { readonly name: string; readonly label: string }[];
    readonly multiple?: number;
  } = {},
): Promise<Verification> {
  const taps = options.taps ?? [];
  const multiple = options.multiple ?? DEFAULT_FLOOR_MULTIPLE;
  const tapNames = taps.map((t) => t.name);
  const reference = await runOnce(withTaps(original, tapNames), "disabled", input, dims);
  const optimized = await runOnce(original, "all", input, dims);
  const candidate = await runOnce(withTaps(fused, tapNames), "disabled", input, dims);
  const outputs = original.outputs.filter((o) => reference[o.name]).map((o) => ({
    name: o.name,
    floor: difference(reference[o.name].data, optimized[o.name].data),
    ...difference(reference[o.name].data, candidate[o.name].data),
  }));
  const tapped = taps.filter((t) => reference[t.name] && candidate[t.name]).map((t) => ({
    ...t,
    ...difference(reference[t.name].data, candidate[t.name].data),
  })).sort((a, b) => (Number.isNaN(a.normwise) ? -1 : b.normwise - a.normwise));
  const floor = worst(outputs.map((o) => o.floor));
  const error = worst(outputs);
  const tolerance = Math.max(multiple * floor.normwise, MIN_NORMWISE_TOLERANCE);
  return {
    floor,
    error,
    tolerance,
    multiple,
    equal: error.normwise <= tolerance,
    outputs,
    taps: tapped,
  };
}

/**
 * Equivalence of a user's model against its own fp32 noise floor (`verifyFusion`, CPU provider,
 * optimizer off), with the normwise tolerance also stated in absolute terms for the worst output.
 * What bench and ab record as a case's `equivalence` with method `noise-floor`.
 *
 * @param graphs Both forms and the concrete input shape.
 * @param input The evaluation input.
 * @param taps Tensors of both graphs compared besides the outputs (merge outputs).
 * @returns The equivalence as results record it.
 */
export async function noiseFloorEquivalence(
  graphs: {
    readonly multiBranch: Graph;
    readonly reparameterized: Graph;
    readonly inputShape: readonly number[];
  },
  input: Float32Array,
  taps: readonly { readonly name: string; readonly label: string }[],
): Promise<Equivalence> {
  const { multiBranch, reparameterized, inputShape } = graphs;
  const v = await verifyFusion(multiBranch, reparameterized, input, inputShape, { taps });
  const scaleOf = (d: { maxAbs: number; normwise: number }) =>
    d.normwise > 0 && Number.isFinite(d.maxAbs / d.normwise) ? d.maxAbs / d.normwise : undefined;
  // max |reference| of the worst output (the one maxRelError comes from), else of the floor's
  const scale = scaleOf(v.error) ?? scaleOf(v.floor) ?? 1;
  const finite = (x: number) => (Number.isFinite(x) ? x : 0);
  return {
    maxAbsError: v.error.maxAbs,
    maxRelError: v.error.normwise,
    tolerance: finite(v.tolerance * scale),
    withinTolerance: v.equal,
    method: "noise-floor",
    floor: { maxAbs: v.floor.maxAbs, normwise: v.floor.normwise },
    floorMultiple: v.multiple,
    relTolerance: finite(v.tolerance),
  };
}
