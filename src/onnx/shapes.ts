/**
 * Static shape inference over the graph IR for the ops the stem uses.
 *
 * @module
 */
import type { Attribute, Graph, Node } from "./ir.ts";

/** Tensor name to static shape. */
export type ShapeMap = ReadonlyMap<string, readonly number[]>;

function intsAttr(node: Node, name: string, fallback: readonly number[]): readonly number[] {
  const a: Attribute | undefined = node.attributes[name];
  return a?.type === "ints" ? a.value : fallback;
}

function intAttr(node: Node, name: string, fallback: number): number {
  const a: Attribute | undefined = node.attributes[name];
  return a?.type === "int" ? a.value : fallback;
}

/** Numpy-style broadcast of two shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new TypeError(`Cannot broadcast shapes [${a}] and [${b}]`);
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

/**
 * Output shape of a Conv node (NCHW, explicit pads only).
 *
 * @throws {TypeError} When the channel counts do not fit the weight and groups.
 */
export function convOutputShape(
  node: Node,
  x: readonly number[],
  w: readonly number[],
): number[] {
  const [n, cin, h, wd] = x;
  const [cout, cinPerGroup, kh, kw] = w;
  const group = intAttr(node, "group", 1);
  if (cin !== cinPerGroup * group) {
    throw new TypeError(
      `Cannot infer shape of "${node.name}" as input has ${cin} channels but weight expects ${
        cinPerGroup * group
      }`,
    );
  }
  const [sh, sw] = intsAttr(node, "strides", [1, 1]);
  const [pt, pl, pb, pr] = intsAttr(node, "pads", [0, 0, 0, 0]);
  const [dh, dw] = intsAttr(node, "dilations", [1, 1]);
  const ho = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const wo = Math.floor((wd + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  return [n, cout, ho, wo];
}

function inferNode(node: Node, get: (name: string) => readonly number[]): number[] {
  switch (node.opType) {
    case "Conv":
      return convOutputShape(node, get(node.inputs[0]), get(node.inputs[1]));
    case "GlobalAveragePool": {
      const [n, c] = get(node.inputs[0]);
      return [n, c, 1, 1];
    }
    case "Add":
    case "Mul":
    case "Div":
    case "Sub":
      return broadcastShapes(get(node.inputs[0]), get(node.inputs[1]));
    case "Sum":
      return node.inputs.map((i) => [...get(i)]).reduce((a, b) => broadcastShapes(a, b));
    case "BatchNormalization":
    case "Relu":
    case "Sigmoid":
    case "Erf":
    case "Identity":
    case "Gelu":
      return [...get(node.inputs[0])];
    default:
      throw new TypeError(`Cannot infer shape of "${node.name}" as op "${node.opType}" is unknown`);
  }
}

/**
 * Infers the shape of every tensor in a graph (inputs, initializers, node outputs).
 *
 * @param graph A graph whose nodes are in topological order.
 * @returns A map from tensor name to shape.
 * @throws {TypeError} For an unknown op, a missing tensor or inconsistent shapes.
 */
export function inferShapes(graph: Graph): ShapeMap {
  const shapes = new Map<string, readonly number[]>();
  for (const i of graph.inputs) shapes.set(i.name, i.shape);
  for (const t of graph.initializers) shapes.set(t.name, t.dims);
  const get = (name: string) => {
    const s = shapes.get(name);
    if (!s) throw new TypeError(`Cannot infer shapes as tensor "${name}" is used before defined`);
    return s;
  };
  for (const node of graph.nodes) {
    const out = inferNode(node, get);
    shapes.set(node.outputs[0], out);
  }
  return shapes;
}
