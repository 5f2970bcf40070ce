/** Tests for reparameterizeBlock and sumConvs: a hand-fused case and float64 equivalence. */
import assert from "node:assert/strict";
import { reparameterizeBlock, sumConvs } from "../../src/reparam/reparameterize.ts";
import type { BlockSpec } from "../../src/stem/spec.ts";
import { BN_EPSILON } from "../../src/stem/spec.ts";
import { type Chw, conv2d, referenceBlock } from "../../src/stem/reference.ts";
import { randomBlockWeights, randomInput } from "../../src/stem/weights.ts";
import { createRandom } from "../../src/stats/random.ts";
import { maxAbs, maxAbsDiff } from "../_helpers.ts";

const f32 = (...v: number[]) => new Float32Array(v);

Deno.test("reparameterizeBlock() fuses 3x3 + scale + skip of one channel (hand-computed)", () => {
  // 3x3 branch: scale 2 / sqrt(0.75 + 0.25) = 2, bias 1 - 0.5 * 2 = 0 -> 2 * [1..9]
  // scale branch: 1 / sqrt(3.75 + 0.25) = 0.5 -> centre 4 * 0.5 = 2, bias 0 - 2 * 0.5 = -1
  // skip: -1 / sqrt(0.75 + 0.25) = -1 -> centre -1, bias 0.25 - 1 * (-1) = 1.25
  // fused: [2, 4, 6, 8, 10 + 2 - 1, 12, 14, 16, 18], bias 0 - 1 + 1.25 = 0.25
  const eps = 0.25;
  const fused = reparameterizeBlock({
    conv: [{
      weight: Float32Array.from({ length: 9 }, (_, i) => i + 1),
      shape: [1, 1, 3, 3],
      bn: { gamma: f32(2), beta: f32(1), mean: f32(0.5), variance: f32(0.75), epsilon: eps },
    }],
    scale: {
      weight: f32(4),
      shape: [1, 1, 1, 1],
      bn: { gamma: f32(1), beta: f32(0), mean: f32(2), variance: f32(3.75), epsilon: eps },
    },
    skip: { gamma: f32(-1), beta: f32(0.25), mean: f32(1), variance: f32(0.75), epsilon: eps },
  }, { kernel: 3, groups: 1 });
  assert.deepEqual([...fused.weight], [2, 4, 6, 8, 11, 12, 14, 16, 18]);
  assert.deepEqual([...fused.bias], [0.25]);
});

Deno.test("reparameterizeBlock() puts a depthwise skip at [c, 0, centre]", () => {
  // zero conv branch (contributes nothing), skip scales 1 and 3 / sqrt(4) = 1.5
  const zeroBn = {
    gamma: f32(1, 1),
    beta: f32(0, 0),
    mean: f32(0, 0),
    variance: f32(1, 1),
    epsilon: 0,
  };
  const fused = reparameterizeBlock({
    conv: [{ weight: new Float32Array(18), shape: [2, 1, 3, 3], bn: zeroBn }],
    skip: { gamma: f32(1, 3), beta: f32(0, 0), mean: f32(0, 0), variance: f32(1, 4), epsilon: 0 },
  }, { kernel: 3, groups: 2 });
  const expected = new Float32Array(18);
  expected[4] = 1;
  expected[9 + 4] = 1.5;
  assert.deepEqual(fused.weight, expected);
  assert.deepEqual([...fused.bias], [0, 0]);
});

Deno.test("reparameterizeBlock() throws TypeError for a branch of the wrong kernel size", () => {
  const bn = { gamma: f32(1), beta: f32(0), mean: f32(0), variance: f32(1), epsilon: 0 };
  assert.throws(
    () =>
      reparameterizeBlock({ conv: [{ weight: f32(1), shape: [1, 1, 1, 1], bn }] }, {
        kernel: 3,
        groups: 1,
      }),
    TypeError,
  );
});

Deno.test("sumConvs() adds element-wise and rejects empty or mismatched lists", () => {
  const s = sumConvs([{ weight: f32(1, 2), bias: f32(3) }, { weight: f32(10, 20), bias: f32(-3) }]);
  assert.deepEqual([...s.weight], [11, 22]);
  assert.deepEqual([...s.bias], [0]);
  assert.throws(() => sumConvs([]), TypeError);
  assert.throws(
    () => sumConvs([{ weight: f32(1), bias: f32(0) }, { weight: f32(1, 2), bias: f32(0) }]),
    TypeError,
  );
});

function block(o: Partial<BlockSpec>): BlockSpec {
  return {
    index: 1,
    inChannels: 8,
    outChannels: 8,
    kernel: 3,
    stride: 2,
    pad: 1,
    groups: 1,
    branches: 1,
    hasScale: false,
    hasSkip: false,
    se: false,
    activation: "none",
    ...o,
  };
}

const cases: [string, Partial<BlockSpec>][] = [
  ["dense 3x3 + scale", { inChannels: 3, hasScale: true }],
  ["depthwise 3x3 + scale", { groups: 8, hasScale: true }],
  ["1x1 + skip", { kernel: 1, stride: 1, pad: 0, hasSkip: true }],
  ["grouped 3x3 + scale + skip", { groups: 2, stride: 1, hasScale: true, hasSkip: true }],
];

for (const [name, o] of cases) {
  for (const branches of [1, 3]) {
    Deno.test(`reparameterizeBlock() conv equals the branch sum in float64: ${name}, B=${branches}`, () => {
      const b = block({ ...o, branches });
      const x: Chw = {
        data: Float64Array.from(randomInput(b.inChannels * 11 * 11, 3)),
        channels: b.inChannels,
        height: 11,
        width: 11,
      };
      const w = randomBlockWeights(createRandom(42 + branches), b, x);
      assert.equal(w.skip?.epsilon ?? BN_EPSILON, BN_EPSILON);
      const fused = reparameterizeBlock(w, { kernel: b.kernel, groups: b.groups });
      const geometry = { stride: b.stride, pad: b.pad, groups: b.groups };
      const got = conv2d(x, fused.weight, b.outChannels, b.kernel, geometry, fused.bias);
      const want = referenceBlock(x, b, w);
      assert.equal(got.height, want.height);
      const scale = Math.max(1, maxAbs(want.data));
      // 1e-6 relative: the only rounding is the fused weights and biases to float32 (6e-8 relative
      // each), summed over at most 8 * 9 taps; a misplaced tap or a dropped branch is off by O(1)
      assert.ok(
        maxAbsDiff(got.data, want.data) <= 1e-6 * scale,
        `${maxAbsDiff(got.data, want.data)}`,
      );
    });
  }
}
