/**
 * Stem weights that have the right shapes and no values: what counting needs, since counts
 * depend on shapes only (an initializer's dims, never its data). Every tensor is a view of one
 * shared buffer of zeros, so making them costs no calibration, no fusion and no allocation
 * beyond the largest tensor; graphs built from them count exactly as graphs built from real
 * weights, but compute zeros. Read-only: never write into them.
 *
 * @module
 */
import type { FusedConv } from "../reparam/fold_bn.ts";
import type { DeployWeights } from "./reparameterized.ts";
import {
  type BatchNorm,
  BN_EPSILON,
  type ConvBn,
  seChannels,
  type SeWeights,
  stemBlocks,
  type StemSpec,
  type StemWeights,
} from "./spec.ts";

let shared = new Float32Array(1 << 16);
const views = new Map<number, Float32Array>();

/** A read-only view of `n` zeros, one per length (the shared buffer grows to the longest). */
function zeros(n: number): Float32Array {
  let view = views.get(n);
  if (!view) {
    if (n > shared.length) shared = new Float32Array(Math.max(n, 2 * shared.length));
    view = shared.subarray(0, n);
    views.set(n, view);
  }
  return view;
}

function zeroBatchNorm(channels: number): BatchNorm {
  const c = zeros(channels);
  return { gamma: c, beta: c, mean: c, variance: c, epsilon: BN_EPSILON };
}

function zeroConvBn(shape: readonly [number, number, number, number]): ConvBn {
  return {
    weight: zeros(shape[0] * shape[1] * shape[2] * shape[3]),
    shape,
    bn: zeroBatchNorm(shape[0]),
  };
}

function zeroSe(c: number): SeWeights {
  const r = seChannels(c);
  return {
    reduceWeight: zeros(r * c),
    reduceBias: zeros(r),
    expandWeight: zeros(c * r),
    expandBias: zeros(c),
    reducedChannels: r,
  };
}

/**
 * Train-time weights of a stem with every shape right and every value 0.
 *
 * @param spec The stem.
 * @returns Weights that fit the spec (as `randomStemWeights` gives, without the values).
 * @throws {RangeError} When the spec is invalid.
 * @example
 * ```ts
 * import { zeroStemWeights } from "./shape_only.ts";
 * const w = zeroStemWeights({
 *   inChannels: 3, width: 8, branches: 2, scaleBranch: true, se: false, activation: "relu",
 * });
 * if (w[0].conv.length !== 2 || w[0].conv[0].weight.length !== 8 * 3 * 3 * 3) throw new Error();
 * ```
 */
export function zeroStemWeights(spec: StemSpec): StemWeights {
  return stemBlocks(spec).map((b) => {
    const o = b.outChannels, ig = b.inChannels / b.groups, k = b.kernel;
    return {
      conv: Array.from({ length: b.branches }, () => zeroConvBn([o, ig, k, k])),
      ...(b.hasScale ? { scale: zeroConvBn([o, ig, 1, 1]) } : {}),
      ...(b.hasSkip ? { skip: zeroBatchNorm(o) } : {}),
      ...(b.se ? { se: zeroSe(o) } : {}),
    };
  });
}

/**
 * Deploy weights of a stem with every shape right and every value 0: what fusing
 * {@linkcode zeroStemWeights} would give, without fusing.
 *
 * @param spec The stem.
 * @returns Per block a fused conv [out, in / groups, k, k] with bias [out], and the SE unit.
 * @throws {RangeError} When the spec is invalid.
 */
export function zeroDeployWeights(spec: StemSpec): DeployWeights {
  return stemBlocks(spec).map((b) => {
    const o = b.outChannels;
    const conv: FusedConv = {
      weight: zeros(o * (b.inChannels / b.groups) * b.kernel * b.kernel),
      bias: zeros(o),
    };
    return b.se ? { conv, se: zeroSe(o) } : { conv };
  });
}
