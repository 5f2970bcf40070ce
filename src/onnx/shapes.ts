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
import type { Graph, Tensor, ValueInfo } from "./ir.ts";
import { DataType, tensorType, tensorValues } from "./_values.ts";
import type { RuleContext, RuleOutput, ShapeRule } from "./_shape_kit.ts";
import { ELEMENTWISE_RULES } from "./_shape_elementwise.ts";
import { NN_RULES } from "./_shape_nn.ts";
import { DATA_RULES } from "./_shape_data.ts";
import { INDEX_RULES } from "./_shape_index.ts";

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

/** A node whose outputs got no shape, and why. */
export interface UnknownNode {
  /** Position of the node in graph order. */
  readonly index: number;
  readonly node: string;
  readonly opType: string;
  readonly reason: string;
}

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

const RULES: Readonly<Record<string, ShapeRule>> = {
  ...ELEMENTWISE_RULES,
  ...NN_RULES,
  ...DATA_RULES,
  ...INDEX_RULES,
};

/** Op types of the default ONNX domain that inference has a rule for, sorted. */
export const SHAPE_OPS: readonly string[] = Object.freeze(Object.keys(RULES).sort());

function dynamicDim(input: ValueInfo, shape: readonly number[]): string | undefined {
  if (input.unranked) return `has no declared shape`;
  const i = shape.findIndex((d) => !(Number.isInteger(d) && d >= 0));
  if (i < 0) return undefined;
  const name = input.dimNames?.[i];
  return `has dynamic dimension ${i}${name ? ` ("${name}")` : ""}: current shape is [${shape}]`;
}

function checkOverrides(graph: Graph, inputShapes: ReadonlyMap<string, readonly number[]>): void {
  const byName = new Map(graph.inputs.map((i) => [i.name, i]));
  for (const [name, shape] of inputShapes) {
    const input = byName.get(name);
    if (!input) {
      throw new TypeError(
        `Cannot infer shapes as "${name}" in inputShapes is not a graph input: inputs are ${
          graph.inputs.map((i) => `"${i.name}"`).join(", ")
        }`,
      );
    }
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new TypeError(
        `Cannot infer shapes as inputShapes gives "${name}" the shape [${shape}]`,
      );
    }
    if (!input.unranked && input.shape.length !== shape.length) {
      throw new TypeError(
        `Cannot infer shapes as inputShapes gives "${name}" rank ${shape.length} but the model ` +
          `declares [${input.shape}]`,
      );
    }
  }
}

/**
 * The shape of every graph input, dynamic dims replaced from `inputShapes`.
 *
 * @param graph The graph.
 * @param inputShapes Full shapes of some inputs, overriding the declared ones.
 * @returns Input name to shape.
 * @throws {TypeError} When an input still has a dynamic dim (the message names the input and the
 *   dim), or `inputShapes` names no input, has a negative dim or the wrong rank.
 */
export function resolveInputShapes(
  graph: Graph,
  inputShapes: ReadonlyMap<string, readonly number[]> = new Map(),
): Map<string, readonly number[]> {
  checkOverrides(graph, inputShapes);
  const out = new Map<string, readonly number[]>();
  for (const input of graph.inputs) {
    const shape = inputShapes.get(input.name) ?? input.shape;
    const problem = inputShapes.has(input.name) ? undefined : dynamicDim(input, shape);
    if (problem) {
      throw new TypeError(
        `Cannot infer shapes as graph input "${input.name}" ${problem}; give its full shape ` +
          `in inputShapes (--shape ${input.name}=d0,d1,...)`,
      );
    }
    out.set(input.name, shape);
  }
  return out;
}

function declaredShapes(graph: Graph): Map<string, ValueInfo> {
  const out = new Map<string, ValueInfo>();
  for (const v of [...(graph.valueInfo ?? []), ...graph.outputs]) {
    if (!v.unranked && v.shape.every((d) => d >= 0)) out.set(v.name, v);
  }
  return out;
}

function infer(graph: Graph, options: InferOptions, partial: boolean): InferResult {
  const shapes = new Map<string, readonly number[]>();
  const types = new Map<string, number>();
  const values = new Map<string, readonly number[]>();
  const unknown: UnknownNode[] = [];
  const overrides = options.inputShapes ?? new Map();
  checkOverrides(graph, overrides);
  const inputs = partial ? undefined : resolveInputShapes(graph, overrides);
  const why = new Map<string, string>();
  for (const input of graph.inputs) {
    const shape = inputs?.get(input.name) ?? overrides.get(input.name) ?? input.shape;
    const problem = inputs || overrides.has(input.name) ? undefined : dynamicDim(input, shape);
    if (problem) {
      why.set(input.name, ` (graph input "${input.name}" ${problem})`);
      continue;
    }
    shapes.set(input.name, shape);
    types.set(input.name, input.elemType ?? DataType.FLOAT);
  }
  const tensors = new Map<string, Tensor>();
  for (const t of [...graph.initializers, ...(graph.otherInitializers ?? [])]) {
    tensors.set(t.name, t);
    shapes.set(t.name, t.dims);
    types.set(t.name, tensorType(t));
  }
  const valueOf = (name: string) => {
    const known = values.get(name);
    if (known) return known;
    const t = tensors.get(name);
    const v = t && tensorValues(t);
    if (v) values.set(name, v);
    return v;
  };
  const declared = partial ? declaredShapes(graph) : new Map<string, ValueInfo>();
  for (const [index, node] of graph.nodes.entries()) {
    const given = (i: number) => i < node.inputs.length && node.inputs[i] !== "";
    const c: RuleContext = {
      node,
      opset: graph.opset,
      has: given,
      shape: (i) => {
        const s = given(i) ? shapes.get(node.inputs[i]) : undefined;
        if (!s) {
          throw new TypeError(`Cannot infer shape of "${node.name}" as input ${i} is missing`);
        }
        return s;
      },
      value: (i) => (given(i) ? valueOf(node.inputs[i]) : undefined),
      type: (i) => (given(i) ? types.get(node.inputs[i]) : undefined) ?? DataType.FLOAT,
    };
    let result: RuleOutput[] | undefined;
    let reason: string;
    const missing = node.inputs.find((t) => t !== "" && !shapes.has(t));
    const rule = RULES[node.opType];
    if (missing !== undefined) {
      if (!partial) {
        throw new TypeError(`Cannot infer shapes as tensor "${missing}" is used before defined`);
      }
      reason = `input "${missing}" has no shape${why.get(missing) ?? ""}`;
    } else if (!rule) {
      reason = `op "${node.opType}" has no shape rule`;
      if (!partial) {
        throw new TypeError(
          `Cannot infer shape of "${node.name}" as op "${node.opType}" is unknown`,
        );
      }
    } else {
      try {
        result = rule(c);
      } catch (e) {
        if (!partial || !(e instanceof Error)) throw e;
        reason = e.message;
      }
    }
    if (result) {
      node.outputs.forEach((name, k) => {
        const o = result![k];
        if (name === "" || !o) return;
        shapes.set(name, o.shape);
        types.set(name, o.type ?? c.type(0));
        if (o.values) values.set(name, o.values);
      });
      continue;
    }
    const stand = node.outputs.filter((t) => t !== "").map((t) => declared.get(t));
    if (stand.length > 0 && stand.every((v) => v)) {
      for (const v of stand) {
        shapes.set(v!.name, v!.shape);
        types.set(v!.name, v!.elemType ?? DataType.FLOAT);
      }
      reason! += "; the model's declared output shapes stand in";
    }
    unknown.push({ index, node: node.name, opType: node.opType, reason: reason! });
  }
  return { shapes, types, values, unknown };
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
