/**
 * Conv-of-expression sequences: `conv2(t)` where `t = conv1(x)` is itself an expression of `x`,
 * composed into one conv of `x` (DBB / ACNet-style 1x1 -> kxk, a scale or BN before a conv).
 *
 * Per axis, with inner (s1, d1, k1, p1, e1) and outer (s2, d2, k2, p2, e2): the outer tap `a` and
 * inner tap `b` read input row `o*s1*s2 - (p2*s1 + p1) + a*d2*s1 + b*d1`, so the merged conv has
 * stride `s1*s2`, pad_begin `p2*s1 + p1`, pad_end `e2*s1 + e1`, dilation D the gcd of the steps
 * that occur, and kernel `((k2-1) d2 s1 + (k1-1) d1) / D + 1`. Groups compose to
 * `gcd(g1, g2)`.
 *
 * @module
 */
import { type ConvParams, type Lin, memo, type Pair, union } from "./linear.ts";

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Merged dilation and kernel size of one axis. */
function axisGrid(outer: ConvParams, inner: Lin, axis: 0 | 1): { d: number; k: number } {
  const k2 = outer.dims[2 + axis];
  const k1 = inner.kernel[axis];
  const step2 = outer.dilation[axis] * inner.stride[axis];
  const step1 = inner.dilation[axis];
  const d = k2 === 1 && k1 === 1 ? 1 : k2 === 1 ? step1 : k1 === 1 ? step2 : gcd(step2, step1);
  return { d, k: ((k2 - 1) * step2 + (k1 - 1) * step1) / d + 1 };
}

/**
 * Whether `conv2(inner)` equals the composed conv everywhere, borders included. Where conv2 reads
 * its zero padding, the composed conv computes the inner expression at a virtual position
 * instead; that is zero only when the inner bias is zero and the inner kernel touches nothing but
 * padding there (a 1x1 unpadded inner conv). Without padding in conv2 it is always exact.
 *
 * @param outer The outer conv.
 * @param inner The inner expression.
 * @returns Whether composing is exact.
 */
export function sequenceExact(outer: ConvParams, inner: Lin): boolean {
  const padded = [...outer.padBegin, ...outer.padEnd].some((p) => p !== 0);
  if (!padded) return true;
  const oneByOne = inner.kernel[0] === 1 && inner.kernel[1] === 1;
  const unpadded = [...inner.padBegin, ...inner.padEnd].every((p) => p === 0);
  return oneByOne && unpadded && inner.bias.every((b) => b === 0);
}

/**
 * The geometry of `conv2(inner)` as one conv: kernel, group, stride, dilation, pads.
 *
 * @param outer The outer conv.
 * @param inner The inner expression; its `cout` must be the outer conv's input channels.
 * @returns The merged geometry.
 */
export function composedGeometry(outer: ConvParams, inner: Lin): {
  kernel: Pair;
  group: number;
  stride: Pair;
  dilation: Pair;
  padBegin: Pair;
  padEnd: Pair;
} {
  const [h, w] = [axisGrid(outer, inner, 0), axisGrid(outer, inner, 1)];
  const s1 = inner.stride;
  const pad = (p2: Pair, p1: Pair): Pair => [p2[0] * s1[0] + p1[0], p2[1] * s1[1] + p1[1]];
  return {
    kernel: [h.k, w.k],
    group: gcd(inner.group, outer.group),
    stride: [s1[0] * outer.stride[0], s1[1] * outer.stride[1]],
    dilation: [h.d, w.d],
    padBegin: pad(outer.padBegin, inner.padBegin),
    padEnd: pad(outer.padEnd, inner.padEnd),
  };
}

/** Composed bias: `b2[o] + sum over taps and inputs of W2[o, m, a] * b1[m]`. */
function composedBias(outer: ConvParams, inner: Lin): Float64Array {
  const [cout, mpg, kh, kw] = outer.dims;
  const taps = kh * kw;
  const bias = Float64Array.from({ length: cout }, (_, o) => outer.bias?.[o] ?? 0);
  for (let o = 0; o < cout; o++) {
    const g = Math.floor(o / (cout / outer.group));
    for (let m = 0; m < mpg; m++) {
      let s = 0;
      for (let t = 0; t < taps; t++) s += outer.weight[(o * mpg + m) * taps + t];
      bias[o] += s * inner.bias[g * mpg + m];
    }
  }
  return bias;
}

/** Composed kernel in float64 (see the module doc for the index arithmetic). */
function composedWeight(outer: ConvParams, inner: Lin, geo: ReturnType<typeof composedGeometry>) {
  const [cout, mpg2, k2h, k2w] = outer.dims;
  const w1 = inner.weight();
  const [k1h, k1w] = inner.kernel;
  const ipg1 = inner.cin / inner.group;
  const mpg1 = inner.cout / inner.group;
  const ipg = inner.cin / geo.group;
  const [K0, K1] = geo.kernel;
  const out = new Float64Array(cout * ipg * K0 * K1);
  const stepY2 = outer.dilation[0] * inner.stride[0] / geo.dilation[0];
  const stepX2 = outer.dilation[1] * inner.stride[1] / geo.dilation[1];
  const stepY1 = inner.dilation[0] / geo.dilation[0];
  const stepX1 = inner.dilation[1] / geo.dilation[1];
  for (let o = 0; o < cout; o++) {
    const g = Math.floor(o / (cout / geo.group));
    const g2 = Math.floor(o / (cout / outer.group));
    for (let ml = 0; ml < mpg2; ml++) {
      const m = g2 * mpg2 + ml;
      const i0 = Math.floor(m / mpg1) * ipg1 - g * ipg; // first input of m, local to group g
      for (let a = 0; a < k2h * k2w; a++) {
        const v2 = outer.weight[(o * mpg2 + ml) * k2h * k2w + a];
        if (v2 === 0) continue;
        const ay = Math.floor(a / k2w) * stepY2, ax = (a % k2w) * stepX2;
        for (let il = 0; il < ipg1; il++) {
          const base = (o * ipg + i0 + il) * K0;
          for (let by = 0; by < k1h; by++) {
            const row = (base + ay + by * stepY1) * K1 + ax;
            const src = ((m * ipg1 + il) * k1h + by) * k1w;
            for (let bx = 0; bx < k1w; bx++) out[row + bx * stepX1] += v2 * w1[src + bx];
          }
        }
      }
    }
  }
  return out;
}

/**
 * The expression `conv2(inner)` as one conv of `inner.src`. The caller decides whether this is
 * exact ({@linkcode sequenceExact}) and cheap enough.
 *
 * @param outer The outer conv.
 * @param inner The inner expression.
 * @param node The outer conv node, by its output tensor.
 * @returns The composed expression, with one `sequence` branch.
 * @throws {TypeError} When the outer conv's input channels are not the inner output channels.
 */
export function composeLin(outer: ConvParams, inner: Lin, node: string): Lin {
  const [cout, mpg] = outer.dims;
  if (mpg * outer.group !== inner.cout) {
    throw new TypeError(
      `Cannot compose "${node}" as it reads ${mpg * outer.group} channels, not ${inner.cout}`,
    );
  }
  const geo = composedGeometry(outer, inner);
  const diag = inner.diag && outer.dims[1] === 1 && outer.group === cout &&
    geo.kernel[0] === 1 && geo.kernel[1] === 1 && geo.stride.every((s) => s === 1) &&
    [...geo.padBegin, ...geo.padEnd].every((p) => p === 0);
  const nodes = union(inner.nodes, [node]);
  return {
    src: inner.src,
    cin: inner.cin,
    cout,
    diag,
    ...geo,
    bias: composedBias(outer, inner),
    weight: memo(() => composedWeight(outer, inner, geo)),
    nodes,
    sums: inner.sums,
    branches: [{ kind: "sequence", kernel: geo.kernel, nodes }],
  };
}
