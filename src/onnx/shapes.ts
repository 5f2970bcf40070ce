/**
 * Static shape inference over the graph IR, for the ops of the harness's stems and of the
 * networks users export (MobileOne, FastViT, RepVGG, RepViT, YOLO, ...), opsets 11 to 21 (and
 * the older attribute forms of Split, Slice, Squeeze, Unsqueeze, Reduce*, Pad, Resize, TopK).
 *
 * Besides shapes it tracks element types and folds the values of small constant tensors (Shape,
 * Gather, Unsqueeze, Concat, Constant, Cast, Slice, integer arithmetic, ...) so that the
 * Reshape and Flatten chains PyTorch writes resolve. Graph inputs with dynamic dims take their
 * shape from `inputShapes`. With `partial`, a node it cannot infer (unknown op, data-dependent
 * shape, failing rule) leaves its outputs, and everything computed from them, without a shape;
 * {@linkcode inferShapesPartial} lists such nodes. Where inference fails, shapes the model
 * declares (`value_info`, graph outputs) that are fully static stand in.
 *
 * @example
 * ```ts
 * import { inferShapes } from "./shapes.ts";
 * const shapes = inferShapes({
 *   name: "g", opset: 17, initializers: [],
 *   inputs: [{ name: "x", shape: [-1, 8, 4, 4], dimNames: ["batch"] }],
 *   outputs: [{ name: "y", shape: [-1, 128] }],
 *   nodes: [{ name: "f", opType: "Flatten", inputs: ["x"], outputs: ["y"], attributes: {} }],
 * }, { inputShapes: new Map([["x", [2, 8, 4, 4]]]) });
 * if (shapes.get("y")?.join() !== "2,128") throw new Error();
 * ```
 *
 * @module
 */
import type { Graph } from "./ir.ts";
import { inferIndexed, type UnknownNode } from "./indexed_inference.ts";

export { broadcastShapes } from "./_shape_kit.ts";
export { convOutputShape, matmulShape } from "./_shape_nn.ts";

/** Tensor name to static shape. */
export type ShapeMap = ReadonlyMap<string, readonly number[]>;

/** Options of {@linkcode inferShapes} and {@linkcode inferShapesPartial}. */
export interface InferOptions {
  /** Full shapes of graph inputs, overriding the declared ones (to fix dynamic dims). */
  readonly inputShapes?: ReadonlyMap<string, readonly number[]>;
  /** Leave what cannot be inferred without a shape instead of throwing. @default false */
  readonly partial?: boolean;
}

export type { UnknownNode } from "./indexed_inference.ts";

/** Everything inference found. */
export interface InferResult {
  /** Shapes of graph inputs, initializers and node outputs that could be inferred. */
  readonly shapes: ShapeMap;
  /** ONNX element type (`TensorProto.DataType`) of every tensor with a shape. */
  readonly types: ReadonlyMap<string, number>;
  /** Values of the small constant tensors that inference read or folded, row-major. */
  readonly values: ReadonlyMap<string, readonly number[]>;
  /** Nodes whose outputs got no inferred shape, in graph order. */
  readonly unknown: readonly UnknownNode[];
}

export { resolveInputShapes, SHAPE_OPS } from "./indexed_inference.ts";

function infer(graph: Graph, options: InferOptions, partial: boolean): InferResult {
  const r = inferIndexed(graph, options.inputShapes, partial);
  const { names } = r.index;
  const shapes = new Map<string, readonly number[]>();
  const types = new Map<string, number>();
  for (const id of r.shapeOrder) {
    shapes.set(names[id], r.shapes[id]!);
    types.set(names[id], r.types[id]!);
  }
  const values = new Map<string, readonly number[]>();
  for (const id of r.valueOrder) values.set(names[id], r.values[id]!);
  return { shapes, types, values, unknown: r.unknown };
}

/**
 * Infers the shape of every tensor in a graph (inputs, initializers, node outputs).
 *
 * @param graph A graph whose nodes are in topological order.
 * @param options Input shapes for dynamic dims; `partial` to skip what cannot be inferred.
 * @returns A map from tensor name to shape (without the tensors left unknown under `partial`).
 * @throws {TypeError} Unless `partial`: for an unknown op, a missing tensor, inconsistent shapes,
 *   a shape input that is not a constant, or a graph input with a dynamic dim not given in
 *   `inputShapes`. Always: when `inputShapes` names no input or has the wrong rank.
 */
export function inferShapes(graph: Graph, options: InferOptions = {}): ShapeMap {
  return infer(graph, options, options.partial ?? false).shapes;
}

/**
 * Infers shapes, element types and small constant values, leaving what it cannot infer without
 * a shape (as {@linkcode inferShapes} with `partial`), and lists the nodes concerned.
 *
 * @param graph A graph whose nodes are in topological order.
 * @param options Input shapes for dynamic dims (`partial` is implied).
 * @returns Shapes, types, values and the nodes left unknown, with the reason.
 * @throws {TypeError} When `inputShapes` names no input, has a negative dim or the wrong rank.
 * @example
 * ```ts
 * import { inferShapesPartial } from "./shapes.ts";
 * const r = inferShapesPartial({
 *   name: "g", opset: 17, initializers: [],
 *   inputs: [{ name: "x", shape: [1, 4] }], outputs: [{ name: "z", shape: [-1] }],
 *   nodes: [
 *     { name: "foo", opType: "com.example.Foo", inputs: ["x"], outputs: ["y"], attributes: {} },
 *     { name: "relu", opType: "Relu", inputs: ["y"], outputs: ["z"], attributes: {} },
 *   ],
 * });
 * if (r.unknown.map((u) => u.node).join() !== "foo,relu" || r.shapes.has("z")) throw new Error();
 * ```
 */
export function inferShapesPartial(graph: Graph, options: InferOptions = {}): InferResult {
  return infer(graph, options, true);
}
