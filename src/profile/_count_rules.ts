/**
 * The per-op counting rules: MACs and elementwise FLOPs of one node from its shapes, and the
 * role (parameter, buffer, constant) of each constant tensor it reads. Private to src/profile:
 * counts.ts states the conventions in words and is the public entry point; keep the two in step.
 *
 * @module
 */
import { type Graph, type Node, numel, type Tensor } from "../onnx/ir.ts";
import { constantNodeValue, isFloatType, tensorType } from "../onnx/_values.ts";

/** MACs and elementwise FLOPs of one node. */
export interface Work {
  readonly macs: number;
  readonly elementwise: number;
}

/** Shapes a rule sees; an absent optional input or an output without a shape is undefined. */
export type Shapes = ReadonlyArray<readonly number[] | undefined>;

/** A counting rule: work from the node's input and output shapes. */
export type CountRule = (inputs: Shapes, outputs: Shapes, node: Node) => Work;

const NONE: Work = { macs: 0, elementwise: 0 };

const size = (s: readonly number[] | undefined) => (s ? numel(s) : 0);

/** `factor` FLOPs per element of output 0. */
const perOutput = (factor: number): CountRule => (_, [out]) => ({
  macs: 0,
  elementwise: factor * size(out),
});

/** `factor` FLOPs per element of input 0. */
const perInput = (factor: number): CountRule => ([x]) => ({
  macs: 0,
  elementwise: factor * size(x),
});

function attr(node: Node, name: string): number | string | undefined {
  const a = node.attributes[name];
  return a?.type === "int" || a?.type === "float" || a?.type === "string" ? a.value : undefined;
}

const conv: CountRule = ([, w, bias], [out]) => ({
  macs: size(out) * numel(w!.slice(1)),
  elementwise: bias ? size(out) : 0,
});

const convTranspose: CountRule = ([x, w, bias], [out]) => ({
  macs: size(x) * numel(w!.slice(1)),
  elementwise: bias ? size(out) : 0,
});

const gemm: CountRule = ([a, , c], [out], node) => {
  const k = attr(node, "transA") === 1 ? a![0] : a![1];
  const mn = size(out);
  const alpha = (attr(node, "alpha") ?? 1) !== 1 ? mn : 0;
  const beta = c && (attr(node, "beta") ?? 1) !== 1 ? mn : 0;
  return { macs: mn * k, elementwise: (c ? mn : 0) + alpha + beta };
};

const matmul: CountRule = ([a], [out]) => ({ macs: size(out) * a![a!.length - 1], elementwise: 0 });

/** Mean, subtract, square, sum, normalise, scale, and bias when given: 7 per element (6). */
const normalization: CountRule = (inputs, [out]) => ({
  macs: 0,
  elementwise: (inputs[2] ? 7 : 6) * size(out),
});

const window: CountRule = (_, [out], node) => {
  const k = node.attributes.kernel_shape;
  return { macs: 0, elementwise: (k?.type === "ints" ? numel(k.value) : 1) * size(out) };
};

const resize: CountRule = (_, [out], node) => {
  const mode = attr(node, "mode") ?? "nearest";
  const per = mode === "linear" || mode === "bilinear" ? 7 : mode === "cubic" ? 31 : 0;
  return { macs: 0, elementwise: per * size(out) };
};

/** (inputs - 1) per output element; Mean one more for the divide. */
const variadic = (extra: number): CountRule => (inputs, [out]) => ({
  macs: 0,
  elementwise: (inputs.length - 1 + extra) * size(out),
});

const ops = (names: string, rule: CountRule) =>
  Object.fromEntries(names.split(" ").map((op) => [op, rule]));

/** Op types that only move, copy or describe data: 0 FLOPs (their bytes still count). */
export const DATA_MOVEMENT_OPS: readonly string[] = (
  "Identity Dropout Reshape Flatten Transpose Concat Split Slice Gather GatherElements GatherND " +
  "Squeeze Unsqueeze Expand Tile Pad DepthToSpace SpaceToDepth Cast CastLike Shape Size " +
  "Constant ConstantOfShape Range Trilu ScatterElements ScatterND Scatter ReverseSequence"
).split(" ");

/** One rule per op type. */
export const COUNT_RULES: Readonly<Record<string, CountRule>> = {
  Conv: conv,
  ConvInteger: conv,
  ConvTranspose: convTranspose,
  Gemm: gemm,
  MatMul: matmul,
  MatMulInteger: matmul,
  BatchNormalization: perOutput(2),
  LayerNormalization: normalization,
  InstanceNormalization: normalization,
  GroupNormalization: normalization,
  ...ops("Softmax LogSoftmax", perOutput(5)),
  ...ops(
    "Add Sub Mul Div Pow Mod BitShift Equal Less Greater LessOrEqual GreaterOrEqual And Or Xor " +
      "Where Relu LeakyRelu PRelu Elu Selu Celu ThresholdedRelu Sigmoid Tanh Erf Gelu Exp Log " +
      "Sqrt Reciprocal Neg Abs Floor Ceil Round Sign Sin Cos Tan Asin Acos Atan Sinh Cosh Asinh " +
      "Acosh Atanh Softplus Softsign Not IsNaN IsInf Hardmax CumSum",
    perOutput(1),
  ),
  ...ops("Clip Shrink QuantizeLinear DequantizeLinear", perOutput(2)),
  Mish: perOutput(3),
  HardSigmoid: perOutput(4),
  HardSwish: perOutput(5),
  ...ops("Sum Max Min", variadic(0)),
  Mean: variadic(1),
  ...ops("MaxPool AveragePool LpPool", window),
  ...ops("GlobalAveragePool GlobalMaxPool GlobalLpPool", perInput(1)),
  ...ops("ReduceMean ReduceSum ReduceMax ReduceMin ReduceProd ReduceLogSum", perInput(1)),
  ...ops("ReduceL1 ReduceL2 ReduceSumSquare ReduceLogSumExp", perInput(2)),
  ...ops("ArgMax ArgMin TopK", perInput(1)),
  Resize: resize,
  Upsample: resize,
  ...Object.fromEntries(DATA_MOVEMENT_OPS.map((op) => [op, () => NONE])),
};

/** What an initializer (or a Constant node's tensor) counts as. */
export type Role = "params" | "buffers" | "constants";

/** Inputs that carry a layer's learned weights, by op type: parameters whatever their size. */
const WEIGHT_SLOTS: Readonly<Record<string, readonly number[]>> = {
  Conv: [1, 2],
  ConvTranspose: [1, 2],
  Gemm: [1, 2],
  BatchNormalization: [1, 2],
  LayerNormalization: [1, 2],
  InstanceNormalization: [1, 2],
  GroupNormalization: [1, 2],
  PRelu: [1],
};

/** Inputs that configure an op rather than weigh it (scales, bounds, fill values): constants. */
const SETTING_SLOTS: Readonly<Record<string, readonly number[]>> = {
  Resize: [1, 2, 3],
  Upsample: [1],
  Clip: [1, 2],
  Pad: [1, 2, 3],
  Range: [0, 1, 2],
  ConstantOfShape: [0],
  QuantizeLinear: [1, 2],
  DequantizeLinear: [1, 2],
};

/**
 * The role of a constant tensor read by a node at input `slot`: the integer weights and biases
 * of a quantized model (a DequantizeLinear's data input, more than one element) are parameters;
 * other non-float ones are constants;
 * BatchNormalization mean and var are buffers; layer weights and biases (see WEIGHT_SLOTS) are
 * parameters; settings (see SETTING_SLOTS) and float scalars (at most 1 element) are constants;
 * any other float tensor is a parameter.
 *
 * @param node The reading node.
 * @param slot The input index at which it reads the tensor.
 * @param dataType The tensor's `TensorProto.DataType`.
 * @param elements The tensor's element count.
 * @returns The role.
 */
export function roleOf(node: Node, slot: number, dataType: number, elements: number): Role {
  // A quantized model's weights and biases: int8 (or uint8) kernels and int32 biases that a
  // DequantizeLinear turns back into float for the layer
  if (node.opType === "DequantizeLinear" && slot === 0 && elements > 1) return "params";
  if (!isFloatType(dataType)) return "constants";
  if (node.opType === "BatchNormalization" && (slot === 3 || slot === 4)) return "buffers";
  if (WEIGHT_SLOTS[node.opType]?.includes(slot)) return "params";
  if (SETTING_SLOTS[node.opType]?.includes(slot) || elements <= 1) return "constants";
  return "params";
}

/** Elements of constant tensors by role. */
export type Roles = Record<"params" | "buffers" | "constants", number>;

interface ConstantInfo {
  readonly elements: number;
  readonly dataType: number;
}

/** Initializers and Constant nodes' tensors by name: element count and type. */
function constantTensors(graph: Graph): Map<string, ConstantInfo> {
  const info = (t: Tensor) => ({ elements: numel(t.dims), dataType: tensorType(t) });
  const out = new Map<string, ConstantInfo>();
  for (const t of [...graph.initializers, ...(graph.otherInitializers ?? [])]) {
    out.set(t.name, info(t));
  }
  for (const node of graph.nodes) {
    if (node.opType !== "Constant" || !node.outputs[0]) continue;
    try {
      const v = constantNodeValue(node);
      out.set(node.outputs[0], { elements: numel(v.dims), dataType: v.dataType });
    } catch {
      // a sparse or unreadable value: an uncounted activation-like tensor
    }
  }
  return out;
}

/**
 * Constant elements (initializers and Constant nodes' tensors) per node by role, each tensor at
 * its first reader (see {@linkcode roleOf}); then the elements of those nobody reads.
 *
 * @param graph The graph.
 * @returns Roles per node in graph order, and the unused elements.
 */
export function attributeConstants(graph: Graph): { perNode: Roles[]; unused: number } {
  const tensors = constantTensors(graph);
  const perNode = graph.nodes.map((node) => {
    const roles = { params: 0, buffers: 0, constants: 0 };
    node.inputs.forEach((t, k) => {
      const c = tensors.get(t);
      if (c === undefined || t === "") return;
      tensors.delete(t);
      roles[roleOf(node, k, c.dataType, c.elements)] += c.elements;
    });
    return roles;
  });
  return { perNode, unused: [...tensors.values()].reduce((a, b) => a + b.elements, 0) };
}
