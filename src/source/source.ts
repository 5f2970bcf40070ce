/**
 * The one seam between where a case's two graphs come from and everything the bench does with
 * them (counts, equivalence, interleaved timing, speedup, profiles, optimizer audit, roofline,
 * results). Two sources implement it: the generated stem (`stem.ts`) and a user's model file
 * (`model.ts`); `scenarioSource` routes each case to its own.
 *
 * @module
 */
import type { Graph } from "../onnx/ir.ts";
import type { CaseConfig, ModelRef } from "../scenario/expand.ts";

/** A tensor compared between the two forms besides the outputs, named after what produced it. */
export interface Tap {
  /** A tensor present in both graphs (a merge group's output). */
  readonly name: string;
  /** What it ends (the emitted conv's name), for messages. */
  readonly label: string;
}

/** Both forms of one case, ready to count and run. */
export interface CaseGraphs {
  /** The train-time form: parallel branches with BatchNorm. Nodes tagged by block and branch. */
  readonly multiBranch: Graph;
  /** The deploy form: one conv per block. Nodes tagged by block, the fused conv's branch `conv`. */
  readonly reparameterized: Graph;
  /** The concrete input shape both graphs are run and counted at (their inputs have it). */
  readonly inputShape: readonly number[];
  /**
   * The first output's concrete shape as inferred; empty when it does not infer (an op shape
   * inference does not know). The bench sizes its binding-overhead model from the shape
   * onnxruntime returns.
   */
  readonly outputShape: readonly number[];
  /** The model file, for a user's model. */
  readonly model?: ModelRef;
  /**
   * How equivalence is judged: absent, the scenario's fixed `tolerance.maxAbsError` on the case's
   * provider; `noise-floor`, `verifyFusion` against the model's own fp32 noise floor, the taps
   * (merge outputs) compared too.
   */
  readonly equivalence?: { readonly method: "noise-floor"; readonly taps: readonly Tap[] };
}

/** Where a case's two graphs come from. */
export interface CaseSource {
  /**
   * Builds (or loads and fuses) both forms of a case.
   *
   * @param config The case's configuration.
   * @returns Both graphs at the case's input shape.
   * @throws {Error} When the case cannot be built; the bench records the case as errored.
   */
  build(config: CaseConfig): Promise<CaseGraphs>;
}

/**
 * A source that routes each case to the source of its kind: model cases (those with
 * `config.model`) to `models`, the others to `stems`.
 *
 * @param stems The generated-stem source.
 * @param models The source of users' models.
 * @returns The routing source.
 */
export function routeSource(stems: CaseSource, models: CaseSource): CaseSource {
  return { build: (config) => (config.model ? models : stems).build(config) };
}
