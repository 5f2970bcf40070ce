// Tests of quantile(), summarize() and the bootstrap helper in src/stats/summarize.ts.
import assert from "node:assert/strict";
import {
  median,
  medianOfResample,
  quantile,
  type Samples,
  sortSamples,
  summarize,
} from "../../src/stats/summarize.ts";
import { createRandom, drawResample } from "../../src/stats/random.ts";

// Floating-point sums and square roots: 1e-12 absolute is far above rounding, far below a real error.
const close = (actual: number, expected: number, tol = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} is not within ${tol} of ${expected}`);

Deno.test("quantile() interpolates linearly between closest ranks (numpy default)", () => {
  const x: Samples = [1, 2, 3, 4];
  close(quantile(x, 0.5), 2.5); // np.quantile([1,2,3,4], 0.5) == 2.5
  close(quantile(x, 0.1), 1.3); // np.quantile([1,2,3,4], 0.1) == 1.3
  close(quantile(x, 0.25), 1.75); // np.quantile([1,2,3,4], 0.25) == 1.75
  close(quantile(x, 0.9), 3.7); // np.quantile([1,2,3,4], 0.9) == 3.7
  close(quantile(x, 0.99), 3.97); // np.quantile([1,2,3,4], 0.99) == 3.97
  assert.equal(quantile(x, 0), 1);
  assert.equal(quantile(x, 1), 4);
});

Deno.test("quantile() of one sample is that sample at every p", () => {
  for (const p of [0, 0.1, 0.5, 0.99, 1]) assert.equal(quantile([7], p), 7);
});

Deno.test("quantile() returns the tied value inside a run of ties", () => {
  const x: Samples = [1, 2, 2, 2, 3];
  assert.equal(quantile(x, 0.25), 2); // h = 1
  assert.equal(quantile(x, 0.5), 2);
  assert.equal(quantile(x, 0.6), 2); // h = 2.4, between two 2s
  close(quantile(x, 0.9), 2.6); // np.quantile([1,2,2,2,3], 0.9) == 2.6
  assert.equal(median([0.1, 0.1, 0.1, 0.1]), 0.1); // exact, no interpolation error
});

Deno.test("quantile() rejects p outside [0, 1]", () => {
  for (const p of [-0.1, 1.1, NaN]) {
    assert.throws(() => quantile([1, 2], p), RangeError);
  }
});

Deno.test("summarize() matches hand-computed statistics", () => {
  const s = summarize([3, 1, 4, 1, 5, 9, 2, 6]);
  assert.equal(s.samples, 8);
  assert.equal(s.median, 3.5);
  assert.equal(s.mean, 3.875); // 31 / 8
  assert.equal(s.min, 1);
  assert.equal(s.max, 9);
  close(s.p10, 1); // np.quantile(x, 0.1) == 1.0
  close(s.p90, 6.9); // np.quantile(x, 0.9) == 6.9
  close(s.p99, 8.79); // np.quantile(x, 0.99) == 8.79
  // Squared deviations from 3.875 sum to 52.875; sqrt(52.875 / 7) (np.std(x, ddof=1)).
  close(s.stdev, Math.sqrt(52.875 / 7));
  close(s.stdev, 2.748376143938713);
  // |x - 3.5| sorted: 0.5 0.5 1.5 1.5 2.5 2.5 2.5 5.5 -> median (1.5 + 2.5) / 2, unscaled.
  assert.equal(s.mad, 2);
  assert.equal(s.outliers, 0);
});

Deno.test("summarize() counts a planted outlier by modified z-score", () => {
  // median 12.5, MAD 1.5; modified z of 100 is 0.6745 * 87.5 / 1.5 = 39.3; the next largest is 0.67.
  const s = summarize([10, 11, 12, 13, 14, 100]);
  assert.equal(s.mad, 1.5);
  assert.equal(s.outliers, 1);
  // z of 17 is 0.6745 * 4.5 / 1.5 = 2.02 (kept); z of 20 is 3.37 (kept); 21 is 3.82 (outlier).
  assert.equal(summarize([10, 11, 12, 13, 14, 17]).outliers, 0);
  assert.equal(summarize([10, 11, 12, 13, 14, 20]).outliers, 0);
  assert.equal(summarize([10, 11, 12, 13, 14, 21]).outliers, 1);
});

Deno.test("summarize() of one sample has zero spread", () => {
  const s = summarize([5]);
  assert.deepEqual(
    [s.samples, s.median, s.mean, s.stdev, s.mad, s.outliers, s.p10, s.p99],
    [1, 5, 5, 0, 0, 0, 5, 5],
  );
  assert.deepEqual(s.ci95, [5, 5]);
});

Deno.test("summarize() of all-equal samples gives ci95 [v, v], mad 0, no outliers", () => {
  const s = summarize([2, 2, 2, 2, 2]);
  assert.deepEqual(s.ci95, [2, 2]);
  assert.equal(s.mad, 0);
  assert.equal(s.outliers, 0);
  assert.equal(s.stdev, 0);
  // MAD 0 with one differing value: no division by zero, no outliers reported.
  assert.equal(summarize([2, 2, 2, 2, 9]).outliers, 0);
});

Deno.test("summarize() ci95 brackets the median and is deterministic for a seed", () => {
  const random = createRandom(7);
  const x = Array.from({ length: 200 }, () => 10 + random() * 5);
  const a = summarize(x, { seed: 1 });
  const b = summarize([...x].reverse(), { seed: 1 });
  assert.ok(a.ci95[0] <= a.median && a.median <= a.ci95[1], `${a.ci95} vs ${a.median}`);
  assert.ok(a.ci95[0] < a.ci95[1]);
  assert.ok(a.ci95[0] >= a.min && a.ci95[1] <= a.max);
  assert.deepEqual(a.ci95, b.ci95); // input order does not matter, the seed does
  assert.notDeepEqual(summarize(x, { seed: 2 }).ci95, a.ci95);
  // More resamples, same neighbourhood; widths of a median CI at n = 200 are well under the range.
  const c = summarize(x, { seed: 1, resamples: 5000 });
  assert.ok(c.ci95[0] <= c.median && c.median <= c.ci95[1]);
});

Deno.test("summarize() rejects empty, non-finite values and bad resamples", () => {
  assert.throws(() => summarize([]), RangeError);
  assert.throws(() => summarize([1, NaN]), /value 1 is NaN/);
  assert.throws(() => summarize([Infinity]), RangeError);
  assert.throws(() => summarize([1], { resamples: 0 }), /'resamples'/);
  assert.throws(() => summarize([1], { resamples: 1.5 }), RangeError);
});

Deno.test("sortSamples() copies and sorts numerically", () => {
  const input = [10, 9, 100, 1];
  assert.deepEqual(sortSamples(input), [1, 9, 10, 100]);
  assert.deepEqual(input, [10, 9, 100, 1]);
});

Deno.test("medianOfResample() equals the median of the expanded resample", () => {
  const random = createRandom(3);
  for (const n of [1, 2, 3, 4, 7, 10]) {
    const values = Array.from({ length: n }, () => Math.round(random() * 20));
    const order = Uint32Array.from(values.keys()).sort((i, j) => values[i] - values[j]);
    const counts = new Uint32Array(n);
    for (let trial = 0; trial < 50; trial++) {
      drawResample(random, counts);
      const expanded = values.flatMap((v, i) => Array<number>(counts[i]).fill(v));
      assert.equal(medianOfResample(values, order, counts), median(sortSamples(expanded)));
    }
  }
  // [5, 1, 3] drawn as {1, 1, 3}: median 1.
  assert.equal(medianOfResample([5, 1, 3], [1, 2, 0], [0, 2, 1]), 1);
});
