/** Tests for sqnr.ts: SQNR of known signals, planted cases whose error is known in closed form. */
import assert from "node:assert/strict";
import { quantizationError, sqnrDb, weightRangeStats } from "../../src/quantize/sqnr.ts";
import {
  computeChannelParams,
  computeQuantParams,
  dequantize,
  dequantizePerChannel,
  quantize,
  quantizePerChannel,
} from "../../src/quantize/quantize.ts";

Deno.test("sqnrDb() of known signals: equal, scaled, zero signal", () => {
  const x = new Float32Array([1, -1, 1, -1]);
  assert.equal(sqnrDb(x, x), Infinity);
  // y = 1.125 x: noise (1/8)^2 per element, signal 1: ratio 64, 10 log10(64) dB
  assert.equal(sqnrDb(x, x.map((v) => v * 1.125)), 10 * Math.log10(64));
  // noise as large as the signal: 0 dB
  assert.equal(sqnrDb(x, new Float32Array(4)), 0);
  assert.equal(sqnrDb(new Float32Array(2), new Float32Array([0, 1])), -Infinity);
  assert.ok(Number.isNaN(sqnrDb(new Float32Array([NaN]), new Float32Array([0]))));
  assert.throws(() => sqnrDb(x, new Float32Array(3)), /outputs of 4 and 3 elements/);
});

Deno.test("quantizationError() reports SQNR, max absolute and normwise error together", () => {
  const e = quantizationError(new Float32Array([2, -4]), new Float32Array([2, -3]));
  assert.deepEqual(e, { sqnrDb: 10 * Math.log10(20), maxAbs: 1, normwise: 0.25 });
});

Deno.test("uint8 quantization of a planted grid has the closed-form error 5/64 step^2", () => {
  // scale s = 2^-4 exactly (range [0, 255 s]), zero point 0; values s (k + f) for k in 1..254
  // and f in {-3/8, -1/8, 1/8, 3/8}: each rounds to k, so the error is exactly f s
  const s = 1 / 16;
  const p = computeQuantParams({ min: 0, max: 255 * s }, "uint8");
  assert.deepEqual([p.scale, p.zeroPoint], [s, 0]);
  const fractions = [-3 / 8, -1 / 8, 1 / 8, 3 / 8];
  const x = new Float32Array(254 * 4);
  let signal = 0;
  for (let k = 1; k <= 254; k++) {
    fractions.forEach((f, j) => {
      x[(k - 1) * 4 + j] = s * (k + f);
      signal += (s * (k + f)) ** 2;
    });
  }
  const y = dequantize(quantize(x, p), p.scale, p.zeroPoint);
  // noise: 254 * s^2 * (9 + 1 + 1 + 9) / 64 = 254 * s^2 * 5/16; mean square 5/64 s^2
  const noise = 254 * s * s * (5 / 16);
  const e = quantizationError(x, y);
  assert.equal(e.maxAbs, (3 / 8) * s);
  assert.ok(Math.abs(e.sqnrDb - 10 * Math.log10(signal / noise)) < 1e-9, String(e.sqnrDb));
});

Deno.test("a planted per-tensor weight loses its small channel entirely, per-channel keeps it", () => {
  // ch0: k s for k = -127..127 (on the grid of s = 2^-6, exact); ch1: 255 copies of 0.3 s.
  // Per tensor, scale = max |w| / 127 = s: ch0 is exact, ch1 rounds 0.3 to 0, error 0.3 s each.
  const s = 1 / 64;
  const n = 255;
  const w = new Float32Array(2 * n);
  for (let k = -127; k <= 127; k++) w[k + 127] = k * s;
  w.fill(Math.fround(0.3 * s), n);
  const dims = [2, n];
  const perTensor = computeQuantParams({ min: -127 * s, max: 127 * s }, "int8");
  assert.equal(perTensor.scale, s);
  const yt = dequantize(quantize(w, perTensor), perTensor.scale);
  const small = w[n];
  assert.deepEqual([...yt.subarray(0, n)], [...w.subarray(0, n)], "ch0 exact");
  assert.ok(yt.subarray(n).every((v) => v === 0), "ch1 lost");
  // SQNR of ch1 alone: signal = noise, 0 dB; of the whole tensor: sum ch0^2 / (n * small^2)
  assert.equal(sqnrDb(w.subarray(n), yt.subarray(n)), 0);
  let ch0 = 0;
  for (let k = -127; k <= 127; k++) ch0 += (k * s) ** 2;
  const want = 10 * Math.log10((ch0 + n * small * small) / (n * small * small));
  assert.ok(Math.abs(sqnrDb(w, yt) - want) < 1e-9);
  // per channel: ch1 gets scale small / 127 and every value maps to level 127
  const pc = computeChannelParams(w, dims, 0, "int8");
  const q = quantizePerChannel(w, dims, pc);
  assert.ok(q.subarray(n).every((v) => v === 127));
  const yc = dequantizePerChannel(q, dims, pc);
  assert.ok(Math.abs(yc[n] - small) <= pc.scales[1] / 2);
  assert.ok(sqnrDb(w, yc) > 100, String(sqnrDb(w, yc))); // only float32 rounding of the scale
  // the statistics that explain it
  const stats = weightRangeStats(w, dims);
  assert.deepEqual([...stats.maxAbs], [127 * s, small]);
  assert.equal(stats.perTensorScale, s);
  assert.ok(Math.abs(stats.scaleSpread - (127 * s) / small) < 1e-3);
  assert.ok(Math.abs(stats.rangeShare[1] - 0.3 / 127) < 1e-7);
  assert.equal(stats.rangeShare[0], 1);
  assert.deepEqual(stats.deadChannels, []);
});

Deno.test("weightRangeStats() reports a dead channel and leaves it out of the spread", () => {
  // [3, 2, 1, 1]: ch0 max 2, ch1 dead, ch2 max 0.5
  const stats = weightRangeStats(new Float32Array([2, -1, 0, 0, 0.25, -0.5]), [3, 2, 1, 1]);
  assert.equal(stats.channels, 3);
  assert.deepEqual(stats.deadChannels, [1]);
  assert.deepEqual([...stats.scales], [Math.fround(2 / 127), 1, Math.fround(0.5 / 127)]);
  assert.ok(Math.abs(stats.scaleSpread - 4) < 1e-6);
  assert.deepEqual([...stats.rangeShare], [1, 0, 0.25]);
  const allDead = weightRangeStats(new Float32Array(4), [2, 2]);
  assert.deepEqual([allDead.perTensorScale, allDead.scaleSpread], [1, 1]);
  assert.deepEqual(allDead.deadChannels, [0, 1]);
});
