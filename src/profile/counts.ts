/**
 * Static counts over a graph, one rule per op type: parameters, buffers, MACs, FLOPs and memory
 * traffic, per node, per block and for the whole graph.
 *
 * Conventions (also in {@linkcode COUNTING_CONVENTIONS}, which results carry):
 * - One FLOP is one scalar add, multiply or divide; a multiply-accumulate (MAC) is 2 FLOPs.
 * - Conv MACs are `N * Cout * Hout * Wout * (Cin / groups) * kh * kw`, batch N included, as papers
 *   and timm count them; conv FLOPs are 2 * MACs. A conv's bias is elementwise work.
 * - Elementwise FLOPs per output element: BatchNormalization 2, Conv bias 1, Add/Sub/Mul/Div 1,
 *   Relu/Sigmoid/Erf/Gelu 1 (a convention: Erf and Sigmoid cost many instructions), Sum
 *   (inputs - 1), Identity 0; GlobalAveragePool 1 per input element.
 * - Each initializer counts once, at the first node reading it: Conv weight and bias and BN scale
 *   and bias are parameters, BN mean and var buffers, anything else (the GELU scalars) constants.
 * - Bytes use `elementBytes` per element (4 for float32). A node reads each distinct input
 *   (activations and initializers) and writes its outputs; naive sums that over nodes (upper
 *   bound), minimum counts what a set of nodes must move with an unbounded cache (lower bound),
 *   cached simulates an LRU write-back cache of `cacheBytes` (in between).
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
import { inferShapes } from "../onnx/shapes.ts";
import {
  distinctInputs,
  minimumTraffic,
  nodeOutputs,
  simulateCache,
  type SizeOf,
} from "./_traffic.ts";

/** Options of {@linkcode countGraph}. */
export interface CountOptions {
  /** Capacity in bytes of the simulated last-level cache (0 gives naive; Infinity allowed). */
  readonly cacheBytes: number;
  /** Bytes per tensor element. @default 4 */
  readonly elementBytes?: number;
}

/** FLOPs, split so conv FLOPs read like papers' MACs (times 2). */
export interface FlopCounts {
  /** 2 * MACs of convs. */
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
  /** Learnable elements first read here: Conv weight and bias, BN scale (gamma) and bias (beta). */
  readonly params: number;
  /** BN running mean and var elements first read here. */
  readonly buffers: number;
  /** Conv only: N * Cout * Hout * Wout * (Cin / groups) * kh * kw. */
  readonly macs: number;
  readonly flops: FlopCounts;
  readonly bytes: NodeBytes;
  /** Shape of the first output. */
  readonly outputShape: number[];
  /** flops.total / bytes.naive (0 when nothing moves). */
  readonly arithmeticIntensity: number;
}

/** Sums over a set of nodes. */
export interface Totals {
  readonly params: number;
  readonly buffers: number;
  /** Elements of other initializers (the GELU scalars), at their first reader. */
  readonly constants: number;
  readonly macs: number;
  readonly flops: FlopCounts;
  readonly bytes: {
    /** Sum of the nodes' naive bytes. */
    readonly naive: number;
    /** The set run alone with an unbounded cache: what it reads from outside plus what leaves it. */
    readonly minimum: number;
    /** Sum of the nodes' cached bytes. */
    readonly cached: number;
  };
  /** Op type to node count. */
  readonly nodes: Record<string, number>;
}

/** Counts of a whole graph. */
export interface GraphCounts {
  /** One entry per node, in graph order. */
  readonly nodes: NodeCounts[];
  /** One entry per tagged block, in block order; untagged nodes are in none. */
  readonly blocks: Array<{ readonly block: number } & Totals>;
  readonly total: Totals;
}

/** What each count means, in words, to be written into results and reports. */
export const COUNTING_CONVENTIONS: Record<string, string> = Object.freeze({
  flop: "One FLOP is one scalar add, multiply or divide; one MAC (multiply-accumulate) is 2 FLOPs.",
  params: "Learnable elements: Conv weights and biases, BatchNormalization scale (gamma) and " +
    "bias (beta). Each initializer counts once, at the first node that reads it.",
  buffers: "BatchNormalization running mean and var elements, reported apart from params.",
  constants: "Elements of every other initializer (e.g. the GELU scalars sqrt(2), 1, 0.5), at " +
    "their first reader; unused initializers count in the graph total only.",
  macs: "Conv only: N * Cout * Hout * Wout * (Cin / groups) * kh * kw, batch N included, as " +
    "papers and timm count them; the conv bias is not a MAC.",
  convFlops: "2 * MACs.",
  elementwiseFlops: "Per output element: BatchNormalization 2, Conv bias 1, Add/Sub/Mul/Div 1, " +
    "Relu 1, Sigmoid 1, Erf 1 and Gelu 1 (a convention: Erf and Sigmoid take many more " +
    "instructions), Sum (inputs - 1), Identity 0; GlobalAveragePool 1 per input element. " +
    "Exact GELU built from Div, Erf, Add, Mul, Mul thus costs 5 per element.",
  bytesRead: "Per node: every distinct input tensor, activations and initializers, at " +
    "elementBytes per element.",
  bytesWritten: "Per node: every output tensor at elementBytes per element.",
  naiveBytes: "Sum over nodes of read + written: no fusion, no cache (upper bound).",
  minimumBytes: "Graph: graph inputs and initializers read by some node, plus graph outputs " +
    "(lower bound). Block: the block run alone with an unbounded cache, i.e. what its nodes " +
    "read from outside the block (its input, its weights) plus what they produce that leaves " +
    "the block; block minimums therefore do not sum to the graph minimum.",
  cachedBytes: "An LRU cache of cacheBytes holding whole tensors, write-back, over the node " +
    "order: a resident input costs 0, a missing one its size (then resident if it fits); an " +
    "output that fits stays resident and dirty, a larger one is streamed out at its size; " +
    "evicting a dirty tensor still needed or a graph output costs its size, charged to its " +
    "producer, as are dirty graph outputs at the end; dead tensors are dropped free. " +
    "minimum <= cached <= naive; cached == naive at cacheBytes 0.",
  arithmeticIntensity: "Per node: total FLOPs / naive bytes.",
  blocks: "Block totals sum their tagged nodes; untagged nodes are in no block.",
});

interface Work {
  readonly macs: number;
  readonly elementwise: number;
}

type Rule = (inputs: ReadonlyArray<readonly number[]>, output: readonly number[]) => Work;

const perOutput = (factor: number): Rule => (_, out) => ({
  macs: 0,
  elementwise: factor * numel(out),
});

/** One rule per op type; the shapes of missing optional inputs are empty arrays. */
const RULES: Readonly<Record<string, Rule>> = {
  Conv: ([, w, bias], out) => ({
    macs: numel(out) * w[1] * w[2] * w[3],
    elementwise: bias && bias.length > 0 ? numel(out) : 0,
  }),
  BatchNormalization: perOutput(2),
  Add: perOutput(1),
  Sub: perOutput(1),
  Mul: perOutput(1),
  Div: perOutput(1),
  Relu: perOutput(1),
  Sigmoid: perOutput(1),
  Erf: perOutput(1),
  Gelu: perOutput(1),
  Identity: perOutput(0),
  Sum: (inputs, out) => ({ macs: 0, elementwise: (inputs.length - 1) * numel(out) }),
  GlobalAveragePool: ([x]) => ({ macs: 0, elementwise: numel(x) }),
};

type Roles = Record<"params" | "buffers" | "constants", number>;

function roleOf(opType: string, inputIndex: number): keyof Roles {
  const weightOrBias = inputIndex === 1 || inputIndex === 2;
  if ((opType === "Conv" || opType === "BatchNormalization") && weightOrBias) return "params";
  if (opType === "BatchNormalization" && (inputIndex === 3 || inputIndex === 4)) return "buffers";
  return "constants";
}

/** Initializer elements per node, each initializer at its first reader; then the unused ones. */
function attributeInitializers(graph: Graph): { perNode: Roles[]; unused: number } {
  const sizes = new Map(graph.initializers.map((t) => [t.name, numel(t.dims)]));
  const perNode = graph.nodes.map((node) => {
    const roles = { params: 0, buffers: 0, constants: 0 };
    node.inputs.forEach((t, k) => {
      const n = sizes.get(t);
      if (n === undefined) return;
      sizes.delete(t);
      roles[roleOf(node.opType, k)] += n;
    });
    return roles;
  });
  return { perNode, unused: [...sizes.values()].reduce((a, b) => a + b, 0) };
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
  readonly shapeOf: (t: string) => readonly number[];
  readonly sizeOf: SizeOf;
}

function countNode(node: Node, roles: Roles, cached: number, ctx: Context): NodeCounts {
  const rule = RULES[node.opType];
  if (!rule) {
    throw new TypeError(
      `Cannot count node "${node.name}" as its op type has no counting rule: current value is "${node.opType}"`,
    );
  }
  const outputShape = [...ctx.shapeOf(node.outputs[0])];
  const work = rule(node.inputs.map((t) => (t === "" ? [] : ctx.shapeOf(t))), outputShape);
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
    outputShape,
    arithmeticIntensity: naive > 0 ? total / naive : 0,
  };
}

/**
 * Counts parameters, buffers, MACs, FLOPs and memory traffic of a graph, per node, per block
 * (from the nodes' tags) and in total, by the rules of {@linkcode COUNTING_CONVENTIONS}.
 *
 * @param graph A graph whose nodes are in topological order.
 * @param options The simulated cache size and the element size.
 * @returns Per-node counts in graph order, per-block totals in block order, graph totals.
 * @throws {RangeError} When cacheBytes is negative or NaN, or elementBytes is not positive.
 * @throws {TypeError} For an op type without a rule, or shapes that do not infer.
 */
export function countGraph(graph: Graph, options: CountOptions): GraphCounts {
  const { cacheBytes, elementBytes = 4 } = options;
  checkOption("cacheBytes", cacheBytes, false);
  checkOption("elementBytes", elementBytes, true);
  const shapes = inferShapes(graph);
  const shapeOf = (t: string) => {
    const s = shapes.get(t);
    if (!s) throw new TypeError(`Cannot count graph as tensor "${t}" has no inferred shape`);
    return s;
  };
  const sizeOf = (t: string) => numel(shapeOf(t)) * elementBytes;
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const cached = simulateCache(graph.nodes, sizeOf, outputs, cacheBytes);
  const { perNode, unused } = attributeInitializers(graph);
  const nodes = graph.nodes.map((n, i) => countNode(n, perNode[i], cached[i], { shapeOf, sizeOf }));
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
  return { nodes, blocks, total: totalsOf(indices, unused) };
}
