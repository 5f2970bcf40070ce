/**
 * Shape rules of the network ops: Conv, ConvTranspose, pools, Gemm, MatMul, LayerNormalization,
 * reductions, Resize/Upsample, DepthToSpace/SpaceToDepth, TopK. Private to src/onnx.
 *
 * @module
 */
import type { Node } from "./ir.ts";
import { DataType } from "./_values.ts";
import {
  axisOf,
  broadcastShapes,
  constInput,
  fail,
  intAttr,
  intsAttr,
  intsFrom,
  product,
  type RuleContext,
  type ShapeRule,
  stringAttr,
  windowOutput,
} from "./_shape_kit.ts";

/**
 * Output shape of a Conv node: NCHW (or any number of spatial dims), with explicit `pads` or
 * `auto_pad`, `strides`, `dilations` and `group`; absent attributes take ONNX's defaults.
 *
 * @param node The Conv node (its attributes).
 * @param x The input shape [N, C, ...spatial].
 * @param w The weight shape [Cout, C / group, ...kernel].
 * @returns The output shape [N, Cout, ...spatial out].
 * @throws {TypeError} When the channel counts do not fit the weight and groups, or a window
 *   does not fit the padded input.
 * @example
 * ```ts
 * import { convOutputShape } from "./shapes.ts";
 * import { ints } from "./ir.ts";
 * const node = {
 *   name: "c", opType: "Conv", inputs: ["x", "w"], outputs: ["y"],
 *   attributes: { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) },
 * };
 * // floor((224 + 2 - 3) / 2) + 1 = 112
 * if (convOutputShape(node, [1, 3, 224, 224], [8, 3, 3, 3]).join() !== "1,8,112,112") {
 *   throw new Error();
 * }
 * ```
 */
export function convOutputShape(
  node: Node,
  x: readonly number[],
  w: readonly number[],
): number[] {
  if (x.length < 3 || w.length !== x.length) {
    fail(node, `its input [${x}] and weight [${w}] are not [N, C, ...] and [M, C/g, ...]`);
  }
  const [n, cin] = x;
  const group = intAttr(node, "group", 1);
  if (cin !== w[1] * group) {
    throw new TypeError(
      `Cannot infer shape of "${node.name}" as input has ${cin} channels but weight expects ${
        w[1] * group
      }`,
    );
  }
  const kernel = intsAttr(node, "kernel_shape", undefined) ?? w.slice(2);
  return [n, w[0], ...windowOutput(node, x.slice(2), kernel, false)];
}

const conv: ShapeRule = (c) => [{ shape: convOutputShape(c.node, c.shape(0), c.shape(1)) }];

const convTranspose: ShapeRule = (c) => {
  const x = c.shape(0), w = c.shape(1), node = c.node;
  const r = x.length - 2;
  const group = intAttr(node, "group", 1);
  if (r < 1 || w.length !== x.length || w[0] !== x[1]) {
    fail(node, `its input [${x}] and weight [${w}] are not [N, C, ...] and [C, M/g, ...]`);
  }
  const head = [x[0], w[1] * group];
  const given = intsAttr(node, "output_shape", undefined);
  if (given) return [{ shape: [...head, ...given.slice(given.length - r)] }];
  const ones = x.slice(2).map(() => 1), zeros = ones.map(() => 0);
  const kernel = intsAttr(node, "kernel_shape", w.slice(2));
  const strides = intsAttr(node, "strides", ones), dilations = intsAttr(node, "dilations", ones);
  const extra = intsAttr(node, "output_padding", zeros);
  const pads = intsAttr(node, "pads", [...zeros, ...zeros]);
  const autoPad = stringAttr(node, "auto_pad", "NOTSET");
  const spatial = x.slice(2).map((d, i) => {
    if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") return d * strides[i];
    const p = autoPad === "VALID" ? 0 : pads[i] + pads[i + r];
    return strides[i] * (d - 1) + extra[i] + (kernel[i] - 1) * dilations[i] + 1 - p;
  });
  return [{ shape: [...head, ...spatial] }];
};

const pool: ShapeRule = (c) => {
  const x = c.shape(0);
  const kernel = intsAttr(c.node, "kernel_shape", undefined);
  if (!kernel) fail(c.node, "it has no kernel_shape");
  const ceil = intAttr(c.node, "ceil_mode", 0) === 1;
  const shape = [x[0], x[1], ...windowOutput(c.node, x.slice(2), kernel, ceil)];
  return [{ shape }, { shape, type: DataType.INT64 }];
};

const globalPool: ShapeRule = (c) => {
  const x = c.shape(0);
  return [{ shape: [x[0], x[1], ...x.slice(2).map(() => 1)] }];
};

const gemm: ShapeRule = (c) => {
  const a = c.shape(0), b = c.shape(1);
  if (a.length !== 2 || b.length !== 2) fail(c.node, `its inputs [${a}] and [${b}] are not 2-D`);
  const [m, k] = intAttr(c.node, "transA", 0) ? [a[1], a[0]] : a;
  const [k2, n] = intAttr(c.node, "transB", 0) ? [b[1], b[0]] : b;
  if (k !== k2) fail(c.node, `its inner dims differ (${k} and ${k2})`);
  if (c.has(2)) broadcastShapes([m, n], c.shape(2));
  return [{ shape: [m, n] }];
};

/**
 * Output shape of a MatMul: numpy semantics (1-D operands promoted, batch dims broadcast).
 *
 * @throws {TypeError} When the inner dimensions differ or the batch dims do not broadcast.
 */
export function matmulShape(node: Node, a: readonly number[], b: readonly number[]): number[] {
  if (a.length === 0 || b.length === 0) fail(node, "an operand is a scalar");
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const k = a2[a2.length - 1], k2 = b2[b2.length - 2];
  if (k !== k2) fail(node, `its inner dims differ ([${a}] x [${b}])`);
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
  return [
    ...batch,
    ...(a.length === 1 ? [] : [a2[a2.length - 2]]),
    ...(b.length === 1 ? [] : [b2[b2.length - 1]]),
  ];
}

const matmul: ShapeRule = (c) => {
  const shape = matmulShape(c.node, c.shape(0), c.shape(1));
  return [{ shape, ...(c.node.opType === "MatMulInteger" ? { type: DataType.INT32 } : {}) }];
};

const layerNorm: ShapeRule = (c) => {
  const x = c.shape(0);
  const axis = axisOf(c.node, intAttr(c.node, "axis", -1), x.length);
  const stats = x.map((d, i) => (i < axis ? d : 1));
  const stash = intAttr(c.node, "stash_type", DataType.FLOAT);
  return [{ shape: x }, { shape: stats, type: stash }, { shape: stats, type: stash }];
};

const reduce: ShapeRule = (c) => {
  const x = c.shape(0);
  // axes: an attribute before opset 13 (ReduceSum) or 18 (the others), an input since
  const axes = intsFrom(c, 1, "axes", "axes");
  const keep = intAttr(c.node, "keepdims", 1) === 1;
  if (!axes?.length && intAttr(c.node, "noop_with_empty_axes", 0) === 1) return [{ shape: x }];
  const all = x.map((_, i) => i);
  const set = new Set((axes?.length ? axes : all).map((a) => axisOf(c.node, a, x.length)));
  return [{ shape: x.flatMap((d, i) => (set.has(i) ? (keep ? [1] : []) : [d])) }];
};

const argReduce: ShapeRule = (c) => {
  const x = c.shape(0);
  const axis = axisOf(c.node, intAttr(c.node, "axis", 0), x.length);
  const keep = intAttr(c.node, "keepdims", 1) === 1;
  const shape = x.flatMap((d, i) => (i === axis ? (keep ? [1] : []) : [d]));
  return [{ shape, type: DataType.INT64 }];
};

/** Values of optional input `i`; undefined when absent or empty (PyTorch writes empty scales). */
function optionalValues(c: RuleContext, i: number, what: string): readonly number[] | undefined {
  if (!c.has(i) || product(c.shape(i)) === 0) return undefined;
  return constInput(c, i, what);
}

const resize: ShapeRule = (c) => {
  const x = c.shape(0), node = c.node;
  const up = node.opType === "Upsample" || c.opset < 11;
  // Upsample and Resize-10: scales as input 1 (Upsample-7: a floats attribute); Resize-11+:
  // X, roi, scales, sizes, either of the last two possibly empty
  const attr = node.attributes.scales;
  const scales = up
    ? (c.has(1) ? constInput(c, 1, "scales") : attr?.type === "floats" ? attr.value : undefined)
    : optionalValues(c, 2, "scales");
  const sizes = up ? undefined : optionalValues(c, 3, "sizes");
  const axes = intsAttr(node, "axes", x.map((_, i) => i)).map((a) => axisOf(node, a, x.length));
  const out = [...x];
  if (sizes) {
    const policy = stringAttr(node, "keep_aspect_ratio_policy", "stretch");
    const ratios = axes.map((a, i) => sizes[i] / x[a]);
    const pick = policy === "not_larger" ? Math.min(...ratios) : Math.max(...ratios);
    axes.forEach((a, i) => {
      out[a] = policy === "stretch" ? sizes[i] : Math.round(pick * x[a]);
    });
  } else if (scales) {
    axes.forEach((a, i) => (out[a] = Math.floor(x[a] * scales[i])));
  } else {
    fail(node, "it has neither scales nor sizes");
  }
  return [{ shape: out }];
};

const depthToSpace: ShapeRule = (c) => {
  const [n, ch, h, w] = c.shape(0);
  const b = intAttr(c.node, "blocksize", 1);
  if (c.node.opType === "DepthToSpace") return [{ shape: [n, ch / (b * b), h * b, w * b] }];
  return [{ shape: [n, ch * b * b, Math.floor(h / b), Math.floor(w / b)] }];
};

const topK: ShapeRule = (c) => {
  const x = c.shape(0);
  const axis = axisOf(c.node, intAttr(c.node, "axis", -1), x.length);
  const k = c.has(1) ? constInput(c, 1, "K")[0] : intAttr(c.node, "k", 0); // input since 10
  const shape = x.map((d, i) => (i === axis ? k : d));
  return [{ shape }, { shape, type: DataType.INT64 }];
};

/** Shape rules of the network ops, by op type. */
export const NN_RULES: Readonly<Record<string, ShapeRule>> = {
  Conv: conv,
  ConvInteger: (c) => [{ ...conv(c)[0], type: DataType.INT32 }],
  ConvTranspose: convTranspose,
  MaxPool: pool,
  AveragePool: pool,
  LpPool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
  Gemm: gemm,
  MatMul: matmul,
  MatMulInteger: matmul,
  LayerNormalization: layerNorm,
  ...Object.fromEntries(
    (
      "ReduceMean ReduceSum ReduceMax ReduceMin ReduceProd ReduceL1 ReduceL2 ReduceLogSum " +
      "ReduceLogSumExp ReduceSumSquare"
    ).split(" ").map((op) => [op, reduce]),
  ),
  ArgMax: argReduce,
  ArgMin: argReduce,
  Resize: resize,
  Upsample: resize,
  DepthToSpace: depthToSpace,
  SpaceToDepth: depthToSpace,
  TopK: topK,
};
