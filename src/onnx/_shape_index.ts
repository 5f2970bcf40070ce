/**
 * Shape rules of the indexing ops (Split, Slice, Gather, GatherElements, GatherND, Expand, Tile),
 * folding the values of small constant tensors. Slice and Split read the attributes of older
 * opsets and the inputs of newer ones: an input when the node has it, else the attribute.
 * Private to src/onnx.
 *
 * @module
 */
import { broadcastSource, foldIndex, out, stridesOf } from "./_shape_fold.ts";
import {
  axisOf,
  broadcastShapes,
  constInput,
  fail,
  intAttr,
  intsFrom,
  type RuleContext,
  type ShapeRule,
} from "./_shape_kit.ts";

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/** Slices input 0 along `axes` with per-axis starts and steps, folding values when known. */
function sliced(
  c: RuleContext,
  shape: number[],
  axes: number[],
  starts: number[],
  steps: number[],
) {
  const x = c.shape(0), strides = stridesOf(x);
  const at = new Map(axes.map((a, i) => [a, i]));
  const values = foldIndex(shape, c.value(0), (o) =>
    o.reduce((s, v, a) => {
      const i = at.get(a);
      return s + (i === undefined ? v : starts[i] + v * steps[i]) * strides[a];
    }, 0));
  return out(shape, values);
}

const split: ShapeRule = (c) => {
  const x = c.shape(0);
  const axis = axisOf(c.node, intAttr(c.node, "axis", 0), x.length);
  const n = intAttr(c.node, "num_outputs", c.node.outputs.length);
  // sizes: an attribute before opset 13, an input since; else equal parts (opset 18: the last
  // part smaller when uneven)
  let sizes = intsFrom(c, 1, "split", "split");
  if (!sizes?.length) {
    const part = Math.ceil(x[axis] / n);
    sizes = Array.from({ length: n }, (_, i) => Math.min(part, x[axis] - i * part));
  }
  if (sizes.reduce((a, b) => a + b, 0) !== x[axis]) {
    fail(c.node, `[${sizes}] do not sum to ${x[axis]}`);
  }
  let start = 0;
  return sizes.map((size) => {
    const shape = x.map((d, i) => (i === axis ? size : d));
    start += size;
    return sliced(c, shape, [axis], [start - size], [1]);
  });
};

const slice: ShapeRule = (c) => {
  const x = c.shape(0), node = c.node;
  // opset < 10: starts, ends, axes attributes; since: inputs 1..4 (axes, steps optional)
  const starts = intsFrom(c, 1, "starts", "starts"), ends = intsFrom(c, 2, "ends", "ends");
  if (!starts || !ends || starts.length !== ends.length) fail(node, "its starts and ends differ");
  const axes = (intsFrom(c, 3, "axes", "axes") ?? starts.map((_, i) => i)).map((a) =>
    axisOf(node, a, x.length)
  );
  const steps = c.has(4) ? constInput(c, 4, "steps") : starts.map(() => 1);
  const shape = [...x], begin: number[] = [];
  axes.forEach((a, i) => {
    const d = x[a], step = steps[i];
    if (!step) fail(node, "a step is 0");
    let s = starts[i] < 0 ? starts[i] + d : starts[i];
    let e = ends[i] < 0 ? ends[i] + d : ends[i];
    [s, e] = step > 0
      ? [clamp(s, 0, d), clamp(e, 0, d)]
      : [clamp(s, 0, d - 1), clamp(e, -1, d - 1)];
    shape[a] = Math.max(0, Math.ceil((e - s) / step));
    begin.push(s);
  });
  return [sliced(c, shape, axes, begin, [...steps])];
};

const gather: ShapeRule = (c) => {
  const data = c.shape(0), indices = c.shape(1);
  const axis = axisOf(c.node, intAttr(c.node, "axis", 0), data.length);
  const shape = [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)];
  const idx = c.value(1), strides = stridesOf(data), k = indices.length;
  const values = idx && foldIndex(shape, c.value(0), (o) => {
    let flat = 0;
    for (let a = 0; a < axis; a++) flat += o[a] * strides[a];
    const j = idx[o.slice(axis, axis + k).reduce((s, v, i) => s * indices[i] + v, 0)];
    flat += (j < 0 ? j + data[axis] : j) * strides[axis];
    for (let a = axis + 1; a < data.length; a++) flat += o[a - 1 + k] * strides[a];
    return flat;
  });
  return [out(shape, values)];
};

const gatherND: ShapeRule = (c) => {
  const data = c.shape(0), indices = c.shape(1), b = intAttr(c.node, "batch_dims", 0);
  const last = indices[indices.length - 1];
  return [out([...indices.slice(0, -1), ...data.slice(b + last)])];
};

const expand: ShapeRule = (c) => {
  const x = c.shape(0);
  const shape = broadcastShapes(x, constInput(c, 1, "shape"));
  return [out(shape, foldIndex(shape, c.value(0), broadcastSource(x, shape.length)))];
};

const tile: ShapeRule = (c) => {
  const x = c.shape(0), repeats = constInput(c, 1, "repeats"), strides = stridesOf(x);
  const shape = x.map((d, i) => d * repeats[i]);
  const values = foldIndex(
    shape,
    c.value(0),
    (o) => o.reduce((s, v, a) => s + (v % x[a]) * strides[a], 0),
  );
  return [out(shape, values)];
};

/** Shape rules of the indexing ops, by op type. */
export const INDEX_RULES: Readonly<Record<string, ShapeRule>> = {
  Split: split,
  Slice: slice,
  Gather: gather,
  GatherElements: (c) => [out(c.shape(1))],
  GatherND: gatherND,
  Expand: expand,
  Tile: tile,
};
