/**
 * Seeded weights for the multi-branch stem, with BatchNorm statistics far from identity.
 *
 * Conv weights get a per-channel gain (log-uniform in [0.3, 3] times Kaiming's scale), so the
 * running variances span about 0.001 to 60; gamma has both signs and beta is non-zero. Running
 * mean and variance are calibrated on a seeded 32x32 image through the float64 reference
 * (with a small jitter, as a finite calibration set gives), the way a trained network's are:
 * activations stay of order 1 through the three blocks, so fp32 equivalence errors stay at
 * rounding level, while a wrong fusion still fails by whole units. The weights' types are in
 * spec.ts, beside the structure they fill.
 *
 * @module
 */
import {
  type BatchNorm,
  type BlockSpec,
  type BlockWeights,
  BN_EPSILON,
  type ConvBn,
  seChannels,
  type SeWeights,
  stemBlocks,
  type StemSpec,
  type StemWeights,
} from "./spec.ts";
import { channelStats, type Chw, conv2d, referenceBlock } from "./reference.ts";
import { createRandom } from "../stats/random.ts";

/** Side of the seeded calibration image. */
export const CALIBRATION_SIZE = 32;

function uniform(random: () => number, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * random();
  return out;
}

/**
 * BatchNorm whose running statistics come from the tensor it normalizes, jittered (mean by up to
 * a quarter standard deviation, variance by a factor in [0.8, 1.25]); |gamma| in [0.5, 1.5] with a
 * random sign, beta in [-0.5, 0.5].
 */
export function calibratedBatchNorm(random: () => number, x: Chw): BatchNorm {
  const stats = channelStats(x);
  const n = x.channels;
  const gamma = uniform(random, n, 0.5, 1.5).map((g) => (random() < 0.5 ? -g : g));
  const beta = uniform(random, n, -0.5, 0.5);
  const variance = new Float32Array(n);
  const mean = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    variance[c] = Math.max(stats.variance[c], 1e-3) *
      Math.exp(Math.log(0.8) + Math.log(1.5625) * random());
    mean[c] = stats.mean[c] + (random() - 0.5) * 0.5 * Math.sqrt(variance[c]);
  }
  return { gamma, beta, mean, variance, epsilon: BN_EPSILON };
}

/** Mean standard deviation over the channels of an image. */
function inputStd(x: Chw): number {
  const { variance } = channelStats(x);
  return Math.sqrt(variance.reduce((a, b) => a + b, 0) / variance.length) || 1;
}

function calibratedConvBn(
  random: () => number,
  x: Chw,
  shape: readonly [number, number, number, number],
  geometry: { stride: number; pad: number; groups: number },
): ConvBn {
  const [o, i, kh, kw] = shape;
  const fanIn = i * kh * kw;
  const std = inputStd(x);
  const weight = new Float32Array(o * fanIn);
  for (let c = 0; c < o; c++) {
    const gain = Math.exp(Math.log(0.3) + Math.log(10) * random());
    const bound = (gain * Math.sqrt(3 / fanIn)) / std;
    weight.set(uniform(random, fanIn, -bound, bound), c * fanIn);
  }
  const bn = calibratedBatchNorm(random, conv2d(x, weight, o, kh, geometry));
  return { weight, shape, bn };
}

function randomSe(random: () => number, c: number): SeWeights {
  const r = seChannels(c);
  return {
    reduceWeight: uniform(random, r * c, -Math.sqrt(3 / c), Math.sqrt(3 / c)),
    reduceBias: uniform(random, r, -0.1, 0.1),
    expandWeight: uniform(random, c * r, -Math.sqrt(3 / r), Math.sqrt(3 / r)),
    expandBias: uniform(random, c, -0.1, 0.1),
    reducedChannels: r,
  };
}

/**
 * Random weights for one block, calibrated on `x`, the block's input for the calibration image.
 */
export function randomBlockWeights(random: () => number, block: BlockSpec, x: Chw): BlockWeights {
  const o = block.outChannels;
  const ig = block.inChannels / block.groups;
  const k = block.kernel;
  const geometry = { stride: block.stride, pad: block.pad, groups: block.groups };
  const conv = Array.from(
    { length: block.branches },
    () => calibratedConvBn(random, x, [o, ig, k, k], geometry),
  );
  return {
    conv,
    ...(block.hasScale
      ? { scale: calibratedConvBn(random, x, [o, ig, 1, 1], { ...geometry, pad: 0 }) }
      : {}),
    ...(block.hasSkip ? { skip: calibratedBatchNorm(random, x) } : {}),
    ...(block.se ? { se: randomSe(random, o) } : {}),
  };
}

/**
 * Seeded train-time weights for a whole stem; the same spec and seed give the same weights.
 *
 * @param spec The stem.
 * @param seed Any 32-bit integer.
 * @throws {RangeError} When the spec is invalid.
 */
export function randomStemWeights(spec: StemSpec, seed: number): StemWeights {
  const random = createRandom(seed);
  const n = CALIBRATION_SIZE;
  let x: Chw = {
    data: Float64Array.from(randomInput(spec.inChannels * n * n, seed ^ 0xca11b)),
    channels: spec.inChannels,
    height: n,
    width: n,
  };
  return stemBlocks(spec).map((b) => {
    const weights = randomBlockWeights(random, b, x);
    x = referenceBlock(x, b, weights);
    return weights;
  });
}

/** A seeded input tensor, uniform in [-1, 1). */
export function randomInput(size: number, seed: number): Float32Array {
  return uniform(createRandom(seed ^ 0x5eed), size, -1, 1);
}
