/** Tests for the float64 reference (the oracle other tests trust): conv, BN, activations, SE. */
import assert from "node:assert/strict";
import { activate, batchNorm, type Chw, conv2d, squeezeExcite } from "../../src/stem/reference.ts";

const chw = (data: number[], channels: number, height: number, width: number): Chw => ({
  data: Float64Array.from(data),
  channels,
  height,
  width,
});

Deno.test("conv2d() with stride 2 and pad 1 sums the in-bounds taps (hand-computed)", () => {
  // 3x3 input 1..9, all-ones 3x3 kernel; output centres at (0,0), (0,2), (2,0), (2,2)
  const y = conv2d(chw([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 3, 3), new Array(9).fill(1), 1, 3, {
    stride: 2,
    pad: 1,
    groups: 1,
  });
  assert.deepEqual([y.height, y.width], [2, 2]);
  assert.deepEqual([...y.data], [1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9]);
});

Deno.test("conv2d() keeps groups apart and adds the bias", () => {
  const x = chw([1, 2, 10, 20], 2, 1, 2);
  const one = { stride: 1, pad: 0 };
  // depthwise 1x1 weights 3 and -1, bias 0.5 and 1
  assert.deepEqual([...conv2d(x, [3, -1], 2, 1, { ...one, groups: 2 }, [0.5, 1]).data], [
    3.5,
    6.5,
    -9,
    -19,
  ]);
  // dense 1x1 [[1, 1], [1, -1]]: sum and difference of the channels
  assert.deepEqual([...conv2d(x, [1, 1, 1, -1], 2, 1, { ...one, groups: 1 }).data], [
    11,
    22,
    -9,
    -18,
  ]);
});

Deno.test("batchNorm() computes (x - mean) * g / sqrt(v + eps) + beta", () => {
  const f = (...v: number[]) => new Float32Array(v);
  const y = batchNorm(chw([1, 3, 5, 7], 2, 1, 2), {
    gamma: f(2, -1),
    beta: f(1, 0),
    mean: f(1, 5),
    variance: f(3, 0.75),
    epsilon: 1, // sqrt(4) = 2 and sqrt(1.75)
  });
  const s = -1 / Math.sqrt(1.75);
  assert.deepEqual([...y.data], [1, 3, 0, 2 * s]);
});

Deno.test("activate() applies exact GELU, ReLU and none", () => {
  // GELU(x) = x * Phi(x): Phi(1) = 0.8413447460685429, Phi(-2) = 0.022750131948179195
  const g = activate(chw([1, -2, 0], 1, 1, 3), "gelu").data;
  // 1e-7: the Abramowitz-Stegun erf used has error below 1.5e-7, scaled by |x| / 2
  assert.ok(Math.abs(g[0] - 0.8413447460685429) < 1e-7);
  assert.ok(Math.abs(g[1] - -2 * 0.022750131948179195) < 2e-7);
  assert.equal(g[2], 0);
  assert.deepEqual([...activate(chw([1, -2], 1, 1, 2), "relu").data], [1, 0]);
  assert.deepEqual([...activate(chw([1, -2], 1, 1, 2), "none").data], [1, -2]);
});

Deno.test("squeezeExcite() gates each channel by sigmoid of its pooled mean", () => {
  // C = 2, r = 1; reduce [1, 0] (keeps channel 0's mean), bias 0; ReLU; expand [1, -1], bias 0
  // means 2 and 7 -> reduced 2 -> gates sigmoid(2), sigmoid(-2)
  const x = chw([1, 3, 6, 8], 2, 1, 2);
  const y = squeezeExcite(x, {
    reduceWeight: new Float32Array([1, 0]),
    reduceBias: new Float32Array([0]),
    expandWeight: new Float32Array([1, -1]),
    expandBias: new Float32Array([0, 0]),
    reducedChannels: 1,
  });
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  assert.deepEqual([...y.data], [1 * sig(2), 3 * sig(2), 6 * sig(-2), 8 * sig(-2)]);
});
