/**
 * What every shape rule uses: the rule signature, attribute readers with ONNX defaults, axis
 * normalisation, broadcasting and the sliding-window arithmetic of Conv and the pools.
 * Private to src/onnx: shapes.ts is the public entry point.
 *
 * @module
 */
import type { Attribute, Node } from "./ir.ts";

/** What a rule sees of one node: its inputs' shapes, folded values and element types. */
export interface RuleContext {
  readonly node: Node;
  /** Opset of the default domain. */
  readonly opset: number;
  /** Whether input `i` is given (present and not the empty name of a skipped optional input). */
  has(i: number): boolean;
  /** Shape of input `i`; throws a TypeError when the input is missing. */
  shape(i: number): readonly number[];
  /** Values of input `i` when inference knows them (small constants), else undefined. */
  value(i: number): readonly number[] | undefined;
  /** Element type of input `i` (`TensorProto.DataType`; 1 when not known). */
  type(i: number): number;
}

/** One output of a rule: its shape, and its element type and values when not the default. */
export interface RuleOutput {
  readonly shape: readonly number[];
  /** Element type; absent means that of input 0. */
  readonly type?: number;
  /** Values, row-major, when the output is a small constant. */
  readonly values?: readonly number[];
}

/** A shape rule: the node's outputs, in order (fewer than the node has leaves the rest unknown). */
export type ShapeRule = (c: RuleContext) => RuleOutput[];

/**
 * Throws the TypeError every rule throws.
 *
 * @param node The node whose shape cannot be inferred.
 * @param why The reason, completing "Cannot infer shape of NODE (OP) as ...".
 * @throws {TypeError} Always.
 */
export function fail(node: Node, why: string): never {
  throw new TypeError(`Cannot infer shape of "${node.name}" (${node.opType}) as ${why}`);
}

/**
 * An int attribute, or its default (attribute readers below likewise).
 *
 * @param node The node.
 * @param name The attribute's name.
 * @param fallback ONNX's default, returned when the attribute is absent or of another kind.
 * @returns The value.
 */
export function intAttr(node: Node, name: string, fallback: number): number {
  const a: Attribute | undefined = node.attributes[name];
  return a?.type === "int" ? a.value : fallback;
}

/** An ints attribute, or its default. */
export function intsAttr<T extends readonly number[] | undefined>(
  node: Node,
  name: string,
  fallback: T,
): readonly number[] | T {
  const a: Attribute | undefined = node.attributes[name];
  return a?.type === "ints" ? a.value : fallback;
}

/** A float attribute, or its default. */
export function floatAttr(node: Node, name: string, fallback: number): number {
  const a: Attribute | undefined = node.attributes[name];
  return a?.type === "float" ? a.value : a?.type === "int" ? a.value : fallback;
}

/** A string attribute, or its default. */
export function stringAttr(node: Node, name: string, fallback: string): string {
  const a: Attribute | undefined = node.attributes[name];
  return a?.type === "string" ? a.value : fallback;
}

/**
 * Normalises a possibly negative axis into [0, rank).
 *
 * @param node The node (for the error).
 * @param axis The axis, negative counting from the back.
 * @param rank The rank.
 * @returns The axis in [0, rank).
 * @throws {TypeError} When it is out of range.
 */
export function axisOf(node: Node, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    fail(node, `axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

/**
 * The values of input `i`, which the rule needs to be a constant.
 *
 * @param c The rule's context.
 * @param i The input index.
 * @param what The input's role, for the error.
 * @returns The values.
 * @throws {TypeError} When inference does not know them.
 */
export function constInput(c: RuleContext, i: number, what: string): readonly number[] {
  const v = c.value(i);
  if (!v) fail(c.node, `its ${what} input "${c.node.inputs[i]}" is not a constant`);
  return v;
}

/**
 * Ints from input `i` (newer opsets) or from attribute `name` (older opsets).
 *
 * @param c The rule's context.
 * @param i The input index.
 * @param name The attribute's name.
 * @param what The input's role, for the error.
 * @returns The values, or undefined when the node has neither.
 * @throws {TypeError} When the input is given but not a constant.
 */
export function intsFrom(
  c: RuleContext,
  i: number,
  name: string,
  what: string,
): readonly number[] | undefined {
  if (c.has(i)) return constInput(c, i, what);
  return intsAttr(c.node, name, undefined);
}

/** Product of a list of dimensions. */
export function product(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/**
 * Numpy-style broadcast of two shapes.
 *
 * @param a A shape.
 * @param b Another shape.
 * @returns The broadcast shape.
 * @throws {TypeError} When a pair of dimensions differs and neither is 1.
 * @example
 * ```ts
 * import { broadcastShapes } from "./shapes.ts";
 * if (broadcastShapes([3, 1], [1, 5]).join() !== "3,5") throw new Error();
 * ```
 */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  // Leading dims a shape lacks are 1 (read without negative indices, slow property look-ups)
  const offA = rank - a.length, offB = rank - b.length;
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = (i < offA ? undefined : a[i - offA]) ?? 1;
    const y = (i < offB ? undefined : b[i - offB]) ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new TypeError(`Cannot broadcast shapes [${a}] and [${b}]`);
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

/**
 * Spatial output sizes of a sliding window (Conv, pools) per ONNX: `auto_pad` SAME_UPPER and
 * SAME_LOWER give ceil(in / stride); VALID uses no padding; NOTSET uses `pads` (begins, then
 * ends). Otherwise floor((in + pads - ((k - 1) * d + 1)) / s) + 1, or ceil with `ceil_mode`,
 * less one when the last window would start in the end padding (as PyTorch and ONNX specify).
 *
 * @param node The node (its strides, dilations, pads, auto_pad).
 * @param spatial The input's spatial dims.
 * @param kernel The kernel's spatial dims.
 * @param ceilMode Whether to round up (pools' `ceil_mode`).
 * @returns The output's spatial dims.
 * @throws {TypeError} When a window does not fit the padded input.
 */
export function windowOutput(
  node: Node,
  spatial: readonly number[],
  kernel: readonly number[],
  ceilMode: boolean,
): number[] {
  const r = spatial.length;
  if (kernel.length !== r) fail(node, `its kernel has ${kernel.length} dims for ${r} spatial`);
  // Absent attributes take their defaults (strides and dilations 1, pads 0) dim by dim
  const strides = intsAttr(node, "strides", undefined);
  const dilations = intsAttr(node, "dilations", undefined);
  const pads = intsAttr(node, "pads", undefined);
  const autoPad = stringAttr(node, "auto_pad", "NOTSET");
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = spatial[i];
    const s = strides?.[i] ?? 1;
    if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
      out.push(Math.ceil(x / s));
      continue;
    }
    const valid = autoPad === "VALID";
    const begin = valid ? 0 : pads?.[i] ?? 0;
    const span = x + begin + (valid ? 0 : pads?.[i + r] ?? 0) -
      ((kernel[i] - 1) * (dilations?.[i] ?? 1) + 1);
    if (span < 0) {
      fail(node, `its window is larger than the padded input (${x}, kernel ${kernel[i]})`);
    }
    if (!ceilMode) {
      out.push(Math.floor(span / s) + 1);
      continue;
    }
    const o = Math.ceil(span / s) + 1;
    out.push((o - 1) * s >= x + begin ? o - 1 : o);
  }
  return out;
}
