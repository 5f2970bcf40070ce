/**
 * Linear quantization over typed arrays, as onnxruntime's quantizer and the ONNX
 * `QuantizeLinear`/`DequantizeLinear` ops define it: parameters from a range (asymmetric uint8,
 * symmetric int8; per tensor or per channel), quantize (round half to even, saturate),
 * dequantize, and int32 bias quantization.
 *
 * @module
 */

/**
 * An 8-bit quantized type, each with its scheme (onnxruntime's defaults): `uint8` is asymmetric
 * (range mapped onto 0..255 with a zero point), `int8` symmetric (range [-m, m] mapped onto
 * -127..127, zero point 0).
 */
export type QuantType = "uint8" | "int8";

/** A real range `[min, max]`, as calibration gives it. */
export interface Range {
  /** The smallest value to represent. */
  readonly min: number;
  /** The largest value to represent. */
  readonly max: number;
}

/** Scale and zero point of one tensor (or one channel): `real = scale * (q - zeroPoint)`. */
export interface QuantParams {
  /** The quantized type. */
  readonly type: QuantType;
  /** The step between two quantized levels, a float32 value > 0. */
  readonly scale: number;
  /** The level that stands for real 0 (0 for int8). */
  readonly zeroPoint: number;
  /** True when the range was zero (a dead tensor or channel): scale 1 and zero point 0 are used. */
  readonly zeroRange: boolean;
}

/** Scales and zero points along one axis of a tensor (per-channel quantization). */
export interface ChannelParams {
  /** The quantized type. */
  readonly type: QuantType;
  /** The axis the channels are on (0 for conv weights: output channels). */
  readonly axis: number;
  /** One float32 scale per channel. */
  readonly scales: Float32Array;
  /** One zero point per channel. */
  readonly zeroPoints: Int32Array;
  /** Channels whose range was zero (dead channels), ascending; they get scale 1, zero point 0. */
  readonly zeroRangeChannels: readonly number[];
}

/** Smallest positive normal float32: a scale below it counts as zero (as onnxruntime does). */
const FLOAT32_TINY = 1.1754943508222875e-38;

/** Saturation bounds of each type: the whole type, as `QuantizeLinear` saturates. */
const SATURATION: Readonly<Record<QuantType, readonly [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
};

/** Levels a range is mapped onto: 0..255 asymmetric, -127..127 symmetric (onnxruntime's). */
const LEVELS: Readonly<Record<QuantType, readonly [number, number]>> = {
  uint8: [0, 255],
  int8: [-127, 127],
};

/**
 * Rounds to the nearest integer, ties to the even one (IEEE 754 default, numpy's `round`, the
 * ONNX `QuantizeLinear` rule).
 *
 * @param value Any number.
 * @returns The nearest integer; for a tie, the even one of the two.
 * @example
 * ```ts
 * import { roundHalfToEven } from "./quantize.ts";
 * const r = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999].map(roundHalfToEven);
 * if (r.join() !== "0,2,2,0,-2,-2,2") throw new Error(r.join());
 * ```
 */
export function roundHalfToEven(value: number): number {
  const r = Math.round(value); // ties go up
  return r - value === 0.5 && r % 2 !== 0 ? r - 1 : r + 0; // + 0 turns -0 into 0
}

function checkRange(range: Range, what: string): void {
  if (!Number.isFinite(range.min) || !Number.isFinite(range.max) || range.min > range.max) {
    throw new RangeError(
      `Cannot compute quantization parameters of ${what} as its range must be finite with ` +
        `min <= max: current value is [${range.min}, ${range.max}]`,
    );
  }
}

/**
 * Quantization parameters of a range, as onnxruntime's `compute_scale_zp`: the range is widened
 * to hold 0; `int8` makes it symmetric, `[-m, m]` with `m = max(|min|, |max|)`, scale `m / 127`,
 * zero point 0; `uint8` maps it onto 0..255, scale `(max - min) / 255`, zero point
 * `round(-min / scale)`. A zero range (all values 0) gets scale 1 and zero point 0, marked
 * `zeroRange`, instead of a division by zero.
 *
 * @param range The calibrated range.
 * @param type `uint8` (asymmetric) or `int8` (symmetric).
 * @param what What the range belongs to, for error messages. @default {"a tensor"}
 * @returns Scale (float32) and zero point.
 * @throws {RangeError} When the range is not finite or has min > max.
 * @example
 * ```ts
 * import { computeQuantParams } from "./quantize.ts";
 * const a = computeQuantParams({ min: -1, max: 3 }, "uint8"); // scale 4 / 255, zero point 64
 * const s = computeQuantParams({ min: -1, max: 2.54 }, "int8"); // scale 2.54 / 127 = 0.02
 * const z = computeQuantParams({ min: 0, max: 0 }, "int8");
 * if (a.zeroPoint !== 64 || s.scale !== Math.fround(0.02) || s.zeroPoint !== 0) throw new Error();
 * if (!z.zeroRange || z.scale !== 1) throw new Error();
 * ```
 */
export function computeQuantParams(range: Range, type: QuantType, what = "a tensor"): QuantParams {
  checkRange(range, what);
  let min = Math.min(range.min, 0);
  let max = Math.max(range.max, 0);
  if (type === "int8") {
    const m = Math.max(-min, max);
    [min, max] = [-m, m];
  }
  const [qmin, qmax] = LEVELS[type];
  const scale = (max - min) / (qmax - qmin); // float64, as onnxruntime computes it
  if (scale < FLOAT32_TINY) return { type, scale: 1, zeroPoint: 0, zeroRange: true };
  const zeroPoint = type === "int8" ? 0 : roundHalfToEven(qmin - min / scale);
  return { type, scale: Math.fround(scale), zeroPoint, zeroRange: false };
}

/** Product of `dims` after `axis` and the channel count at `axis`. */
function channelLayout(length: number, dims: readonly number[], axis: number) {
  const count = dims.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(axis) || axis < 0 || axis >= dims.length || count !== length) {
    throw new TypeError(
      `Cannot quantize per channel along axis ${axis} of a tensor of shape [${dims}] holding ` +
        `${length} elements`,
    );
  }
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  return { channels: dims[axis], inner };
}

/**
 * Min and max of each channel along an axis.
 *
 * @param data The tensor, row-major.
 * @param dims Its shape.
 * @param axis The channel axis.
 * @returns One range per channel; an empty channel (a zero dimension elsewhere) gets [0, 0].
 * @throws {TypeError} When the axis is out of range or `data` does not match `dims`.
 */
export function channelRanges(data: Float32Array, dims: readonly number[], axis: number): Range[] {
  const { channels, inner } = channelLayout(data.length, dims, axis);
  const min = new Float64Array(channels).fill(Infinity);
  const max = new Float64Array(channels).fill(-Infinity);
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    if (data[i] < min[c]) min[c] = data[i];
    if (data[i] > max[c]) max[c] = data[i];
  }
  return Array.from(min, (lo, c) => (lo <= max[c] ? { min: lo, max: max[c] } : { min: 0, max: 0 }));
}

/**
 * Per-channel quantization parameters of a tensor, each channel from its own min and max (as
 * onnxruntime quantizes conv weights per output channel).
 *
 * @param data The tensor, row-major.
 * @param dims Its shape.
 * @param axis The channel axis (0 for conv weights).
 * @param type `int8` (symmetric, the weights' default) or `uint8`.
 * @returns Scales and zero points, with the dead channels listed.
 * @throws {TypeError} When the axis is out of range or `data` does not match `dims`.
 * @throws {RangeError} When the tensor holds a value that is not finite.
 * @example
 * ```ts
 * import { computeChannelParams } from "./quantize.ts";
 * // two output channels of two weights each; channel 1 is dead
 * const p = computeChannelParams(new Float32Array([-0.5, 1.27, 0, 0]), [2, 2], 0, "int8");
 * if (p.scales[0] !== Math.fround(0.01) || p.scales[1] !== 1) throw new Error();
 * if (p.zeroRangeChannels.join() !== "1") throw new Error();
 * ```
 */
export function computeChannelParams(
  data: Float32Array,
  dims: readonly number[],
  axis: number,
  type: QuantType,
): ChannelParams {
  const ranges = channelRanges(data, dims, axis);
  const params = ranges.map((r, c) => computeQuantParams(r, type, `channel ${c}`));
  return {
    type,
    axis,
    scales: Float32Array.from(params, (p) => p.scale),
    zeroPoints: Int32Array.from(params, (p) => p.zeroPoint),
    zeroRangeChannels: params.flatMap((p, c) => (p.zeroRange ? [c] : [])),
  };
}

/** One value quantized: `saturate(roundHalfToEven(x / scale) + zeroPoint)`, in float32. */
function quantizeValue(x: number, scale: number, zeroPoint: number, lo: number, hi: number) {
  const q = roundHalfToEven(Math.fround(x / scale)) + zeroPoint;
  return q < lo ? lo : q > hi ? hi : Number.isNaN(q) ? zeroPoint : q;
}

/**
 * Quantizes a tensor with one scale and zero point, as `QuantizeLinear` does: the float32
 * quotient `x / scale` is rounded half to even, the zero point added and the result saturated to
 * the type (0..255 for uint8, -128..127 for int8). NaN maps to the zero point.
 *
 * @param data The real values.
 * @param params Scale, zero point and type.
 * @returns The levels, as `Uint8Array` (uint8) or `Int8Array` (int8).
 * @example
 * ```ts
 * import { quantize } from "./quantize.ts";
 * const q = quantize(new Float32Array([0.5, 1.5, -2.5, 300, -300]), {
 *   type: "int8", scale: 1, zeroPoint: 0, zeroRange: false,
 * });
 * if ([...q].join() !== "0,2,-2,127,-128") throw new Error([...q].join());
 * ```
 */
export function quantize(data: Float32Array, params: QuantParams): Uint8Array | Int8Array {
  const [lo, hi] = SATURATION[params.type];
  const out = params.type === "uint8" ? new Uint8Array(data.length) : new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    out[i] = quantizeValue(data[i], params.scale, params.zeroPoint, lo, hi);
  }
  return out;
}

/**
 * Quantizes a tensor per channel (what `QuantizeLinear` with `axis` does).
 *
 * @param data The real values, row-major.
 * @param dims Their shape.
 * @param params One scale and zero point per channel along `params.axis`.
 * @returns The levels, as `Uint8Array` (uint8) or `Int8Array` (int8).
 * @throws {TypeError} When the shape does not match the data or the channel count.
 */
export function quantizePerChannel(
  data: Float32Array,
  dims: readonly number[],
  params: ChannelParams,
): Uint8Array | Int8Array {
  const { channels, inner } = channelLayout(data.length, dims, params.axis);
  if (channels !== params.scales.length) {
    throw new TypeError(
      `Cannot quantize per channel as the tensor has ${channels} channels and the parameters ` +
        `${params.scales.length}`,
    );
  }
  const [lo, hi] = SATURATION[params.type];
  const out = params.type === "uint8" ? new Uint8Array(data.length) : new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    out[i] = quantizeValue(data[i], params.scales[c], params.zeroPoints[c], lo, hi);
  }
  return out;
}

/**
 * Dequantizes levels, as `DequantizeLinear` does: `(q - zeroPoint) * scale`, rounded to float32.
 *
 * @param levels The quantized levels.
 * @param scale The scale.
 * @param zeroPoint The zero point. @default {0}
 * @returns The real values.
 * @example
 * ```ts
 * import { dequantize } from "./quantize.ts";
 * const x = dequantize(new Uint8Array([0, 64, 255]), 0.5, 64);
 * if ([...x].join() !== "-32,0,95.5") throw new Error();
 * ```
 */
export function dequantize(
  levels: ArrayLike<number>,
  scale: number,
  zeroPoint = 0,
): Float32Array {
  const out = new Float32Array(levels.length);
  for (let i = 0; i < levels.length; i++) out[i] = (levels[i] - zeroPoint) * scale;
  return out;
}

/**
 * Dequantizes levels per channel along an axis.
 *
 * @param levels The quantized levels, row-major.
 * @param dims Their shape.
 * @param params One scale and zero point per channel along `params.axis`.
 * @returns The real values.
 * @throws {TypeError} When the shape does not match the levels or the channel count.
 */
export function dequantizePerChannel(
  levels: ArrayLike<number>,
  dims: readonly number[],
  params: ChannelParams,
): Float32Array {
  const { channels, inner } = channelLayout(levels.length, dims, params.axis);
  if (channels !== params.scales.length) {
    throw new TypeError(
      `Cannot dequantize per channel as the tensor has ${channels} channels and the parameters ` +
        `${params.scales.length}`,
    );
  }
  const out = new Float32Array(levels.length);
  for (let i = 0; i < levels.length; i++) {
    const c = Math.floor(i / inner) % channels;
    out[i] = (levels[i] - params.zeroPoints[c]) * params.scales[c];
  }
  return out;
}

/** A bias quantized to int32. */
export interface QuantizedBias {
  /** The levels, one per output channel. */
  readonly data: Int32Array;
  /** Their scales: input scale x weight scale (per channel), in float32. */
  readonly scales: Float32Array;
  /** Channels whose value did not fit in int32 and was saturated (a tiny weight scale). */
  readonly saturatedChannels: readonly number[];
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Quantizes a conv bias to int32 with zero point 0 and scale `inputScale * weightScale` (per
 * output channel when the weights are per channel), as onnxruntime does: the float32 product
 * is the scale, the bias is divided by it in float64, rounded half to even and saturated.
 *
 * @param bias One value per output channel.
 * @param inputScale The scale of the conv's input activation.
 * @param weightScales The weight scale: one number (per tensor) or one per output channel.
 * @returns The int32 levels and their scales.
 * @throws {TypeError} When there are per-channel scales and their count differs from the bias's.
 * @example
 * ```ts
 * import { quantizeBias } from "./quantize.ts";
 * // scale 0.5 * 0.25 = 0.125: 1 / 0.125 = 8, -0.0625 / 0.125 = -0.5 -> -0 (half to even)
 * const b = quantizeBias(new Float32Array([1, -0.0625]), 0.5, 0.25);
 * if ([...b.data].join() !== "8,0" || b.scales[1] !== 0.125) throw new Error();
 * ```
 */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  weightScales: number | Float32Array,
): QuantizedBias {
  const perChannel = typeof weightScales !== "number";
  if (perChannel && weightScales.length !== bias.length) {
    throw new TypeError(
      `Cannot quantize a bias of ${bias.length} channels with ${weightScales.length} weight scales`,
    );
  }
  const scales = Float32Array.from(
    bias,
    (_, c) => inputScale * (perChannel ? weightScales[c] : weightScales),
  );
  const saturatedChannels: number[] = [];
  const data = Int32Array.from(bias, (b, c) => {
    const q = roundHalfToEven(b / scales[c]);
    if (q >= INT32_MIN && q <= INT32_MAX) return q;
    saturatedChannels.push(c);
    return q < INT32_MIN ? INT32_MIN : INT32_MAX;
  });
  return { data, scales, saturatedChannels };
}
