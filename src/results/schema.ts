/**
 * The versioned results format: what `deno task bench` writes and the report and gate read.
 * Field names are a contract; README.md documents them.
 *
 * @module
 */
import type { CaseConfig } from "../scenario/expand.ts";
import type { NodeCounts, Totals, UncountedNode } from "../profile/counts.ts";
import type { Summary } from "../stats/summarize.ts";
import type { ProfileRow } from "../profile/ort_profile.ts";
import type { RooflinePoint, Roofs } from "../profile/roofline.ts";
import type { OptimizationAudit } from "../runner/profile_run.ts";

/** Version of the results format written by this code. */
export const RESULTS_SCHEMA_VERSION = 1;

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
  /** Placement under the measured roofs (bytes = the cache-aware estimate), per form and block. */
  readonly roofline?: {
    readonly total: RooflinePoint;
    readonly blocks: ReadonlyArray<{ readonly block: number } & RooflinePoint>;
  };
}

/** Both forms of one case. */
export interface Forms {
  readonly multiBranch: FormResult;
  readonly reparameterized: FormResult;
}

/** A GPU provider's outputs against the CPU provider's, for both forms. */
export interface CrossProvider {
  readonly reference: "cpu";
  /** The larger of the two forms' max |gpu - cpu|. */
  readonly maxAbsError: number;
  readonly tolerance: number;
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
  readonly ratio: number;
  readonly ci95: readonly [number, number];
}

interface CaseBase {
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
  readonly state: "completed";
  /** The provider that ran the case, its options, and what one timed call includes. */
  readonly provider: {
    readonly name: string;
    readonly options?: Readonly<Record<string, unknown>>;
    readonly latencyIncludes: string;
  };
  readonly outputShape: readonly number[];
  readonly forms: Forms;
  readonly equivalence: Equivalence;
  readonly speedup: Speedup;
  /** Binding overhead: an Identity model whose input and output have the stem output's size. */
  readonly overheadMs: Summary;
}

/** A case that failed; whatever was computed before the failure is kept. */
export interface ErroredCase extends CaseBase {
  readonly state: "errored";
  readonly error: string;
  readonly forms?: Forms;
}

/** A case that was not run, with the reason (such as a provider that is not installed). */
export interface SkippedCase extends CaseBase {
  readonly state: "skipped";
  readonly reason: string;
  readonly forms?: Forms;
}

/** One case's result. */
export type CaseResult = CompletedCase | ErroredCase | SkippedCase;

/** Where and how a run happened: enough for a report to explain itself. */
export interface Context {
  readonly tool: { readonly name: string; readonly version: string };
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** True when the run was stopped (Ctrl-C) before every case ran. */
  readonly interrupted?: boolean;
  readonly ortVersion: string;
  readonly denoVersion: string;
  readonly v8Version: string;
  readonly os: string;
  readonly arch: string;
  /**
   * `cores`: the machine's (compared by the gate); `usableCores`: those the process could use
   * (its affinity mask; absent in results written before it was recorded).
   */
  readonly cpu: { readonly model: string; readonly cores: number; readonly usableCores?: number };
  readonly gitCommit?: string;
  readonly scenario: {
    readonly name: string;
    readonly description: string;
    readonly path: string;
    /** SHA-256 of the scenario file's text. */
    readonly hash: string;
    /** The scenario with defaults applied. */
    readonly resolved: unknown;
  };
  /** The WebGPU adapter, when the scenario has webgpu cases and one was found. */
  readonly gpuAdapter?: Readonly<Record<string, string>>;
  /** Measured roofs per `device/tThreads`. */
  readonly roofline?: Readonly<Record<string, Roofs>>;
  /** Cache size of the cache-aware traffic estimate. */
  readonly cacheBytes: number;
  /** Counting and measuring conventions, as sentences. */
  readonly conventions: Readonly<Record<string, string>>;
}

/** A results file. */
export interface Results {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  readonly context: Context;
  readonly cases: readonly CaseResult[];
}
