/**
 * Static counts over a graph, one rule per op type: parameters, buffers, MACs, FLOPs and memory
 * traffic, per node, per block and for the whole graph: of the harness's stems and of any ONNX
 * model a user exports. Pure arithmetic on inferred shapes: no weight is read beyond its length.
 *
 * Conventions (also in {@linkcode COUNTING_CONVENTIONS}, which results carry):
 * - One FLOP is one scalar add, multiply, divide or comparison (max, min); a multiply-accumulate
 *   (MAC) is 2 FLOPs; a transcendental (exp, erf, tanh, sqrt) counts 1 by convention.
 * - MACs: Conv `N * Cout * Hout * Wout * (Cin / groups) * kh * kw` (batch N included, as papers
 *   and timm count them; any number of spatial dims), ConvTranspose `N * Cin * Hin * Win *
 *   (Cout / groups) * kh * kw`, Gemm `M * N * K`, MatMul `batch * M * N * K` (batch broadcast).
 *   FLOPs `conv` = 2 * MACs. Conv, ConvTranspose and Gemm biases are elementwise work.
 * - Elementwise FLOPs per output element: BatchNormalization 2; LayerNormalization,
 *   InstanceNormalization, GroupNormalization 7 (6 without bias); Softmax, LogSoftmax 5; Conv and
 *   Gemm bias 1 (Gemm alpha != 1 and beta != 1 one more each); Add/Sub/Mul/Div/Pow/Mod,
 *   comparisons, Where 1; Relu, Sigmoid, Tanh, Erf, Gelu and other one-input activations and
 *   math ops 1; Clip 2; Mish 3; HardSigmoid 4; HardSwish 5; Sum/Max/Min (inputs - 1), Mean
 *   inputs; Resize nearest 0, linear 7, cubic 31. Pools: MaxPool/AveragePool/LpPool kernel
 *   elements per output element; GlobalAveragePool/GlobalMaxPool 1 per input element; Reduce*
 *   and ArgMax/ArgMin/TopK 1 per input element (ReduceL1, ReduceL2, ReduceSumSquare,
 *   ReduceLogSumExp 2). Data movement (Reshape, Transpose, Concat, Split, Slice, Gather, Flatten,
 *   Squeeze, Unsqueeze, Expand, Tile, Pad, Cast, Identity, Dropout, Shape, Constant, ...) 0.
 *   Any node whose outputs shape inference folds to constants (the Shape -> Gather -> Concat
 *   chains that compute shapes) 0.
 * - Constant tensors (initializers, Constant nodes' values) count once, at the first node reading
 *   them: non-float ones are constants; BatchNormalization mean and var are buffers; weights and
 *   biases of Conv, ConvTranspose, Gemm, BatchNormalization, LayerNormalization,
 *   InstanceNormalization, GroupNormalization and PRelu's slope are parameters; settings (Resize
 *   scales, Clip bounds, Pad values, ...) and float tensors of at most 1 element (the GELU
 *   scalars) are constants; every other float tensor (MatMul weights, layer-scale factors) is a
 *   parameter.
 * - Bytes: `elementBytes` per float32 element (4 by default); other element types their own size
 *   (int64 8, float16 2, bool 1). A node reads each distinct input (activations and constants)
 *   and writes its outputs; naive sums that over nodes (upper bound), minimum counts what a set
 *   of nodes must move with an unbounded cache (lower bound), cached simulates an LRU write-back
 *   cache of `cacheBytes` (in between).
 * - A node that has no rule, or whose shapes cannot be inferred, counts 0 MACs and FLOPs and is
 *   listed in `uncounted`; tensors without a shape count 0 bytes.
 *
 * @example
 * ```ts
 * import { countGraph } from "./counts.ts";
 * const counts = countGraph({
 *   name: "g", opset: 17,
 *   inputs: [{ name: "x", shape: [1, 2, 4, 4] }], outputs: [{ name: "y", shape: [1, 2, 4, 4] }],
 *   initializers: [],
 *   nodes: [{ name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"], attributes: {} }],
 * }, { cacheBytes: 0 });
 * if (counts.total.flops.elementwise !== 32 || counts.total.bytes.naive !== 256) throw new Error();
 * ```
 *
 * @module
 */
import { type Graph, type Node, numel } from "../onnx/ir.ts";
import { inferShapesPartial, resolveInputShapes } from "../onnx/shapes.ts";
import { DataType, elementSize } from "../onnx/_values.ts";
import { attributeConstants, COUNT_RULES, type Roles, type Work } from "./_count_rules.ts";
import {
  distinctInputs,
  minimumTraffic,
  nodeOutputs,
  simulateCache,
  type SizeOf,
} from "./_traffic.ts";

export { COUNTING_CONVENTIONS } from "./_conventions.ts";

/** Options of {@linkcode countGraph}. */
export interface CountOptions {
  /** Capacity in bytes of the simulated last-level cache (0 gives naive; Infinity allowed). */
  readonly cacheBytes: number;
  /** Bytes per float32 element (other element types count at their own size). @default 4 */
  readonly elementBytes?: number;
  /** Full shapes of graph inputs with dynamic dims (the CLI's `--shape`). */
  readonly inputShapes?: ReadonlyMap<string, readonly number[]>;
}

/** FLOPs, split so MAC FLOPs read like papers' MACs (times 2). */
export interface FlopCounts {
  /** 2 * MACs (of Conv, ConvTranspose, Gemm and MatMul; the name predates the latter). */
  readonly conv: number;
  /** Per-element work of the rules in {@linkcode COUNTING_CONVENTIONS}. */
  readonly elementwise: number;
  /** conv + elementwise. */
  readonly total: number;
}

/** Memory traffic of one node, in bytes. */
export interface NodeBytes {
  /** Every distinct input, activations and initializers alike. */
  readonly read: number;
  /** Every output. */
  readonly written: number;
  /** read + written. */
  readonly naive: number;
  /** Off-chip bytes the cache simulation attributes to this node. */
  readonly cached: number;
}

/** Counts of one node. */
export interface NodeCounts {
  readonly node: string;
  readonly opType: string;
  /** Block of the node's tag; null for an untagged node. */
  readonly block: number | null;
  /** Branch of the node's tag; null for an untagged node. */
  readonly branch: string | null;
  /** Learnable elements first read here (see {@linkcode COUNTING_CONVENTIONS}). */
  readonly params: number;
  /** BN running mean and var elements first read here. */
  readonly buffers: number;
  /** Conv, ConvTranspose, Gemm and MatMul multiply-accumulates; 0 for other ops. */
  readonly macs: number;
  readonly flops: FlopCounts;
  readonly bytes: NodeBytes;
  /** Shape of the first output; empty when it has none inferred (the node is then uncounted). */
  readonly outputShape: number[];
  /** flops.total / bytes.naive (0 when nothing moves). */
  readonly arithmeticIntensity: number;
}

/** Sums over a set of nodes. */
export interface Totals {
  readonly params: number;
  readonly buffers: number;
  /** Elements of other constant tensors (the GELU scalars, int64 shapes), at their first reader. */
  readonly constants: number;
  readonly macs: number;
  readonly flops: FlopCounts;
  readonly bytes: {
    /** Sum of the nodes' naive bytes. */
    readonly naive: number;
    /** The set run alone with an unbounded cache: what it reads from outside and what leaves. */
    readonly minimum: number;
    /** Sum of the nodes' cached bytes. */
    readonly cached: number;
  };
  /** Op type to node count (uncounted nodes included). */
  readonly nodes: Record<string, number>;
}

/** A node counted as 0 MACs and 0 FLOPs, and why. */
export interface UncountedNode {
  readonly node: string;
  readonly opType: string;
  readonly reason: string;
}

/** Counts of a whole graph. */
export interface GraphCounts {
  /** One entry per node, in graph order. */
  readonly nodes: NodeCounts[];
  /** One entry per tagged block, in block order; untagged nodes are in none. */
  readonly blocks: Array<{ readonly block: number } & Totals>;
  readonly total: Totals;
  /** Nodes without a counting rule or an inferred shape, in graph order (empty for the stems). */
  readonly uncounted: UncountedNode[];
}

function checkOption(name: string, value: number, positive: boolean): void {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0 || (positive && value === 0)) {
    const what = positive ? "a positive number" : "a non-negative number";
    throw new RangeError(
      `Cannot count graph as '${name}' must be ${what}: current value is ${value}`,
    );
  }
}

function sumTotals(nodes: readonly NodeCounts[], constants: number, minimum: number): Totals {
  const sum = (f: (n: NodeCounts) => number) => nodes.reduce((s, n) => s + f(n), 0);
  const histogram: Record<string, number> = {};
  for (const n of nodes) histogram[n.opType] = (histogram[n.opType] ?? 0) + 1;
  const conv = sum((n) => n.flops.conv);
  const elementwise = sum((n) => n.flops.elementwise);
  return {
    params: sum((n) => n.params),
    buffers: sum((n) => n.buffers),
    constants,
    macs: sum((n) => n.macs),
    flops: { conv, elementwise, total: conv + elementwise },
    bytes: { naive: sum((n) => n.bytes.naive), minimum, cached: sum((n) => n.bytes.cached) },
    nodes: histogram,
  };
}

interface Context {
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  readonly folded: (node: Node) => boolean;
  readonly sizeOf: SizeOf;
}

/** The node's work, or why it has none. */
function workOf(node: Node, ctx: Context): Work | string {
  const rule = COUNT_RULES[node.opType];
  if (!rule) return `op "${node.opType}" has no counting rule`;
  if (ctx.folded(node)) return { macs: 0, elementwise: 0 };
  const shape = (t: string) => (t === "" ? undefined : ctx.shapes.get(t));
  try {
    return rule(node.inputs.map(shape), node.outputs.map(shape), node);
  } catch (e) {
    return `its counting rule failed: ${e instanceof Error ? e.message : e}`;
  }
}

function countNode(node: Node, roles: Roles, cached: number, work: Work, ctx: Context): NodeCounts {
  const conv = 2 * work.macs;
  const total = conv + work.elementwise;
  const read = distinctInputs(node).reduce((s, t) => s + ctx.sizeOf(t), 0);
  const written = nodeOutputs(node).reduce((s, t) => s + ctx.sizeOf(t), 0);
  const naive = read + written;
  return {
    node: node.name,
    opType: node.opType,
    block: node.tag?.block ?? null,
    branch: node.tag?.branch ?? null,
    params: roles.params,
    buffers: roles.buffers,
    macs: work.macs,
    flops: { conv, elementwise: work.elementwise, total },
    bytes: { read, written, naive, cached },
    outputShape: [...(ctx.shapes.get(node.outputs[0]) ?? [])],
    arithmeticIntensity: naive > 0 ? total / naive : 0,
  };
}

/**
 * Counts parameters, buffers, MACs, FLOPs and memory traffic of a graph, per node, per block
 * (from the nodes' tags) and in total, by the rules of {@linkcode COUNTING_CONVENTIONS}. Nodes
 * it cannot count (no rule, no inferred shape) count 0 and are listed in `uncounted`.
 *
 * @param graph A graph whose nodes are in topological order.
 * @param options The simulated cache size, the float32 element size, and input shapes.
 * @returns Per-node counts in graph order, per-block totals in block order, graph totals and
 *   the uncounted nodes.
 * @throws {RangeError} When cacheBytes is negative or NaN, or elementBytes is not positive.
 * @throws {TypeError} When a graph input keeps a dynamic dim (give it in `inputShapes`), or
 *   `inputShapes` names no input or has the wrong rank.
 * @example
 * ```ts
 * import { countGraph } from "./counts.ts";
 * // Gemm 1x512 by 512x1000 plus bias: 512,000 MACs, 1,000 bias adds, 513,000 params
 * const c = countGraph({
 *   name: "fc", opset: 17,
 *   inputs: [{ name: "x", shape: [1, 512] }], outputs: [{ name: "y", shape: [1, 1000] }],
 *   initializers: [
 *     { name: "w", dims: [1000, 512], data: new Float32Array(512_000) },
 *     { name: "b", dims: [1000], data: new Float32Array(1000) },
 *   ],
 *   nodes: [{
 *     name: "fc", opType: "Gemm", inputs: ["x", "w", "b"], outputs: ["y"],
 *     attributes: { transB: { type: "int", value: 1 } },
 *   }],
 * }, { cacheBytes: 0 });
 * if (c.total.macs !== 512_000 || c.total.params !== 513_000) throw new Error();
 * ```
 */
export function countGraph(graph: Graph, options: CountOptions): GraphCounts {
  const { cacheBytes, elementBytes = 4, inputShapes } = options;
  checkOption("cacheBytes", cacheBytes, false);
  checkOption("elementBytes", elementBytes, true);
  resolveInputShapes(graph, inputShapes);
  const inferred = inferShapesPartial(graph, { inputShapes });
  const { shapes, types, values } = inferred;
  const sizeOf = (t: string) => {
    const s = shapes.get(t);
    if (!s) return 0;
    const type = types.get(t) ?? DataType.FLOAT;
    return numel(s) * (type === DataType.FLOAT ? elementBytes : elementSize(type));
  };
  const folded = (node: Node) => {
    const outs = nodeOutputs(node);
    return outs.length > 0 && outs.every((t) => values.has(t));
  };
  const ctx: Context = { shapes, folded, sizeOf };
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const cached = simulateCache(graph.nodes, sizeOf, outputs, cacheBytes);
  const { perNode, unused } = attributeConstants(graph);
  const why = new Map(inferred.unknown.map((u) => [u.index, u.reason]));
  const uncounted: UncountedNode[] = [];
  const nodes = graph.nodes.map((node, i) => {
    const work = why.has(i) ? why.get(i)! : workOf(node, ctx);
    if (typeof work === "string") {
      uncounted.push({ node: node.name, opType: node.opType, reason: work });
    }
    const w = typeof work === "string" ? { macs: 0, elementwise: 0 } : work;
    return countNode(node, perNode[i], cached[i], w, ctx);
  });
  const totalsOf = (idx: number[], extraConstants = 0) =>
    sumTotals(
      idx.map((i) => nodes[i]),
      idx.reduce((s, i) => s + perNode[i].constants, extraConstants),
      minimumTraffic(graph.nodes, new Set(idx), sizeOf, outputs),
    );
  const indices = nodes.map((_, i) => i);
  const blockIds = [...new Set(nodes.flatMap((n) => (n.block === null ? [] : [n.block])))];
  const blocks = blockIds.sort((a, b) => a - b).map((block) => ({
    block,
    ...totalsOf(indices.filter((i) => nodes[i].block === block)),
  }));
  return { nodes, blocks, total: totalsOf(indices, unused), uncounted };
}
