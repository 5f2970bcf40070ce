/** Tests for foldBatchNorm: hand-computed folds, channel ordering, epsilon and errors. */
import assert from "node:assert/strict";
import { type BatchNormParams, foldBatchNorm } from "../../src/reparam/fold_bn.ts";

const f32 = (...v: number[]) => new Float32Array(v);

function bn(p: Partial<BatchNormParams> & { gamma: Float32Array }): BatchNormParams {
  const n = p.gamma.length;
  return {
    beta: new Float32Array(n),
    mean: new Float32Array(n),
    variance: new Float32Array(n).fill(1),
    epsilon: 0,
    ...p,
  };
}

Deno.test("foldBatchNorm() folds a 1-channel 2x2 conv exactly (hand-computed)", () => {
  // scale = 1.5 / sqrt(0.1875 + 0.0625) = 1.5 / 0.5 = 3 (all values exact in binary)
  // W' = 3 * [1, 2, -1, 0.5]; b' = 0.5 - 1.5 * 3 = -4
  const { weight, bias } = foldBatchNorm(
    f32(1, 2, -1, 0.5),
    bn({ gamma: f32(1.5), beta: f32(0.5), mean: f32(1.5), variance: f32(0.1875), epsilon: 0.0625 }),
  );
  assert.deepEqual([...weight], [3, 6, -3, 1.5]);
  assert.deepEqual([...bias], [-4]);
});

Deno.test("foldBatchNorm() scales each output channel by its own BN (ordering)", () => {
  // weight [2 out, 2 in, 1, 1]; channel 0: 1 / sqrt(0.75 + 0.25) = 1, channel 1: -2 / sqrt(3.75 + 0.25) = -1
  // b' = [0.5 - 2 * 1, 1 - 3 * (-1)] = [-1.5, 4]
  const { weight, bias } = foldBatchNorm(
    f32(1, 2, 3, 4),
    bn({
      gamma: f32(1, -2),
      beta: f32(0.5, 1),
      mean: f32(2, 3),
      variance: f32(0.75, 3.75),
      epsilon: 0.25,
    }),
  );
  assert.deepEqual([...weight], [1, 2, -3, -4]);
  assert.deepEqual([...bias], [-1.5, 4]);
});

Deno.test("foldBatchNorm() uses epsilon (1e-5) inside the square root", () => {
  const { weight, bias } = foldBatchNorm(
    f32(2),
    bn({ gamma: f32(1), beta: f32(0), mean: f32(1), variance: f32(1), epsilon: 1e-5 }),
  );
  const scale = 1 / Math.sqrt(1 + 1e-5); // 0.99999500004, 5e-6 away from eps ignored
  // 1e-7: float32 rounding of values near 1 and 2 is at most 1.2e-7 relative; dropping eps moves them 5e-6
  assert.ok(Math.abs(weight[0] - 2 * scale) < 1e-7 * 2, `weight ${weight[0]}`);
  assert.ok(Math.abs(bias[0] + scale) < 1e-7, `bias ${bias[0]}`);
});

Deno.test("foldBatchNorm() throws TypeError when the weight does not split into the channels", () => {
  assert.throws(() => foldBatchNorm(f32(1, 2, 3, 4, 5), bn({ gamma: f32(1, 1) })), TypeError);
  assert.throws(() => foldBatchNorm(f32(1), bn({ gamma: f32() })), TypeError);
});

Deno.test("foldBatchNorm() throws TypeError when the BN arrays differ in length", () => {
  // beta, mean and variance must have one value per channel, like gamma: reading past the end
  // silently gives NaN biases otherwise
  const two = f32(1, 1);
  const one = f32(0);
  for (const p of [{ beta: one }, { mean: one }, { variance: one }]) {
    assert.throws(() => foldBatchNorm(f32(1, 2), bn({ gamma: two, ...p })), TypeError);
  }
});
