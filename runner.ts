/**
 * RepStem Bench, the onnxruntime entry point: everything that loads onnxruntime-node's native
 * library or times and profiles a run. Importing it needs the bench's permissions
 * (`--allow-read --allow-write --allow-env --allow-ffi --allow-sys`, see {@linkcode BENCH_PERMISSIONS});
 * the pure API (graphs, fusion, counts, scenarios, results, statistics, report, gate) is in
 * `./mod.ts`.
 *
 * @example
 * ```ts ignore
 * import { createSession, verifyFusion } from "@repstem/bench/runner";
 * import { buildReparamStem, encodeModel } from "@repstem/bench";
 * ```
 *
 * @module
 */
export { type BenchEvent, type BenchOptions, runBench } from "./src/bench_loop.ts";
export * from "./src/runner/ort.ts";
export * from "./src/runner/verify.ts";
export * from "./src/runner/measure.ts";
export * from "./src/runner/profile_run.ts";
export * from "./src/runner/context.ts";
export * from "./src/runner/bench_process.ts";
export * from "./src/runner/calibrate_run.ts";
export {
  abCases,
  type AbEvent,
  type AbOptions,
  type AbWorkerInfo,
  needsWorkers,
  runAb,
  type Sides,
  stemsDiffer,
} from "./src/ab/run.ts";
export * from "./src/ab/interleave.ts";
export { loadSideModels } from "./src/ab/side_models.ts";
export { loadRefSide, type RefSideOptions } from "./src/ab/side_ref.ts";
export { type AbProcessRun, runAbProcess } from "./src/ab/process.ts";

// The pure API's types that this entry point's signatures use (and what they refer to), so that
// a user of `@repstem/bench/runner` can name them; `./mod.ts` exports the same ones.
export type {
  Attribute,
  Graph,
  Initializer,
  ModelInfo,
  Node,
  NodeTag,
  OpsetImport,
  Tensor,
  ValueInfo,
} from "./src/onnx/ir.ts";
export {
  ACTIVATIONS,
  type Device,
  DEVICES,
  OPTIMIZATION_LEVELS,
  type OptimizationLevel,
  type Scenario,
} from "./src/scenario/schema.ts";
export type {
  Case,
  CaseConfig,
  ModelCaseConfig,
  ModelFacts,
  ModelRef,
  StemCaseConfig,
} from "./src/scenario/expand.ts";
export type { ScenarioModel } from "./src/source/scenario_models.ts";
export type { Side } from "./src/ab/side.ts";
export type {
  AbCaseResult,
  AbCompletedCase,
  AbErroredCase,
  AbFormResult,
  AbResults,
  AbSideRecord,
} from "./src/ab/results.ts";
export type { Summary } from "./src/stats/summarize.ts";
export {
  type CaseBase,
  type CaseResult,
  type CompletedCase,
  type Context,
  type CrossProvider,
  type Equivalence,
  type ErroredCase,
  type FlopCounts,
  FORM_NAMES,
  type FormName,
  type FormResult,
  type Forms,
  type LatencyMs,
  type NodeBytes,
  type NodeCounts,
  type OptimizationAudit,
  type ProfileRow,
  type Results,
  RESULTS_SCHEMA_VERSION,
  type RooflinePoint,
  type Roofs,
  type SkippedCase,
  type Speedup,
  type Totals,
  type UncountedNode,
} from "./src/results/schema.ts";
