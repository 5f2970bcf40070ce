/**
 * A small forward shape inference for the fusion's own needs: ranks and channel counts (to build
 * identity maps and check constants), output sizes (to reject broadcasting sums) and spatial
 * areas (to count MACs). Unknown dims are -1; ops it does not know take the declared shape, if any.
 *
 * Where a spatial size is unknown the area is relative: a conv or pool divides its input's area
 * by its strides, other ops keep the largest input area, and a tensor with no known ancestry
 * counts as 1. Costs compared within one fusion decision then stay consistent.
 *
 * @module
 */
import type { Graph, Node } from "../../onnx/ir.ts";
import { inferShapesPartial } from "../../onnx/shapes.ts";

/** Shapes and areas of a graph's tensors. */
export interface ShapeInfo {
  /** The shape, -1 where a dim is unknown; undefined when even the rank is unknown. */
  shape(name: string): readonly number[] | undefined;
  /** Spatial positions (H * W of an NCHW tensor), exact or relative (see the module doc). */
  area(name: string): number;
  /** Whether the area is the exact H * W of a known shape. */
  exact(name: string): boolean;
}

const SAME_SHAPE = new Set(
  ("BatchNormalization Identity Relu LeakyRelu Sigmoid HardSigmoid HardSwish Tanh Erf Gelu Elu " +
    "Selu Celu Softplus Softsign Exp Log Sqrt Neg Abs Reciprocal Clip Dropout Cast Floor Ceil " +
    "Round Sign Mish InstanceNormalization LRN Softmax LogSoftmax Not Sin Cos " +
    "LayerNormalization GroupNormalization ThresholdedRelu Shrink").split(" "),
);
const BROADCAST = new Set(
  "Add Sub Mul Div Pow Max Min Sum Mean PRelu Where Equal Less Greater And Or Xor Mod".split(" "),
);
const POOLS = new Set(["MaxPool", "AveragePool", "LpPool"]);
const GLOBAL_POOLS = new Set(["GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"]);

/** Numpy broadcast with -1 for unknown dims; undefined when the shapes do not broadcast. */
export function broadcast(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === 1 || x === y) out.push(y);
    else if (y === 1 || y === -1) out.push(x);
    else if (x === -1) out.push(y);
    else return undefined;
  }
  return out;
}

function ints(node: Node, name: string, fallback: readonly number[]): readonly number[] {
  const a = node.attributes[name];
  return a?.type === "ints" ? a.value : fallback;
}

function int(node: Node, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a?.type === "int" ? a.value : fallback;
}

/** Output sizes of a sliding window (Conv or pool) over the spatial dims of `x`. */
function window(node: Node, x: readonly number[], kernel: readonly number[]): number[] {
  const n = x.length - 2;
  const strides = ints(node, "strides", Array(n).fill(1));
  const dil = ints(node, "dilations", Array(n).fill(1));
  const pads = ints(node, "pads", Array(2 * n).fill(0));
  const auto = node.attributes.auto_pad;
  const mode = auto?.type === "string" ? auto.value : "NOTSET";
  const ceil = int(node, "ceil_mode", 0) === 1;
  return x.slice(2).map((h, i) => {
    if (h < 0) return -1;
    if (mode === "SAME_UPPER" || mode === "SAME_LOWER") return Math.ceil(h / strides[i]);
    const span = (kernel[i] - 1) * dil[i] + 1;
    const total = h + (mode === "VALID" ? 0 : pads[i] + pads[i + n]) - span;
    return (ceil ? Math.ceil(total / strides[i]) : Math.floor(total / strides[i])) + 1;
  });
}

/** One node's first output shape, or undefined when the rule does not know it. */
function rule(node: Node, ins: readonly (readonly number[] | undefined)[]): number[] | undefined {
  const [x, w] = ins;
  const op = node.opType;
  if (op === "Conv" && x && w && x.length === w.length && x.length >= 3) {
    return [x[0], w[0], ...window(node, x, w.slice(2))];
  }
  if (POOLS.has(op) && x && x.length >= 3) {
    return [x[0], x[1], ...window(node, x, ints(node, "kernel_shape", []))];
  }
  if (GLOBAL_POOLS.has(op) && x && x.length >= 3) return [x[0], x[1], ...x.slice(2).map(() => 1)];
  if (SAME_SHAPE.has(op) && x) return [...x];
  if (BROADCAST.has(op) && ins.length > 0 && ins.every((s) => s !== undefined)) {
    let out: number[] | undefined = [...ins[0]!];
    for (const s of ins.slice(1)) out = out && broadcast(out, s!);
    return out;
  }
  if (op === "Concat" && x && ins.every((s) => s?.length === x.length)) {
    const axis = (int(node, "axis", 1) + x.length) % x.length;
    const sizes = ins.map((s) => s![axis]);
    const total = sizes.some((d) => d < 0) ? -1 : sizes.reduce((a, b) => a + b, 0);
    return x.map((d, i) => (i === axis ? total : d));
  }
  return undefined;
}

/** Fills the unknown dims of `inferred` from a declared shape of the same rank. */
function mergeDeclared(
  inferred: number[] | undefined,
  declared: readonly number[] | undefined,
): readonly number[] | undefined {
  if (!inferred) return declared;
  if (!declared || declared.length !== inferred.length) return inferred;
  return inferred.map((d, i) => (d < 0 ? declared[i] : d));
}

const spatial = (s: readonly number[] | undefined) =>
  s && s.length >= 3 && s.slice(2).every((d) => d > 0) ? s.slice(2).reduce((a, b) => a * b) : 0;

/**
 * Shapes from the project's full shape inference (130+ ops), for the ops the rules above do not
 * know (ReduceMean of a squeeze-excite, Reshape, Resize, Split, ...), so that one unknown op does
 * not blind the fusion downstream. Dynamic input dims are filled with two different sets of
 * sentinel sizes: a dim that comes out equal in both runs does not depend on them and is known,
 * one that differs is dynamic (-1).
 */
function projectedShapes(graph: Graph): ReadonlyMap<string, readonly number[]> {
  const run = (sentinels: readonly number[]) => {
    let k = 0;
    const inputShapes = new Map(
      graph.inputs.filter((i) => !i.unranked).map((i) => [
        i.name,
        i.shape.map((d) => (d >= 0 ? d : sentinels[k++ % sentinels.length])),
      ]),
    );
    try {
      return inferShapesPartial(graph, { inputShapes, partial: true }).shapes;
    } catch {
      return new Map<string, readonly number[]>();
    }
  };
  const a = run([1009, 1013, 1019, 1021]);
  const b = run([2003, 2011, 2017, 2027]);
  const out = new Map<string, readonly number[]>();
  for (const [name, s] of a) {
    const t = b.get(name);
    if (t && t.length === s.length) out.set(name, s.map((d, i) => (d === t[i] ? d : -1)));
  }
  return out;
}

/**
 * Infers shapes and areas of every tensor of a graph in topological order.
 *
 * @param graph The graph.
 * @param constantDims Dims of constant tensors that are not initializers (Constant nodes).
 * @returns Shape and area look-ups.
 */
export function inferShapeInfo(
  graph: Graph,
  constantDims: ReadonlyMap<string, readonly number[]>,
): ShapeInfo {
  const shapes = new Map<string, readonly number[]>(constantDims);
  const area = new Map<string, number>();
  const declared = new Map<string, readonly number[]>();
  for (const v of [...(graph.valueInfo ?? []), ...graph.outputs]) {
    if (!v.unranked) declared.set(v.name, v.shape);
  }
  for (const t of [...graph.initializers, ...(graph.otherInitializers ?? [])]) {
    shapes.set(t.name, t.dims);
  }
  for (const i of graph.inputs) {
    if (!i.unranked) shapes.set(i.name, i.shape);
    area.set(i.name, spatial(i.shape) || 1);
  }
  let projected: ReadonlyMap<string, readonly number[]> | undefined;
  const fallback = (name: string) => (projected ??= projectedShapes(graph)).get(name);
  for (const node of graph.nodes) {
    const out = node.outputs[0];
    if (!out || shapes.has(out)) continue;
    const inferred = rule(node, node.inputs.map((i) => shapes.get(i))) ??
      (fallback(out) ? [...fallback(out)!] : undefined);
    const s = mergeDeclared(inferred, declared.get(out));
    if (s) shapes.set(out, s);
    const inAreas = node.inputs.map((i) => area.get(i) ?? 0);
    const strides = ints(node, "strides", []).reduce((a, b) => a * b, 1);
    const derived = node.opType === "Conv" || POOLS.has(node.opType)
      ? (inAreas[0] || 1) / strides
      : GLOBAL_POOLS.has(node.opType)
      ? 1
      // other ops keep the largest area among their activation inputs (constants have none)
      : Math.max(0, ...inAreas) || 1;
    area.set(out, spatial(s) || derived);
  }
  return {
    shape: (name) => shapes.get(name),
    area: (name) => area.get(name) ?? (spatial(shapes.get(name)) || 1),
    exact: (name) => spatial(shapes.get(name)) > 0,
  };
}
