/**
 * One rule per linear op: how a node's output is an expression of one source tensor, given the
 * expressions of its inputs. A node none of the rules accepts is opaque.
 *
 * @module
 */
import type { Node } from "../../onnx/ir.ts";
import type { Constant, Context } from "./_context.ts";
import { sumBlocker, sumLins } from "./_align.ts";
import { composedGeometry, composeLin, sequenceExact } from "./_compose.ts";
import {
  affineLin,
  convLin,
  type ConvParams,
  identityLin,
  type Lin,
  macsPerOutput,
  withNode,
} from "./linear.ts";

/** What the rules read besides the node: the context and the expressions built so far. */
export interface Env {
  /** The graph index. */
  readonly ctx: Context;
  /** The expression a tensor continues, or undefined when the tensor is a source. */
  continued(name: string): Lin | undefined;
}

/** A node's output as an expression, and the inputs whose expressions it continued. */
export interface Step {
  /** The node's output as an expression. */
  readonly lin: Lin;
  /** The inputs whose own expressions it continued (absorbed). */
  readonly via: readonly string[];
}

/**
 * MACs of computing an expression as one conv that writes `tensor`.
 *
 * @param ctx The graph index (for the tensor's area).
 * @param lin The expression.
 * @param tensor The tensor it computes.
 * @returns MACs (per the graph's shapes, or relative where sizes are unknown).
 */
export function emittedCost(ctx: Context, lin: Lin, tensor: string): number {
  return lin.cout * ctx.shapes.area(tensor) * macsPerOutput(lin);
}

/** A tensor as an operand: its continued expression, or the identity of it as a source. */
function operand(env: Env, name: string, channels?: number): Step | undefined {
  if (env.ctx.constant(name)) return undefined;
  const lin = env.continued(name);
  if (lin) return { lin, via: [name] };
  const shape = env.ctx.shapes.shape(name);
  const c = env.ctx.channels(name) ?? channels;
  if (shape?.length !== 4 || c === undefined || !env.ctx.float(name)) return undefined;
  return { lin: identityLin(name, c), via: [] };
}

/** The channel count a constant names: C for `[C,1,1]` or `[1,C,1,1]`. */
function channelHint(c: Constant): number | undefined {
  const d = c.dims;
  if (d.length === 3 && d[1] === 1 && d[2] === 1) return d[0];
  if (d.length === 4 && d[0] === 1 && d[2] === 1 && d[3] === 1) return d[1];
  return undefined;
}

/** A scalar or per-channel constant as C float64 values; undefined for other shapes. */
function channelVector(c: Constant, channels: number): Float64Array | undefined {
  if (c.data.length === 1 && c.dims.length <= 4) {
    return new Float64Array(channels).fill(c.data[0]);
  }
  return channelHint(c) === channels ? Float64Array.from(c.data) : undefined;
}

function ints(node: Node, name: string, fallback: readonly number[]): readonly number[] {
  const a = node.attributes[name];
  return a?.type === "ints" ? a.value : fallback;
}

/**
 * A Conv node's constant weights and 2-D geometry.
 *
 * @param node The Conv node.
 * @param ctx The graph index (for constants).
 * @returns The parameters; undefined when the weights are not float32 constants, the conv is
 *   not 2-D, or `auto_pad` is set.
 */
export function convParams(node: Node, ctx: Context): ConvParams | undefined {
  const a = node.attributes;
  if (a.auto_pad && !(a.auto_pad.type === "string" && a.auto_pad.value === "NOTSET")) return;
  const w = ctx.constant(node.inputs[1]);
  const b = node.inputs[2] ? ctx.constant(node.inputs[2]) : undefined;
  if (!w || w.dims.length !== 4 || (node.inputs[2] && !b)) return;
  const [cout, , kh, kw] = w.dims;
  const group = a.group?.type === "int" ? a.group.value : 1;
  const kernel = ints(node, "kernel_shape", [kh, kw]);
  const [stride, dil, pads] = [
    ints(node, "strides", [1, 1]),
    ints(node, "dilations", [1, 1]),
    ints(node, "pads", [0, 0, 0, 0]),
  ];
  if (
    group < 1 || cout % group !== 0 || (b && b.data.length !== cout) || kernel.length !== 2 ||
    kernel[0] !== kh || kernel[1] !== kw || stride.length !== 2 || dil.length !== 2 ||
    pads.length !== 4 || node.outputs.length !== 1
  ) return;
  return {
    weight: w.data,
    dims: [w.dims[0], w.dims[1], kh, kw],
    bias: b?.data,
    group,
    stride: [stride[0], stride[1]],
    dilation: [dil[0], dil[1]],
    padBegin: [pads[0], pads[1]],
    padEnd: [pads[2], pads[3]],
  };
}

const outSize = (h: number, k: number, s: number, d: number, p: number, e: number) =>
  Math.floor((h + p + e - (k - 1) * d - 1) / s) + 1;

/** Whether a merged geometry reproduces the known output size (true when sizes are unknown). */
function sizeAgrees(
  ctx: Context,
  lin: Pick<Lin, "kernel" | "stride" | "dilation" | "padBegin" | "padEnd">,
  src: string,
  out: string,
): boolean {
  const [x, y] = [ctx.shapes.shape(src), ctx.shapes.shape(out)];
  if (!x || !y || x.length !== 4 || y.length !== 4) return true;
  return [0, 1].every((a) => {
    const [h, o] = [x[2 + a], y[2 + a]];
    return h < 0 || o < 0 || o === outSize(
          h,
          lin.kernel[a],
          lin.stride[a],
          lin.dilation[a],
          lin.padBegin[a],
          lin.padEnd[a],
        );
  });
}

/** `conv2(inner)` as one conv when exact, no more expensive, and of the right size. */
function sequence(env: Env, node: Node, p: ConvParams, inner: Lin): Lin | undefined {
  const { ctx } = env;
  const [x, out] = [node.inputs[0], node.outputs[0]];
  if (!ctx.options.sequences || p.dims[1] * p.group !== inner.cout) return;
  if (!sequenceExact(p, inner)) return;
  const geo = composedGeometry(p, inner);
  const merged = p.dims[0] * ctx.shapes.area(out) * (inner.cin / geo.group) * geo.kernel[0] *
    geo.kernel[1];
  const parts = emittedCost(ctx, inner, x) + ctx.nodeCost(node);
  if (merged > parts || !sizeAgrees(ctx, geo, inner.src, out)) return;
  return composeLin(p, inner, node.outputs[0]);
}

function conv(env: Env, node: Node): Step | undefined {
  const p = convParams(node, env.ctx);
  const x = node.inputs[0];
  const c = env.ctx.channels(x);
  if (!p || env.ctx.constant(x) || (c !== undefined && c !== p.dims[1] * p.group)) return;
  const inner = env.continued(x);
  const seq = inner && sequence(env, node, p, inner);
  return seq ? { lin: seq, via: [x] } : { lin: convLin(x, p, node.outputs[0]), via: [] };
}

function batchNorm(env: Env, node: Node): Step | undefined {
  const a = node.attributes;
  const params = node.inputs.slice(1).map((i) => env.ctx.constant(i));
  if (node.inputs.length !== 5 || params.some((c) => !c || c.dims.length !== 1)) return;
  if (a.training_mode?.type === "int" && a.training_mode.value !== 0) return;
  if (a.spatial?.type === "int" && a.spatial.value !== 1) return;
  const [s, b, m, v] = params.map((c) => c!.data);
  const eps = a.epsilon?.type === "float" ? a.epsilon.value : 1e-5;
  const op = operand(env, node.inputs[0], s.length);
  if (!op || [b, m, v].some((t) => t.length !== s.length) || op.lin.cout !== s.length) return;
  const scale = Float64Array.from(s, (g, c) => g / Math.sqrt(v[c] + eps));
  const shift = Float64Array.from(b, (beta, c) => beta - m[c] * scale[c]);
  if (!scale.every(Number.isFinite) || !shift.every(Number.isFinite)) return;
  return { lin: affineLin(op.lin, scale, shift, node.outputs[0], "bn-skip"), via: op.via };
}

/** The tensor and constant operands of a binary node with exactly one constant. */
function tensorAndConstant(env: Env, node: Node) {
  const [a, b] = node.inputs.map((i) => env.ctx.constant(i));
  if (node.inputs.length !== 2 || (a && b) || (!a && !b)) return undefined;
  const constFirst = a !== undefined;
  const c = (a ?? b)!;
  const op = operand(env, node.inputs[constFirst ? 1 : 0], channelHint(c));
  const vec = op && channelVector(c, op.lin.cout);
  return op && vec ? { op, vec, constFirst } : undefined;
}

/**
 * Whether a tensor is a product of two non-constant tensors (a gated activation: GELU's
 * `x * (1 + erf(x / sqrt 2))`, SiLU, HardSwish). A constant scale after it (GELU's `* 0.5`,
 * HardSwish's `/ 6`) is part of the activation, which runtimes fuse as a whole pattern; taking
 * the scale into the next conv would break that pattern, so it is not a linear piece.
 */
function isGatedProduct(env: Env, name: string): boolean {
  const p = env.ctx.producer.get(name);
  return !env.continued(name) && (p?.opType === "Mul" || p?.opType === "Div") &&
    p.inputs.length === 2 && p.inputs.every((i) => !env.ctx.constant(i));
}

function scaleNode(env: Env, node: Node): Step | undefined {
  const t = tensorAndConstant(env, node);
  if (!t || (node.opType === "Div" && (t.constFirst || t.vec.some((v) => v === 0)))) return;
  if (t.op.via.length === 0 && isGatedProduct(env, t.op.lin.src)) return;
  const scale = node.opType === "Div" ? t.vec.map((v) => 1 / v) : t.vec;
  return { lin: affineLin(t.op.lin, scale, undefined, node.outputs[0], "scale"), via: t.op.via };
}

function addConstant(env: Env, node: Node): Step | undefined {
  const t = tensorAndConstant(env, node);
  if (!t) return;
  const { op, vec, constFirst } = t;
  const sub = node.opType === "Sub";
  if (sub && constFirst) {
    const minus = new Float64Array(vec.length).fill(-1);
    return { lin: affineLin(op.lin, minus, vec, node.outputs[0], "scale"), via: op.via };
  }
  if (vec.every((v) => v === 0)) return { lin: withNode(op.lin, node.outputs[0]), via: op.via };
  const shift = sub ? vec.map((v) => -v) : vec;
  return { lin: affineLin(op.lin, undefined, shift, node.outputs[0], "identity"), via: op.via };
}

/** Whether two tensors' shapes are known equal, known different, or unknown. */
function sameShape(env: Env, a: string, b: string): boolean | undefined {
  const [sa, sb] = [env.ctx.shapes.shape(a), env.ctx.shapes.shape(b)];
  if (!sa || !sb) return undefined;
  if (sa.length !== sb.length) return false;
  const dims = (s: readonly number[]) => s.slice(1);
  if (![...dims(sa), ...dims(sb)].every((d) => d > 0)) return undefined;
  return dims(sa).every((d, i) => d === dims(sb)[i]);
}

function sum(env: Env, node: Node): Step | undefined {
  if (node.inputs.some((i) => env.ctx.constant(i))) return addConstant(env, node);
  const [a, b] = node.inputs;
  if (node.inputs.length !== 2) return;
  const first = env.continued(a) ? a : b;
  const second = first === a ? b : a;
  const op1 = operand(env, first);
  const op2 = op1 && operand(env, second, op1.lin.cout);
  if (!op1 || !op2) return;
  const [la, lb] = first === a ? [op1, op2] : [op2, op1];
  const same = sameShape(env, a, b);
  if (sumBlocker(la.lin, lb.lin, same)) return;
  const sign = node.opType === "Sub" ? -1 : 1;
  const lin = sumLins(la.lin, lb.lin, sign, node.outputs[0], same);
  if (!sizeAgrees(env.ctx, lin, lin.src, node.outputs[0])) return;
  return { lin, via: [...la.via, ...lb.via] };
}

function identity(env: Env, node: Node): Step | undefined {
  const op = operand(env, node.inputs[0]);
  return op && { lin: withNode(op.lin, node.outputs[0]), via: op.via };
}

const RULES: Record<string, (env: Env, node: Node) => Step | undefined> = {
  Conv: conv,
  BatchNormalization: batchNorm,
  Mul: scaleNode,
  Div: scaleNode,
  Add: sum,
  Sub: sum,
  Identity: identity,
};

/**
 * A node's output as an expression of one source, or undefined when the node is opaque.
 *
 * @param env The context and the expressions of earlier tensors.
 * @param node The node.
 * @returns The expression and the inputs whose expressions it continued.
 */
export function linearize(env: Env, node: Node): Step | undefined {
  const rule = RULES[node.opType];
  const [out, ...rest] = node.outputs;
  if (!rule || !out || rest.some((o) => o !== "")) return undefined;
  return rule(env, node);
}
