/**
 * The paired gate: gates an A/B run (`ab.json`, baseline and candidate interleaved in one run) on
 * its paired ratios. A case and form regresses when the 95% interval of median(candidate) /
 * median(baseline) lies entirely above 1 + threshold. Pure; a failed gate is a returned value.
 *
 * @module
 */
import type { AbResults } from "../ab/results.ts";
import { FORM_NAMES, type FormName } from "../results/schema.ts";
import type { CheckStatus } from "./verdict.ts";

/** Default threshold of the paired gate: a 5% slowdown. */
export const DEFAULT_PAIRED_THRESHOLD = 0.05;

/** Options of {@linkcode gatePaired}. */
export interface PairedGateOptions {
  /**
   * Largest slowdown tolerated, as a fraction (0.05 = 5%).
   * @default {DEFAULT_PAIRED_THRESHOLD}
   */
  readonly threshold?: number;
}

/** One finding of the paired gate. */
export interface PairedCheck {
  /** The case checked. */
  readonly caseId: string;
  /** The form checked; absent for an errored case and the equivalence check. */
  readonly form?: FormName;
  /** `fail` when regressed or errored, else `pass`. */
  readonly status: CheckStatus;
  /** median(candidate) / median(baseline); above 1 when the candidate is slower. */
  readonly ratio?: number;
  /** Its 95% paired bootstrap interval. */
  readonly ci95?: readonly [number, number];
  /** The bound `ci95[0]` must not exceed: 1 + threshold. */
  readonly limit?: number;
  /** One sentence for a CI log. */
  readonly message: string;
}

/** The paired gate's verdict. */
export interface PairedVerdict {
  /** The threshold used, as a fraction. */
  readonly threshold: number;
  /** Every check, case by case, forms in {@linkcode FORM_NAMES} order. */
  readonly checks: readonly PairedCheck[];
  /** True when any check failed (a regression or an errored case). */
  readonly failed: boolean;
  /** 0 nothing regressed, 1 something regressed or errored. */
  readonly exitCode: 0 | 1;
}

/**
 * Gates an A/B run on its paired ratios.
 *
 * @param results The A/B results.
 * @param options The threshold.
 * @returns The verdict; `failed` when a case/form regressed beyond the threshold, a case
 *   errored, or the candidate's two forms of a case were not equivalent (a hard gate, as in the
 *   unpaired gate; the baseline's are its own business).
 * @throws {RangeError} When the threshold is negative or not finite.
 * @example
 * ```ts
 * import { gatePaired } from "./paired.ts";
 * import type { AbResults } from "../ab/results.ts";
 * const form = (ratio: number, ci95: [number, number]) => ({ ratio, ci95 });
 * const results = {
 *   cases: [{
 *     id: "c", state: "completed",
 *     forms: { multiBranch: form(1.1, [1.08, 1.12]), reparameterized: form(1, [0.99, 1.01]) },
 *   }],
 * } as unknown as AbResults;
 * const v = gatePaired(results);
 * if (!v.failed || v.checks[0].status !== "fail" || v.checks[1].status !== "pass") {
 *   throw new Error();
 * }
 * ```
 */
export function gatePaired(results: AbResults, options: PairedGateOptions = {}): PairedVerdict {
  const threshold = options.threshold ?? DEFAULT_PAIRED_THRESHOLD;
  if (!Number.isFinite(threshold) || threshold < 0) {
    throw new RangeError(
      `Cannot gate as 'threshold' must be a finite number >= 0: current value is ${threshold}`,
    );
  }
  const limit = 1 + threshold;
  const pct = (x: number) => `${((x - 1) * 100).toFixed(1)}%`;
  const checks: PairedCheck[] = [];
  for (const c of results.cases) {
    if (c.state !== "completed") {
      checks.push({ caseId: c.id, status: "fail", message: `${c.id} errored: ${c.error}` });
      continue;
    }
    const eq = c.equivalence?.candidate;
    if (eq && !eq.withinTolerance) {
      checks.push({
        caseId: c.id,
        status: "fail",
        message: `${c.id}: the candidate's forms are not equivalent (max abs error ${
          eq.maxAbsError.toExponential(2)
        }, tolerance ${eq.tolerance.toExponential(2)})`,
      });
    }
    for (const form of FORM_NAMES) {
      const { ratio, ci95 } = c.forms[form];
      const regressed = !(ci95[0] <= limit); // NaN fails
      checks.push({
        caseId: c.id,
        form,
        status: regressed ? "fail" : "pass",
        ratio,
        ci95,
        limit,
        message: `${c.id} ${form}: candidate / baseline ${ratio.toFixed(3)} [${
          ci95[0].toFixed(3)
        }, ${ci95[1].toFixed(3)}] ${
          regressed
            ? `is slower by more than ${pct(limit)} (the interval lies above ${limit.toFixed(3)})`
            : `is within ${pct(limit)}`
        }`,
      });
    }
  }
  const failed = checks.some((c) => c.status === "fail");
  return { threshold, checks, failed, exitCode: failed ? 1 : 0 };
}
