/**
 * What the fusion knows about a graph before planning: producers and consumers of each tensor,
 * float32 constants (initializers and Constant nodes), shapes and areas, names that subgraphs
 * may reference, and the MAC count of each original node.
 *
 * @module
 */
import type { Graph, Node } from "../../onnx/ir.ts";
import { inferShapeInfo, type ShapeInfo } from "./_shapes.ts";

/** Options of the fusion. */
export interface FuseOptions {
  /** Merge conv-of-conv sequences when that is exact and no more expensive. @default true */
  readonly sequences?: boolean;
  /** Remove Identity nodes and Adds / Subs of zero anywhere in the graph. @default true */
  readonly tidy?: boolean;
}

/** A float32 constant tensor. */
export interface Constant {
  /** Its shape. */
  readonly dims: readonly number[];
  /** Its values, row-major. */
  readonly data: Float32Array;
}

/** The graph index the planner reads. */
export interface Context {
  /** The graph being fused. */
  readonly graph: Graph;
  /** Options, defaults filled in. */
  readonly options: Required<FuseOptions>;
  /** Shapes and areas of its tensors. */
  readonly shapes: ShapeInfo;
  /** The node that writes each tensor. */
  readonly producer: ReadonlyMap<string, Node>;
  /** The distinct nodes that read each tensor, in graph order. */
  readonly consumers: ReadonlyMap<string, readonly Node[]>;
  /** How many node inputs name each tensor (a node reading it twice counts twice). */
  readonly uses: ReadonlyMap<string, number>;
  /** Names of the graph outputs. */
  readonly outputs: ReadonlySet<string>;
  /** Tensor names that appear inside opaque attributes (subgraphs): never removed or renamed. */
  readonly external: ReadonlySet<string>;
  /** The float32 constant behind a tensor name, if it is one. */
  constant(name: string): Constant | undefined;
  /** Channel count (dim 1) of a tensor when known. */
  channels(name: string): number | undefined;
  /** False when the graph declares the tensor of another element type than float32. */
  float(name: string): boolean;
  /** MACs of an original node (Conv, BatchNormalization, Add, Sub, Mul, Div; 0 otherwise). */
  nodeCost(node: Node): number;
}

/** A Constant node's float32 value (`value` tensor, `value_float`, `value_floats`). */
function constantValue(node: Node): Constant | undefined {
  const a = node.attributes;
  if (a.value?.type === "tensor" && "data" in a.value.value) {
    return { dims: a.value.value.dims, data: a.value.value.data };
  }
  if (a.value_float?.type === "float") {
    return { dims: [], data: new Float32Array([a.value_float.value]) };
  }
  if (a.value_floats?.type === "floats") {
    return { dims: [a.value_floats.value.length], data: Float32Array.from(a.value_floats.value) };
  }
  return undefined;
}

/** Throws unless every node input is defined before use and every tensor written once. */
function checkOrder(graph: Graph): void {
  const defined = new Set<string>([
    ...graph.inputs.map((i) => i.name),
    ...graph.initializers.map((t) => t.name),
    ...(graph.otherInitializers ?? []).map((t) => t.name),
  ]);
  for (const node of graph.nodes) {
    for (const i of node.inputs) {
      if (i && !defined.has(i)) {
        throw new TypeError(
          `Cannot fuse graph as tensor "${i}" is used by "${node.name}" before it is defined`,
        );
      }
    }
    for (const o of node.outputs) {
      if (o && defined.has(o)) {
        throw new TypeError(`Cannot fuse graph as tensor "${o}" is written twice`);
      }
      if (o) defined.add(o);
    }
  }
}

/** Tensor names mentioned in opaque attributes (graph-valued attributes read outer names). */
function externalNames(graph: Graph, names: Iterable<string>): Set<string> {
  const texts: string[] = [];
  const decoder = new TextDecoder();
  for (const node of graph.nodes) {
    for (const a of Object.values(node.attributes)) {
      if (a.type === "opaque") texts.push(decoder.decode(a.bytes));
    }
  }
  const out = new Set<string>();
  if (texts.length === 0) return out;
  for (const name of names) if (texts.some((t) => t.includes(name))) out.add(name);
  return out;
}

/**
 * Indexes a graph for fusion.
 *
 * @param graph The graph, topologically ordered.
 * @param options Fusion options.
 * @returns The context.
 * @throws {TypeError} When a tensor is used before it is defined or written twice.
 */
export function buildContext(graph: Graph, options: FuseOptions = {}): Context {
  checkOrder(graph);
  const inputs = new Set(graph.inputs.map((i) => i.name));
  const constants = new Map<string, Constant>();
  for (const t of graph.initializers) if (!inputs.has(t.name)) constants.set(t.name, t);
  const producer = new Map<string, Node>();
  const consumers = new Map<string, Node[]>();
  const uses = new Map<string, number>();
  for (const node of graph.nodes) {
    for (const o of node.outputs) if (o) producer.set(o, node);
    const value = node.opType === "Constant" ? constantValue(node) : undefined;
    if (value && node.outputs[0]) constants.set(node.outputs[0], value);
    for (const i of node.inputs) {
      if (!i) continue;
      uses.set(i, (uses.get(i) ?? 0) + 1);
      const list = consumers.get(i) ?? [];
      if (list.at(-1) !== node) list.push(node);
      consumers.set(i, list);
    }
  }
  const constDims = new Map([...constants].map(([k, v]) => [k, v.dims] as const));
  const shapes = inferShapeInfo(graph, constDims);
  const names = new Set([...inputs, ...producer.keys(), ...constants.keys()]);
  const channels = (name: string) => {
    const s = shapes.shape(name);
    return s && s.length >= 2 && s[1] > 0 ? s[1] : undefined;
  };
  const declared = [...graph.inputs, ...graph.outputs, ...(graph.valueInfo ?? [])];
  const notFloat = new Set(declared.filter((v) => (v.elemType ?? 1) !== 1).map((v) => v.name));
  const costs = new Map<Node, number>();
  const nodeCost = (node: Node): number => {
    const known = costs.get(node);
    if (known !== undefined) return known;
    const out = node.outputs[0];
    const w = node.opType === "Conv" ? constants.get(node.inputs[1]) : undefined;
    const perOutput = w ? w.dims.slice(1).reduce((a, b) => a * b, 1) : 1;
    const c = w ? w.dims[0] : channels(out) ?? 0;
    const counted = w || ["BatchNormalization", "Add", "Sub", "Mul", "Div"].includes(node.opType);
    const cost = counted && out ? c * shapes.area(out) * perOutput : 0;
    costs.set(node, cost);
    return cost;
  };
  return {
    graph,
    options: { sequences: options.sequences ?? true, tidy: options.tidy ?? true },
    shapes,
    producer,
    consumers,
    uses,
    outputs: new Set(graph.outputs.map((o) => o.name)),
    external: externalNames(graph, names),
    constant: (name) => constants.get(name),
    channels,
    float: (name) => !notFloat.has(name),
    nodeCost,
  };
}
