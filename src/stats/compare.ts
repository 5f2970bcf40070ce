/**
 * Comparing two tasks' samples: the ratio of medians with a seeded bootstrap interval, and the
 * Mann-Whitney U test for a yes/no difference.
 *
 * @module
 */

import { createRandom, DEFAULT_SEED, drawResample } from "./random.ts";
import {
  checkResamples,
  median,
  medianOfResample,
  quantile,
  type Samples,
  sortSamples,
} from "./summarize.ts";

/** Options of {@linkcode compareMedians}. */
export interface CompareOptions {
  /**
   * Treat `baseline[i]` and `candidate[i]` as one pair (taken in the same interleaved round) and
   * resample round indices jointly. Needs equal lengths.
   * @default {false}
   */
  paired?: boolean;
  /**
   * Seed of the bootstrap generator.
   * @default {DEFAULT_SEED}
   */
  seed?: number;
  /**
   * Number of bootstrap resamples.
   * @default {2000}
   */
  resamples?: number;
}

/** A ratio of medians with its interval. */
export interface MedianRatio {
  /** `median(baseline) / median(candidate)`: above 1 when the candidate is faster. */
  ratio: number;
  /** 95% percentile-bootstrap interval of the ratio (2.5% and 97.5% quantiles). */
  ci95: [number, number];
}

/** The result of {@linkcode mannWhitneyU}. */
export interface MannWhitneyResult {
  /** U of the first sample: pairs (a, b) with a > b, plus half of the ties. */
  u: number;
  /** Normal-approximation z-score of `u`, tie- and continuity-corrected; positive when a > b tends to hold. */
  z: number;
  /** Two-sided p-value from `z`. */
  p: number;
}

/**
 * The ratio of medians `median(baseline) / median(candidate)` and its 95% percentile-bootstrap
 * interval: resample with replacement, take the ratio of the resampled medians, and report the
 * 2.5% and 97.5% quantiles ({@linkcode quantile}'s rule) of those ratios. Unpaired, each side is
 * resampled independently; paired, the same round indices are drawn for both sides, which keeps
 * drift that hit both tasks in a round out of the interval. Deterministic for a seed.
 *
 * A resample whose candidate median is 0 gives an infinite ratio (1 when both medians are 0).
 *
 * @param baseline Durations of the baseline, at least one, finite and >= 0.
 * @param candidate Durations of the candidate, same rules, with a median above 0.
 * @param options Pairing, seed and resample count.
 * @returns The ratio and its interval.
 * @throws {RangeError} When a side is empty, holds a negative or non-finite value, the
 * candidate's median is 0, `paired` is set with unequal lengths, or `resamples` is invalid.
 * @example
 * ```ts
 * import { compareMedians } from "./compare.ts";
 * const { ratio, ci95 } = compareMedians([2, 2.1, 1.9], [1, 1.05, 0.95], { paired: true });
 * if (ratio !== 2 || ci95[0] > ratio || ci95[1] < ratio) throw new Error();
 * ```
 */
export function compareMedians(
  baseline: readonly number[],
  candidate: readonly number[],
  options: CompareOptions = {},
): MedianRatio {
  const sortedBase = checkDurations(baseline, "baseline");
  const sortedCand = checkDurations(candidate, "candidate");
  const resamples = checkResamples(options.resamples);
  const paired = options.paired ?? false;
  if (paired && baseline.length !== candidate.length) {
    throw new RangeError(
      `Cannot compare paired samples as lengths differ: baseline has ${baseline.length}, candidate has ${candidate.length}`,
    );
  }
  const candMedian = median(sortedCand);
  if (candMedian === 0) {
    throw new RangeError("Cannot compare medians as the candidate's median is 0");
  }
  const random = createRandom(options.seed ?? DEFAULT_SEED);
  const baseOrder = argsort(baseline);
  const candOrder = argsort(candidate);
  const baseCounts = new Uint32Array(baseline.length);
  const candCounts = paired ? baseCounts : new Uint32Array(candidate.length);
  const ratios = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    drawResample(random, baseCounts);
    if (!paired) drawResample(random, candCounts);
    const b = medianOfResample(baseline, baseOrder, baseCounts);
    const c = medianOfResample(candidate, candOrder, candCounts);
    ratios[r] = c === 0 ? (b === 0 ? 1 : Infinity) : b / c;
  }
  const sortedRatios = ratios.sort() as unknown as Samples;
  return {
    ratio: median(sortedBase) / candMedian,
    ci95: [quantile(sortedRatios, 0.025), quantile(sortedRatios, 0.975)],
  };
}

/**
 * The Mann-Whitney U test (Wilcoxon rank-sum) of two independent samples, two-sided, by the
 * normal approximation with tie correction and a 0.5 continuity correction; this matches scipy's
 * `mannwhitneyu(a, b, method="asymptotic")`. With `n = na + nb` and `t` the size of each tie group:
 * `mu = na*nb/2`, `sigma^2 = na*nb/12 * ((n + 1) - sum(t^3 - t) / (n * (n - 1)))`,
 * `z = sign(u - mu) * max(|u - mu| - 0.5, 0) / sigma`, `p = erfc(|z| / sqrt 2)`. When every value
 * is tied, z is 0 and p is 1.
 *
 * @param a First sample, at least one finite value.
 * @param b Second sample, same rules.
 * @returns U of `a`, z and the two-sided p-value.
 * @throws {RangeError} When a sample is empty or holds a non-finite value.
 * @example
 * ```ts
 * import { mannWhitneyU } from "./compare.ts";
 * const { u } = mannWhitneyU([1, 2, 3], [4, 5, 6]);
 * if (u !== 0) throw new Error();
 * ```
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  sortSamples(a, "a");
  sortSamples(b, "b");
  const na = a.length;
  const nb = b.length;
  const n = na + nb;
  const all = [...a.map((v) => ({ v, first: true })), ...b.map((v) => ({ v, first: false }))]
    .sort((x, y) => x.v - y.v);
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j < n && all[j].v === all[i].v) j++;
    const t = j - i;
    const midRank = (i + 1 + j) / 2; // ranks i+1 .. j share their mean
    for (let k = i; k < j; k++) if (all[k].first) rankSumA += midRank;
    tieTerm += t ** 3 - t;
    i = j;
  }
  const u = rankSumA - (na * (na + 1)) / 2;
  const mu = (na * nb) / 2;
  const variance = n > 1 ? ((na * nb) / 12) * (n + 1 - tieTerm / (n * (n - 1))) : 0;
  if (!(variance > 0)) return { u, z: 0, p: 1 };
  const d = u - mu;
  const z = (Math.sign(d) * Math.max(Math.abs(d) - 0.5, 0)) / Math.sqrt(variance);
  return { u, z, p: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) };
}

function checkDurations(values: readonly number[], what: string): Samples {
  const sorted = sortSamples(values, what);
  if (sorted[0] < 0) {
    throw new RangeError(`Cannot compare '${what}' as durations must be >= 0: found ${sorted[0]}`);
  }
  return sorted;
}

function argsort(values: readonly number[]): Uint32Array {
  return new Uint32Array(values.length).map((_, i) => i).sort((i, j) => values[i] - values[j]);
}

// Complementary error function, Numerical Recipes' Chebyshev fit (erfcc): fractional error below
// 1.2e-7 everywhere, ample for a p-value.
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(
    -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
                  t * (-0.18628806 + t * (0.27886187 + t * (-1.13520398 + t * (1.48851587 +
                                  t * (-0.82215223 + t * 0.17087277)))))))),
  );
  return x >= 0 ? r : 2 - r;
}
