/**
 * One case without onnxruntime: both graphs from the case's source, their counts, and the
 * comparison of outputs. `deno task count` needs only this file, not the native runtime.
 *
 * @module
 */
import { difference } from "./stats/difference.ts";
import type { Graph } from "./onnx/ir.ts";
import { countGraph, COUNTING_CONVENTIONS } from "./profile/counts.ts";
import { ROOFLINE_CONVENTIONS } from "./profile/roofline.ts";
import type { Case, StemCaseConfig } from "./scenario/expand.ts";
import type { Scenario } from "./scenario/schema.ts";
import type { StemWeights } from "./stem/spec.ts";
import type { CaseResult, Equivalence, FormResult, Forms } from "./results/schema.ts";
import type { CaseGraphs, CaseSource } from "./source/source.ts";
import { stemGraphs } from "./source/stem.ts";

export { caseSpec, weightsCache } from "./source/stem.ts";

/** Measurement conventions written into every context beside the counting ones. */
export const MEASURING_CONVENTIONS: Readonly<Record<string, string>> = {
  latency:
    "wall time of one session.run() on a prebuilt input tensor, output copied back to JS, in ms",
  interleaving:
    "each round runs every form once (and the Identity overhead model) in a fresh random order",
  speedup: "median(multiBranch) / median(reparameterized), ci95 by paired bootstrap over rounds",
  equivalence:
    "both forms run on onnxruntime on the same seeded input; maxRelError = maxAbsError / max|multiBranch|",
  modelEquivalence: "a user's model: both forms on onnxruntime's CPU provider with the optimizer " +
    "off, against the model's own fp32 noise floor (the multi-branch form with the optimizer off " +
    "vs all); relTolerance = max(floorMultiple x floor, 1e-5) on maxRelError, tolerance the same " +
    "in absolute terms",
};

/** Both stem graphs of a case and their counts (what {@linkcode buildCase} returns). */
export interface BuiltCase {
  /** Both stem graphs, every node tagged. */
  readonly graphs: { readonly multiBranch: Graph; readonly reparameterized: Graph };
  /** Their counts. */
  readonly forms: Forms;
  /** `[batchSize, inChannels, resolution, resolution]`. */
  readonly inputShape: readonly number[];
  /** `[batchSize, width, resolution / 4, resolution / 4]`. */
  readonly outputShape: readonly number[];
}

/** A case's graphs, from any source, and their counts: the input of the rest of the pipeline. */
export interface CountedCase {
  /** What the case's source built. */
  readonly graphs: CaseGraphs;
  /** Counts of both forms. */
  readonly forms: Forms;
}

/** Options of {@linkcode countForms} and {@linkcode countCase}. */
export interface CountFormsOptions {
  /**
   * Keep every node's counts in each form's `perNode`; without it `perNode` is empty (the
   * totals and blocks are the same either way).
   * @default true
   */
  readonly perNode?: boolean;
}

function formCounts(graph: Graph, cacheBytes: number, perNode: boolean): FormResult {
  const counts = countGraph(graph, { cacheBytes, perNode });
  const uncounted = counts.uncounted ?? [];
  return {
    ...counts.total,
    blocks: counts.blocks,
    perNode: counts.nodes,
    ...(uncounted.length > 0 ? { uncounted } : {}),
  };
}

/**
 * Counts both forms of a case, whatever its source (pure, no onnxruntime).
 *
 * @param graphs Both graphs at the case's input shape.
 * @param cacheBytes Cache size of the traffic estimate.
 * @param options Whether to keep the per-node counts.
 * @returns The counts of each form.
 */
export function countForms(
  graphs: { readonly multiBranch: Graph; readonly reparameterized: Graph },
  cacheBytes: number,
  options: CountFormsOptions = {},
): Forms {
  const perNode = options.perNode ?? true;
  return {
    multiBranch: formCounts(graphs.multiBranch, cacheBytes, perNode),
    reparameterized: formCounts(graphs.reparameterized, cacheBytes, perNode),
  };
}

/**
 * Builds both forms of a stem case and counts them (pure, no onnxruntime).
 *
 * @param weights Train-time weights for the case's spec (shared across resolutions).
 */
export function buildCase(
  config: StemCaseConfig,
  weights: StemWeights,
  cacheBytes: number,
): BuiltCase {
  const { multiBranch, reparameterized, inputShape, outputShape } = stemGraphs(config, weights);
  return {
    graphs: { multiBranch, reparameterized },
    forms: countForms({ multiBranch, reparameterized }, cacheBytes),
    inputShape,
    outputShape,
  };
}

/**
 * Max absolute and normwise relative difference of two outputs, against a tolerance on the
 * former ({@linkcode difference}: a NaN anywhere fails).
 */
export function compareOutputs(
  reference: Float32Array,
  other: Float32Array,
  tolerance: number,
): Equivalence {
  const { maxAbs: maxAbsError, normwise: maxRelError } = difference(reference, other);
  return { maxAbsError, maxRelError, tolerance, withinTolerance: maxAbsError <= tolerance };
}

/** Conventions of the counts, the measurement and the roofline, as written into results. */
export function conventions(): Record<string, string> {
  return { ...COUNTING_CONVENTIONS, ...MEASURING_CONVENTIONS, ...ROOFLINE_CONVENTIONS };
}

/** The message of a thrown value. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Builds and counts one case without running it, from its source. `result` is a skipped case
 * holding the counts ("counts only"), or an errored one when the case cannot be built or
 * counted; `built` is set when it could.
 *
 * @param c The case.
 * @param scenario Its scenario (for the cache size).
 * @param source Where its graphs come from (`stemCountSource` where only counts are wanted).
 * @param options Whether to keep the per-node counts (by default they are kept).
 */
export async function countCase(
  c: Case,
  scenario: Scenario,
  source: CaseSource,
  options: CountFormsOptions = {},
): Promise<{ result: CaseResult; built?: CountedCase }> {
  try {
    const graphs = await source.build(c.config);
    const forms = countForms(graphs, scenario.cacheMiB * 1024 * 1024, options);
    const result: CaseResult = {
      id: c.id,
      config: c.config,
      state: "skipped",
      reason: "counts only",
      forms,
    };
    return { result, built: { graphs, forms } };
  } catch (error) {
    return { result: { id: c.id, config: c.config, state: "errored", error: describe(error) } };
  }
}
