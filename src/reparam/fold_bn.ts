/**
 * Folding an inference-mode BatchNorm into the conv before it.
 *
 * @module
 */

/** BatchNorm statistics as plain arrays, one value per output channel. */
export interface BatchNormParams {
  /** Learned scale (ONNX `scale`), per channel. */
  readonly gamma: Float32Array;
  /** Learned shift (ONNX `B`), per channel. */
  readonly beta: Float32Array;
  /** Running mean (ONNX `input_mean`), per channel. */
  readonly mean: Float32Array;
  /** Running variance (ONNX `input_var`), per channel. */
  readonly variance: Float32Array;
  /** Added to the variance before its square root (ONNX's default is 1e-5). */
  readonly epsilon: number;
}

/** A conv kernel with a bias, as Float32Arrays; `weight` is laid out [out, in/groups, kh, kw]. */
export interface FusedConv {
  /** The kernels, [out, in/groups, kh, kw] flattened. */
  readonly weight: Float32Array;
  /** One bias per output channel. */
  readonly bias: Float32Array;
}

/**
 * Folds BatchNorm into a bias-free conv: `W' = W * g / sqrt(v + eps)`, `b' = beta - mean * g / sqrt(v + eps)`.
 * Arithmetic is done in float64 and rounded once to float32.
 *
 * @param weight Conv weight, [out, in/groups, kh, kw] flattened.
 * @param bn The BatchNorm after the conv; its arrays have `out` elements.
 * @returns The fused weight and bias.
 * @throws {TypeError} When the weight length is not a multiple of the channel count.
 * @example
 * ```ts
 * import { foldBatchNorm } from "./fold_bn.ts";
 * const f = new Float32Array([1]);
 * const { weight, bias } = foldBatchNorm(new Float32Array([2]), {
 *   gamma: f, beta: new Float32Array([0.5]), mean: new Float32Array([1]),
 *   variance: new Float32Array([3]), epsilon: 1,
 * });
 * // scale = 1 / sqrt(3 + 1) = 0.5
 * if (weight[0] !== 1 || bias[0] !== 0) throw new Error();
 * ```
 */
export function foldBatchNorm(weight: Float32Array, bn: BatchNormParams): FusedConv {
  const channels = bn.gamma.length;
  if (channels === 0 || weight.length % channels !== 0) {
    throw new TypeError(
      `Cannot fold BatchNorm of ${channels} channels into a weight of ${weight.length} elements`,
    );
  }
  for (const key of ["beta", "mean", "variance"] as const) {
    if (bn[key].length !== channels) {
      throw new TypeError(
        `Cannot fold BatchNorm as '${key}' has ${
          bn[key].length
        } elements but gamma has ${channels}`,
      );
    }
  }
  const perChannel = weight.length / channels;
  const out = new Float32Array(weight.length);
  const bias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const scale = bn.gamma[c] / Math.sqrt(bn.variance[c] + bn.epsilon);
    for (let j = 0; j < perChannel; j++) {
      out[c * perChannel + j] = weight[c * perChannel + j] * scale;
    }
    bias[c] = bn.beta[c] - bn.mean[c] * scale;
  }
  return { weight: out, bias };
}
