/**
 * The verdict of the regression gate: what ran, what each check found, and the outcome. Plain
 * data, written as JSON by `deno task gate --json`.
 *
 * @module
 */
import type { FormName } from "../results/schema.ts";

/** One field that differs between the baseline's and the current run's context. */
export interface ContextDifference {
  /** Dotted path, e.g. `cpu.model`, or `config.threads` for a case's own config. */
  readonly field: string;
  /** The baseline's value, as text. */
  readonly baseline: string;
  /** The current run's value, as text. */
  readonly current: string;
  /** True when the difference makes absolute times incomparable. */
  readonly blocking: boolean;
}

/**
 * Every gate, in the order they are reported:
 * - `presence`: the case exists in both runs (missing fails, new is a note);
 * - `state`: the current case completed (errored fails; skipped fails when the baseline ran it);
 * - `counts`: params, buffers, constants, MACs, FLOPs, memory traffic and the node histogram of
 *   each form equal the baseline's (deterministic);
 * - `optimizer`: onnxruntime's node histograms after each optimization level equal the
 *   baseline's (deterministic for one ORT build and CPU, so only run when those match);
 * - `equivalence`: the forms' max absolute output difference stays within the tolerance;
 * - `int8`: an int8 case's output SQNR per form did not drop beyond the threshold (dB) below the
 *   baseline's, and a form that ran as integer kernels still does (per-block SQNR is not gated);
 * - `time`: each form's median latency did not grow beyond the threshold and the noise;
 * - `speedup`: the within-run speedup (multi-branch over reparameterized) did not shrink beyond
 *   the threshold and the noise.
 */
export const GATE_NAMES = [
  "presence",
  "state",
  "counts",
  "optimizer",
  "equivalence",
  "int8",
  "time",
  "speedup",
] as const;

/** One of {@linkcode GATE_NAMES}. */
export type GateName = (typeof GATE_NAMES)[number];

/** `fail` makes the gate exit 1; `skip` says a gate could not run and why; `note` informs. */
export type CheckStatus = "pass" | "fail" | "skip" | "note";

/** One finding about one case. */
export interface Check {
  /** The case checked. */
  readonly caseId: string;
  /** The gate that made the check. */
  readonly gate: GateName;
  /** The form checked; absent for checks of the whole case. */
  readonly form?: FormName;
  /** What was compared, e.g. `macs`, `flops.conv`, `nodes.Conv`, `median`, `speedup`. */
  readonly metric: string;
  /** What the check found. */
  readonly status: CheckStatus;
  /**
   * Baseline value: a count, median ms, speedup ratio, max abs error, SQNR dB, a state or the
   * kernels an int8 form ran; null for NaN.
   */
  readonly baseline?: number | string | null;
  /** Current value, same units as `baseline`. */
  readonly current?: number | string | null;
  /** time: median(current) / median(baseline); speedup: the current speedup ratio. */
  readonly ratio?: number;
  /** 95% bootstrap interval of `ratio`. */
  readonly ci95?: readonly [number, number];
  /**
   * The bound the gate held the value to: time, the largest allowed lower bound of `ci95`
   * (1 + threshold); speedup, the smallest allowed upper bound of `ci95`; equivalence, the
   * tolerance; int8, the smallest allowed output SQNR in dB (baseline less the threshold).
   */
  readonly limit?: number;
  /** One sentence a person reads in a CI log. */
  readonly message: string;
}

/** All checks of one case and its overall status. */
export interface CaseVerdict {
  /** The case id. */
  readonly id: string;
  /** `fail` when any check failed; `missing` / `new` when the case is in one run only. */
  readonly status: "pass" | "fail" | "missing" | "new";
  /** Its checks, in gate order. */
  readonly checks: readonly Check[];
}

/** Whether a gate ran and why (or why not). */
export interface GateRun {
  /** The gate. */
  readonly gate: GateName;
  /** Whether it ran. */
  readonly ran: boolean;
  /** Why it ran, or why not. */
  readonly reason: string;
}

/** A line identifying one of the two runs. */
export interface RunInfo {
  /** When the run started (ISO 8601). */
  readonly startedAt: string;
  /** The git commit of the run, when known. */
  readonly gitCommit?: string;
  /** Scenario name. */
  readonly scenario: string;
  /** onnxruntime version. */
  readonly ortVersion: string;
  /** CPU model and core count. */
  readonly cpu: string;
  /** Number of cases in the run. */
  readonly cases: number;
}

/** The gate's answer. */
export interface Verdict {
  /**
   * `pass` (exit 0), `regressed` (exit 1: a check failed), `incomparable` (exit 2: the runs
   * cannot be compared as asked, see `problems`).
   */
  readonly outcome: "pass" | "regressed" | "incomparable";
  /** Why the runs are incomparable; empty otherwise. */
  readonly problems: readonly string[];
  /** Allowed relative loss of the within-run speedup, as a fraction (0.2 = 20%). */
  readonly threshold: number;
  /** Allowed relative slowdown of a form's median between the runs, as a fraction. */
  readonly timeThreshold: number;
  /**
   * Allowed drop of an int8 case's output SQNR below the baseline's, dB. Absent in verdicts
   * written before int8 cases existed.
   */
  readonly sqnrThresholdDb?: number;
  /** The baseline run. */
  readonly baseline: RunInfo;
  /** The current run. */
  readonly current: RunInfo;
  /** Context differences, blocking ones first, and whether they were allowed. */
  readonly context: {
    /** Every field that differs, blocking ones first. */
    readonly differences: readonly ContextDifference[];
    /**
     * The `allowDifferentContext` option: true when blocking differences skip the time gate
     * instead of making the runs incomparable.
     */
    readonly allowDifferentContext: boolean;
  };
  /** Each gate, whether it ran and why. */
  readonly gates: readonly GateRun[];
  /** One verdict per case, baseline order, then new cases. */
  readonly cases: readonly CaseVerdict[];
  /** Number of checks per status. */
  readonly tally: Readonly<Record<CheckStatus, number>>;
}

/**
 * The exit code of a verdict: 0 pass, 1 regressed, 2 incomparable.
 *
 * @param verdict A verdict from gateResults.
 * @returns 0, 1 or 2.
 */
export function exitCodeOf(verdict: Verdict): 0 | 1 | 2 {
  return verdict.outcome === "pass" ? 0 : verdict.outcome === "regressed" ? 1 : 2;
}
