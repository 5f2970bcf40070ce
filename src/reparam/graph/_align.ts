/**
 * Sums of two expressions over the same source: aligning their kernels on a common grid and
 * adding them in float64.
 *
 * A conv with kernel k, pad_begin p and dilation d touches input rows `i*s - p + j*d`,
 * `j in [0, k)`. Two branches align on an axis when `(p1 - p2) % d == 0`; the merged kernel spans
 * from `min(-p_i)` to `max(-p_i + (k_i - 1) d)` in steps of d, its pad_begin is `max(p_i)` and its
 * pad_end `max(pad_end_i + merged_end - end_i)`. An axis where a branch has one tap places no
 * constraint on that branch's dilation.
 *
 * @module
 */
import { type Lin, memo, type Pair, union } from "./linear.ts";

/** The merged geometry of one axis and where each part's kernel starts in it. */
interface AxisPlan {
  readonly dilation: number;
  readonly kernel: number;
  readonly padBegin: number;
  readonly padEnd: number;
  readonly offsets: readonly number[];
}

const mod = (a: number, n: number) => ((a % n) + n) % n;

/** Aligns the parts on one axis; undefined when their taps do not share a grid. */
function alignAxis(parts: readonly Lin[], axis: 0 | 1): AxisPlan | undefined {
  const multi = parts.filter((p) => p.kernel[axis] > 1);
  const d = multi.length > 0 ? multi[0].dilation[axis] : 1;
  if (multi.some((p) => p.dilation[axis] !== d)) return undefined;
  const starts = parts.map((p) => -p.padBegin[axis]);
  const ends = parts.map((p, i) => starts[i] + (p.kernel[axis] - 1) * d);
  if (starts.some((s) => mod(s - starts[0], d) !== 0)) return undefined;
  const start = Math.min(...starts);
  const end = Math.max(...ends);
  return {
    dilation: d,
    kernel: (end - start) / d + 1,
    padBegin: -start,
    padEnd: Math.max(...parts.map((p, i) => p.padEnd[axis] + end - ends[i])),
    offsets: starts.map((s) => (s - start) / d),
  };
}

/** The output size of a part along an axis is `floor((H + extent) / s) + 1` for every H. */
function extent(p: Lin, axis: 0 | 1): number {
  return p.padBegin[axis] + p.padEnd[axis] - (p.kernel[axis] - 1) * p.dilation[axis] - 1;
}

/**
 * Why two expressions cannot be summed into one conv, or undefined when they can.
 *
 * @param a First expression.
 * @param b Second expression.
 * @param sameShape Whether their output shapes are known to be equal (`true`), known to differ
 *   (`false`), or unknown (`undefined`: then the output-size formulas must agree for every size).
 * @returns A reason, or undefined.
 */
export function sumBlocker(a: Lin, b: Lin, sameShape: boolean | undefined): string | undefined {
  if (a.src !== b.src) return "different sources";
  if (a.cin !== b.cin || a.cout !== b.cout) return "different channel counts";
  if (a.stride[0] !== b.stride[0] || a.stride[1] !== b.stride[1]) return "different strides";
  if (a.group !== b.group && !a.diag && !b.diag) return "different groups";
  if (sameShape === false) return "different output shapes";
  for (const axis of [0, 1] as const) {
    if (sameShape === undefined && extent(a, axis) !== extent(b, axis)) {
      return "different output sizes";
    }
    if (!alignAxis([a, b], axis)) return "kernels do not align";
  }
  return undefined;
}

/**
 * Adds a part's kernel, times `sign`, into a merged kernel of group `group` and size `k`, at
 * tap offset `off`. A diagonal part of another group lands on each channel's own input.
 */
function place(dst: Float64Array, group: number, k: Pair, p: Lin, off: Pair, sign: number): void {
  const w = p.weight();
  const ipg = p.cin / group;
  const at = (o: number, i: number, y: number, x: number) =>
    ((o * ipg + i) * k[0] + y + off[0]) * k[1] + x + off[1];
  if (p.group !== group) {
    for (let c = 0; c < p.cout; c++) dst[at(c, c % ipg, 0, 0)] += sign * w[c];
    return;
  }
  const [kh, kw] = p.kernel;
  let j = 0;
  for (let o = 0; o < p.cout; o++) {
    for (let i = 0; i < ipg; i++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) dst[at(o, i, y, x)] += sign * w[j++];
      }
    }
  }
}

/**
 * The sum `a + sign * b` of two expressions as one expression.
 *
 * @param a First expression.
 * @param b Second expression.
 * @param sign 1 for Add, -1 for Sub.
 * @param node The Add / Sub node, by its output tensor.
 * @param sameShape As for {@linkcode sumBlocker}.
 * @returns The merged expression: kernels padded onto the common grid and summed in float64.
 * @throws {TypeError} When {@linkcode sumBlocker} gives a reason.
 */
export function sumLins(
  a: Lin,
  b: Lin,
  sign: 1 | -1,
  node: string,
  sameShape: boolean | undefined,
): Lin {
  const why = sumBlocker(a, b, sameShape);
  if (why) throw new TypeError(`Cannot sum expressions of "${a.src}" at "${node}": ${why}`);
  const [h, w] = [alignAxis([a, b], 0)!, alignAxis([a, b], 1)!];
  const group = a.diag ? b.group : a.group;
  const kernel: Pair = [h.kernel, w.kernel];
  const size = a.cout * (a.cin / group) * kernel[0] * kernel[1];
  return {
    src: a.src,
    cin: a.cin,
    cout: a.cout,
    group,
    diag: a.diag && b.diag,
    kernel,
    stride: a.stride,
    dilation: [h.dilation, w.dilation],
    padBegin: [h.padBegin, w.padBegin],
    padEnd: [h.padEnd, w.padEnd],
    bias: Float64Array.from(a.bias, (v, c) => v + sign * b.bias[c]),
    weight: memo(() => {
      const out = new Float64Array(size);
      place(out, group, kernel, a, [h.offsets[0], w.offsets[0]], 1);
      place(out, group, kernel, b, [h.offsets[1], w.offsets[1]], sign);
      return out;
    }),
    nodes: union(union(a.nodes, b.nodes), [node]),
    sums: union(union(a.sums, b.sums), [node]),
    branches: [...a.branches, ...b.branches],
  };
}
