/** Tests for padKernel and identityKernel: centre taps, group-aware identity, errors. */
import assert from "node:assert/strict";
import { identityKernel, padKernel } from "../../src/reparam/pad_kernel.ts";
import { conv2d } from "../../src/stem/reference.ts";

/** Indices of the non-zero entries of a kernel. */
const nonZero = (k: Float32Array) => [...k.keys()].filter((i) => k[i] !== 0);

Deno.test("padKernel() places a 1x1 kernel at the centre tap of a 3x3", () => {
  assert.deepEqual([...padKernel(new Float32Array([7]), 1, 3)], [0, 0, 0, 0, 7, 0, 0, 0, 0]);
});

Deno.test("padKernel() pads every kernel of a stack at its own centre", () => {
  const out = padKernel(new Float32Array([1, 2, 3]), 1, 3);
  assert.equal(out.length, 27);
  assert.deepEqual(nonZero(out), [4, 13, 22]); // 9n + 4
  assert.deepEqual([out[4], out[13], out[22]], [1, 2, 3]);
});

Deno.test("padKernel() pads 3x3 to 5x5 with a one-pixel border", () => {
  const k = Float32Array.from({ length: 9 }, (_, i) => i + 1);
  const out = padKernel(k, 3, 5);
  const expected = new Float32Array(25);
  for (let y = 0; y < 3; y++) {
    for (let x = 0; x < 3; x++) expected[(y + 1) * 5 + x + 1] = y * 3 + x + 1;
  }
  assert.deepEqual(out, expected);
});

Deno.test("padKernel() returns a copy when the size does not change", () => {
  const k = new Float32Array([1, 2, 3, 4]);
  assert.deepEqual(padKernel(k, 2, 2), k);
});

Deno.test("padKernel() throws RangeError for shrinking, odd growth or a ragged length", () => {
  assert.throws(() => padKernel(new Float32Array(9), 3, 1), RangeError);
  assert.throws(() => padKernel(new Float32Array(1), 1, 2), RangeError);
  assert.throws(() => padKernel(new Float32Array(5), 2, 4), RangeError);
});

Deno.test("identityKernel() of a dense conv has 1 at [c, c, centre]", () => {
  const k = identityKernel(3, 1, 3); // [3, 3, 3, 3]
  assert.equal(k.length, 81);
  assert.deepEqual(nonZero(k), [0, 1, 2].map((c) => (c * 3 + c) * 9 + 4)); // 4, 40, 76
  assert.deepEqual(nonZero(k).map((i) => k[i]), [1, 1, 1]);
});

Deno.test("identityKernel() of a depthwise conv has 1 at [c, 0, centre]", () => {
  const k = identityKernel(3, 3, 3); // [3, 1, 3, 3]
  assert.equal(k.length, 27);
  assert.deepEqual(nonZero(k), [4, 13, 22]);
});

Deno.test("identityKernel() of a grouped conv picks the channel's index within its group", () => {
  // C = 4, groups = 2: [4, 2, 3, 3]; channels 0, 1 read inputs 0, 1 and channels 2, 3 read 2, 3,
  // which are indices 0 and 1 of the second group
  const k = identityKernel(4, 2, 3);
  assert.equal(k.length, 72);
  const at = (o: number, i: number) => (o * 2 + i) * 9 + 4;
  assert.deepEqual(nonZero(k), [at(0, 0), at(1, 1), at(2, 0), at(3, 1)]); // 4, 31, 40, 67
});

Deno.test("identityKernel() through a grouped conv returns its input", () => {
  const x = {
    data: Float64Array.from({ length: 4 * 5 * 5 }, (_, i) => i * 0.37 - 3),
    channels: 4,
    height: 5,
    width: 5,
  };
  for (const groups of [1, 2, 4]) {
    for (const k of [1, 3]) {
      const y = conv2d(x, identityKernel(4, groups, k), 4, k, {
        stride: 1,
        pad: (k - 1) / 2,
        groups,
      });
      assert.deepEqual(y.data, x.data, `groups ${groups}, k ${k}`);
    }
  }
});

Deno.test("identityKernel() throws RangeError when groups do not divide channels or k is even", () => {
  assert.throws(() => identityKernel(4, 3, 3), RangeError);
  assert.throws(() => identityKernel(4, 1, 2), RangeError);
});
