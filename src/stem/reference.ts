/**
 * A plain float64 reference of the multi-branch stem for one image: an implementation
 * independent of onnxruntime, used to calibrate BatchNorm statistics and by tests.
 *
 * @module
 */
import type { Activation, BatchNorm, BlockSpec, BlockWeights, SeWeights } from "./spec.ts";

/** A CHW tensor of one image. */
export interface Chw {
  /** The values, channel-major: element (c, y, x) at `(c * height + y) * width + x`. */
  readonly data: Float64Array;
  /** Number of channels, the slowest-varying axis of `data`. */
  readonly channels: number;
  /** Rows per channel, in pixels. */
  readonly height: number;
  /** Columns per row, in pixels (the fastest-varying axis of `data`). */
  readonly width: number;
}

/** Conv geometry for {@linkcode conv2d}. */
export interface ConvGeometry {
  /** Step between output pixels, in input pixels, along both axes. */
  readonly stride: number;
  /** Zero padding in pixels on each of the four sides (reads outside the image count as 0). */
  readonly pad: number;
  /** Channel groups: each output channel reads only the in / groups channels of its group. */
  readonly groups: number;
}

/**
 * Direct 2-D convolution of one image (cross-correlation, as ONNX Conv), square kernels.
 *
 * @param weight [out, in/groups, k, k] flattened.
 * @param bias Optional per-output-channel bias.
 */
export function conv2d(
  x: Chw,
  weight: ArrayLike<number>,
  outChannels: number,
  kernel: number,
  geometry: ConvGeometry,
  bias?: ArrayLike<number>,
): Chw {
  const { stride, pad, groups } = geometry;
  const inPerGroup = x.channels / groups;
  const outPerGroup = outChannels / groups;
  const ho = Math.floor((x.height + 2 * pad - kernel) / stride) + 1;
  const wo = Math.floor((x.width + 2 * pad - kernel) / stride) + 1;
  const out = new Float64Array(outChannels * ho * wo);
  for (let o = 0; o < outChannels; o++) {
    const g = Math.floor(o / outPerGroup);
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let acc = bias ? bias[o] : 0;
        for (let i = 0; i < inPerGroup; i++) {
          const c = g * inPerGroup + i;
          for (let ky = 0; ky < kernel; ky++) {
            const y = oy * stride - pad + ky;
            if (y < 0 || y >= x.height) continue;
            for (let kx = 0; kx < kernel; kx++) {
              const xx = ox * stride - pad + kx;
              if (xx < 0 || xx >= x.width) continue;
              const w = weight[((o * inPerGroup + i) * kernel + ky) * kernel + kx];
              acc += w * x.data[(c * x.height + y) * x.width + xx];
            }
          }
        }
        out[(o * ho + oy) * wo + ox] = acc;
      }
    }
  }
  return { data: out, channels: outChannels, height: ho, width: wo };
}

/** Inference-mode BatchNorm of one image. */
export function batchNorm(x: Chw, bn: BatchNorm): Chw {
  const hw = x.height * x.width;
  const out = new Float64Array(x.data.length);
  for (let c = 0; c < x.channels; c++) {
    const scale = bn.gamma[c] / Math.sqrt(bn.variance[c] + bn.epsilon);
    for (let j = 0; j < hw; j++) {
      out[c * hw + j] = (x.data[c * hw + j] - bn.mean[c]) * scale + bn.beta[c];
    }
  }
  return { ...x, data: out };
}

/** Per-channel mean and (population) variance of one image. */
export function channelStats(x: Chw): { mean: Float64Array; variance: Float64Array } {
  const hw = x.height * x.width;
  const mean = new Float64Array(x.channels);
  const variance = new Float64Array(x.channels);
  for (let c = 0; c < x.channels; c++) {
    let s = 0;
    let s2 = 0;
    for (let j = 0; j < hw; j++) {
      const v = x.data[c * hw + j];
      s += v;
      s2 += v * v;
    }
    mean[c] = s / hw;
    variance[c] = Math.max(s2 / hw - mean[c] * mean[c], 0);
  }
  return { mean, variance };
}

function add(a: Chw, b: Chw): Chw {
  return { ...a, data: a.data.map((v, i) => v + b.data[i]) };
}

/** Exact GELU: x * 0.5 * (1 + erf(x / sqrt 2)), erf by Abramowitz-Stegun 7.1.26 (error < 1.5e-7). */
function gelu(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return 0.5 * x * (1 + (x >= 0 ? erf : -erf));
}

/** Applies an activation element-wise. */
export function activate(x: Chw, activation: Activation): Chw {
  if (activation === "none") return x;
  const f = activation === "relu" ? (v: number) => Math.max(v, 0) : gelu;
  return { ...x, data: x.data.map(f) };
}

/** Squeeze-excitation of one image. */
export function squeezeExcite(x: Chw, se: SeWeights): Chw {
  const hw = x.height * x.width;
  const pooled: Chw = { data: channelStats(x).mean, channels: x.channels, height: 1, width: 1 };
  const one = { stride: 1, pad: 0, groups: 1 };
  const reduced = activate(
    conv2d(pooled, se.reduceWeight, se.reducedChannels, 1, one, se.reduceBias),
    "relu",
  );
  const gate = conv2d(reduced, se.expandWeight, x.channels, 1, one, se.expandBias).data.map((v) =>
    1 / (1 + Math.exp(-v))
  );
  return { ...x, data: x.data.map((v, i) => v * gate[Math.floor(i / hw)]) };
}

/** One multi-branch block on one image. */
export function referenceBlock(x: Chw, block: BlockSpec, w: BlockWeights): Chw {
  const geometry = { stride: block.stride, pad: block.pad, groups: block.groups };
  const parts = w.conv.map((b) =>
    batchNorm(conv2d(x, b.weight, block.outChannels, block.kernel, geometry), b.bn)
  );
  if (w.scale) {
    parts.push(
      batchNorm(
        conv2d(x, w.scale.weight, block.outChannels, 1, { ...geometry, pad: 0 }),
        w.scale.bn,
      ),
    );
  }
  if (w.skip) parts.push(batchNorm(x, w.skip));
  const sum = parts.reduce(add);
  return activate(w.se ? squeezeExcite(sum, w.se) : sum, block.activation);
}
