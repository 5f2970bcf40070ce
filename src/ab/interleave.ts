/**
 * The A/B timing core: both forms of both sides (four tasks) in ONE interleaved measurement, each
 * round running all four once in a fresh random order, then per form the paired ratio candidate /
 * baseline and per side the within-run speedup. Takes tasks, not sessions, so tests run it with
 * fake tasks on a fake clock.
 *
 * @module
 */
import { measureInterleaved, type MeasureOptions, type Task } from "../runner/measure.ts";
import { summarize } from "../stats/summarize.ts";
import { compareMedians, compareTrials } from "../stats/compare.ts";
import { FORM_NAMES, type FormName, type LatencyMs, type Speedup } from "../results/schema.ts";
import { type AbFormResult, pairedRatio } from "./results.ts";

/** The two sides of an A/B run. */
export const SIDE_NAMES = ["baseline", "candidate"] as const;

/** One of {@linkcode SIDE_NAMES}. */
export type SideName = (typeof SIDE_NAMES)[number];

/** A value per side and form. */
export type PerSideForm<T> = { readonly [S in SideName]: { readonly [F in FormName]: T } };

/** Options of {@linkcode measureSides}. */
export interface MeasureSidesOptions extends MeasureOptions {
  /** Seed of the bootstrap intervals. */
  readonly seed: number;
  /**
   * Each session's very first call in ms, recorded as `firstRunMs`.
   * @default {each task's first measured round}
   */
  readonly firstRunMs?: PerSideForm<number>;
}

/** What {@linkcode measureSides} measured. */
export interface SidesMeasurement {
  /** Per form: both sides' latencies and the paired ratio candidate / baseline. */
  readonly forms: { readonly [F in FormName]: AbFormResult };
  /** Per side: median multiBranch / median reparameterized, paired over rounds. */
  readonly speedup: { readonly [S in SideName]: Speedup };
}

/**
 * Times the four tasks with one {@linkcode measureInterleaved} call and compares them.
 *
 * @param tasks A task per side and form (a bound session run).
 * @param options Warm-up and sampling budgets, clock, random source, bootstrap seed.
 * @returns Latencies, paired ratios (candidate / baseline, above 1 = candidate slower) and each
 *   side's speedup.
 * @throws Whatever a task throws.
 * @example
 * ```ts
 * import { measureSides } from "./interleave.ts";
 * let now = 0;
 * const task = (ms: number) => () => void (now += ms);
 * const m = await measureSides({
 *   baseline: { multiBranch: task(2), reparameterized: task(1) },
 *   candidate: { multiBranch: task(2.2), reparameterized: task(1.1) },
 * }, {
 *   seed: 0, clock: () => now,
 *   warmup: { minRuns: 2, maxRuns: 5, stableWithin: 1 },
 *   sampling: { minSamples: 5, minTimeMs: 0, maxTimeMs: 1000 },
 * });
 * if (Math.abs(m.forms.reparameterized.ratio - 1.1) > 1e-9) throw new Error();
 * ```
 */
export async function measureSides(
  tasks: PerSideForm<Task>,
  options: MeasureSidesOptions,
): Promise<SidesMeasurement> {
  const key = (s: SideName, f: FormName) => `${s}.${f}`;
  const named: Record<string, Task> = {};
  for (const s of SIDE_NAMES) for (const f of FORM_NAMES) named[key(s, f)] = tasks[s][f];
  const m = await measureInterleaved(named, options);
  const { seed } = options;
  const latency = (s: SideName, f: FormName): LatencyMs => {
    const t = m[key(s, f)];
    return {
      ...summarize(t.samplesMs, { seed }),
      firstRunMs: options.firstRunMs?.[s][f] ?? t.firstRoundMs,
      warmupRuns: t.warmupRuns,
      samplesMs: t.samplesMs,
    };
  };
  const form = (f: FormName): AbFormResult => {
    const baseline = latency("baseline", f);
    const candidate = latency("candidate", f);
    const { ratio, ci95 } = pairedRatio(baseline.samplesMs, candidate.samplesMs, seed);
    return { baseline, candidate, ratio, ci95 };
  };
  const speedup = (s: SideName): Speedup => {
    const r = compareMedians(
      m[key(s, "multiBranch")].samplesMs,
      m[key(s, "reparameterized")].samplesMs,
      { paired: true, seed },
    );
    return { ratio: r.ratio, ci95: r.ci95 };
  };
  return {
    forms: { multiBranch: form("multiBranch"), reparameterized: form("reparameterized") },
    speedup: { baseline: speedup("baseline"), candidate: speedup("candidate") },
  };
}

/**
 * Several measurements of one case (trials, each with its own pair of worker processes) as one:
 * each side's samples pooled in trial order, the paired ratio's interval by the two-level
 * bootstrap of {@linkcode compareTrials} (trials, then rounds), so what differs from one process
 * to the next widens it; `firstRunMs` and `warmupRuns` from the first trial; the speedup of each
 * side over the pooled rounds. One trial comes back as it is.
 *
 * @param trials At least one measurement of the same case.
 * @param seed Seed of the bootstrap intervals.
 * @returns The pooled measurement, with `trials` set to how many were pooled.
 * @throws {RangeError} When there is no trial.
 */
export function poolTrials(
  trials: readonly SidesMeasurement[],
  seed: number,
): SidesMeasurement & { readonly trials: number } {
  if (trials.length === 0) throw new RangeError("Cannot pool trials as there are none");
  if (trials.length === 1) return { ...trials[0], trials: 1 };
  const samples = (s: SideName, f: FormName) => trials.flatMap((t) => [...t.forms[f][s].samplesMs]);
  const latency = (s: SideName, f: FormName): LatencyMs => {
    const samplesMs = samples(s, f);
    const first = trials[0].forms[f][s];
    return {
      ...summarize(samplesMs, { seed }),
      firstRunMs: first.firstRunMs,
      warmupRuns: first.warmupRuns,
      samplesMs,
    };
  };
  const form = (f: FormName): AbFormResult => {
    const { ratio, ci95 } = compareTrials(
      trials.map((t) => ({
        baseline: t.forms[f].baseline.samplesMs,
        candidate: t.forms[f].candidate.samplesMs,
      })),
      { seed },
    );
    return { baseline: latency("baseline", f), candidate: latency("candidate", f), ratio, ci95 };
  };
  const speedup = (s: SideName): Speedup => {
    const r = compareTrials(
      trials.map((t) => ({
        baseline: t.forms.reparameterized[s].samplesMs,
        candidate: t.forms.multiBranch[s].samplesMs,
      })),
      { seed },
    );
    return { ratio: r.ratio, ci95: r.ci95 };
  };
  return {
    forms: { multiBranch: form("multiBranch"), reparameterized: form("reparameterized") },
    speedup: { baseline: speedup("baseline"), candidate: speedup("candidate") },
    trials: trials.length,
  };
}
