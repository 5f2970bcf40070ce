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
import { type Graph, type Node, numel, type ValueInfo } from "../onnx/ir.ts";
import {
  checkInputShapes,
  type IndexedInference,
  indexOf,
  inferIndexed,
  type TensorIndex,
} from "../onnx/indexed_inference.ts";
import { DataType, elementSize } from "../onnx/_values.ts";
import type { NodeCounts, Totals, UncountedNode } from "../results/schema.ts";
import {
  attributeConstants,
  COUNT_RULES,
  type CountRule,
  type Roles,
  type Work,
} from "./_count_rules.ts";
import {
  compileTopology,
  minimumTensors,
  simulateCache,
  sumSizes,
  type Topology,
} from "./_traffic.ts";

export { COUNTING_CONVENTIONS } from "./_counting_conventions.ts";

/** Options of {@linkcode countGraph}. */
export interface CountOptions {
  /** Capacity in bytes of the simulated last-level cache (0 gives naive; Infinity allowed). */
  readonly cacheBytes: number;
  /** Bytes per float32 element (other element types count at their own size). @default 4 */
  readonly elementBytes?: number;
  /** Full shapes of graph inputs with dynamic dims (the CLI's `--shape`). */
  readonly inputShapes?: ReadonlyMap<string, readonly number[]>;
  /**
   * List every node's counts in `nodes`; false leaves it empty (the blocks, totals and
   * uncounted nodes are the same), which is faster when only sums are wanted. @default true
   */
  readonly perNode?: boolean;
}

/** Counts of a whole graph. */
export interface GraphCounts {
  /** One entry per node, in graph order. */
  readonly nodes: NodeCounts[];
  /** One entry per tagged block, in block order; untagged nodes are in none. */
  readonly blocks: Array<{ readonly block: number } & Totals>;
  /**
   * Sums over every node, tagged or not; `constants` also holds the elements of initializers no
   * node reads, and `bytes.minimum` is the whole graph run alone (not the sum of the blocks').
   */
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

/** Nodes summed together (a block, or the whole graph): what depends on the structure only. */
interface Group {
  /** Node indices, ascending. */
  readonly members: readonly number[];
  /** Op type to node count, in first-seen order (frozen: every count of the plan shares it). */
  readonly histogram: Readonly<Record<string, number>>;
  /** Parameter elements first read by the members. */
  readonly params: number;
  /** Buffer elements first read by the members. */
  readonly buffers: number;
  /** Constant elements first read by the members (plus the unused ones, for the graph). */
  readonly constants: number;
  /** The tensors of the minimum traffic, in summing order. */
  readonly minimum: readonly number[];
}

type Shape = readonly number[] | undefined;

/**
 * Everything about a graph that does not depend on its input shapes, the cache size or the
 * element size: numbered tensors, constant roles, rules, blocks. Made once per graph structure
 * and reused at every input shape (a stem re-shaped per batch size and resolution keeps its
 * nodes).
 */
interface Plan {
  /** Distinct per plan, naming it in memo keys. */
  readonly id: number;
  /** Shape inference's numbering of the graph's tensors, which the plan's ids are. */
  readonly index: TensorIndex;
  readonly initializers: Graph["initializers"];
  readonly otherInitializers: Graph["otherInitializers"];
  readonly valueInfo: Graph["valueInfo"];
  readonly opset: number;
  /** The graph outputs' names. */
  readonly outputNames: readonly string[];
  readonly topology: Topology;
  readonly roles: readonly Roles[];
  /** Per node: its counting rule, when it has one. */
  readonly rules: ReadonlyArray<CountRule | undefined>;
  readonly blocks: ReadonlyArray<Group & { readonly block: number }>;
  readonly total: Group;
}

/**
 * What one count fills, shared by every count (counting is synchronous) and grown to the
 * largest graph: each tensor's bytes; each node's MACs, FLOPs, naive and cached bytes; and, by
 * length, the arrays a rule gets of a node's input and output shapes.
 */
const scratch = {
  sizes: [] as number[],
  macs: [] as number[],
  conv: [] as number[],
  elementwise: [] as number[],
  naive: [] as number[],
  cached: [] as number[],
  inputShapes: [] as Shape[][],
  outputShapes: [] as Shape[][],
};

function grow(a: number[], n: number): number[] {
  while (a.length < n) a.push(0);
  return a;
}

/** The array of `length` shapes a rule gets (reused: rules keep no reference to it). */
function shapeArgs(pool: Shape[][], length: number): Shape[] {
  while (pool.length <= length) pool.push(new Array<Shape>(pool.length).fill(undefined));
  return pool[length];
}

/** Plans by the identity of the graph's node list. */
const PLANS = new WeakMap<readonly Node[], Plan[]>();
let planCount = 0;

/**
 * The last counts made, by plan and {@linkcode memoKey}, least recently used first. Few: each
 * may hold every node's counts, and what repeats (the same case on another device, thread count
 * or optimization level; the same graph counted again) repeats soon after.
 */
const MEMO = new Map<string, GraphCounts>();
const MEMO_LIMIT = 64;

function group(
  nodes: readonly Node[],
  topology: Topology,
  roles: readonly Roles[],
  members: readonly number[],
  extraConstants: number,
): Group {
  const histogram: Record<string, number> = {};
  let params = 0, buffers = 0, constants = extraConstants;
  for (const i of members) {
    const op = nodes[i].opType;
    histogram[op] = (histogram[op] ?? 0) + 1;
    params += roles[i].params;
    buffers += roles[i].buffers;
    constants += roles[i].constants;
  }
  const minimum = minimumTensors(topology, members);
  return { members, histogram: Object.freeze(histogram), params, buffers, constants, minimum };
}

function makePlan(graph: Graph, index: TensorIndex): Plan {
  const { nodes } = graph;
  const outputIds = graph.outputs.flatMap((o) => index.ids.get(o.name) ?? []);
  const topology = compileTopology(index.names.length, index.inputs, index.outputs, outputIds);
  const { perNode: roles, unused } = attributeConstants(graph);
  const blockOf = nodes.map((n) => n.tag?.block ?? null);
  const indices = nodes.map((_, i) => i);
  const blockIds = [...new Set(blockOf.flatMap((b) => (b === null ? [] : [b])))];
  const blocks = blockIds.sort((a, b) => a - b).map((block) => ({
    block,
    ...group(nodes, topology, roles, indices.filter((i) => blockOf[i] === block), 0),
  }));
  return {
    id: planCount++,
    index,
    initializers: graph.initializers,
    otherInitializers: graph.otherInitializers,
    valueInfo: graph.valueInfo,
    opset: graph.opset,
    outputNames: graph.outputs.map((o) => o.name),
    topology,
    roles,
    rules: nodes.map((n) => COUNT_RULES[n.opType]),
    blocks,
    total: group(nodes, topology, roles, indices, unused),
  };
}

/** The plan of a graph's structure, made on first use. */
function planOf(graph: Graph): Plan {
  const index = indexOf(graph);
  let plans = PLANS.get(graph.nodes);
  const found = plans?.find((p) =>
    p.index === index && p.initializers === graph.initializers &&
    p.otherInitializers === graph.otherInitializers && p.valueInfo === graph.valueInfo &&
    p.opset === graph.opset && p.outputNames.length === graph.outputs.length &&
    p.outputNames.every((name, k) => name === graph.outputs[k].name)
  );
  if (found) return found;
  const plan = makePlan(graph, index);
  if (!plans) PLANS.set(graph.nodes, plans = []);
  plans.push(plan);
  return plan;
}

/** What the counts of a graph of a given structure depend on besides it. */
function memoKey(plan: Plan, graph: Graph, options: CountOptions, elementBytes: number): string {
  const shapes = options.inputShapes ? JSON.stringify([...options.inputShapes]) : "";
  return `${plan.id} ${options.cacheBytes} ${elementBytes} ${options.perNode ?? true} ${
    describeValues(graph.inputs)
  } ${describeValues(graph.outputs)} ${shapes}`;
}

/** Graph inputs or outputs as text, distinct for distinct ones (JSON of what is unusual). */
function describeValues(values: readonly ValueInfo[]): string {
  let text = `${values.length}`;
  for (const v of values) {
    const plain = v.dimNames === undefined && v.elemType === undefined && v.unranked === undefined;
    text += plain ? ` ${v.name.length}:${v.name}[${v.shape}]` : ` ${JSON.stringify(v)}`;
  }
  return text;
}

const NO_WORK: Work = { macs: 0, elementwise: 0 };

/** Fills `into` with the shapes at `slots` (undefined for a skipped input or output). */
function fillShapes(into: Shape[], slots: readonly number[], shapes: readonly Shape[]): Shape[] {
  for (let k = 0; k < slots.length; k++) into[k] = slots[k] < 0 ? undefined : shapes[slots[k]];
  return into;
}

/** The work of node `i`, or why it has none. */
function workOf(node: Node, i: number, plan: Plan, inferred: IndexedInference): Work | string {
  const rule = plan.rules[i];
  if (!rule) return `op "${node.opType}" has no counting rule`;
  const outputs = plan.topology.outputs[i];
  let folded = outputs.length > 0;
  for (let k = 0; folded && k < outputs.length; k++) folded = inferred.valued[outputs[k]];
  if (folded) return NO_WORK;
  const { index, shapes } = inferred;
  const ins = index.inputs[i], outs = index.outputs[i];
  try {
    return rule(
      fillShapes(shapeArgs(scratch.inputShapes, ins.length), ins, shapes),
      fillShapes(shapeArgs(scratch.outputShapes, outs.length), outs, shapes),
      node,
    );
  } catch (e) {
    return `its counting rule failed: ${e instanceof Error ? e.message : e}`;
  }
}

/** The sums of a group's nodes (with its block number first, for a block). */
function sumGroup(g: Group): Totals;
function sumGroup(g: Group, block: number): { readonly block: number } & Totals;
function sumGroup(g: Group, block?: number): Totals | ({ block: number } & Totals) {
  let macs = 0, conv = 0, elementwise = 0, naive = 0, cached = 0;
  for (const i of g.members) {
    macs += scratch.macs[i];
    conv += scratch.conv[i];
    elementwise += scratch.elementwise[i];
    naive += scratch.naive[i];
    cached += scratch.cached[i];
  }
  const flops = { conv, elementwise, total: conv + elementwise };
  const bytes = { naive, minimum: sumSizes(g.minimum, scratch.sizes), cached };
  const { params, buffers, constants } = g;
  const nodes = g.histogram as Record<string, number>;
  return block === undefined
    ? { params, buffers, constants, macs, flops, bytes, nodes }
    : { block, params, buffers, constants, macs, flops, bytes, nodes };
}

/** Counts a graph whose plan is known (nothing memoized). */
function countWith(
  graph: Graph,
  plan: Plan,
  cacheBytes: number,
  elementBytes: number,
  options: CountOptions,
): GraphCounts {
  const inferred = inferIndexed(graph, options.inputShapes, true);
  const { index, shapes, types } = inferred;
  const { topology, roles } = plan;
  const n = index.names.length, count = graph.nodes.length;
  const sizes = grow(scratch.sizes, n);
  const [macs, convs, elementwise, naives] = [
    grow(scratch.macs, count),
    grow(scratch.conv, count),
    grow(scratch.elementwise, count),
    grow(scratch.naive, count),
  ];
  const cached = grow(scratch.cached, count);
  for (let t = 0; t < n; t++) {
    const s = shapes[t];
    if (!s) {
      sizes[t] = 0;
      continue;
    }
    const type = types[t] ?? DataType.FLOAT;
    sizes[t] = numel(s) * (type === DataType.FLOAT ? elementBytes : elementSize(type));
  }
  const byName = (name: string) => {
    const id = index.ids.get(name);
    return id === undefined ? undefined : shapes[id];
  };
  simulateCache(topology, sizes, cacheBytes, cached);
  const why = new Map<number, string>();
  for (const u of inferred.unknown) why.set(u.index, u.reason);
  const uncounted: UncountedNode[] = [];
  const perNode = options.perNode ?? true;
  const nodes: NodeCounts[] = [];
  for (let i = 0; i < graph.nodes.length; i++) {
    const node = graph.nodes[i];
    const found = why.size > 0 && why.has(i) ? why.get(i)! : workOf(node, i, plan, inferred);
    let work: Work;
    if (typeof found === "string") {
      uncounted.push({ node: node.name, opType: node.opType, reason: found });
      work = NO_WORK;
    } else {
      work = found;
    }
    const conv = 2 * work.macs;
    const read = sumSizes(topology.inputs[i], sizes);
    const written = sumSizes(topology.outputs[i], sizes);
    const naive = read + written;
    macs[i] = work.macs;
    convs[i] = conv;
    elementwise[i] = work.elementwise;
    naives[i] = naive;
    if (!perNode) continue;
    const total = conv + work.elementwise;
    const out0 = index.outputs[i][0];
    const outputShape = out0 >= 0 ? shapes[out0] : byName(node.outputs[0]);
    nodes.push({
      node: node.name,
      opType: node.opType,
      block: node.tag?.block ?? null,
      branch: node.tag?.branch ?? null,
      params: roles[i].params,
      buffers: roles[i].buffers,
      macs: work.macs,
      flops: { conv, elementwise: work.elementwise, total },
      bytes: { read, written, naive, cached: cached[i] },
      outputShape: [...(outputShape ?? [])],
      arithmeticIntensity: naive > 0 ? total / naive : 0,
    });
  }
  const blocks = plan.blocks.map((g) => sumGroup(g, g.block));
  return { nodes, blocks, total: sumGroup(plan.total), uncounted };
}

/**
 * Counts parameters, buffers, MACs, FLOPs and memory traffic of a graph, per node, per block
 * (from the nodes' tags) and in total, by the rules of {@linkcode COUNTING_CONVENTIONS}. Nodes
 * it cannot count (no rule, no inferred shape) count 0 and are listed in `uncounted`.
 *
 * Counts depend on the graph's structure, its input shapes, `cacheBytes` and `elementBytes`
 * only: what depends on the structure alone is worked out once per node list (the same nodes at
 * another input shape reuse it), and the last few counts made are kept, so counting the same
 * graph again with the same options returns them. Graphs are taken as immutable, and the
 * returned counts may be the very object an earlier call returned: treat them as read-only.
 *
 * @param graph A graph whose nodes are in topological order.
 * @param options The simulated cache size, the float32 element size, input shapes, and whether
 *   to list every node.
 * @returns Per-node counts in graph order (none without `perNode`), per-block totals in block
 *   order, graph totals and the uncounted nodes.
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
  checkInputShapes(graph, inputShapes);
  const plan = planOf(graph);
  const key = memoKey(plan, graph, options, elementBytes);
  let counts = MEMO.get(key);
  if (counts) {
    MEMO.delete(key);
  } else {
    counts = countWith(graph, plan, cacheBytes, elementBytes, options);
    if (MEMO.size >= MEMO_LIMIT) MEMO.delete(MEMO.keys().next().value!);
  }
  MEMO.set(key, counts);
  return counts;
}
