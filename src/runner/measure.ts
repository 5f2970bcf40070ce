/**
 * The timing loop: runs tasks interleaved in shuffled rounds, warms up until stable, then samples
 * until a count and a time budget are both met. The clock and budgets are arguments, so tests run
 * it with a fake clock.
 *
 * @module
 */

import { createRandom, shuffleInPlace } from "../stats/random.ts";

/** When warm-up ends. */
export interface WarmupOptions {
  /**
   * Fewest warm-up rounds, and the stability window: warm-up may end once the last `minRuns` runs
   * of every task are stable. 0 skips warm-up after the first run.
   */
  minRuns: number;
  /** Most warm-up rounds; warm-up ends here even when not stable. At least `minRuns`. */
  maxRuns: number;
  /** Stable means `(max - min) / median <= stableWithin` over the window (0.05 is 5%). */
  stableWithin: number;
}

/** When sampling ends. */
export interface SamplingOptions {
  /** Fewest samples per task, at least 1. */
  minSamples: number;
  /** Least sampling wall time in ms, as measured by the clock over whole rounds. */
  minTimeMs: number;
  /** Sampling stops once its wall time exceeds this, met or not; at least `minTimeMs`. */
  maxTimeMs: number;
}

/** Options of {@linkcode measureInterleaved}. */
export interface MeasureOptions {
  /** When warm-up ends (the rounds after round 0 and before sampling). */
  warmup: WarmupOptions;
  /** When sampling ends. */
  sampling: SamplingOptions;
  /**
   * Current time in milliseconds.
   * @default {performance.now}
   */
  clock?: () => number;
  /**
   * Floats in [0, 1) for shuffling each round's order.
   * @default {createRandom(DEFAULT_SEED)}
   */
  random?: () => number;
  /** Called after each warm-up or sampling round with the rounds done so far in that phase. */
  onProgress?: (done: number, phase: "warmup" | "sampling") => void;
}

/** What one task's timing produced. */
export interface TaskMeasurement {
  /**
   * Duration of the task in round 0, in ms: kept out of the warm-up's stability window and out of
   * the samples. Not the session's first call, which a caller times itself when it matters
   * (bench's `firstRunMs` is the equivalence run).
   */
  firstRoundMs: number;
  /** Warm-up rounds run after the first call. */
  warmupRuns: number;
  /** Sampling durations in ms, in round order: index i is round i, so tasks pair by index. */
  samplesMs: number[];
}

/**
 * What a self-timed task returns (or resolves to): the duration it measured itself, in ms. The
 * loop records this instead of its own clock's span, so overhead around the timed work (a worker
 * process's pipe round trip) stays out of the samples.
 */
export interface SelfTimed {
  /** The task's own measurement of the timed work, in ms: finite, >= 0. */
  readonly durationMs: number;
}

/**
 * A task to time; a returned promise is awaited inside the timed span. A task that returns a
 * {@linkcode SelfTimed} value is recorded with its `durationMs`, not the clock's span.
 */
export type Task = () => Promise<unknown> | unknown;

/**
 * Times tasks interleaved: every round runs each task once, in an order freshly shuffled
 * (Fisher-Yates with `random`), so drift and neighbours hit all tasks alike. Round 0 gives each
 * task's `firstRoundMs`. Warm-up rounds follow until, over the last `warmup.minRuns` rounds, every
 * task is within `stableWithin`, or `warmup.maxRuns` rounds have run. Sampling rounds follow until
 * both `minSamples` rounds and `minTimeMs` of wall time are reached, or the wall time exceeds
 * `maxTimeMs`; at least one sample is always taken. A task whose result has a numeric `durationMs`
 * ({@linkcode SelfTimed}) is recorded with that duration; the budgets still use the clock.
 *
 * @param tasks Named tasks, at least one.
 * @param options Warm-up and sampling budgets, clock, random source and progress callback.
 * @returns One {@linkcode TaskMeasurement} per task name.
 * @throws {RangeError} When `tasks` is empty or an option is out of range.
 * @throws {RangeError} When a task reports a `durationMs` that is not a finite number >= 0.
 * @throws Whatever a task throws, unchanged; measurement stops there.
 * @example
 * ```ts
 * import { measureInterleaved } from "./measure.ts";
 * const result = await measureInterleaved({ noop: () => {} }, {
 *   warmup: { minRuns: 2, maxRuns: 10, stableWithin: 1 },
 *   sampling: { minSamples: 5, minTimeMs: 0, maxTimeMs: 1000 },
 * });
 * if (result.noop.samplesMs.length < 5) throw new Error();
 * ```
 */
export async function measureInterleaved(
  tasks: Readonly<Record<string, Task>>,
  options: MeasureOptions,
): Promise<Record<string, TaskMeasurement>> {
  const names = Object.keys(tasks);
  if (names.length === 0) throw new RangeError("Cannot measure as 'tasks' is empty");
  checkOptions(options);
  const { warmup, sampling, onProgress } = options;
  const clock = options.clock ?? (() => performance.now());
  const random = options.random ?? createRandom();
  const order = [...names];
  const runRound = async (): Promise<Record<string, number>> => {
    const times: Record<string, number> = {};
    for (const name of shuffleInPlace(order, random)) {
      const start = clock();
      const returned = tasks[name]();
      const result = isThenable(returned) ? await returned : returned;
      const span = clock() - start;
      times[name] = selfTimed(name, result) ?? span;
    }
    return times;
  };

  const first = await runRound();
  const history: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  let warmupRuns = 0;
  while (warmupRuns < warmup.maxRuns) {
    if (warmupRuns >= warmup.minRuns && isStable(history, warmup)) break;
    const times = await runRound();
    for (const name of names) history[name].push(times[name]);
    warmupRuns++;
    onProgress?.(warmupRuns, "warmup");
  }

  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const start = clock();
  for (let rounds = 1;; rounds++) {
    const times = await runRound();
    for (const name of names) samples[name].push(times[name]);
    onProgress?.(rounds, "sampling");
    const elapsed = clock() - start;
    if (elapsed > sampling.maxTimeMs) break;
    if (rounds >= sampling.minSamples && elapsed >= sampling.minTimeMs) break;
  }

  return Object.fromEntries(
    names.map((n) => [n, { firstRoundMs: first[n], warmupRuns, samplesMs: samples[n] }]),
  );
}

function isStable(history: Record<string, number[]>, warmup: WarmupOptions): boolean {
  const window = warmup.minRuns;
  if (window === 0) return true;
  return Object.values(history).every((runs) => {
    const last = runs.slice(-window).sort((a, b) => a - b);
    const mid = last.length / 2;
    const med = last.length % 2 ? last[Math.floor(mid)] : (last[mid - 1] + last[mid]) / 2;
    const spread = last[last.length - 1] - last[0];
    return spread === 0 || (med > 0 && spread / med <= warmup.stableWithin);
  });
}

/** The duration a task reported itself, or undefined when it reported none. */
function selfTimed(name: string, result: unknown): number | undefined {
  if (typeof result !== "object" || result === null || !("durationMs" in result)) return undefined;
  const ms = (result as SelfTimed).durationMs;
  if (typeof ms !== "number") return undefined;
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(
      `Cannot measure task "${name}" as its reported 'durationMs' must be a finite number >= 0: ` +
        `current value is ${ms}`,
    );
  }
  return ms;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

function checkOptions({ warmup, sampling }: MeasureOptions): void {
  const check = (ok: boolean, field: string, value: number, rule: string) => {
    if (!ok) {
      throw new RangeError(
        `Cannot measure as '${field}' must be ${rule}: current value is ${value}`,
      );
    }
  };
  const count = (v: number) => Number.isInteger(v) && v >= 0;
  check(count(warmup.minRuns), "warmup.minRuns", warmup.minRuns, "an integer >= 0");
  check(
    count(warmup.maxRuns) && warmup.maxRuns >= warmup.minRuns,
    "warmup.maxRuns",
    warmup.maxRuns,
    `an integer >= warmup.minRuns (${warmup.minRuns})`,
  );
  check(
    Number.isFinite(warmup.stableWithin) && warmup.stableWithin >= 0,
    "warmup.stableWithin",
    warmup.stableWithin,
    "a finite number >= 0",
  );
  check(
    count(sampling.minSamples) && sampling.minSamples >= 1,
    "sampling.minSamples",
    sampling.minSamples,
    "an integer >= 1",
  );
  check(
    Number.isFinite(sampling.minTimeMs) && sampling.minTimeMs >= 0,
    "sampling.minTimeMs",
    sampling.minTimeMs,
    "a finite number >= 0",
  );
  check(
    sampling.maxTimeMs >= sampling.minTimeMs,
    "sampling.maxTimeMs",
    sampling.maxTimeMs,
    `a number >= sampling.minTimeMs (${sampling.minTimeMs})`,
  );
}
