/**
 * The A/B results document (`ab.json`, written by `deno task ab`): both sides, the run's context,
 * and per case and form both sides' latencies with the paired ratio candidate / baseline. It shares
 * `schemaVersion` 1 with `results.json` and is told apart by `kind: "ab"`. Pure: types, the paired
 * ratio and parsing.
 *
 * @module
 */
import { compareMedians } from "../stats/compare.ts";
import {
  type Context,
  type Equivalence,
  type FormName,
  type LatencyMs,
  RESULTS_SCHEMA_VERSION,
  type Speedup,
} from "../results/schema.ts";
import type { CaseConfig, ModelRef } from "../scenario/expand.ts";

/** The discriminator of an A/B results document. */
export const AB_KIND = "ab";

/** One side as run: what was asked for and the files it resolved to. */
export interface AbSideRecord {
  /**
   * The side as given on the command line (`models:DIR`, `ref:REF`, `ort:VERSION`,
   * `working tree`).
   */
  readonly spec: string;
  /** `models`, `ref`, `ort` or `working tree`. */
  readonly kind: "models" | "ref" | "ort" | "working tree";
  /** For `models:DIR`, the folder as an absolute path. */
  readonly dir?: string;
  /** For `ref:REF`, the ref as given. */
  readonly ref?: string;
  /** For `ref:REF`, the commit it named when the run started (40 hex digits). */
  readonly commit?: string;
  /**
   * Every model file of the side, once each, with its resolved path and SHA-256 (for `ref:REF`
   * the path is `COMMIT:PATH`, the file as the commit holds it).
   */
  readonly models: readonly ModelRef[];
  /**
   * The onnxruntime-node version that ran the side, as loaded (reported by its worker process
   * when the run used workers); absent when no case got that far.
   */
  readonly ortVersion?: string;
  /** `worker` when the side ran in a worker process of its own (any `ort:` side), else `in process`. */
  readonly process?: "worker" | "in process";
}

/** One form of one case on both sides. */
export interface AbFormResult {
  /** The baseline's latency summary, samples in round order (paired with the candidate's). */
  readonly baseline: LatencyMs;
  /** The candidate's latency summary. */
  readonly candidate: LatencyMs;
  /**
   * `median(candidate) / median(baseline)` of the paired samples: above 1 when the candidate is
   * slower (1.1 = 10% slower).
   */
  readonly ratio: number;
  /** 95% paired percentile-bootstrap interval of `ratio` (rounds resampled jointly). */
  readonly ci95: readonly [number, number];
}

/** A case both sides ran. */
export interface AbCompletedCase {
  /** The case's id, the same on both sides. */
  readonly id: string;
  /** The candidate's case configuration (`config.model` is the candidate's file). */
  readonly config: CaseConfig;
  /** `completed`. */
  readonly state: "completed";
  /** The baseline's model file for this case. */
  readonly baselineModel?: ModelRef;
  /**
   * With worker processes: how many fresh worker pairs timed the case, their rounds pooled
   * (samples in trial order); the ratio's ci95 is then a two-level bootstrap over trials and
   * rounds. Absent: one measurement in this process.
   */
  readonly trials?: number;
  /** Both forms on both sides. */
  readonly forms: { readonly [F in FormName]: AbFormResult };
  /** Each side's within-run speedup, median multiBranch / median reparameterized. */
  readonly speedup: { readonly baseline: Speedup; readonly candidate: Speedup };
  /** Each side's equivalence of its two forms (noise-floor, as bench checks a model). */
  readonly equivalence: { readonly baseline: Equivalence; readonly candidate: Equivalence };
}

/** A case that could not be compared (different inputs or outputs, a failing run). */
export interface AbErroredCase {
  /** The case's id. */
  readonly id: string;
  /** The candidate's case configuration. */
  readonly config: CaseConfig;
  /** `errored`. */
  readonly state: "errored";
  /** What went wrong, one line. */
  readonly error: string;
}

/** One case of an A/B run. */
export type AbCaseResult = AbCompletedCase | AbErroredCase;

/** An A/B results file. */
export interface AbResults {
  /** {@linkcode RESULTS_SCHEMA_VERSION}, as `results.json`. */
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  /** {@linkcode AB_KIND}. */
  readonly kind: typeof AB_KIND;
  /** Where and how the run happened, as bench records it. */
  readonly context: Context;
  /** What was compared. */
  readonly sides: { readonly baseline: AbSideRecord; readonly candidate: AbSideRecord };
  /** One result per case, in the scenario's order; fewer when interrupted. */
  readonly cases: readonly AbCaseResult[];
}

/** What a paired ratio says at a glance. */
export type AbVerdict = "slower" | "faster" | "same";

/**
 * The paired ratio `median(candidate) / median(baseline)` with its 95% bootstrap interval.
 * `compareMedians(a, b)` returns `median(a) / median(b)`, so the candidate goes first here: the
 * ratio is above 1 when the candidate is slower.
 *
 * @param baseline The baseline's samples, index i from round i.
 * @param candidate The candidate's samples from the same rounds, as many.
 * @param seed Seed of the bootstrap.
 * @returns The ratio and its interval.
 * @throws {RangeError} When the lengths differ or a side is empty or invalid.
 * @example
 * ```ts
 * import { pairedRatio } from "./results.ts";
 * const { ratio } = pairedRatio([1, 2, 3], [1.1, 2.2, 3.3], 0);
 * if (Math.abs(ratio - 1.1) > 1e-12) throw new Error();
 * ```
 */
export function pairedRatio(
  baseline: readonly number[],
  candidate: readonly number[],
  seed: number,
): { ratio: number; ci95: [number, number] } {
  return compareMedians(candidate, baseline, { paired: true, seed });
}

/**
 * `slower` when the interval lies entirely above 1, `faster` when entirely below, else `same`.
 *
 * @param ci95 The interval of a ratio candidate / baseline.
 * @returns The verdict.
 * @example
 * ```ts
 * import { verdictOf } from "./results.ts";
 * if (verdictOf([1.02, 1.08]) !== "slower" || verdictOf([0.98, 1.01]) !== "same") {
 *   throw new Error();
 * }
 * ```
 */
export function verdictOf(ci95: readonly [number, number]): AbVerdict {
  return ci95[0] > 1 ? "slower" : ci95[1] < 1 ? "faster" : "same";
}

/**
 * Parses an A/B results file's text. Checks `schemaVersion`, `kind`, `sides` and `cases`.
 *
 * @param text The file's content, JSON.
 * @param source Where the text came from, named in errors.
 * @returns The results, as read.
 * @throws {SyntaxError} When the text is not JSON or not an A/B results document.
 * @throws {RangeError} When its schemaVersion is not one this code reads.
 * @example
 * ```ts
 * import { parseAbResults } from "./results.ts";
 * const r = parseAbResults(
 *   '{"schemaVersion": 1, "kind": "ab", "context": {}, "sides": {}, "cases": []}', "ab.json",
 * );
 * if (r.cases.length !== 0) throw new Error();
 * ```
 */
export function parseAbResults(text: string, source: string): AbResults {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`Cannot read A/B results "${source}" as it is not JSON: ${e}`);
  }
  const r = value as Partial<AbResults> | null;
  if (typeof r !== "object" || r === null || r.kind !== AB_KIND) {
    throw new SyntaxError(
      `Cannot read A/B results "${source}" as 'kind' must be "${AB_KIND}" (written by deno task ab)`,
    );
  }
  if (r.schemaVersion !== RESULTS_SCHEMA_VERSION) {
    throw new RangeError(
      `Cannot read A/B results "${source}" as 'schemaVersion' must be ${RESULTS_SCHEMA_VERSION}: ` +
        `current value is ${JSON.stringify(r.schemaVersion)}`,
    );
  }
  if (!Array.isArray(r.cases) || typeof r.sides !== "object" || typeof r.context !== "object") {
    throw new SyntaxError(
      `Cannot read A/B results "${source}" as 'cases', 'sides' or 'context' is missing`,
    );
  }
  return r as AbResults;
}
