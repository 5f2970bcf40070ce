/**
 * Shape inference over tensors numbered once per graph structure: shapes, types and folded
 * values live in arrays indexed by tensor id, so inferring a graph again (the same nodes at
 * another input shape, as counting does) makes no maps and looks up no names. shapes.ts is the
 * entry point by tensor name (it turns these arrays into maps, in the order inference set them)
 * and documents the behaviour; counting (src/profile/counts.ts) reads the arrays.
 *
 * @module
 */
import type { Graph, Initializer, Node, Tensor, ValueInfo } from "./ir.ts";
import { DataType, MAX_FOLDED_ELEMENTS, tensorType, tensorValues } from "./_values.ts";
import type { RuleContext, RuleOutput, ShapeRule } from "./_shape_kit.ts";
import { ELEMENTWISE_RULES } from "./_shape_elementwise.ts";
import { NN_RULES } from "./_shape_nn.ts";
import { DATA_RULES } from "./_shape_data.ts";
import { INDEX_RULES } from "./_shape_index.ts";

/** A node whose outputs got no shape, and why. */
export interface UnknownNode {
  /** Position of the node in graph order. */
  readonly index: number;
  /** The node's name as the graph spells it (may be empty: ONNX allows unnamed nodes). */
  readonly node: string;
  /** Its op type; `"domain.Op"` outside the default domain, as {@linkcode Node} spells it. */
  readonly opType: string;
  /**
   * Why it has no shape: a missing input shape, no rule for the op, or the rule's error; ends
   * with "the model's declared output shapes stand in" when those were used instead.
   */
  readonly reason: string;
}

const RULES: Readonly<Record<string, ShapeRule>> = {
  ...ELEMENTWISE_RULES,
  ...NN_RULES,
  ...DATA_RULES,
  ...INDEX_RULES,
};

/** Op types of the default ONNX domain that inference has a rule for, sorted. */
export const SHAPE_OPS: readonly string[] = Object.freeze(Object.keys(RULES).sort());

/** No input shapes given (shared: never written). */
const NO_SHAPES: ReadonlyMap<string, readonly number[]> = new Map();

function dynamicDim(input: ValueInfo, shape: readonly number[]): string | undefined {
  if (input.unranked) return `has no declared shape`;
  const i = shape.findIndex((d) => !(Number.isInteger(d) && d >= 0));
  if (i < 0) return undefined;
  const name = input.dimNames?.[i];
  return `has dynamic dimension ${i}${name ? ` ("${name}")` : ""}: current shape is [${shape}]`;
}

/** Checks `inputShapes` against the graph's inputs. */
export function checkOverrides(
  graph: Graph,
  inputShapes: ReadonlyMap<string, readonly number[]>,
): void {
  if (inputShapes.size === 0) return;
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
  const out = new Map<string, readonly number[]>();
  eachInputShape(graph, inputShapes, (name, shape) => out.set(name, shape));
  return out;
}

/**
 * Checks what {@linkcode resolveInputShapes} checks, throwing the same errors, without making
 * its map.
 */
export function checkInputShapes(
  graph: Graph,
  inputShapes: ReadonlyMap<string, readonly number[]> | undefined,
): void {
  eachInputShape(graph, inputShapes ?? NO_SHAPES, () => {});
}

function eachInputShape(
  graph: Graph,
  inputShapes: ReadonlyMap<string, readonly number[]>,
  each: (name: string, shape: readonly number[]) => void,
): void {
  checkOverrides(graph, inputShapes);
  for (const input of graph.inputs) {
    const shape = inputShapes.get(input.name) ?? input.shape;
    const problem = inputShapes.has(input.name) ? undefined : dynamicDim(input, shape);
    if (problem) {
      throw new TypeError(
        `Cannot infer shapes as graph input "${input.name}" ${problem}; give its full shape ` +
          `in inputShapes (--shape ${input.name}=d0,d1,...)`,
      );
    }
    each(input.name, shape);
  }
}

function declaredShapes(graph: Graph): Map<string, ValueInfo> {
  const out = new Map<string, ValueInfo>();
  for (const v of [...(graph.valueInfo ?? []), ...graph.outputs]) {
    if (!v.unranked && v.shape.every((d) => d >= 0)) out.set(v.name, v);
  }
  return out;
}

/**
 * Every tensor name of a graph numbered: graph inputs, initializers, then what nodes read and
 * write, in first-seen order; per node the id at each input and output (-1 for a skipped one,
 * the empty name). Depends on the names only.
 */
export interface TensorIndex {
  /** Names by id. */
  readonly names: readonly string[];
  /** Ids by name. */
  readonly ids: ReadonlyMap<string, number>;
  /** Per node: the id at each input position. */
  readonly inputs: readonly (readonly number[])[];
  /** Per node: the id at each output position. */
  readonly outputs: readonly (readonly number[])[];
  /** Per graph input: its id. */
  readonly graphInputs: readonly number[];
  /** Per initializer, then per other initializer: its id. */
  readonly constants: readonly number[];
  /** Per id: the initializer of that name (the last one, as a map would keep), if any. */
  readonly tensors: readonly (Tensor | undefined)[];
  /** Per node: the shape rule of its op, when there is one. */
  readonly rules: readonly (ShapeRule | undefined)[];
}

/**
 * What an inference fills, by id: shared by every inference (they are synchronous) and grown to
 * the largest graph, so inferring makes no arrays (see {@linkcode inferIndexed}).
 */
const scratch = {
  shapes: [] as (readonly number[] | undefined)[],
  known: [] as boolean[],
  types: [] as (number | undefined)[],
  values: [] as (readonly number[] | undefined)[],
  valued: [] as boolean[],
};

function reset<T>(a: T[], n: number, value: T): T[] {
  while (a.length < n) a.push(value);
  return a.fill(value, 0, n);
}

interface CachedIndex {
  readonly inputs: Graph["inputs"];
  readonly initializers: Graph["initializers"];
  readonly otherInitializers: Graph["otherInitializers"];
  readonly index: TensorIndex;
}

/** Indices by the identity of the graph's node list. */
const INDICES = new WeakMap<readonly Node[], CachedIndex[]>();

function makeIndex(graph: Graph): TensorIndex {
  const ids = new Map<string, number>();
  const names: string[] = [];
  const id = (name: string) => {
    let k = ids.get(name);
    if (k === undefined) {
      k = names.length;
      ids.set(name, k);
      names.push(name);
    }
    return k;
  };
  const slot = (name: string) => (name === "" ? -1 : id(name));
  const graphInputs = graph.inputs.map((i) => id(i.name));
  const all = [...graph.initializers, ...(graph.otherInitializers ?? [])];
  const constants = all.map((t) => id(t.name));
  const inputs = graph.nodes.map((n) => n.inputs.map(slot));
  const outputs = graph.nodes.map((n) => n.outputs.map(slot));
  const tensors = new Array<Tensor | undefined>(names.length).fill(undefined);
  all.forEach((t, k) => (tensors[constants[k]] = t));
  const rules = graph.nodes.map((n) => RULES[n.opType]);
  return { names, ids, inputs, outputs, graphInputs, constants, tensors, rules };
}

/** The tensor index of a graph, made once per node list (and inputs and initializers). */
export function indexOf(graph: Graph): TensorIndex {
  let cached = INDICES.get(graph.nodes);
  const sameInputs = (inputs: Graph["inputs"]) =>
    inputs === graph.inputs ||
    (inputs.length === graph.inputs.length &&
      inputs.every((v, k) => v.name === graph.inputs[k].name));
  const found = cached?.find((c) =>
    c.initializers === graph.initializers && c.otherInitializers === graph.otherInitializers &&
    sameInputs(c.inputs)
  );
  if (found) return found.index;
  const index = makeIndex(graph);
  if (!cached) INDICES.set(graph.nodes, cached = []);
  cached.push({
    inputs: graph.inputs,
    initializers: graph.initializers,
    otherInitializers: graph.otherInitializers,
    index,
  });
  return index;
}

/** `tensorValues` of a float32 initializer, without its generic copy (an iterator's). */
function floatValues(t: Initializer): number[] | undefined {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (n > MAX_FOLDED_ELEMENTS || t.data.length !== n) return undefined;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = t.data[i];
  return out;
}

/** What inference found, by tensor id. */
export interface IndexedInference {
  readonly index: TensorIndex;
  /** Shape by id; `known[id]` says whether one was set (as a map's `has`). */
  readonly shapes: readonly (readonly number[] | undefined)[];
  readonly known: readonly boolean[];
  /** Element type by id (set with the shape). */
  readonly types: readonly (number | undefined)[];
  /** Folded or read values by id; `valued[id]` says whether some were set. */
  readonly values: readonly (readonly number[] | undefined)[];
  readonly valued: readonly boolean[];
  /** Ids in the order their shape (and type) was first set. */
  readonly shapeOrder: readonly number[];
  /** Ids in the order their values were first set. */
  readonly valueOrder: readonly number[];
  /** Nodes whose outputs got no inferred shape, in graph order. */
  readonly unknown: UnknownNode[];
}

/**
 * Infers shapes, types and small constant values over a graph, by tensor id. The arrays it
 * returns are shared (entries past the index's size are stale) and refilled by the next
 * inference: read them before inferring again.
 *
 * @param graph A graph whose nodes are in topological order.
 * @param inputShapes Full shapes of some graph inputs, overriding the declared ones.
 * @param partial Leave what cannot be inferred without a shape instead of throwing.
 * @returns What inference found, by tensor id.
 * @throws {TypeError} As `inferShapes` and `inferShapesPartial` document.
 */
export function inferIndexed(
  graph: Graph,
  inputShapes: ReadonlyMap<string, readonly number[]> | undefined,
  partial: boolean,
): IndexedInference {
  const overrides = inputShapes ?? NO_SHAPES;
  checkOverrides(graph, overrides);
  const resolved = partial ? undefined : resolveInputShapes(graph, overrides);
  const index = indexOf(graph);
  const { tensors } = index;
  const n = index.names.length;
  const shapes = reset(scratch.shapes, n, undefined);
  const known = reset(scratch.known, n, false);
  const types = reset(scratch.types, n, undefined);
  const values = reset(scratch.values, n, undefined);
  const valued = reset(scratch.valued, n, false);
  const shapeOrder: number[] = [];
  const valueOrder: number[] = [];
  const unknown: UnknownNode[] = [];
  const setShape = (id: number, shape: readonly number[], type: number) => {
    if (!known[id]) {
      known[id] = true;
      shapeOrder.push(id);
    }
    shapes[id] = shape;
    types[id] = type;
  };
  const setValues = (id: number, v: readonly number[]) => {
    if (!valued[id]) {
      valued[id] = true;
      valueOrder.push(id);
    }
    values[id] = v;
  };
  let why: Map<string, string> | undefined;
  graph.inputs.forEach((input, k) => {
    const shape = resolved?.get(input.name) ?? overrides.get(input.name) ?? input.shape;
    const problem = resolved || overrides.has(input.name) ? undefined : dynamicDim(input, shape);
    if (problem) {
      (why ??= new Map()).set(input.name, ` (graph input "${input.name}" ${problem})`);
      return;
    }
    setShape(index.graphInputs[k], shape, input.elemType ?? DataType.FLOAT);
  });
  let k = 0;
  for (const list of [graph.initializers, graph.otherInitializers ?? []]) {
    for (const t of list) setShape(index.constants[k++], t.dims, tensorType(t));
  }
  const valueOf = (id: number) => {
    if (valued[id]) {
      const known = values[id];
      if (known) return known;
    }
    const t = tensors[id];
    const v = t && ("data" in t ? floatValues(t) : tensorValues(t));
    if (v) setValues(id, v);
    return v;
  };
  // Shapes the model declares stand in where inference fails: read only when it does
  let declared: Map<string, ValueInfo> | undefined;
  // One context for every node (no closures made per node): `node` and `slots` are the current
  let node = graph.nodes[0];
  let slots: readonly number[] = [];
  const given = (i: number) => i < slots.length && slots[i] >= 0;
  const type = (i: number) => (given(i) ? types[slots[i]] : undefined) ?? DataType.FLOAT;
  const c: { node: Node } & Omit<RuleContext, "node"> = {
    node,
    opset: graph.opset,
    has: given,
    shape: (i) => {
      const s = given(i) ? shapes[slots[i]] : undefined;
      if (!s) {
        throw new TypeError(`Cannot infer shape of "${node.name}" as input ${i} is missing`);
      }
      return s;
    },
    value: (i) => (given(i) ? valueOf(slots[i]) : undefined),
    type,
  };
  for (let at = 0; at < graph.nodes.length; at++) {
    node = c.node = graph.nodes[at];
    slots = index.inputs[at];
    let result: RuleOutput[] | undefined;
    let reason: string;
    let missing: string | undefined;
    for (let i = 0; i < slots.length; i++) {
      if (slots[i] >= 0 && !known[slots[i]]) {
        missing = node.inputs[i];
        break;
      }
    }
    const rule = index.rules[at];
    if (missing !== undefined) {
      if (!partial) {
        throw new TypeError(`Cannot infer shapes as tensor "${missing}" is used before defined`);
      }
      reason = `input "${missing}" has no shape${why?.get(missing) ?? ""}`;
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
    const outs = index.outputs[at];
    if (result) {
      for (let o = 0; o < outs.length; o++) {
        const out = result[o];
        if (outs[o] < 0 || !out) continue;
        setShape(outs[o], out.shape, out.type ?? type(0));
        if (out.values) setValues(outs[o], out.values);
      }
      continue;
    }
    declared ??= declaredShapes(graph);
    const stand = node.outputs.filter((t) => t !== "").map((t) => declared!.get(t));
    if (stand.length > 0 && stand.every((v) => v)) {
      for (const v of stand) {
        setShape(index.ids.get(v!.name)!, v!.shape, v!.elemType ?? DataType.FLOAT);
      }
      reason! += "; the model's declared output shapes stand in";
    }
    unknown.push({ index: at, node: node.name, opType: node.opType, reason: reason! });
  }
  return { index, shapes, known, types, values, valued, shapeOrder, valueOrder, unknown };
}
