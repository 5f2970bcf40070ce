/**
 * A TypeScript int8 reference convolution for the QDQ tests: integer accumulation of
 * `(x_q - x_zp) * w_q` plus the int32 bias, then requantization to the output's levels, the way
 * QLinearConv defines it (multiplier `x_scale * w_scale[c] / y_scale` in float32, round half to
 * even, add the zero point, saturate).
 */
import { roundHalfToEven } from "../../src/quantize/quantize.ts";

/** Conv geometry (dilations 1). */
export interface ConvGeometry {
  readonly stride: number;
  readonly pad: number;
  readonly group: number;
}

/**
 * Integer accumulators of a 2-D conv, NCHW, batch 1.
 *
 * @param x Input levels, [C, H, W].
 * @param xShape [C, H, W].
 * @param xZeroPoint The input's zero point (padding stands for real 0, so adds nothing).
 * @param w Weight levels (zero point 0), [M, C / group, k, k].
 * @param wShape [M, C / group, k, k].
 * @param bias int32 bias levels, one per output channel, or undefined.
 * @returns Accumulators [M, OH, OW] and the output shape.
 */
export function accumulate(
  x: ArrayLike<number>,
  xShape: readonly [number, number, number],
  xZeroPoint: number,
  w: ArrayLike<number>,
  wShape: readonly [number, number, number, number],
  bias: Int32Array | undefined,
  g: ConvGeometry,
): { acc: Float64Array; shape: [number, number, number] } {
  const [c, h, wd] = xShape;
  const [m, cg, k] = wShape;
  const oh = Math.floor((h + 2 * g.pad - k) / g.stride) + 1;
  const ow = Math.floor((wd + 2 * g.pad - k) / g.stride) + 1;
  const perGroup = m / g.group;
  const acc = new Float64Array(m * oh * ow);
  for (let o = 0; o < m; o++) {
    const group = Math.floor(o / perGroup);
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let sum = bias ? bias[o] : 0;
        for (let ci = 0; ci < cg; ci++) {
          const cin = group * cg + ci;
          for (let u = 0; u < k; u++) {
            const y = i * g.stride - g.pad + u;
            if (y < 0 || y >= h) continue;
            for (let v = 0; v < k; v++) {
              const xx = j * g.stride - g.pad + v;
              if (xx < 0 || xx >= wd) continue;
              const xq = x[(cin * h + y) * wd + xx] - xZeroPoint;
              sum += xq * w[((o * cg + ci) * k + u) * k + v];
            }
          }
        }
        acc[(o * oh + i) * ow + j] = sum;
      }
    }
  }
  if (c !== cg * g.group) throw new TypeError(`channels ${c} vs ${cg} x ${g.group}`);
  return { acc, shape: [m, oh, ow] };
}

/**
 * Requantizes accumulators to output levels and dequantizes them.
 *
 * @returns The output's real values, `(y_q - y_zp) * y_scale`.
 */
export function requantize(
  acc: Float64Array,
  channels: number,
  xScale: number,
  wScales: Float32Array,
  y: { scale: number; zeroPoint: number; type: "uint8" | "int8" },
): Float32Array {
  const [lo, hi] = y.type === "uint8" ? [0, 255] : [-128, 127];
  const per = acc.length / channels;
  return Float32Array.from(acc, (a, i) => {
    const c = Math.floor(i / per);
    const ws = wScales.length === 1 ? wScales[0] : wScales[c];
    const multiplier = Math.fround(Math.fround(xScale * ws) / y.scale);
    const q = roundHalfToEven(Math.fround(Math.fround(a) * multiplier)) + y.zeroPoint;
    return (Math.min(hi, Math.max(lo, q)) - y.zeroPoint) * y.scale;
  });
}
