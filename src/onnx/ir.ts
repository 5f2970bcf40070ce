/**
 * A small ONNX graph IR as plain data: what the stem builders produce and what the
 * encoder, decoder, shape inference and counters consume.
 *
 * @module
 */

/** An ONNX attribute value, tagged with its ONNX type. */
export type Attribute =
  | { readonly type: "int"; readonly value: number }
  | { readonly type: "ints"; readonly value: readonly number[] }
  | { readonly type: "float"; readonly value: number }
  | { readonly type: "string"; readonly value: string };

/** Where a node sits in the stem, for per-block counts and profile attribution. */
export interface NodeTag {
  /** Block number, 1-based. */
  readonly block: number;
  /** Branch: `kxk0`..`kxkN`, `scale`, `skip`, `add`, `act`, `se`, or `conv` for the fused conv. */
  readonly branch: string;
}

/** One graph node; `opType` is spelled as ONNX spells it (`"Conv"`, `"BatchNormalization"`). */
export interface Node {
  readonly name: string;
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, Attribute>>;
  readonly tag?: NodeTag;
}

/** A float32 constant tensor stored in the graph. */
export interface Initializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/** A float32 graph input or output with a static shape. */
export interface ValueInfo {
  readonly name: string;
  readonly shape: readonly number[];
}

/** A whole ONNX graph with one opset of the default domain. */
export interface Graph {
  readonly name: string;
  readonly opset: number;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly initializers: readonly Initializer[];
  readonly nodes: readonly Node[];
}

/** Builds an int attribute. */
export function int(value: number): Attribute {
  return { type: "int", value };
}

/** Builds an ints attribute. */
export function ints(value: readonly number[]): Attribute {
  return { type: "ints", value };
}

/** Builds a float attribute. */
export function float(value: number): Attribute {
  return { type: "float", value };
}

/**
 * Returns the number of elements of a shape.
 *
 * @example
 * ```ts
 * import { numel } from "./ir.ts";
 * if (numel([2, 3, 4]) !== 24) throw new Error();
 * ```
 */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
