/**
 * Descriptive statistics of one task's timing samples: quantiles, spread, outliers and a seeded
 * bootstrap confidence interval of the median.
 *
 * @module
 */

import { createRandom, DEFAULT_SEED, drawResample } from "./random.ts";

/**
 * Samples as a non-empty array. Where a function says "sorted" it expects ascending order and does
 * not check it.
 */
export type Samples = readonly [number, ...number[]];

/** Options of {@linkcode summarize}. */
export interface SummarizeOptions {
  /**
   * Seed of the bootstrap generator; the same seed and samples give the same `ci95`.
   * @default {DEFAULT_SEED}
   */
  seed?: number;
  /**
   * Number of bootstrap resamples behind `ci95`.
   * @default {2000}
   */
  resamples?: number;
}

/**
 * Statistics of one set of samples, in the samples' unit (milliseconds for timings). Quantiles use
 * {@linkcode quantile}'s rule (linear interpolation, Hyndman-Fan type 7); no sample is trimmed.
 */
export interface Summary {
  /** Number of samples. */
  samples: number;
  /** Middle value: {@linkcode quantile} at 0.5 (the mean of the two middle values for even n). */
  median: number;
  /** Arithmetic mean. */
  mean: number;
  /** Smallest sample. */
  min: number;
  /** Largest sample. */
  max: number;
  /** 10th percentile: {@linkcode quantile} at 0.1. */
  p10: number;
  /** 90th percentile: {@linkcode quantile} at 0.9. */
  p90: number;
  /** 99th percentile: {@linkcode quantile} at 0.99 (between the two largest of <= 100 samples). */
  p99: number;
  /** Sample standard deviation (divisor n - 1); 0 for a single sample. */
  stdev: number;
  /** Raw median absolute deviation, `median(|x - median|)`, unscaled (not multiplied by 1.4826). */
  mad: number;
  /**
   * Samples whose modified z-score `0.6745 * (x - median) / mad` exceeds 3.5 in absolute value, as
   * hyperfine counts them; 0 when `mad` is 0.
   */
  outliers: number;
  /** 95% percentile-bootstrap confidence interval of the median (2.5% and 97.5% quantiles). */
  ci95: [number, number];
}

/**
 * Validates and sorts samples into a new ascending array.
 *
 * @param values Finite numbers, at least one.
 * @param what Names the input in error messages.
 * @returns A sorted copy.
 * @throws {RangeError} When `values` is empty or holds a non-finite number.
 */
export function sortSamples(values: readonly number[], what = "samples"): Samples {
  if (values.length === 0) {
    throw new RangeError(`Cannot summarize '${what}' as it is empty`);
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new RangeError(
        `Cannot summarize '${what}' as every value must be finite: value ${i} is ${values[i]}`,
      );
    }
  }
  return [...values].sort((a, b) => a - b) as unknown as Samples;
}

/**
 * The p-quantile of sorted samples by linear interpolation between closest ranks: with
 * `h = (n - 1) * p`, the result is `x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])`.
 * This is Hyndman-Fan type 7, the default of numpy's `quantile` and R's `quantile`.
 *
 * @param sorted Samples in ascending order (not checked).
 * @param p The probability, in [0, 1].
 * @returns The interpolated quantile.
 * @throws {RangeError} When `p` is outside [0, 1].
 * @example
 * ```ts
 * import { quantile } from "./summarize.ts";
 * if (quantile([1, 2, 3, 4], 0.5) !== 2.5) throw new Error();
 * ```
 */
export function quantile(sorted: Samples, p: number): number {
  if (!(p >= 0 && p <= 1)) {
    throw new RangeError(`Cannot compute quantile as 'p' must be in [0, 1]: current value is ${p}`);
  }
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const frac = h - lo;
  const a = sorted[lo];
  if (frac === 0) return a;
  const b = sorted[lo + 1];
  return a === b ? a : a + frac * (b - a);
}

/**
 * The median of sorted samples: {@linkcode quantile} at 0.5.
 *
 * @param sorted Samples in ascending order (not checked).
 * @returns The middle value, or the mean of the two middle values.
 */
export function median(sorted: Samples): number {
  return quantile(sorted, 0.5);
}

/**
 * The median of a bootstrap resample given as counts per index, read in O(n) without sorting.
 *
 * @param values The original values, in any order.
 * @param order Indices into `values` in ascending order of value.
 * @param counts How many times each index was drawn; the counts sum to `values.length`.
 * @returns The resample's median, by {@linkcode quantile}'s rule.
 */
export function medianOfResample(
  values: ArrayLike<number>,
  order: ArrayLike<number>,
  counts: ArrayLike<number>,
): number {
  const n = values.length;
  const loRank = Math.floor((n - 1) / 2);
  const hiRank = n % 2 === 0 ? loRank + 1 : loRank;
  let seen = 0;
  let lo = 0;
  let foundLo = false;
  for (let j = 0; j < n; j++) {
    const index = order[j];
    seen += counts[index];
    if (!foundLo && seen > loRank) {
      lo = values[index];
      foundLo = true;
    }
    if (seen > hiRank) {
      const hi = values[index];
      return lo === hi ? lo : lo + 0.5 * (hi - lo); // as quantile() computes it
    }
  }
  return lo;
}

/**
 * Reads the `resamples` option shared by the bootstrap functions.
 *
 * @param resamples The requested count, or undefined for 2000.
 * @returns The validated count.
 * @throws {RangeError} When `resamples` is not a positive integer.
 */
export function checkResamples(resamples: number | undefined): number {
  const r = resamples ?? 2000;
  if (!Number.isInteger(r) || r < 1) {
    throw new RangeError(
      `Cannot bootstrap as 'resamples' must be a positive integer: current value is ${r}`,
    );
  }
  return r;
}

/**
 * Summarizes samples: count, median, mean, min, max, p10/p90/p99, sample stdev, raw MAD, outliers
 * by modified z-score, and a percentile-bootstrap 95% interval of the median. Deterministic: the
 * bootstrap draws from a generator seeded by `options.seed`.
 *
 * @param samples The values, in any order; at least one, all finite.
 * @param options Bootstrap seed and resample count.
 * @returns The {@linkcode Summary}.
 * @throws {RangeError} When `samples` is empty, holds a non-finite value, or `resamples` is not a
 * positive integer.
 * @example
 * ```ts
 * import { summarize } from "./summarize.ts";
 * const s = summarize([1, 2, 3, 4]);
 * if (s.median !== 2.5 || s.ci95[0] > s.median || s.ci95[1] < s.median) throw new Error();
 * ```
 */
export function summarize(samples: readonly number[], options: SummarizeOptions = {}): Summary {
  const sorted = sortSamples(samples);
  const resamples = checkResamples(options.resamples);
  const n = sorted.length;
  const med = median(sorted);
  let sum = 0;
  for (const x of sorted) sum += x;
  const mean = sum / n;
  let squares = 0;
  for (const x of sorted) squares += (x - mean) ** 2;
  const deviations = sortSamples(sorted.map((x) => Math.abs(x - med)));
  const mad = median(deviations);
  const outliers = mad === 0
    ? 0
    : sorted.filter((x) => Math.abs((0.6745 * (x - med)) / mad) > 3.5).length;
  return {
    samples: n,
    median: med,
    mean,
    min: sorted[0],
    max: sorted[n - 1],
    p10: quantile(sorted, 0.1),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    stdev: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    mad,
    outliers,
    ci95: bootstrapMedianInterval(sorted, resamples, options.seed ?? DEFAULT_SEED),
  };
}

function bootstrapMedianInterval(
  sorted: Samples,
  resamples: number,
  seed: number,
): [number, number] {
  const random = createRandom(seed);
  const n = sorted.length;
  const order = new Uint32Array(n).map((_, i) => i);
  const counts = new Uint32Array(n);
  const medians = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    medians[r] = medianOfResample(sorted, order, drawResample(random, counts));
  }
  const estimates = medians.sort() as unknown as Samples;
  return [quantile(estimates, 0.025), quantile(estimates, 0.975)];
}
