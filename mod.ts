/**
 * RepStem Bench, the pure entry point: build FastViT's reparameterizable convolutional stem (three
 * MobileOne blocks) in its multi-branch and reparameterized forms as ONNX graphs, fuse any model's
 * reparameterizable branches (`fuseGraph`), count them, expand scenarios, summarize and compare
 * samples, read and write results, render the report and gate a run against a baseline.
 *
 * Nothing here loads native code: importing this module needs no `--allow-ffi`, `--allow-env` or
 * `--allow-sys`. What needs onnxruntime (sessions, `runBench`, `verifyFusion`, the timing loop,
 * profiling runs, context collection) is in `./runner.ts` (`@repstem/bench/runner`).
 *
 * @example
 * ```ts
 * import {
 *   buildMultiBranchStem,
 *   buildReparamStem,
 *   countGraph,
 *   randomStemWeights,
 * } from "./mod.ts";
 *
 * const spec = {
 *   inChannels: 3, width: 64, branches: 1, scaleBranch: true, se: false, activation: "gelu",
 * } as const;
 * const weights = randomStemWeights(spec, 0);
 * const input = { batchSize: 1, resolution: 224 };
 * const deploy = countGraph(buildReparamStem(spec, weights, input), { cacheBytes: 32 << 20 });
 * const train = countGraph(buildMultiBranchStem(spec, weights, input), { cacheBytes: 32 << 20 });
 * if (deploy.total.params !== 64 * 64 + 39 * 64) throw new Error("C^2 + 39C");
 * if (train.total.macs <= deploy.total.macs) throw new Error("branches cost MACs");
 * ```
 *
 * @module
 */
export * from "./src/onnx/ir.ts";
export * from "./src/onnx/encode.ts";
export * from "./src/onnx/decode.ts";
export * from "./src/onnx/inline.ts";
export * from "./src/onnx/shapes.ts";
export * from "./src/stem/spec.ts";
export * from "./src/stem/weights.ts";
export * from "./src/stem/reference.ts";
export * from "./src/stem/multi_branch.ts";
export * from "./src/stem/reparameterized.ts";
export * from "./src/reparam/fold_bn.ts";
export * from "./src/reparam/pad_kernel.ts";
export * from "./src/reparam/reparameterize.ts";
export {
  type BranchKind,
  fuseGraph,
  type FuseOptions,
  type FuseResult,
  type Merge,
  type MergeBranch,
  type MergeMacs,
  opHistogram,
  type Pair,
} from "./src/reparam/graph/fuse.ts";
export * from "./src/profile/counts.ts";
export * from "./src/profile/ort_profile.ts";
export * from "./src/profile/roofline.ts";
export * from "./src/profile/memory_levels.ts";
export * from "./src/profile/bandwidth_sweep.ts";
export * from "./src/quantize/quantize.ts";
export * from "./src/quantize/calibrate.ts";
export * from "./src/quantize/qdq.ts";
export * from "./src/quantize/sqnr.ts";
export * from "./src/quantize/fold_conv_bn.ts";
export * from "./src/quantize/options.ts";
export * from "./src/scenario/schema.ts";
export * from "./src/scenario/parse.ts";
export * from "./src/scenario/expand.ts";
export * from "./src/stats/summarize.ts";
export * from "./src/stats/compare.ts";
export * from "./src/stats/difference.ts";
export * from "./src/results/schema.ts";
export * from "./src/results/io.ts";
export {
  buildCase,
  type BuiltCase,
  compareOutputs,
  countCase,
  type CountedCase,
  countForms,
  type CountFormsOptions,
} from "./src/case.ts";
export * from "./src/source/mod.ts";
export * from "./src/source/exported.ts";
export * from "./src/source/quantized.ts";
export {
  type CaseVerdict,
  type Check,
  type CheckStatus,
  type ContextDifference,
  DEFAULT_THRESHOLD,
  DEFAULT_TIME_THRESHOLD,
  exitCodeOf,
  GATE_NAMES,
  type GateName,
  type GateOptions,
  gateResults,
  type GateRun,
  type RunInfo,
  type Verdict,
} from "./src/gate/gate.ts";
export * from "./src/ab/side.ts";
export * from "./src/ab/results.ts";
export * from "./src/gate/paired.ts";
export { type RenderOptions, renderReport, type ReportRun } from "./src/report/render.ts";
export { type AbRenderOptions, renderAbReport } from "./src/report/ab.ts";
export {
  writeAbReport,
  type WriteAbReportOptions,
  writeReport,
  type WriteReportOptions,
} from "./src/report/write.ts";
