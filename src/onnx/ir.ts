/**
 * A small ONNX graph IR as plain data: what the stem builders produce and what the
 * encoder, decoder, shape inference and counters consume.
 *
 * @module
 */

/**
 * An ONNX attribute value, tagged with its ONNX type. `tensor` holds a Constant node's value (any
 * element type, see {@linkcode Tensor}); `opaque` keeps any other kind (graphs, sparse tensors,
 * type protos) as its encoded `AttributeProto`, so a model round-trips unchanged.
 */
export type Attribute =
  | { readonly type: "int"; readonly value: number }
  | { readonly type: "ints"; readonly value: readonly number[] }
  | { readonly type: "float"; readonly value: number }
  | { readonly type: "floats"; readonly value: readonly number[] }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "strings"; readonly value: readonly string[] }
  | { readonly type: "tensor"; readonly value: Tensor }
  | { readonly type: "opaque"; readonly bytes: Uint8Array };

/** Where a node sits in the stem, for per-block counts and profile attribution. */
export interface NodeTag {
  /** Block number, 1-based. */
  readonly block: number;
  /** Branch: `kxk0`..`kxkN`, `scale`, `skip`, `add`, `act`, `se`, or `conv` for the fused conv. */
  readonly branch: string;
}

/** One graph node; `opType` is spelled as ONNX spells it (`"Conv"`, `"BatchNormalization"`). */
export interface Node {
  /** The node's name (ONNX allows it to be empty). */
  readonly name: string;
  /** Op type; `"domain.Op"` for a domain other than the default (`"com.microsoft.FusedConv"`). */
  readonly opType: string;
  /** Names of the values it reads, in the op's order; `""` for a skipped optional input. */
  readonly inputs: readonly string[];
  /** Names of the values it writes, in the op's order. */
  readonly outputs: readonly string[];
  /** Attributes by name. */
  readonly attributes: Readonly<Record<string, Attribute>>;
  /** Its block and branch (kept in the node's doc string); absent outside every block. */
  readonly tag?: NodeTag;
}

/** A float32 constant tensor stored in the graph. */
export interface Initializer {
  /** The value's name, as nodes read it. */
  readonly name: string;
  /** Its shape; `[]` for a scalar. */
  readonly dims: readonly number[];
  /** Its elements in row-major order (as many as the product of `dims`). */
  readonly data: Float32Array;
}

/**
 * A constant tensor of any element type. Float32 tensors carry `data`; others (int64 shapes of a
 * Reshape, float16, ...) carry their encoded `TensorProto` in `proto`, written back as read.
 */
export type Tensor =
  | Initializer
  | {
    /** The value's name, as nodes read it. */
    readonly name: string;
    /** Its shape; `[]` for a scalar. */
    readonly dims: readonly number[];
    /** ONNX `TensorProto.DataType` number (7 = int64, 10 = float16, ...). */
    readonly dataType: number;
    /** The encoded `TensorProto`, unchanged. */
    readonly proto: Uint8Array;
  };

/**
 * A graph input or output (or an intermediate value's declared type). `shape` uses -1 for a
 * dimension that is not a fixed number; `dimNames` keeps the symbolic names (`"batch"`) of such
 * dimensions and `elemType` the ONNX element type when it is not float32 (1).
 */
export interface ValueInfo {
  /** The value's name. */
  readonly name: string;
  /** Its dimensions, -1 where not a fixed number; empty for a scalar or an unranked value. */
  readonly shape: readonly number[];
  /** Symbolic names of dynamic dimensions, index by index (undefined where fixed or unnamed). */
  readonly dimNames?: readonly (string | undefined)[];
  /** ONNX `TensorProto.DataType` number; absent means float32 (1). */
  readonly elemType?: number;
  /** True when the value has no shape at all (rank unknown); `shape` is then empty. */
  readonly unranked?: boolean;
}

/** An operator set a model imports. */
export interface OpsetImport {
  /** The operator domain; `""` (or `"ai.onnx"`) is the default one. */
  readonly domain: string;
  /** The opset version imported from it. */
  readonly version: number;
}

/**
 * What a decoded model carries besides its graph, kept so that a rewritten model keeps the
 * original's identity. All optional: graphs built by the harness have none.
 */
export interface ModelInfo {
  /** ONNX IR version of the file (always set by the decoder); absent: the encoder's default, 8. */
  readonly irVersion?: number;
  /** Name of the tool that wrote the model (`pytorch`); absent when the file has none. */
  readonly producerName?: string;
  /** Version of that tool; absent when the file has none. */
  readonly producerVersion?: string;
  /** The model's own namespace (reverse DNS, `com.example`); absent when the file has none. */
  readonly domain?: string;
  /** The model's version number; absent when the file has none. */
  readonly modelVersion?: number;
  /** The model's documentation string; absent when the file has none. */
  readonly docString?: string;
  /** Opsets of every domain, the default one included (then it matches `Graph.opset`). */
  readonly opsetImports?: readonly OpsetImport[];
  /** `metadata_props` as key/value pairs, in order. */
  readonly metadata?: readonly { readonly key: string; readonly value: string }[];
  /**
   * An encoded `ModelProto` holding only what the IR does not model (local functions, training
   * info, the graph's doc string, metadata, sparse initializers and quantization annotations,
   * initializers listed as inputs, value infos that are not tensors, unknown fields), merged back
   * by the encoder so that a model keeps them through a rewrite.
   */
  readonly extra?: Uint8Array;
}

/** A whole ONNX graph with one opset of the default domain. */
export interface Graph {
  /** The graph's name (may be empty). */
  readonly name: string;
  /** Opset version of the default domain; 0 when a decoded model imports none of it. */
  readonly opset: number;
  /** The graph's inputs, initializers excluded, in order. */
  readonly inputs: readonly ValueInfo[];
  /** The graph's outputs, in order. */
  readonly outputs: readonly ValueInfo[];
  /** The float32 constant tensors (weights, biases, BN statistics). */
  readonly initializers: readonly Initializer[];
  /** The nodes, in topological order (as ONNX requires). */
  readonly nodes: readonly Node[];
  /** Initializers that are not float32 (int64 shapes, ...), kept as read. */
  readonly otherInitializers?: readonly Tensor[];
  /** Declared types of intermediate values (`graph.value_info`). */
  readonly valueInfo?: readonly ValueInfo[];
  /** The model around the graph, when it was decoded from a file. */
  readonly model?: ModelInfo;
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

/**
 * A node of a model-local function's body: a {@linkcode Node} whose attributes may also refer to
 * the calling node's attributes (`ref_attr_name`).
 */
export interface FunctionNode extends Node {
  /** Attributes taken from the caller: this node's attribute name -> the function's attribute. */
  readonly attributeRefs: Readonly<Record<string, string>>;
}

/**
 * A model-local function (`FunctionProto`), as `decodeLocalFunctions` (decode.ts) reads it from
 * `ModelInfo.extra`: what inlining needs. Its value infos and metadata are not modelled.
 */
export interface LocalFunction {
  /** The function's domain: the calling node's domain. */
  readonly domain: string;
  /** The function's name: the calling node's op type. */
  readonly name: string;
  /** The overload identifier (IR 10); absent when the function has none. */
  readonly overload?: string;
  /** Formal input names, in order. */
  readonly inputs: readonly string[];
  /** Formal output names, in order. */
  readonly outputs: readonly string[];
  /** The attributes it takes (`attribute` and `attribute_proto` names). */
  readonly attributeNames: readonly string[];
  /** Default values of attributes (`attribute_proto`, IR 9), by name. */
  readonly attributeDefaults: Readonly<Record<string, Attribute>>;
  /** The opsets its body uses. */
  readonly opsetImports: readonly OpsetImport[];
  /** Its body, in topological order. */
  readonly nodes: readonly FunctionNode[];
}
