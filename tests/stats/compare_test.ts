// Tests of compareMedians() and mannWhitneyU() in src/stats/compare.ts.
import assert from "node:assert/strict";
import { compareMedians, compareTrials, mannWhitneyU } from "../../src/stats/compare.ts";
import { createRandom } from "../../src/stats/random.ts";

// p-values: the normal tail is accurate to about 1e-15; 1e-12 leaves room for z rounding.
const close = (actual: number, expected: number, tol: number) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} is not within ${tol} of ${expected}`);

const contains = ([lo, hi]: [number, number], x: number) =>
  assert.ok(lo <= x && x <= hi, `[${lo}, ${hi}] does not contain ${x}`);

Deno.test("compareMedians() gives median(baseline) / median(candidate)", () => {
  const { ratio, ci95 } = compareMedians([2, 4, 6, 100], [1, 2, 3, 50]);
  assert.equal(ratio, 5 / 2.5);
  contains(ci95, ratio);
});

Deno.test("compareMedians() paired keeps a proportional pair exact, unpaired does not", () => {
  // baseline[i] = 2 * candidate[i] in every round: every joint resample has ratio exactly 2.
  const candidate = [1, 3, 2, 5, 4, 8, 6, 7];
  const baseline = candidate.map((x) => 2 * x);
  assert.deepEqual(compareMedians(baseline, candidate, { paired: true }), {
    ratio: 2,
    ci95: [2, 2],
  });
  const unpaired = compareMedians(baseline, candidate);
  assert.equal(unpaired.ratio, 2);
  contains(unpaired.ci95, 2);
  assert.ok(unpaired.ci95[1] - unpaired.ci95[0] > 0.5);
});

Deno.test("compareMedians() paired is narrower than unpaired under shared drift", () => {
  // Both tasks slow down together over rounds (drift), candidate 20% faster with 1% noise.
  const random = createRandom(11);
  const drift = Array.from({ length: 100 }, (_, i) => 1 + i / 50);
  const baseline = drift.map((d) => 10 * d * (1 + 0.01 * (random() - 0.5)));
  const candidate = drift.map((d) => 8 * d * (1 + 0.01 * (random() - 0.5)));
  const paired = compareMedians(baseline, candidate, { paired: true, seed: 5 });
  const unpaired = compareMedians(baseline, candidate, { seed: 5 });
  contains(paired.ci95, paired.ratio);
  contains(unpaired.ci95, unpaired.ratio);
  contains(paired.ci95, 1.25);
  assert.ok(paired.ci95[1] - paired.ci95[0] < (unpaired.ci95[1] - unpaired.ci95[0]) / 3);
});

Deno.test("compareMedians() is deterministic for a seed", () => {
  const random = createRandom(2);
  const a = Array.from({ length: 30 }, () => 5 + random());
  const b = Array.from({ length: 40 }, () => 4 + random());
  assert.deepEqual(compareMedians(a, b, { seed: 9 }), compareMedians(a, b, { seed: 9 }));
  assert.notDeepEqual(compareMedians(a, b, { seed: 9 }).ci95, compareMedians(a, b).ci95);
});

Deno.test("compareMedians() rejects bad input", () => {
  assert.throws(() => compareMedians([], [1]), /'baseline'/);
  assert.throws(() => compareMedians([1], [NaN]), /'candidate'/);
  assert.throws(() => compareMedians([-1, 2], [1]), /must be >= 0/);
  assert.throws(() => compareMedians([1], [0, 0, 1]), /median is 0/);
  assert.throws(() => compareMedians([1, 2], [1], { paired: true }), /lengths differ/);
  assert.throws(() => compareMedians([1], [1], { resamples: -1 }), /'resamples'/);
});

Deno.test("compareMedians() copes with resamples whose candidate median is 0", () => {
  // Candidate median is 1, but many resamples draw mostly zeros: those ratios are Infinity.
  const { ratio, ci95 } = compareMedians([1, 1, 1], [0, 1, 1]);
  assert.equal(ratio, 1);
  assert.ok(ci95[0] <= 1 && ci95[1] === Infinity);
});

Deno.test("mannWhitneyU() matches a hand-computed example without ties", () => {
  // a = [1,2,3] all below b = [4,5,6]: ranks of a 1+2+3 = 6, U = 6 - 3*4/2 = 0.
  // mu = 4.5, sigma^2 = 9/12 * 7 = 5.25, z = -(4.5 - 0.5) / sqrt(5.25) = -1.7457.
  const r = mannWhitneyU([1, 2, 3], [4, 5, 6]);
  assert.equal(r.u, 0);
  close(r.z, -4 / Math.sqrt(5.25), 1e-12);
  // scipy.stats.mannwhitneyu([1,2,3], [4,5,6], method="asymptotic").pvalue == 0.08085559837005224
  close(r.p, 0.08085559837005224, 1e-12);
  assert.equal(mannWhitneyU([4, 5, 6], [1, 2, 3]).u, 9); // U_a + U_b = na * nb
});

Deno.test("mannWhitneyU() matches a hand-computed example with ties", () => {
  // a = [1,2,2,3], b = [2,3,4,5]; pooled ranks: 1 -> 1, the three 2s -> 3, the two 3s -> 5.5.
  // R_a = 1 + 3 + 3 + 5.5 = 12.5, U = 12.5 - 10 = 2.5, mu = 8.
  // Ties: t = 3 and t = 2, sum(t^3 - t) = 24 + 6 = 30; sigma^2 = 16/12 * (9 - 30/56).
  const r = mannWhitneyU([1, 2, 2, 3], [2, 3, 4, 5]);
  assert.equal(r.u, 2.5);
  close(r.z, -5 / Math.sqrt((16 / 12) * (9 - 30 / 56)), 1e-12);
  // scipy.stats.mannwhitneyu([1,2,2,3], [2,3,4,5], method="asymptotic").pvalue == 0.1366582477381475
  close(r.p, 0.1366582477381475, 1e-12);
  // scipy.stats.mannwhitneyu([5,6,7,8,9], [1,2,3], method="asymptotic").pvalue == 0.03688842570704987
  const s = mannWhitneyU([5, 6, 7, 8, 9], [1, 2, 3]);
  assert.equal(s.u, 15);
  assert.ok(s.z > 0);
  close(s.p, 0.03688842570704987, 1e-12);
});

Deno.test("mannWhitneyU() gives p = 1 when nothing differs", () => {
  assert.deepEqual(mannWhitneyU([3, 3], [3, 3, 3]), { u: 3, z: 0, p: 1 });
  assert.equal(mannWhitneyU([1, 2, 3], [1, 2, 3]).p, 1);
  assert.deepEqual(mannWhitneyU([1], [1]), { u: 0.5, z: 0, p: 1 });
  assert.throws(() => mannWhitneyU([], [1]), /'a'/);
});

Deno.test("compareTrials() pools the rounds for the ratio; its interval spans the trials' ratios", () => {
  // Three trials of one A/A comparison whose processes differ: 0.9x, 1.0x and 1.1x, each
  // with tight rounds. Pooled medians: candidate {0.9, 1, 1.1 over 3x51 rounds} -> 1, baseline 1.
  const trial = (f: number) => ({
    baseline: Array<number>(51).fill(1),
    candidate: Array<number>(51).fill(f),
  });
  const r = compareTrials([trial(0.9), trial(1), trial(1.1)], { seed: 3 });
  assert.equal(r.ratio, 1);
  // A bootstrap over the pooled rounds stays near 1 (the middle third of 153 rounds is 1); over
  // trials, resamples holding the 0.9x trial twice or more (7/27 of them) have median 0.9, and
  // likewise 1.1x, so the 2.5% and 97.5% quantiles are the ends.
  assert.ok(r.ci95[0] <= 0.9 + 1e-12 && r.ci95[1] >= 1.1 - 1e-12, `${r.ci95}`);
  const pooledRounds = compareMedians(
    [0.9, 1, 1.1].flatMap((f) => trial(f).candidate),
    [0.9, 1, 1.1].flatMap((f) => trial(f).baseline),
    { paired: true, seed: 3 },
  );
  assert.ok(pooledRounds.ci95[1] - pooledRounds.ci95[0] < r.ci95[1] - r.ci95[0]);
});

Deno.test("compareTrials() with one trial is compareMedians' paired ratio; bad trials throw", () => {
  const t = { baseline: [1, 2, 3, 4], candidate: [1.1, 2.3, 3.2, 4.4] };
  assert.deepEqual(
    compareTrials([t], { seed: 5 }),
    compareMedians(t.candidate, t.baseline, { paired: true, seed: 5 }),
  );
  assert.throws(() => compareTrials([]), /there are none/);
  assert.throws(
    () => compareTrials([t, { baseline: [1, 2], candidate: [1] }]),
    /trials\[1\] is not paired: baseline has 2 samples, candidate 1/,
  );
  assert.throws(() => compareTrials([{ baseline: [1, -1], candidate: [1, 1] }]), /durations/);
});
