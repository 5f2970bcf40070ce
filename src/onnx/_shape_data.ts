/**
 * Shape rules of the data-movement and shape-computing ops (Shape, Constant, Reshape, Flatten,
 * Transpose, Concat, Squeeze, Unsqueeze, Pad, Range, ...), folding the values of small constant
 * tensors so that the Reshape and Flatten chains PyTorch writes resolve. Attributes of older
 * opsets and inputs of newer ones are both read: an input when the node has it, else the
 * attribute. Private to src/onnx.
 *
 * @module
 */
import {
  constantNodeValue,
  DataType,
  MAX_FOLDED_ELEMENTS,
  tensorType,
  tensorValues,
} from "./_values.ts";
import { foldIndex, out, stridesOf } from "./_shape_fold.ts";
import {
  axisOf,
  constInput,
  fail,
  intAttr,
  intsAttr,
  intsFrom,
  product,
  type RuleContext,
  type ShapeRule,
} from "./_shape_kit.ts";

const shapeOp: ShapeRule = (c) => {
  const x = c.shape(0), r = x.length;
  const norm = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const dims = x.slice(norm(intAttr(c.node, "start", 0)), norm(intAttr(c.node, "end", r)));
  return [out([dims.length], dims, DataType.INT64)];
};

const constant: ShapeRule = (c) => {
  const v = constantNodeValue(c.node);
  return [out(v.dims, v.values, v.dataType)];
};

const constantOfShape: ShapeRule = (c) => {
  const shape = constInput(c, 0, "shape");
  const attr = c.node.attributes.value;
  const fill = attr?.type === "tensor"
    ? { type: tensorType(attr.value), value: tensorValues(attr.value, 1)?.[0] }
    : { type: DataType.FLOAT, value: 0 };
  const n = product(shape);
  const values = fill.value !== undefined && n <= MAX_FOLDED_ELEMENTS
    ? new Array<number>(n).fill(fill.value)
    : undefined;
  return [out(shape, values, fill.type)];
};

/**
 * Reshape's output shape: 0 copies the input dim (unless `allowzero`), one -1 takes the rest.
 *
 * @throws {TypeError} When the element counts differ or more than one dim is -1.
 */
function reshapeTarget(c: RuleContext, x: readonly number[], target: readonly number[]): number[] {
  const zeroCopies = intAttr(c.node, "allowzero", 0) === 0;
  const shape = target.map((d, i) => {
    if (d !== 0 || !zeroCopies) return d;
    if (i >= x.length) fail(c.node, `its target [${target}] copies dim ${i} of [${x}]`);
    return x[i];
  });
  const holes = shape.filter((d) => d === -1).length;
  const known = product(shape.filter((d) => d !== -1));
  if (holes > 1) fail(c.node, `its target [${target}] has more than one -1`);
  if (holes === 1) {
    const rest = product(x) / known;
    if (!Number.isInteger(rest)) fail(c.node, `[${x}] does not reshape to [${target}]`);
    shape[shape.indexOf(-1)] = rest;
  }
  if (product(shape) !== product(x)) fail(c.node, `[${x}] does not reshape to [${target}]`);
  return shape;
}

const reshape: ShapeRule = (c) => {
  const target = intsFrom(c, 1, "shape", "shape"); // an attribute before opset 5
  if (!target) fail(c.node, "it has no target shape");
  return [out(reshapeTarget(c, c.shape(0), target), c.value(0))];
};

const flatten: ShapeRule = (c) => {
  const x = c.shape(0);
  const given = intAttr(c.node, "axis", 1); // in [-rank, rank]
  const axis = given < 0 ? axisOf(c.node, given, x.length) : given;
  if (axis > x.length) fail(c.node, `axis ${given} is out of range for rank ${x.length}`);
  return [out([product(x.slice(0, axis)), product(x.slice(axis))], c.value(0))];
};

const transpose: ShapeRule = (c) => {
  const x = c.shape(0);
  const perm = intsAttr(c.node, "perm", x.map((_, i) => x.length - 1 - i));
  const shape = perm.map((p) => x[axisOf(c.node, p, x.length)]);
  const strides = stridesOf(x);
  const values = foldIndex(
    shape,
    c.value(0),
    (o) => o.reduce((s, v, i) => s + v * strides[perm[i]], 0),
  );
  return [out(shape, values)];
};

const concat: ShapeRule = (c) => {
  const inputs = c.node.inputs.map((_, i) => c.shape(i));
  const rank = inputs[0].length;
  const axis = axisOf(c.node, intAttr(c.node, "axis", 0), rank);
  const shape = [...inputs[0]];
  shape[axis] = 0;
  for (const s of inputs) {
    if (s.length !== rank || s.some((d, i) => i !== axis && d !== inputs[0][i])) {
      fail(c.node, `its inputs [${inputs.map((s) => `[${s}]`)}] differ off axis ${axis}`);
    }
    shape[axis] += s[axis];
  }
  const all = inputs.map((_, i) => c.value(i));
  let values: number[] | undefined;
  if (all.every((v) => v) && product(shape) <= MAX_FOLDED_ELEMENTS) {
    const outer = product(shape.slice(0, axis));
    values = [];
    for (let o = 0; o < outer; o++) {
      inputs.forEach((s, i) => {
        const chunk = product(s.slice(axis));
        values!.push(...all[i]!.slice(o * chunk, (o + 1) * chunk));
      });
    }
  }
  return [out(shape, values)];
};

const squeeze: ShapeRule = (c) => {
  const x = c.shape(0);
  const axes = intsFrom(c, 1, "axes", "axes"); // an attribute before opset 13
  const drop = new Set(
    axes?.length
      ? axes.map((a) => axisOf(c.node, a, x.length))
      : x.flatMap((d, i) => (d === 1 ? [i] : [])),
  );
  for (const a of drop) if (x[a] !== 1) fail(c.node, `dim ${a} of [${x}] is not 1`);
  return [out(x.filter((_, i) => !drop.has(i)), c.value(0))];
};

const unsqueeze: ShapeRule = (c) => {
  const x = c.shape(0);
  const axes = intsFrom(c, 1, "axes", "axes"); // an attribute before opset 13
  if (!axes) fail(c.node, "it has no axes");
  const rank = x.length + axes.length;
  const ones = new Set(axes.map((a) => axisOf(c.node, a, rank)));
  const shape: number[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) shape.push(ones.has(i) ? 1 : x[next++]);
  return [out(shape, c.value(0))];
};

const pad: ShapeRule = (c) => {
  const x = c.shape(0);
  // pads: attribute "paddings" (opset 1), "pads" (2..10), input 1 (11+); axes input 3 (18+)
  const pads = c.has(1)
    ? constInput(c, 1, "pads")
    : intsAttr(c.node, "pads", intsAttr(c.node, "paddings", undefined));
  if (!pads) fail(c.node, "it has no pads");
  const axes = (c.has(3) ? constInput(c, 3, "axes") : x.map((_, i) => i)).map((a) =>
    axisOf(c.node, a, x.length)
  );
  const shape = [...x];
  axes.forEach((a, i) => (shape[a] += pads[i] + pads[i + axes.length]));
  return [out(shape)];
};

const range: ShapeRule = (c) => {
  const [start] = constInput(c, 0, "start"), [limit] = constInput(c, 1, "limit");
  const [delta] = constInput(c, 2, "delta");
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  return [
    out([n], Array.from({ length: Math.min(n, MAX_FOLDED_ELEMENTS) }, (_, i) => start + i * delta)),
  ];
};

const dataDependent: ShapeRule = (c) => fail(c.node, "its output shape depends on the data");

/** Shape rules of the data-movement and shape-computing ops, by op type. */
export const DATA_RULES: Readonly<Record<string, ShapeRule>> = {
  Shape: shapeOp,
  Size: (c) => [out([], [product(c.shape(0))], DataType.INT64)],
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Concat: concat,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Pad: pad,
  Range: range,
  NonZero: dataDependent,
  Unique: dataDependent,
  Compress: dataDependent,
  NonMaxSuppression: dataDependent,
};
