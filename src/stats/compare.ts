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
 * `z = sign(u - mu) * max(|u - mu| - 0.5, 0) / sigma`, `p = 2 * (1 - Phi(|z|))`. When every value
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
  return { u, z, p: Math.min(1, 2 * normalUpperTail(Math.abs(z))) };
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

// Upper tail 1 - Phi(x) of the standard normal for x >= 0: Hart's double-precision algorithm as
// given by West (2005), "Better approximations to cumulative normal functions"; absolute error
// below 1e-14 (checked against scipy.stats.norm.sf).
function normalUpperTail(x: number): number {
  if (x > 37) return 0;
  const e = Math.exp((-x * x) / 2);
  if (x >= 7.07106781186547) {
    const d = x + 1 / (x + 2 / (x + 3 / (x + 4 / (x + 0.65))));
    return e / d / 2.506628274631;
  }
  const num = (((((0.0352624965998911 * x + 0.700383064443688) * x + 6.37396220353165) * x +
                33.912866078383) * x + 112.079291497871) * x + 221.213596169931) * x +
    220.206867912376;
  const den = ((((((0.0883883476483184 * x + 1.75566716318264) * x + 16.064177579207) * x +
                    86.7807322029461) * x + 296.564248779674) * x + 637.333633378831) * x +
        793.826512519948) * x + 440.413735824752;
  return (e * num) / den;
}

/** One trial's paired samples: index i of both arrays comes from round i of the trial. */
export interface PairedTrial {
  /** The baseline's durations. */
  readonly baseline: readonly number[];
  /** The candidate's durations, as many. */
  readonly candidate: readonly number[];
}

/**
 * The ratio median(candidate) / median(baseline) over several trials (each a separate pair of
 * processes, say), with a 95% interval from a two-level bootstrap: each resample draws trials
 * with replacement, then rounds with replacement within each drawn trial (pairs kept). What
 * differs between trials (where each process's memory landed, what else ran) then widens the
 * interval, which a bootstrap over rounds alone would hide. With one trial it is
 * {@linkcode compareMedians}' paired interval.
 *
 * @param trials At least one trial, each with as many baseline as candidate samples.
 * @param options Seed and resample count.
 * @returns The ratio over all rounds pooled and its interval.
 * @throws {RangeError} When there is no trial, or a trial is empty, unpaired or invalid.
 * @example
 * ```ts
 * import { compareTrials } from "./compare.ts";
 * // Two trials, 10% and 30% slower: the pooled ratio lies between, the interval spans both
 * const r = compareTrials([
 *   { baseline: [1, 1, 1], candidate: [1.1, 1.1, 1.1] },
 *   { baseline: [1, 1, 1], candidate: [1.3, 1.3, 1.3] },
 * ], { seed: 1 });
 * if (!(r.ci95[0] <= 1.1 + 1e-12 && r.ci95[1] >= 1.3 - 1e-12)) throw new Error(`${r.ci95}`);
 * ```
 */
export function compareTrials(
  trials: readonly PairedTrial[],
  options: Omit<CompareOptions, "paired"> = {},
): MedianRatio {
  if (trials.length === 0) throw new RangeError("Cannot compare trials as there are none");
  for (const [i, t] of trials.entries()) {
    checkDurations(t.baseline, `trials[${i}].baseline`);
    checkDurations(t.candidate, `trials[${i}].candidate`);
    if (t.baseline.length !== t.candidate.length) {
      throw new RangeError(
        `Cannot compare trials as trials[${i}] is not paired: baseline has ` +
          `${t.baseline.length} samples, candidate ${t.candidate.length}`,
      );
    }
  }
  const pooled = (side: "baseline" | "candidate") => trials.flatMap((t) => [...t[side]]);
  if (trials.length === 1) {
    return compareMedians(pooled("candidate"), pooled("baseline"), { ...options, paired: true });
  }
  const resamples = checkResamples(options.resamples);
  const sortedOf = (xs: number[]) => xs.sort((a, b) => a - b) as unknown as Samples;
  const ratio = median(sortedOf(pooled("candidate"))) / median(sortedOf(pooled("baseline")));
  const random = createRandom(options.seed ?? DEFAULT_SEED);
  const total = trials.reduce((n, t) => n + t.baseline.length, 0);
  const b = new Float64Array(total);
  const c = new Float64Array(total);
  const ratios = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let k = 0;
    for (let i = 0; i < trials.length; i++) {
      const t = trials[Math.floor(random() * trials.length)];
      const n = t.baseline.length;
      for (let j = 0; j < n && k < total; j++, k++) {
        const pick = Math.floor(random() * n);
        b[k] = t.baseline[pick];
        c[k] = t.candidate[pick];
      }
    }
    const bs = b.subarray(0, k).sort() as unknown as Samples;
    const cs = c.subarray(0, k).sort() as unknown as Samples;
    const mb = median(bs);
    ratios[r] = mb === 0 ? Infinity : median(cs) / mb;
  }
  const sortedRatios = ratios.sort() as unknown as Samples;
  return { ratio, ci95: [quantile(sortedRatios, 0.025), quantile(sortedRatios, 0.975)] };
}
