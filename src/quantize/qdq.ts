/**
 * A float graph to a QDQ graph, laid out as onnxruntime's own quantizer lays it out for Conv:
 * `QuantizeLinear -> DequantizeLinear` on each Conv's data input and on its output, int8 weights
 * behind a `DequantizeLinear` (per output channel, axis 0, or per tensor) and an int32 bias
 * behind one (scale = input scale x weight scale, zero point 0).
 *
 * What onnxruntime 1.30 (CPU) makes of it, checked by tests/quantize/qdq_ort_test.ts: at level
 * `basic` nothing is fused; at `extended` each `DQ -> Conv -> Q` becomes a `QLinearConv`; at
 * `layout` and `all` a `com.microsoft.QLinearConv` (NHWC) between two Transposes. With `int8`
 * activations it fuses only where every Q/DQ pair around the Conv has a single reader: on x86 it
 * turns int8 pairs into uint8 ones, and a pair read by two nodes (a branch input, an Erf GELU)
 * stays int8, so the Conv keeps running in float between DQ and Q.
 *
 * @module
 */
import type { Graph, Initializer, Node, NodeTag, Tensor } from "../onnx/ir.ts";
import { int } from "../onnx/ir.ts";
import { integerTensor } from "../onnx/encode.ts";
import {
  type ChannelParams,
  computeChannelParams,
  computeQuantParams,
  quantize,
  quantizeBias,
  quantizePerChannel,
  type QuantParams,
  type QuantType,
  type Range,
} from "./quantize.ts";
import { minMaxRange } from "./calibrate.ts";

/** How weights and activations are quantized (onnxruntime's defaults are the defaults). */
export interface QdqOptions {
  /** Weight scales: one per output channel (`per-channel`) or one per tensor. */
  readonly weights: "per-channel" | "per-tensor";
  /** Activations: `uint8` asymmetric or `int8` symmetric. */
  readonly activations: QuantType;
}

/** An activation tensor given a Q/DQ pair. */
export interface QuantizedActivation {
  /** The float tensor's name in the original graph. */
  readonly tensor: string;
  /** Its calibrated range. */
  readonly range: Range;
  /** Its scale and zero point (`zeroRange` when the range was zero). */
  readonly params: QuantParams;
  /**
   * The tensor holding its quantized-then-dequantized value in the QDQ graph (its DequantizeLinear
   * output; the name itself for a graph output): the one to tap for per-block error. Tapping the
   * float name instead reads the Conv before its QuantizeLinear, and any extra reader of a Conv
   * output stops onnxruntime fusing it.
   */
  readonly dequantized: string;
}

/** What was done to one Conv. */
export interface QuantizedConv {
  /** The Conv node's name. */
  readonly node: string;
  /** Its weight initializer's name. */
  readonly weight: string;
  /** Weight scales: one per output channel, or one for `per-tensor`. */
  readonly weightScales: Float32Array;
  /** Output channels whose weights are all zero (dead): scale 1, reported, not divided by. */
  readonly deadChannels: readonly number[];
  /** Output channels whose bias did not fit in int32 and was saturated. */
  readonly biasSaturatedChannels: readonly number[];
}

/** A QDQ graph and what the quantizer did. */
export interface QdqGraph {
  /** The QDQ graph (default-domain opset at least 13, for per-axis QuantizeLinear). */
  readonly graph: Graph;
  /** Every activation tensor quantized, in graph order. */
  readonly activations: readonly QuantizedActivation[];
  /** Every Conv quantized, in graph order. */
  readonly convs: readonly QuantizedConv[];
  /** Activation tensors whose calibrated range was zero (scale 1, zero point 0 used). */
  readonly zeroRangeTensors: readonly string[];
  /** Convs left in float, with the reason (a weight or bias that is not an initializer). */
  readonly skipped: readonly { readonly node: string; readonly reason: string }[];
}

/** Lowest opset with per-axis `QuantizeLinear`/`DequantizeLinear`. */
export const MIN_QDQ_OPSET = 13;

/** Unique names: a wanted name, or it with `_1`, `_2`, ... when taken. */
function nameSource(graph: Graph): (wanted: string) => string {
  const taken = new Set<string>([
    ...graph.inputs.map((v) => v.name),
    ...graph.outputs.map((v) => v.name),
    ...graph.initializers.map((t) => t.name),
    ...(graph.otherInitializers ?? []).map((t) => t.name),
    ...graph.nodes.flatMap((n) => [n.name, ...n.inputs, ...n.outputs]),
  ]);
  return (wanted) => {
    let name = wanted;
    for (let i = 1; taken.has(name); i++) name = `${wanted}_${i}`;
    taken.add(name);
    return name;
  };
}

function skipReason(node: Node, floats: ReadonlyMap<string, Initializer>): string | undefined {
  const [x, w, b] = node.inputs;
  if (!x || floats.has(x)) return "its data input is not an activation";
  if (!floats.has(w)) return `its weight "${w}" is not a float32 initializer`;
  if (b && !floats.has(b)) return `its bias "${b}" is not a float32 initializer`;
  return undefined;
}

/** The state of one rewrite: new names, initializers and the Q/DQ nodes. */
class Rewriter {
  readonly floats: Initializer[] = [];
  readonly ints: Tensor[] = [];
  readonly unique: (wanted: string) => string;

  constructor(graph: Graph) {
    this.unique = nameSource(graph);
  }

  /** Scale and zero point initializers; per-channel ones are 1-D. */
  params(
    base: string,
    scales: Float32Array,
    zeros: Int8Array | Uint8Array | Int32Array,
    dims: number[],
  ) {
    const scale = this.unique(`${base}_scale`);
    const zeroPoint = this.unique(`${base}_zero_point`);
    this.floats.push({ name: scale, dims, data: scales });
    this.ints.push(integerTensor(zeroPoint, dims, zeros));
    return [scale, zeroPoint];
  }

  dq(base: string, q: string, params: string[], tag?: NodeTag, axis?: number, out?: string): Node {
    return {
      name: this.unique(`${base}_DequantizeLinear`),
      opType: "DequantizeLinear",
      inputs: [q, ...params],
      outputs: [out ?? this.unique(`${base}_DequantizeLinear_Output`)],
      attributes: axis === undefined ? {} : { axis: int(axis) },
      ...(tag ? { tag } : {}),
    };
  }
}

/** Zero points as the typed array of their type. */
function zeroPoints(type: QuantType, values: ArrayLike<number>): Int8Array | Uint8Array {
  return type === "uint8" ? Uint8Array.from(values) : Int8Array.from(values);
}

interface WeightQdq {
  readonly node: Node;
  readonly scales: Float32Array;
  readonly dead: readonly number[];
}

function quantizeWeight(
  r: Rewriter,
  w: Initializer,
  options: QdqOptions,
  tag?: NodeTag,
): WeightQdq {
  let levels: Int8Array | Uint8Array;
  let scales: Float32Array;
  let dead: readonly number[];
  let params: string[];
  if (options.weights === "per-channel") {
    const p: ChannelParams = computeChannelParams(w.data, w.dims, 0, "int8");
    levels = quantizePerChannel(w.data, w.dims, p);
    [scales, dead] = [p.scales, p.zeroRangeChannels];
    params = r.params(w.name, scales, new Int8Array(scales.length), [scales.length]);
  } else {
    const range = w.data.length > 0 ? minMaxRange([w.data]) : { min: 0, max: 0 };
    const p = computeQuantParams(range, "int8", `weight "${w.name}"`);
    levels = quantize(w.data, p);
    scales = new Float32Array([p.scale]);
    dead = p.zeroRange ? Array.from({ length: w.dims[0] ?? 0 }, (_, c) => c) : [];
    params = r.params(w.name, scales, new Int8Array(1), []);
  }
  const q = r.unique(`${w.name}_quantized`);
  r.ints.push(integerTensor(q, w.dims, levels));
  const axis = options.weights === "per-channel" ? 0 : undefined;
  return { node: r.dq(w.name, q, params, tag, axis), scales, dead };
}

/**
 * The Q/DQ pair of one activation tensor. For a graph output, the producer writes `source`
 * instead and the DequantizeLinear writes the output's name.
 */
function activationPair(
  r: Rewriter,
  t: string,
  params: QuantParams,
  options: QdqOptions,
  source: string,
  tag: NodeTag | undefined,
): [Node, Node] {
  const zero = zeroPoints(options.activations, [params.zeroPoint]);
  const qdq = r.params(t, new Float32Array([params.scale]), zero, []);
  const q: Node = {
    name: r.unique(`${t}_QuantizeLinear`),
    opType: "QuantizeLinear",
    inputs: [source, ...qdq],
    outputs: [r.unique(`${t}_QuantizeLinear_Output`)],
    attributes: {},
    ...(tag ? { tag } : {}),
  };
  return [q, r.dq(t, q.outputs[0], qdq, tag, undefined, source === t ? undefined : t)];
}

/** The int32 bias of one Conv behind its DequantizeLinear. */
function biasDq(
  r: Rewriter,
  bias: Initializer,
  inputScale: number,
  w: WeightQdq,
  options: QdqOptions,
  tag: NodeTag | undefined,
): { node: Node; saturated: readonly number[] } {
  const perChannel = options.weights === "per-channel";
  const b = quantizeBias(bias.data, inputScale, perChannel ? w.scales : w.scales[0]);
  const q = r.unique(`${bias.name}_quantized`);
  r.ints.push(integerTensor(q, [b.data.length], b.data));
  const params = perChannel
    ? r.params(q, b.scales, new Int32Array(b.scales.length), [b.scales.length])
    : r.params(q, b.scales.subarray(0, 1), new Int32Array(1), []);
  const node = r.dq(bias.name, q, params, tag, perChannel ? 0 : undefined);
  return { node, saturated: b.saturatedChannels };
}

/**
 * Quantizes every Conv of a float graph to QDQ form, as onnxruntime's QDQ quantizer does for
 * Conv: each activation tensor that is a Conv's data input or output gets one
 * `QuantizeLinear -> DequantizeLinear` pair (shared by all its readers, which then read the
 * dequantized tensor; a graph output keeps its name on the DequantizeLinear); weights become int8
 * initializers (symmetric, -127..127) behind a `DequantizeLinear`; a bias becomes int32 with
 * scale input scale x weight scale behind one. Other ops stay float. Float weights and biases no
 * longer read are dropped; the default-domain opset is raised to {@linkcode MIN_QDQ_OPSET} when
 * lower (check a graph with ops whose definition changed before 13 yourself). A zero range, of
 * an activation or of a weight channel, gets scale 1 and zero point 0 and is reported.
 *
 * @param graph The float graph.
 * @param ranges Calibrated ranges of the tensors `calibrationTensors(graph)` names.
 * @param options Weight granularity and activation type.
 * @returns The QDQ graph and per-tensor, per-conv details.
 * @throws {TypeError} When a tensor that needs a range has none.
 * @throws {RangeError} When a range is not finite or has min > max.
 */
export function quantizeGraph(
  graph: Graph,
  ranges: ReadonlyMap<string, Range>,
  options: QdqOptions,
): QdqGraph {
  const floats = new Map(graph.initializers.map((i) => [i.name, i]));
  const skipped: { node: string; reason: string }[] = [];
  const convs = graph.nodes.filter((n) => {
    if (n.opType !== "Conv") return false;
    const reason = skipReason(n, floats);
    if (reason) skipped.push({ node: n.name, reason });
    return reason === undefined;
  });
  const r = new Rewriter(graph);
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const producer = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));

  // activations: one Q/DQ pair each, placed after the producer
  const activations: QuantizedActivation[] = [];
  const readAs = new Map<string, string>(); // readers of a tensor read its DQ output
  const writeAs = new Map<string, string>(); // a graph output's producer writes a new name
  const after = new Map<Node | null, Node[]>(); // producer (null: graph input) -> Q, DQ
  const tensors = [...new Set(convs.flatMap((n) => [n.inputs[0], n.outputs[0]]))];
  for (const t of tensors) {
    const range = ranges.get(t);
    if (!range) {
      throw new TypeError(`Cannot quantize graph "${graph.name}" as tensor "${t}" has no range`);
    }
    const params = computeQuantParams(range, options.activations, `tensor "${t}"`);
    const from = producer.get(t);
    const tag = from?.tag ?? convs.find((c) => c.inputs[0] === t)?.tag;
    const isOutput = graphOutputs.has(t) && from !== undefined;
    const source = isOutput ? r.unique(`${t}_QuantizeLinear_Input`) : t;
    const [q, dq] = activationPair(r, t, params, options, source, tag);
    if (isOutput) writeAs.set(t, source);
    else readAs.set(t, dq.outputs[0]);
    activations.push({ tensor: t, range, params, dequantized: dq.outputs[0] });
    const key = from ?? null;
    after.set(key, [...after.get(key) ?? [], q, dq]);
  }

  // weights and biases, then the rewired nodes in order
  const weightCache = new Map<string, WeightQdq>();
  const report: QuantizedConv[] = [];
  const paramsOf = new Map(activations.map((a) => [a.tensor, a.params]));
  const nodes: Node[] = [...after.get(null) ?? []];
  const quantized = new Set(convs);
  for (const n of graph.nodes) {
    let inputs = n.inputs.map((i) => readAs.get(i) ?? i);
    if (quantized.has(n)) {
      const [x, wName, bName] = n.inputs;
      let w = weightCache.get(wName);
      if (!w) {
        w = quantizeWeight(r, floats.get(wName)!, options, n.tag);
        weightCache.set(wName, w);
        nodes.push(w.node);
      }
      inputs = [inputs[0], w.node.outputs[0]];
      let saturated: readonly number[] = [];
      if (bName) {
        const b = biasDq(r, floats.get(bName)!, paramsOf.get(x)!.scale, w, options, n.tag);
        nodes.push(b.node);
        inputs.push(b.node.outputs[0]);
        saturated = b.saturated;
      }
      report.push({
        node: n.name,
        weight: wName,
        weightScales: w.scales,
        deadChannels: w.dead,
        biasSaturatedChannels: saturated,
      });
    }
    nodes.push({ ...n, inputs, outputs: n.outputs.map((o) => writeAs.get(o) ?? o) });
    nodes.push(...after.get(n) ?? []);
  }

  const read = new Set(nodes.flatMap((n) => n.inputs));
  const replaced = new Set(convs.flatMap((n) => n.inputs.slice(1)));
  const qdqGraph: Graph = {
    ...graph,
    opset: Math.max(graph.opset, MIN_QDQ_OPSET),
    initializers: [
      ...graph.initializers.filter((i) => read.has(i.name) || !replaced.has(i.name)),
      ...r.floats,
    ],
    otherInitializers: [...graph.otherInitializers ?? [], ...r.ints],
    nodes,
  };
  return {
    graph: qdqGraph,
    activations,
    convs: report,
    zeroRangeTensors: activations.filter((a) => a.params.zeroRange).map((a) => a.tensor),
    skipped,
  };
}
