/**
 * What quantization costs: the error of a quantized output against the float one (SQNR, max
 * absolute, normwise), and the weight range statistics that explain it (per output channel max
 * |w|, the spread of per-channel scales, the share of the int8 range each channel uses).
 *
 * @module
 */
import { difference } from "../stats/difference.ts";
import { computeChannelParams } from "./quantize.ts";

/** Error of a quantized tensor against the float reference. */
export interface QuantizationError {
  /** Signal-to-quantization-noise ratio in dB: +Infinity when equal, NaN on a NaN. */
  readonly sqnrDb: number;
  /** max |reference - quantized|. */
  readonly maxAbs: number;
  /** maxAbs / max |reference| (maxAbs itself when the reference is all zeros), as elsewhere. */
  readonly normwise: number;
}

/**
 * Signal-to-quantization-noise ratio: `10 log10(sum x^2 / sum (x - y)^2)` in dB, summed in
 * float64. +Infinity when the two are equal (no noise), -Infinity for a zero signal with noise.
 *
 * @param reference The float tensor x.
 * @param quantized The quantized model's tensor y.
 * @returns The ratio in dB.
 * @throws {TypeError} When the lengths differ.
 * @example
 * ```ts
 * import { sqnrDb } from "./sqnr.ts";
 * // signal 1 + 1 = 2, noise 0.02^2 + 0 = 4e-4: 10 log10(5000) = 36.99 dB
 * const db = sqnrDb(new Float32Array([1, -1]), new Float32Array([1.02, -1]));
 * if (Math.abs(db - 36.9897) > 1e-3) throw new Error(String(db));
 * ```
 */
export function sqnrDb(reference: Float32Array, quantized: Float32Array): number {
  if (reference.length !== quantized.length) {
    throw new TypeError(
      `Cannot compare outputs of ${reference.length} and ${quantized.length} elements`,
    );
  }
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = reference[i] - quantized[i];
    signal += reference[i] * reference[i];
    noise += d * d;
  }
  if (Number.isNaN(signal) || Number.isNaN(noise)) return NaN;
  if (noise === 0) return Infinity;
  return 10 * Math.log10(signal / noise);
}

/**
 * SQNR, max absolute and normwise error of a quantized tensor against the float one.
 *
 * @param reference The float tensor.
 * @param quantized The quantized model's tensor.
 * @returns The three measures.
 * @throws {TypeError} When the lengths differ.
 * @example
 * ```ts
 * import { quantizationError } from "./sqnr.ts";
 * const e = quantizationError(new Float32Array([2, -4]), new Float32Array([2, -3]));
 * if (e.maxAbs !== 1 || e.normwise !== 0.25 || e.sqnrDb !== 10 * Math.log10(20)) throw new Error();
 * ```
 */
export function quantizationError(
  reference: Float32Array,
  quantized: Float32Array,
): QuantizationError {
  const d = difference(reference, quantized);
  return { sqnrDb: sqnrDb(reference, quantized), maxAbs: d.maxAbs, normwise: d.normwise };
}

/** Range statistics of a conv weight, per output channel (axis 0). */
export interface WeightRangeStats {
  /** Output channels. */
  readonly channels: number;
  /** max |w| of each output channel. */
  readonly maxAbs: Float32Array;
  /** Symmetric int8 scale of each channel (`max |w| / 127`; 1 for a dead channel). */
  readonly scales: Float32Array;
  /** The per-tensor scale: max |w| over the whole tensor / 127 (1 when all weights are 0). */
  readonly perTensorScale: number;
  /** Largest over smallest per-channel scale, dead channels left out; 1 with fewer than one live. */
  readonly scaleSpread: number;
  /**
   * Share of the int8 range (-127..127) each channel uses under the per-tensor scale: its max |w|
   * over the tensor's. A channel at 0.01 has about 1 level of 127 on each side.
   */
  readonly rangeShare: Float32Array;
  /** Output channels whose weights are all zero. */
  readonly deadChannels: readonly number[];
}

/**
 * Weight range statistics that explain per-tensor versus per-channel int8 error: reparameterized
 * kernels sum branches and BN scales, so some channels grow far larger than others and, under
 * one per-tensor scale, the small ones keep only a few levels.
 *
 * @param weight The conv weight, row-major.
 * @param dims Its shape, output channels first.
 * @returns The statistics.
 * @throws {TypeError} When the shape does not match the weight.
 * @example
 * ```ts
 * import { weightRangeStats } from "./sqnr.ts";
 * // channel 0: max |w| 2.54, channel 1: 0.254 -> scales 0.02 and 0.002, spread 10, share 0.1
 * const s = weightRangeStats(new Float32Array([2.54, -1, 0.1, -0.254]), [2, 2]);
 * if (Math.abs(s.scaleSpread - 10) > 1e-5 || Math.abs(s.rangeShare[1] - 0.1) > 1e-7) {
 *   throw new Error();
 * }
 * ```
 */
export function weightRangeStats(weight: Float32Array, dims: readonly number[]): WeightRangeStats {
  const params = computeChannelParams(weight, dims, 0, "int8");
  const channels = params.scales.length;
  const inner = channels === 0 ? 0 : weight.length / channels;
  const maxAbs = new Float32Array(channels);
  for (let i = 0; i < weight.length; i++) {
    const c = Math.floor(i / inner);
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(weight[i]));
  }
  const tensorMax = maxAbs.reduce((a, b) => Math.max(a, b), 0);
  const dead = new Set(params.zeroRangeChannels);
  const live = [...params.scales].filter((_, c) => !dead.has(c));
  const scaleSpread = live.length > 0 ? Math.max(...live) / Math.min(...live) : 1;
  return {
    channels,
    maxAbs,
    scales: params.scales,
    perTensorScale: tensorMax > 0 ? Math.fround(tensorMax / 127) : 1,
    scaleSpread,
    rangeShare: maxAbs.map((m) => (tensorMax > 0 ? m / tensorMax : 0)),
    deadChannels: params.zeroRangeChannels,
  };
}
