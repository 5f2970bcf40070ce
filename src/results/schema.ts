/**
 * The versioned results format: what `deno task bench` writes and the report and gate read.
 * Field names are a contract; README.md documents them. This file owns every type a results file
 * holds: the counts (`profile/counts.ts` computes them), profiler rows (`profile/ort_profile.ts`),
 * roofline points (`profile/roofline.ts`) and optimizer audits (`runner/profile_run.ts`) are
 * declared here and imported from here.
 *
 * @module
 */
import type { CaseConfig } from "../scenario/expand.ts";
import type { Summary } from "../stats/summarize.ts";

/** Version of the results format written by this code. */
export const RESULTS_SCHEMA_VERSION = 1;

/**
 * The tool that writes results, as {@linkcode Context}'s `tool` records it; `version` is the
 * package's (deno.json's `version`, which a test keeps equal). Defined here, in a module without
 * native code, so that both the bench (runner/context.ts) and `deno task count` can use it.
 */
export const TOOL = { name: "repstem-bench", version: "0.1.0" } as const;

/** The two forms of every case, as results name them, in the order reports and verdicts list them. */
export const FORM_NAMES = ["multiBranch", "reparameterized"] as const;

/** One of {@linkcode FORM_NAMES}. */
export type FormName = (typeof FORM_NAMES)[number];

/** How a form is spelled for readers. */
export interface FormLabel {
  /** In sentences, legends and the count tables: `multi-branch`, `reparameterized`. */
  readonly full: string;
  /** In the gate's verdict table and messages: `multi-branch`, `reparam`. */
  readonly short: string;
  /** In column headers such as `mb median ms`: `mb`, `rp`. */
  readonly abbreviation: string;
}

/** Every spelling of each form, by {@linkcode FormName}. */
export const FORM_LABELS: Readonly<Record<FormName, FormLabel>> = {
  multiBranch: { full: "multi-branch", short: "multi-branch", abbreviation: "mb" },
  reparameterized: { full: "reparameterized", short: "reparam", abbreviation: "rp" },
};

/** FLOPs, split so MAC FLOPs read like papers' MACs (times 2). */
export interface FlopCounts {
  /** 2 * MACs (of Conv, ConvTranspose, Gemm and MatMul; the name predates the latter). */
  readonly conv: number;
  /** Per-element work of the rules in `COUNTING_CONVENTIONS` (profile/counts.ts). */
  readonly elementwise: number;
  /** conv + elementwise. */
  readonly total: number;
}

/** Memory traffic of one node, in bytes. */
export interface NodeBytes {
  /** Every distinct input, activations and initializers alike. */
  readonly read: number;
  /** Every output. */
  readonly written: number;
  /** read + written. */
  readonly naive: number;
  /** Off-chip bytes the cache simulation attributes to this node. */
  readonly cached: number;
}

/** Counts of one node. */
export interface NodeCounts {
  /** The node's name in the graph (ONNX allows it to be empty). */
  readonly node: string;
  /** Op type as the graph spells it: `Conv`, or `domain.Op` outside the default domain. */
  readonly opType: string;
  /** Block of the node's tag; null for an untagged node. */
  readonly block: number | null;
  /** Branch of the node's tag; null for an untagged node. */
  readonly branch: string | null;
  /** Learnable elements first read here (see `COUNTING_CONVENTIONS` (profile/counts.ts)). */
  readonly params: number;
  /** BN running mean and var elements first read here. */
  readonly buffers: number;
  /** Conv, ConvTranspose, Gemm and MatMul multiply-accumulates; 0 for other ops. */
  readonly macs: number;
  /** FLOPs of the node. */
  readonly flops: FlopCounts;
  /** Memory traffic of the node, in bytes. */
  readonly bytes: NodeBytes;
  /** Shape of the first output; empty when it has none inferred (the node is then uncounted). */
  readonly outputShape: number[];
  /** flops.total / bytes.naive (0 when nothing moves). */
  readonly arithmeticIntensity: number;
}

/** Sums over a set of nodes (a block, or the whole graph). */
export interface Totals {
  /** Learnable elements (weights, biases, BN scale and shift) first read by the set's nodes. */
  readonly params: number;
  /** BN running mean and var elements first read by the set's nodes. */
  readonly buffers: number;
  /** Elements of other constant tensors (the GELU scalars, int64 shapes), at their first reader. */
  readonly constants: number;
  /** Multiply-accumulates of the set's Conv, ConvTranspose, Gemm and MatMul nodes. */
  readonly macs: number;
  /** FLOPs of the set's nodes. */
  readonly flops: FlopCounts;
  /** Memory traffic of the set, in bytes, from an upper bound (`naive`) to a lower (`minimum`). */
  readonly bytes: {
    /** Sum of the nodes' naive bytes. */
    readonly naive: number;
    /** The set run alone with an unbounded cache: what it reads from outside and what leaves. */
    readonly minimum: number;
    /** Sum of the nodes' cached bytes. */
    readonly cached: number;
  };
  /** Op type to node count (uncounted nodes included). */
  readonly nodes: Record<string, number>;
}

/** A node counted as 0 MACs and 0 FLOPs, and why. */
export interface UncountedNode {
  /** The node's name in the graph. */
  readonly node: string;
  /** Its op type, as the graph spells it. */
  readonly opType: string;
  /**
   * Why it was not counted, as a clause: `op "X" has no counting rule`, why shape inference
   * failed, or `its counting rule failed: ...`.
   */
  readonly reason: string;
}

/** One executed node's kernel time. */
export interface ProfileRow {
  /** Node name in the executed (optimized) graph. */
  readonly node: string;
  /** Op type as the profiler names it (`Conv`, `Gelu`, ...). */
  readonly opType: string;
  /** Execution provider that ran it, as onnxruntime names it (`CPUExecutionProvider`). */
  readonly provider: string;
  /**
   * Block of the original graph the node is attributed to (through its name, its output tensors
   * or the node feeding it); null when it is not attributed (it comes from, or only follows, a
   * node of a user's model outside every fused group).
   */
  readonly block: number | null;
  /**
   * Branch within the block, null with `block`: kxk0.., scale, skip, add, act, se, conv, or
   * layout and copy for onnxruntime's layout reorders and copies; a `+add` suffix marks a conv
   * that absorbed the branch Add.
   */
  readonly branch: string | null;
  /** Median kernel time over the profiled runs, microseconds. */
  readonly medianUs: number;
  /** Number of profiled runs of this node. */
  readonly runs: number;
}

/**
 * One working-set size of the bandwidth sweep: a streaming kernel of onnxruntime run over a
 * tensor that fits a working set of this size, timed by the profiler (best and median kernel time).
 */
export interface SweepPoint {
  /** Bytes the kernel keeps live (its input and the tensors it writes). */
  readonly workingSetBytes: number;
  /** Bytes the kernel reads and writes per run (every pass counted). */
  readonly bytes: number;
  /** Best kernel time over the profiled runs of every round, microseconds. */
  readonly bestUs: number;
  /** Median kernel time over the profiled runs of every round, microseconds. */
  readonly medianUs: number;
  /** bytes / bestUs, GB/s: what the roofs are made of. */
  readonly bandwidthGBs: number;
  /**
   * How reproducible the best is: 1 - bestUs / the median of each round's best kernel time;
   * absent when there was one round (then 1 - bestUs / medianUs stands for it).
   */
  readonly noise?: number;
}

/** One level of the memory hierarchy as the bandwidth sweep found it: a plateau of the curve. */
export interface MemoryLevel {
  /**
   * `L1`, `L2`, `L3` and `DRAM` when the knees are clear (three cache levels, then a plateau
   * well past the last knee); otherwise named by size (`<= 1.4 MiB`), and `DRAM` for the last
   * plateau when it spans at least two sizes past the last knee.
   */
  readonly name: string;
  /**
   * Effective capacity, bytes: the knee after this plateau (geometric middle of the two sweep
   * sizes either side of the step); null for the last level, which holds any working set.
   */
  readonly capacityBytes: number | null;
  /** The roof: best bandwidth measured on this plateau or any larger working set, GB/s. */
  readonly bandwidthGBs: number;
  /** Median of the plateau's points' bandwidths, GB/s. */
  readonly medianGBs: number;
  /** Smallest and largest working set of the sweep on this plateau, bytes. */
  readonly sweepBytes: readonly [number, number];
  /**
   * Relative noise of the plateau: the median over its points of their `noise` (how far the
   * best kernel time of a typical round sits from the best of all).
   */
  readonly noise: number;
}

/** Measured roofs of one provider on this machine. */
export interface Roofs {
  /** Peak compute from a large MatMul's kernel time (best of the profiled runs), GFLOP/s. */
  readonly peakGflops: number;
  /**
   * Memory bandwidth of the slowest level (the last plateau of the sweep, DRAM when the knees
   * are clear), GB/s; in results written before the sweep, a 64 MiB copy's bandwidth.
   */
  readonly bandwidthGBs: number;
  /** Relative noise of the peak: 1 - best/median MatMul kernel time; absent in older results. */
  readonly peakNoise?: number;
  /**
   * One roof per level of the memory hierarchy, fastest first, from the bandwidth sweep;
   * absent in results written before the sweep (then {@linkcode Roofs.bandwidthGBs} is the only roof).
   */
  readonly levels?: readonly MemoryLevel[];
  /** The bandwidth sweep itself, by working set, so a reader can see the curve. */
  readonly sweep?: readonly SweepPoint[];
}

/** One point placed under the roofs. */
export interface RooflinePoint {
  /** FLOPs placed (`flops.total` of the form or block). */
  readonly flops: number;
  /**
   * Bytes moved: the traffic of the placement. With per-level roofs (`level` present), the working
   * set (inputs, weights, outputs: `bytes.minimum`) that the level must supply at least once; in
   * older results, the cache-aware estimate `bytes.cached`.
   */
  readonly bytes: number;
  /** FLOPs per byte; 0 when no byte moves. */
  readonly intensity: number;
  /** max(flops / peak, bytes / bandwidth), ms: the fastest the roofs allow. */
  readonly boundMs: number;
  /** Working set (inputs, weights and outputs), bytes; absent in older results. */
  readonly workingSetBytes?: number;
  /** Name of the smallest measured level holding the working set; absent in older results. */
  readonly level?: string;
  /** Bandwidth of that level, GB/s; absent in older results. */
  readonly bandwidthGBs?: number;
  /** Which roof gives the bound: `compute` or `bandwidth`; absent in older results. */
  readonly boundBy?: "compute" | "bandwidth";
  /**
   * Measured time, ms: the sum of the profile's node medians (of the block's nodes, for a block);
   * absent when there is none above 0.
   */
  readonly measuredMs?: number;
  /**
   * measuredMs / boundMs: 1 is on the roof, 10 is ten times slower than the roof (0 when boundMs
   * is 0); absent with measuredMs.
   */
  readonly overBound?: number;
  /** flops / measured time, GFLOP/s; absent with measuredMs. */
  readonly achievedGflops?: number;
  /**
   * Relative measurement noise allowed below the bound before a point is a model error: the
   * larger of 10% and the binding roof's own noise; absent with measuredMs or in older results.
   */
  readonly tolerance?: number;
  /**
   * True when the point ran faster than its bound by more than `tolerance`
   * (overBound < 1 - tolerance): the roofline model is wrong there, not the kernel; absent with
   * measuredMs or in older results.
   */
  readonly modelError?: boolean;
}

/** Node histograms of a form before and after onnxruntime's optimizer at one level. */
export interface OptimizationAudit {
  /** Op type to node count of the graph given to onnxruntime. */
  readonly nodesBefore: Record<string, number>;
  /**
   * Op type to node count of the graph onnxruntime saved after optimizing at this level, with
   * its own domains (`com.microsoft.nchwc.Conv`, `com.microsoft.Gelu`).
   */
  readonly nodesAfter: Record<string, number>;
}

/** Latency statistics of one form, in milliseconds, plus the raw samples in round order. */
export interface LatencyMs extends Summary {
  /** Time of the session's very first run (allocation, kernel choice, shader compiles). */
  readonly firstRunMs: number;
  /** Runs spent warming up before sampling. */
  readonly warmupRuns: number;
  /** Every timed sample, index i taken in interleaved round i (paired across forms). */
  readonly samplesMs: readonly number[];
}

/** Counts (and, once run, timings) of one form of the stem. */
export interface FormResult extends Totals {
  /** The same counts for each block. */
  readonly blocks: ReadonlyArray<{ readonly block: number } & Totals>;
  /** Counts of every node, in graph order. */
  readonly perNode: readonly NodeCounts[];
  /**
   * Nodes counted as 0 MACs and FLOPs (no counting rule, or no inferred shape), with the reason;
   * absent when every node was counted (always, for the stems).
   */
  readonly uncounted?: readonly UncountedNode[];
  /** Present once the form was run. */
  readonly latencyMs?: LatencyMs;
  /** Node histograms before and after onnxruntime's optimizer, per level. */
  readonly optimization?: Readonly<Record<string, OptimizationAudit>>;
  /** Per-node kernel times from onnxruntime's profiler (separate runs from the timing). */
  readonly profile?: {
    /** One row per executed node that ran a kernel. */
    readonly rows: readonly ProfileRow[];
    /** Profiled runs (after one dropped warm-up run). */
    readonly runs: number;
    /** Sum of the node medians, ms. */
    readonly totalMs: number;
    /**
     * totalMs / (latencyMs.median - overheadMs.median): kernel time over the measured time less
     * the binding's own cost (input and output copies, which no kernel does). 1 is full agreement.
     */
    readonly coverage: number;
    /** Nodes that ran on another provider than the one asked for (CPU fallback). */
    readonly fallbackNodes: readonly string[];
  };
  /**
   * Placement under the measured roofs, per form and block: each against the roof of the
   * smallest level holding its working set (in older results, one roof and the cache-aware bytes).
   */
  readonly roofline?: {
    /** The whole form. */
    readonly total: RooflinePoint;
    /** Each block, timed by the profile rows attributed to it. */
    readonly blocks: ReadonlyArray<{ readonly block: number } & RooflinePoint>;
  };
}

/** Both forms of one case. */
export type Forms = { readonly [F in FormName]: FormResult };

/** A GPU provider's outputs against the CPU provider's, for both forms. */
export interface CrossProvider {
  /** The provider compared against: always onnxruntime's CPU provider (1 thread, level `all`). */
  readonly reference: "cpu";
  /** The larger of the two forms' max |gpu - cpu|. */
  readonly maxAbsError: number;
  /** Largest maxAbsError allowed: the scenario's `tolerance.crossProviderMaxAbsError`. */
  readonly tolerance: number;
  /** maxAbsError <= tolerance (false for NaN). */
  readonly withinTolerance: boolean;
}

/**
 * How close the two forms' outputs are on the same seeded input.
 *
 * A generated stem is checked on the case's own provider against the scenario's fixed
 * `tolerance.maxAbsError`. A user's model is checked with `src/runner/verify.ts` (onnxruntime's
 * CPU provider, optimizer off) against its own fp32 noise floor: then `method` is
 * `"noise-floor"`, `floor`, `floorMultiple` and `relTolerance` are set, `maxRelError` is the
 * normwise error of the worst output, and `tolerance` is `relTolerance` in absolute terms (times
 * that output's max |value|), so `withinTolerance` is `maxAbsError <= tolerance` either way.
 */
export interface Equivalence {
  /** max_i |multiBranch_i - reparameterized_i| */
  readonly maxAbsError: number;
  /** maxAbsError / max_i |multiBranch_i| (normwise, so values near zero do not blow it up). */
  readonly maxRelError: number;
  /** Largest maxAbsError allowed. */
  readonly tolerance: number;
  /**
   * Whether the forms agree: maxAbsError <= tolerance (false for NaN); for the noise floor
   * method, maxRelError <= relTolerance.
   */
  readonly withinTolerance: boolean;
  /** Present for GPU providers: the same outputs against the CPU provider's. */
  readonly crossProvider?: CrossProvider;
  /** How the tolerance was set: absent or `"fixed"` (the scenario's), or `"noise-floor"`. */
  readonly method?: "fixed" | "noise-floor";
  /** Noise floor: the multi-branch form with onnxruntime's optimizer off against fully on. */
  readonly floor?: { readonly maxAbs: number; readonly normwise: number };
  /** The multiple of the floor's normwise error allowed. */
  readonly floorMultiple?: number;
  /** Largest maxRelError allowed: max(floorMultiple x floor.normwise, 1e-5). */
  readonly relTolerance?: number;
}

/** Ratio of medians, multi-branch over reparameterized, with its bootstrap interval. */
export interface Speedup {
  /**
   * Median multi-branch latency / median reparameterized latency: above 1 when the fused form is
   * faster.
   */
  readonly ratio: number;
  /**
   * 95% paired percentile-bootstrap interval of the ratio (2.5% and 97.5% quantiles), resampling
   * whole rounds.
   */
  readonly ci95: readonly [number, number];
}

/** What every case's result holds, whatever its state. */
export interface CaseBase {
  /** The case's id (see `caseId`), unique within a run: `cpu-all-t1-n1-gelu-b1-scale-w48-r224`. */
  readonly id: string;
  /**
   * The case's configuration. A generated stem's has `width`, `branches`, `activation`,
   * `scaleBranch` and `se`; a user's model's has none of these but `model` (name, path, SHA-256
   * of the file) and `inputShape` instead (added in results format 1 without a version bump: files
   * without model cases read as before).
   */
  readonly config: CaseConfig;
}

/** A case that ran to the end. */
export interface CompletedCase extends CaseBase {
  /** `"completed"`: both forms ran, were compared and timed. */
  readonly state: "completed";
  /** The provider that ran the case, its options, and what one timed call includes. */
  readonly provider: {
    /** The device as resolved here (`gpu` becomes `cuda` or `webgpu`): `cpu`, `webgpu`, ... */
    readonly name: string;
    /** The scenario's `webgpu` options when the provider is webgpu; absent for the others. */
    readonly options?: Readonly<Record<string, unknown>>;
    /** What one timed call includes besides the kernels (input and output copies): a sentence. */
    readonly latencyIncludes: string;
  };
  /** Shape of the first output, as onnxruntime returned it for the multi-branch form. */
  readonly outputShape: readonly number[];
  /** Counts, latencies, optimizer audits, profiles and roofline of each form. */
  readonly forms: Forms;
  /** How close the two forms' outputs are. */
  readonly equivalence: Equivalence;
  /** How much faster the reparameterized form is, from the paired latency samples. */
  readonly speedup: Speedup;
  /** Binding overhead: an Identity model whose input and output have the stem output's size. */
  readonly overheadMs: Summary;
  /**
   * For an int8 case (`config.precision` `int8`): what quantization did to each form. The case's
   * `forms` are then the QDQ models (their counts, latencies, profiles), and `equivalence` is
   * the fp32 fusion proof of the same two forms.
   */
  readonly int8?: Int8Result;
}

/** Error of an int8 output against the fp32 reference. */
export interface QuantizationErrorStats {
  /** Signal-to-quantization-noise ratio, dB: 10 log10(sum ref^2 / sum (ref - int8)^2). */
  readonly sqnrDb: number;
  /** Largest absolute difference. */
  readonly maxAbs: number;
  /** Normwise relative error: ||ref - int8||_2 / ||ref||_2. */
  readonly normwise: number;
}

/** One conv's weights as the quantizer saw them. */
export interface Int8ConvWeights {
  /** The Conv node. */
  readonly node: string;
  /** Its block, null outside every block. */
  readonly block: number | null;
  /** Its branch within the block (`kxk0`, `scale`, `conv`, ...), when tagged. */
  readonly branch?: string;
  /** Output channels. */
  readonly outChannels: number;
  /** Largest |w| over the whole tensor. */
  readonly maxAbs: number;
  /** Spread of per-channel scales: max / min over live channels (1 for one channel). */
  readonly scaleSpread: number;
  /** Smallest share of the int8 range a live channel uses under one per-tensor scale, 0..1. */
  readonly minRangeShare: number;
  /** Median of those shares. */
  readonly medianRangeShare: number;
  /** Channels whose weights are all zero. */
  readonly deadChannels: number;
}

/** What quantization did to one form. */
export interface Int8Form {
  /** The int8 form's output against the fp32 multi-branch form's output. */
  readonly error: QuantizationErrorStats;
  /** The same per block (per merge group of a user's model), the error accumulated up to it. */
  readonly blocks: ReadonlyArray<{ readonly block: number } & QuantizationErrorStats>;
  /** Every quantized Conv's weight range. */
  readonly convs: readonly Int8ConvWeights[];
  /**
   * Integer kernels onnxruntime ran after optimizing the QDQ model at the case's level, by op
   * type (`QLinearConv`, `com.microsoft.QLinearConv`, ...).
   */
  readonly integerKernels: Readonly<Record<string, number>>;
  /** Conv nodes left in float after that optimization (the QDQ pattern was not fused). */
  readonly floatConvs: number;
  /** True when every Conv ran as an integer kernel. */
  readonly integer: boolean;
  /** Why not, when `integer` is false: a sentence. */
  readonly note?: string;
  /** The fp32 form timed in the same interleaved loop as the int8 forms. */
  readonly fp32LatencyMs: LatencyMs;
  /** median(fp32) / median(int8) of this form, paired over rounds: above 1 when int8 is faster. */
  readonly speedupOverFp32: Speedup;
  /** Activation tensors whose calibrated range was zero (given scale 1). */
  readonly zeroRangeTensors: readonly string[];
  /** Convs left in float by the quantizer, with the reason. */
  readonly skippedConvs: ReadonlyArray<{ readonly node: string; readonly reason: string }>;
}

/** An int8 case's quantization results. */
export interface Int8Result {
  /** The scenario's `quantization` block as applied. */
  readonly quantization: {
    readonly weights: "per-channel" | "per-tensor";
    readonly activations: "uint8" | "int8";
    readonly calibration: "minmax" | "percentile";
    readonly percentile: number;
    readonly calibrationSamples: number;
  };
  /** What the errors are measured against, a sentence. */
  readonly reference: string;
  /** Per form. */
  readonly forms: { readonly [F in FormName]: Int8Form };
  /**
   * The block with the lowest SQNR over both forms, and its conv's per-channel weight picture
   * (for the multi-branch form, its widest branch conv).
   */
  readonly worstBlock?: {
    readonly form: FormName;
    readonly block: number;
    readonly sqnrDb: number;
    readonly node: string;
    /** Per output channel: max |w|, the quantizer's scale, the share of the int8 range used. */
    readonly channels: {
      readonly maxAbs: readonly number[];
      readonly scale: readonly number[];
      readonly rangeShare: readonly number[];
    };
  };
}

/** A case that failed; whatever was computed before the failure is kept. */
export interface ErroredCase extends CaseBase {
  /** `"errored"`: building, counting or running the case threw. */
  readonly state: "errored";
  /** The message of what was thrown. */
  readonly error: string;
  /** Counts of both forms; absent when building or counting them failed. */
  readonly forms?: Forms;
}

/** A case that was not run, with the reason (such as a provider that is not installed). */
export interface SkippedCase extends CaseBase {
  /** `"skipped"`: counted but not run. */
  readonly state: "skipped";
  /** Why: the provider's absence, as a sentence, or `counts only` (`deno task count`). */
  readonly reason: string;
  /** Counts of both forms (this tool always writes them; the format lets them be absent). */
  readonly forms?: Forms;
}

/** One case's result. */
export type CaseResult = CompletedCase | ErroredCase | SkippedCase;

/** Where and how a run happened: enough for a report to explain itself. */
export interface Context {
  /** The tool that wrote the results: `repstem-bench` and its version ({@linkcode TOOL}). */
  readonly tool: { readonly name: string; readonly version: string };
  /** When the run started, ISO 8601 in UTC (`2025-01-31T12:00:00.000Z`). */
  readonly startedAt: string;
  /** When the run ended, ISO 8601 in UTC; absent in results saved while it was still going. */
  readonly finishedAt?: string;
  /** True when the run was stopped (Ctrl-C) before every case ran; absent otherwise. */
  readonly interrupted?: boolean;
  /** onnxruntime-node's version (`1.30.0`). */
  readonly ortVersion: string;
  /** Deno's version (`Deno.version.deno`). */
  readonly denoVersion: string;
  /** V8's version (`Deno.version.v8`). */
  readonly v8Version: string;
  /** The OS and its kernel release: `Deno.build.os` and `Deno.osRelease()` (`linux 6.8.0`). */
  readonly os: string;
  /** The CPU architecture, `Deno.build.arch`: `x86_64` or `aarch64`. */
  readonly arch: string;
  /**
   * `cores`: the machine's (compared by the gate); `usableCores`: those the process could use
   * (its affinity mask; absent in results written before it was recorded).
   */
  readonly cpu: { readonly model: string; readonly cores: number; readonly usableCores?: number };
  /**
   * The harness's git commit, with `-dirty` when tracked files had changes; absent outside a git
   * checkout or when git cannot be run.
   */
  readonly gitCommit?: string;
  /** The scenario that was run. */
  readonly scenario: {
    /** Its `name`. */
    readonly name: string;
    /** Its `description`. */
    readonly description: string;
    /** Path of the scenario file, as given to the command. */
    readonly path: string;
    /** SHA-256 of the scenario file's text. */
    readonly hash: string;
    /** The scenario with defaults applied. */
    readonly resolved: unknown;
  };
  /** The WebGPU adapter, when the scenario has webgpu cases and one was found. */
  readonly gpuAdapter?: Readonly<Record<string, string>>;
  /** Measured roofs per `device/tThreads` (see {@linkcode roofsKey}). */
  readonly roofline?: Readonly<Record<string, Roofs>>;
  /** Cache size of the cache-aware traffic estimate, in bytes (scenario `cacheMiB` x 2^20). */
  readonly cacheBytes: number;
  /** Counting and measuring conventions, as sentences. */
  readonly conventions: Readonly<Record<string, string>>;
}

/** A results file. */
export interface Results {
  /** Version of the results format: {@linkcode RESULTS_SCHEMA_VERSION}. */
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  /** Where and how the run happened. */
  readonly context: Context;
  /**
   * One result per case, in the scenario's expansion order; fewer than its cases when the run was
   * interrupted or the results were saved while it was going.
   */
  readonly cases: readonly CaseResult[];
}

/**
 * Key of a case's roofs in `context.roofline`: its device and threads, as `cpu/t4`.
 *
 * @param config A case's configuration (its device and threads).
 * @returns The key.
 */
export function roofsKey(config: Pick<CaseConfig, "device" | "threads">): string {
  return `${config.device}/t${config.threads}`;
}

/**
 * The deterministic counts of a form, by metric name: what the gate's counts check and the report's
 * run comparison compare exactly.
 */
export const COUNT_METRICS: ReadonlyArray<readonly [string, (f: FormResult) => number]> = [
  ["params", (f) => f.params],
  ["buffers", (f) => f.buffers],
  ["constants", (f) => f.constants],
  ["macs", (f) => f.macs],
  ["flops.conv", (f) => f.flops.conv],
  ["flops.elementwise", (f) => f.flops.elementwise],
  ["flops.total", (f) => f.flops.total],
  ["bytes.naive", (f) => f.bytes.naive],
  ["bytes.minimum", (f) => f.bytes.minimum],
  ["bytes.cached", (f) => f.bytes.cached],
];

/**
 * What a running case loop reports as it goes (bench and ab alike): a case about to run, then
 * its result.
 *
 * @typeParam R The loop's case result type.
 */
export type CaseEvent<R> =
  | {
    /** A case is about to run. */
    readonly kind: "case-start";
    /** The case's 0-based position among the scenario's cases. */
    readonly index: number;
    /** Number of cases of the scenario. */
    readonly total: number;
    /** The case's id. */
    readonly id: string;
  }
  | {
    /** A case has its result. */
    readonly kind: "case-end";
    /** The case's 0-based position among the scenario's cases. */
    readonly index: number;
    /** Number of cases of the scenario. */
    readonly total: number;
    /** The case's result, as it goes into the results. */
    readonly result: R;
  };
