/**
 * One case without onnxruntime: its stem spec, both graphs, their counts, the weights cache and
 * the comparison of outputs. `deno task count` needs only this file, not the native runtime.
 *
 * @module
 */
import type { Graph } from "./onnx/ir.ts";
import { countGraph, COUNTING_CONVENTIONS } from "./profile/counts.ts";
import type { Case, CaseConfig } from "./scenario/expand.ts";
import type { Scenario } from "./scenario/schema.ts";
import { buildMultiBranchStem, stemOutputShape } from "./stem/multi_branch.ts";
import { buildReparamStem } from "./stem/reparameterized.ts";
import type { StemSpec } from "./stem/spec.ts";
import { randomStemWeights, type StemWeights } from "./stem/weights.ts";
import type { CaseResult, Equivalence, FormResult, Forms } from "./results/schema.ts";

/** Measurement conventions written into every context beside the counting ones. */
export const MEASURING_CONVENTIONS: Readonly<Record<string, string>> = {
  latency:
    "wall time of one session.run() on a prebuilt input tensor, output copied back to JS, in ms",
  interleaving:
    "each round runs every form once (and the Identity overhead model) in a fresh random order",
  speedup: "median(multiBranch) / median(reparameterized), ci95 by paired bootstrap over rounds",
  equivalence:
    "both forms run on onnxruntime on the same seeded input; maxRelError = maxAbsError / max|multiBranch|",
};

/** The stem spec of a case. */
export function caseSpec(config: CaseConfig): StemSpec {
  return {
    inChannels: config.inChannels,
    width: config.width,
    branches: config.branches,
    scaleBranch: config.scaleBranch,
    se: config.se,
    activation: config.activation,
  };
}

/** Both graphs of a case and their counts. */
export interface BuiltCase {
  readonly graphs: { readonly multiBranch: Graph; readonly reparameterized: Graph };
  readonly forms: Forms;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
}

function formCounts(graph: Graph, cacheBytes: number): FormResult {
  const counts = countGraph(graph, { cacheBytes });
  return { ...counts.total, blocks: counts.blocks, perNode: counts.nodes };
}

/**
 * Builds both forms of a case and counts them (pure, no onnxruntime).
 *
 * @param weights Train-time weights for the case's spec (shared across resolutions).
 */
export function buildCase(config: CaseConfig, weights: StemWeights, cacheBytes: number): BuiltCase {
  const spec = caseSpec(config);
  const geometry = { batchSize: config.batchSize, resolution: config.resolution };
  const multiBranch = buildMultiBranchStem(spec, weights, geometry);
  const reparameterized = buildReparamStem(spec, weights, geometry);
  return {
    graphs: { multiBranch, reparameterized },
    forms: {
      multiBranch: formCounts(multiBranch, cacheBytes),
      reparameterized: formCounts(reparameterized, cacheBytes),
    },
    inputShape: multiBranch.inputs[0].shape,
    outputShape: stemOutputShape(spec, geometry),
  };
}

/** Max absolute and normwise relative difference of two outputs. */
export function compareOutputs(
  reference: Float32Array,
  other: Float32Array,
  tolerance: number,
): Equivalence {
  if (reference.length !== other.length) {
    throw new TypeError(
      `Cannot compare outputs of ${reference.length} and ${other.length} elements`,
    );
  }
  let maxAbsError = 0;
  let maxAbs = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = Math.abs(reference[i] - other[i]);
    if (!(d <= maxAbsError)) maxAbsError = d; // NaN propagates as a failure
    maxAbs = Math.max(maxAbs, Math.abs(reference[i]));
  }
  const maxRelError = maxAbs > 0 ? maxAbsError / maxAbs : maxAbsError;
  return { maxAbsError, maxRelError, tolerance, withinTolerance: maxAbsError <= tolerance };
}

/** A weights cache keyed by spec: every resolution of a spec shares its weights. */
export function weightsCache(seed: number): (config: CaseConfig) => StemWeights {
  const cache = new Map<string, StemWeights>();
  return (config) => {
    const spec = caseSpec(config);
    const key = JSON.stringify(spec);
    let w = cache.get(key);
    if (!w) {
      w = randomStemWeights(spec, seed);
      cache.set(key, w);
    }
    return w;
  };
}

/** Conventions of the counts and the measurement, as written into results. */
export function conventions(): Record<string, string> {
  return { ...COUNTING_CONVENTIONS, ...MEASURING_CONVENTIONS };
}

/** The message of a thrown value. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Builds and counts one case without running it. `result` is a skipped case holding the counts
 * ("counts only"), or an errored one when the case cannot be built; `built` is set when it could.
 */
export function countCase(
  c: Case,
  scenario: Scenario,
  weightsFor: (config: CaseConfig) => StemWeights,
): { result: CaseResult; built?: BuiltCase } {
  try {
    const built = buildCase(c.config, weightsFor(c.config), scenario.cacheMiB * 1024 * 1024);
    const result: CaseResult = {
      id: c.id,
      config: c.config,
      state: "skipped",
      reason: "counts only",
      forms: built.forms,
    };
    return { result, built };
  } catch (error) {
    return { result: { id: c.id, config: c.config, state: "errored", error: describe(error) } };
  }
}
