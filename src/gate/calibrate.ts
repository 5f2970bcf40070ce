/**
 * A/A calibration of the gate: several runs of one scenario on one machine. Each later run is
 * gated against the first, as CI would gate it; and since any run could have been the baseline,
 * the spread over every pair of runs gives the threshold that no choice of baseline would have
 * crossed. Pure; `gate --calibrate` runs the scenario and calls it.
 *
 * @module
 */
import { type CompletedCase, FORM_NAMES, type Results } from "../results/schema.ts";
import { compareMedians } from "../stats/compare.ts";
import { median, sortSamples } from "../stats/summarize.ts";
import { DEFAULT_SEED } from "../stats/random.ts";
import { formatPercent, formatTable } from "../text_format.ts";
import {
  DEFAULT_THRESHOLD,
  DEFAULT_TIME_THRESHOLD,
  type GateOptions,
  gateResults,
} from "./gate.ts";
import type { Verdict } from "./verdict.ts";

/** Noise of one case over the A/A runs. */
export interface CalibrationCase {
  /** The case id. */
  readonly id: string;
  /** Runs in which the case completed. */
  readonly runs: number;
  /** Worst `|median(run) / median(first) - 1|` over both forms and every later run. */
  readonly worstTimeDeviation: number;
  /** Worst `|speedup(run) / speedup(first) - 1|` over every later run. */
  readonly worstSpeedupDeviation: number;
  /** Later runs in which this case failed a check against the first at the given thresholds. */
  readonly alarms: number;
  /** Over every pair of runs: `max median / min median - 1`, worst form. */
  readonly timeSpread: number;
  /**
   * ci95 lower bound of `median(slowest run) / median(fastest run)`, less 1, worst form: the
   * smallest time threshold at which no choice of baseline run would have alarmed.
   */
  readonly timeThresholdNeeded: number;
  /** Over every pair of runs: `1 - min speedup / max speedup`. */
  readonly speedupSpread: number;
  /**
   * Largest `1 - ci95 upper bound(run a) / speedup(run b)` over every pair: the smallest speedup
   * threshold at which no choice of baseline run would have alarmed.
   */
  readonly speedupThresholdNeeded: number;
}

/** What the A/A runs say about the thresholds. */
export interface Calibration {
  /** The speedup threshold the runs were gated at. */
  readonly threshold: number;
  /** The time threshold the runs were gated at. */
  readonly timeThreshold: number;
  /** Number of runs, the first included. */
  readonly runs: number;
  /** One entry per case id seen in any run. */
  readonly cases: readonly CalibrationCase[];
  /** Outcome of gating each later run against the first. */
  readonly outcomes: ReadonlyArray<Verdict["outcome"]>;
  /** Largest `timeThresholdNeeded` of any case. */
  readonly timeThresholdNeeded: number;
  /** Largest `speedupThresholdNeeded` of any case. */
  readonly speedupThresholdNeeded: number;
  /** The needed thresholds times 1.25, rounded up to a multiple of 5%, at least 5%. */
  readonly suggested: { readonly threshold: number; readonly timeThreshold: number };
  /** Messages of failed hard checks (counts, equivalence, state): these are bugs, not noise. */
  readonly hardFailures: readonly string[];
}

function suggest(needed: number): number {
  return Math.max(0.05, Math.ceil((needed * 1.25) / 0.05 - 1e-9) * 0.05);
}

function pairwise(id: string, runs: readonly CompletedCase[], seed: number) {
  let timeSpread = 0;
  let timeThresholdNeeded = 0;
  for (const form of FORM_NAMES) {
    const samples = runs.map((r) => r.forms[form].latencyMs!.samplesMs);
    const medians = samples.map((s) => median(sortSamples(s)));
    const [fast, slow] = [
      medians.indexOf(Math.min(...medians)),
      medians.indexOf(Math.max(...medians)),
    ];
    if (fast === slow) continue;
    timeSpread = Math.max(timeSpread, medians[slow] / medians[fast] - 1);
    const { ci95 } = compareMedians(samples[slow], samples[fast], { seed });
    timeThresholdNeeded = Math.max(timeThresholdNeeded, ci95[0] - 1);
  }
  const ratios = runs.map((r) => r.speedup.ratio);
  let speedupThresholdNeeded = 0;
  runs.forEach((a, i) =>
    ratios.forEach((b, j) => {
      if (i !== j) {
        speedupThresholdNeeded = Math.max(speedupThresholdNeeded, 1 - a.speedup.ci95[1] / b);
      }
    })
  );
  return {
    id,
    runs: runs.length,
    timeSpread,
    timeThresholdNeeded,
    speedupSpread: ratios.length > 0 ? 1 - Math.min(...ratios) / Math.max(...ratios) : 0,
    speedupThresholdNeeded,
  };
}

/**
 * Gates every run against the first, and measures the spread over every pair of runs.
 *
 * @param runs Two or more results of the same scenario on one machine, in run order.
 * @param options The gate's options; `threshold` and `timeThreshold` are the ones judged.
 * @returns The per-case noise floor and the thresholds it implies.
 * @throws {RangeError} When fewer than two runs are given.
 * @throws {SyntaxError} When a run is malformed (see gateResults).
 */
export function calibrate(runs: readonly Results[], options: GateOptions = {}): Calibration {
  if (runs.length < 2) {
    throw new RangeError(
      `Cannot calibrate as at least 2 runs are needed: current value is ${runs.length}`,
    );
  }
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const timeThreshold = options.timeThreshold ?? options.threshold ?? DEFAULT_TIME_THRESHOLD;
  const gateOptions = { ...options, threshold, timeThreshold };
  const verdicts = runs.slice(1).map((r) => gateResults(runs[0], r, gateOptions));
  const ids = [...new Set(runs.flatMap((r) => r.cases.map((c) => c.id)))];
  const hardFailures: string[] = [];
  const cases = ids.map((id): CalibrationCase => {
    const vsFirst = { worstTimeDeviation: 0, worstSpeedupDeviation: 0, alarms: 0 };
    verdicts.forEach((v, i) => {
      const c = v.cases.find((k) => k.id === id);
      if (c?.status === "fail" || c?.status === "missing") vsFirst.alarms++;
      for (const k of c?.checks ?? []) {
        if (k.gate === "time" && k.ratio !== undefined) {
          vsFirst.worstTimeDeviation = Math.max(vsFirst.worstTimeDeviation, Math.abs(k.ratio - 1));
        } else if (k.gate === "speedup" && typeof k.baseline === "number") {
          vsFirst.worstSpeedupDeviation = Math.max(
            vsFirst.worstSpeedupDeviation,
            Math.abs(k.ratio! / k.baseline - 1),
          );
        } else if (k.status === "fail") {
          hardFailures.push(`run ${i + 2}, ${id}: ${k.message}`);
        }
      }
    });
    const completed = runs.flatMap((r) =>
      r.cases.filter((c): c is CompletedCase => c.id === id && c.state === "completed")
    );
    return { ...vsFirst, ...pairwise(id, completed, options.seed ?? DEFAULT_SEED) };
  });
  const timeNeeded = Math.max(0, ...cases.map((c) => c.timeThresholdNeeded));
  const speedupNeeded = Math.max(0, ...cases.map((c) => c.speedupThresholdNeeded));
  return {
    threshold,
    timeThreshold,
    runs: runs.length,
    cases,
    outcomes: verdicts.map((v) => v.outcome),
    timeThresholdNeeded: timeNeeded,
    speedupThresholdNeeded: speedupNeeded,
    suggested: { threshold: suggest(speedupNeeded), timeThreshold: suggest(timeNeeded) },
    hardFailures,
  };
}

/**
 * Renders a calibration as plain text: one row per case, then the verdict on the thresholds.
 *
 * @param c A calibration.
 * @returns Text without a trailing newline.
 */
export function formatCalibration(c: Calibration): string {
  const header = [
    "case",
    "runs",
    "time dev vs 1st",
    "speedup dev vs 1st",
    "alarms",
    "time spread",
    "time thr. needed",
    "speedup spread",
    "speedup thr. needed",
  ];
  const rows = c.cases.map((k) => [
    k.id,
    String(k.runs),
    formatPercent(k.worstTimeDeviation),
    formatPercent(k.worstSpeedupDeviation),
    String(k.alarms),
    formatPercent(k.timeSpread),
    formatPercent(k.timeThresholdNeeded),
    formatPercent(k.speedupSpread),
    formatPercent(k.speedupThresholdNeeded),
  ]);
  const alarmed = c.outcomes.filter((o) => o !== "pass").length;
  // A threshold as `--threshold` takes it: the percentage without its sign.
  const percentNumber = (x: number) => formatPercent(x).slice(0, -1);
  return [
    `A/A calibration: ${c.runs} runs; each later run gated against the first at time threshold ` +
    `${formatPercent(c.timeThreshold)} and speedup threshold ${
      formatPercent(c.threshold)
    }; spreads over every pair`,
    "",
    formatTable(header, rows),
    "",
    `Against the first run: ${alarmed} of ${c.outcomes.length} comparison(s) alarmed` +
    (alarmed > 0 ? " (too tight for this machine)." : "."),
    `Over every pair (any run as the baseline), thresholds that would not have alarmed: time > ` +
    `${formatPercent(c.timeThresholdNeeded)}, speedup > ${
      formatPercent(c.speedupThresholdNeeded)
    }.`,
    `Suggested (x1.25, rounded up to 5%): --time-threshold ${
      percentNumber(c.suggested.timeThreshold)
    } --threshold ${percentNumber(c.suggested.threshold)}`,
    ...c.hardFailures.map((f) => `hard check failed (not noise, a bug): ${f}`),
  ].join("\n");
}
