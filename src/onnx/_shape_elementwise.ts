/**
 * Shape rules of elementwise ops: unary ops keep their input's shape, binary and variadic ops
 * broadcast, comparisons give bool, Cast gives its `to` type; small constant inputs fold.
 * Private to src/onnx.
 *
 * @module
 */
import { DataType, isFloatType, MAX_FOLDED_ELEMENTS } from "./_values.ts";
import { foldElementwise } from "./_shape_fold.ts";
import {
  broadcastShapes,
  intAttr,
  product,
  type RuleContext,
  type RuleOutput,
  type ShapeRule,
} from "./_shape_kit.ts";

/** Ops whose single output has the shape and type of input 0, folded by `f` when given. */
const UNARY: Readonly<Record<string, ((x: number) => number) | null>> = {
  Identity: (x) => x,
  Neg: (x) => -x,
  Abs: Math.abs,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Sqrt: Math.sqrt,
  Reciprocal: (x) => 1 / x,
  Relu: (x) => Math.max(x, 0),
  Sign: Math.sign,
  Not: (x) => (x ? 0 : 1),
  Round: (x) => x - Math.floor(x) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x),
  Exp: Math.exp,
  Log: Math.log,
  ...Object.fromEntries(
    (
      "Sigmoid HardSigmoid HardSwish Tanh Erf Gelu LeakyRelu Elu Selu Celu ThresholdedRelu " +
      "Softplus Softsign Mish Sin Cos Tan Asin Acos Atan Sinh Cosh Asinh Acosh Atanh Softmax " +
      "LogSoftmax Hardmax BatchNormalization InstanceNormalization GroupNormalization " +
      "LpNormalization MeanVarianceNormalization LRN CumSum Trilu Shrink PRelu Clip Dropout " +
      "QuantizeLinear DequantizeLinear ReverseSequence ScatterElements ScatterND Scatter"
    ).split(" ").map((op) => [op, null]),
  ),
};

const COMPARE: Readonly<Record<string, (a: number, b: number) => number>> = {
  Equal: (a, b) => +(a === b),
  Less: (a, b) => +(a < b),
  Greater: (a, b) => +(a > b),
  LessOrEqual: (a, b) => +(a <= b),
  GreaterOrEqual: (a, b) => +(a >= b),
  And: (a, b) => +(!!a && !!b),
  Or: (a, b) => +(!!a || !!b),
  Xor: (a, b) => +(!!a !== !!b),
};

const ARITHMETIC: Readonly<Record<string, (a: number, b: number, int: boolean) => number>> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b, int) => (int ? Math.trunc(a / b) : a / b),
  Pow: (a, b) => a ** b,
  Mod: (a, b) => a - b * Math.floor(a / b),
  BitShift: () => NaN,
};

const VARIADIC: Readonly<Record<string, (xs: number[]) => number>> = {
  Sum: (xs) => xs.reduce((a, b) => a + b),
  Mean: (xs) => xs.reduce((a, b) => a + b) / xs.length,
  Max: (xs) => Math.max(...xs),
  Min: (xs) => Math.min(...xs),
};

/** Outputs of a node whose second output (a mask, indices) keeps the first's shape. */
function unary(f: ((x: number) => number) | null): ShapeRule {
  return (c) => {
    const shape = c.shape(0);
    const x = c.value(0);
    const first: RuleOutput = f && x ? { shape, values: x.map(f) } : { shape };
    if (c.node.opType === "Dropout") return [first, { shape, type: DataType.BOOL }];
    if (c.node.opType === "QuantizeLinear") {
      return [{ shape, type: c.has(2) ? c.type(2) : DataType.UINT8 }];
    }
    if (c.node.opType === "DequantizeLinear") return [{ shape, type: DataType.FLOAT }];
    if (c.node.opType === "BatchNormalization") {
      if (c.node.outputs.length <= 1) return [first]; // inference mode: the usual case
      const channels = shape.length > 1 ? [shape[1]] : [];
      return [first, ...c.node.outputs.slice(1).map(() => ({ shape: channels }))];
    }
    return [first];
  };
}

function broadcastAll(c: RuleContext, count: number): number[] {
  let out: number[] = [];
  for (let i = 0; i < count; i++) out = broadcastShapes(out, c.shape(i));
  return out;
}

function inputsOf(c: RuleContext, count: number) {
  return Array.from({ length: count }, (_, i) => ({ shape: c.shape(i), values: c.value(i) }));
}

/** Whether two shapes are equal, dim for dim. */
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function binary(f: (a: number, b: number, int: boolean) => number, type?: number): ShapeRule {
  return (c) => {
    // Equal shapes broadcast to themselves; inputs without values fold to nothing (the common
    // case of activations, taken without building the fold's inputs)
    const a = c.shape(0), b = c.shape(1);
    // broadcastAll(c, 2) is broadcastShapes([], a), a copy of a, broadcast with b
    const shape = sameShape(a, b) ? [...a] : broadcastShapes(a, b);
    const int = !isFloatType(c.type(0));
    const known = c.value(0) !== undefined;
    const values = c.value(1) !== undefined && known
      ? foldElementwise(shape, inputsOf(c, 2), (a, b) => f(a, b, int))
      : undefined;
    if (values) return [type ? { shape, type, values } : { shape, values }];
    return [type ? { shape, type } : { shape }];
  };
}

function variadic(f: (xs: number[]) => number): ShapeRule {
  return (c) => {
    const n = c.node.inputs.length;
    const shape = broadcastAll(c, n);
    const values = foldElementwise(shape, inputsOf(c, n), (...xs) => f(xs));
    return [{ shape, ...(values ? { values } : {}) }];
  };
}

const where: ShapeRule = (c) => {
  const shape = broadcastAll(c, 3);
  const values = foldElementwise(shape, inputsOf(c, 3), (k, a, b) => (k ? a : b));
  return [{ shape, type: c.type(1), ...(values ? { values } : {}) }];
};

function castValue(to: number): (x: number) => number {
  if (to === DataType.BOOL) return (x) => +(x !== 0);
  if (isFloatType(to)) return (x) => x;
  return Math.trunc;
}

function cast(toOf: (c: RuleContext) => number): ShapeRule {
  return (c) => {
    const shape = c.shape(0);
    const to = toOf(c);
    const x = c.value(0);
    const values = x && product(shape) <= MAX_FOLDED_ELEMENTS ? x.map(castValue(to)) : undefined;
    return [{ shape, type: to, ...(values ? { values } : {}) }];
  };
}

/** Shape rules of the elementwise ops, by op type. */
export const ELEMENTWISE_RULES: Readonly<Record<string, ShapeRule>> = {
  ...Object.fromEntries(Object.entries(UNARY).map(([op, f]) => [op, unary(f)])),
  ...Object.fromEntries(Object.entries(ARITHMETIC).map(([op, f]) => [op, binary(f)])),
  ...Object.fromEntries(
    Object.entries(COMPARE).map(([op, f]) => [op, binary(f, DataType.BOOL)]),
  ),
  IsNaN: (c) => [{ shape: c.shape(0), type: DataType.BOOL }],
  IsInf: (c) => [{ shape: c.shape(0), type: DataType.BOOL }],
  ...Object.fromEntries(Object.entries(VARIADIC).map(([op, f]) => [op, variadic(f)])),
  Where: where,
  Cast: cast((c) => intAttr(c.node, "to", DataType.FLOAT)),
  CastLike: cast((c) => c.type(1)),
};
