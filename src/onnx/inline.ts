/**
 * Inlines a decoded model's local functions (ONNX `FunctionProto`s): PyTorch exports whose modules
 * are functions (`export_modules_as_functions=True`, the dynamo exporter of torch 2.1 to 2.4) keep
 * every Conv and BatchNormalization inside them, where fusing and counting cannot see them.
 *
 * @module
 */
import { decodeLocalFunctions, keepLocalFunctions, subgraphOpTypes } from "./decode.ts";
import type { Attribute, Graph, LocalFunction, Node, OpsetImport } from "./ir.ts";

/** What {@linkcode inlineLocalFunctions} did. */
export interface InlineResult {
  /** The flat graph; the input graph itself when no node called a local function. */
  readonly graph: Graph;
  /** How many distinct local functions were inlined (nested ones included). */
  readonly functions: number;
  /** How many calls were replaced by a function body (nested ones included). */
  readonly calls: number;
}

const isDefaultDomain = (domain: string) => domain === "" || domain === "ai.onnx";

/** The op type a node calling the function has in the IR (`"domain.Name"`). */
const callKey = (f: LocalFunction) => isDefaultDomain(f.domain) ? f.name : `${f.domain}.${f.name}`;

const label = (f: LocalFunction) => `"${callKey(f)}"`;

/** Names that are new in a graph: `base`, else `base_1`, `base_2`, ... */
function namer(used: Set<string>): (base: string) => string {
  return (base) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
}

/** Attributes of the node that may hold subgraphs calling functions. */
function subgraphCalls(node: Node): string[] {
  return Object.values(node.attributes).flatMap((a) => subgraphOpTypes(a) ?? []);
}

/**
 * Inlines every call of a model-local function, as {@linkcode inlineFunctions} does, and says how
 * many functions and calls it inlined.
 *
 * @param graph A decoded graph (its local functions are in `model.extra`).
 * @returns The flat graph and the counts.
 * @throws {TypeError} When an inlined function imports an opset version that conflicts with the
 *   model's (or another inlined function's) for the same domain, or a function calls itself.
 * @example
 * ```ts
 * import { inlineLocalFunctions } from "./inline.ts";
 *
 * const graph = {
 *   name: "g", opset: 17, inputs: [], outputs: [], initializers: [], nodes: [],
 * };
 * const { functions, graph: same } = inlineLocalFunctions(graph);
 * if (functions !== 0 || same !== graph) throw new Error();
 * ```
 */
export function inlineLocalFunctions(graph: Graph): InlineResult {
  const unchanged = { graph, functions: 0, calls: 0 };
  const extra = graph.model?.extra;
  if (!extra) return unchanged;
  const fns = decodeLocalFunctions(extra);
  if (fns.length === 0) return unchanged;

  // A call key names one function; overloads (not in the IR's nodes) and duplicates are not
  // inlined, nor functions whose body holds subgraphs (they may read the body's values by name).
  const byKey = new Map<string, number[]>();
  fns.forEach((f, i) => byKey.set(callKey(f), [...byKey.get(callKey(f)) ?? [], i]));
  const inlinable = fns.map((f) =>
    f.overload === undefined && byKey.get(callKey(f))?.length === 1 &&
    f.nodes.every((n) => Object.values(n.attributes).every((a) => subgraphOpTypes(a) === undefined))
  );
  const callee = (node: Node): number | undefined => {
    const [i, ...others] = byKey.get(node.opType) ?? [];
    return i !== undefined && others.length === 0 && inlinable[i] ? i : undefined;
  };
  if (!graph.nodes.some((n) => callee(n) !== undefined)) return unchanged;

  const valueNames = new Set<string>([
    ...graph.inputs.map((v) => v.name),
    ...graph.outputs.map((v) => v.name),
    ...graph.initializers.map((t) => t.name),
    ...(graph.otherInitializers ?? []).map((t) => t.name),
    ...(graph.valueInfo ?? []).map((v) => v.name),
    ...graph.nodes.flatMap((n) => [...n.inputs, ...n.outputs]),
  ]);
  const newValue = namer(valueNames);
  const newNode = namer(new Set(graph.nodes.map((n) => n.name)));

  // opsets: the model's, then each inlined function's, which must agree domain by domain
  const opsets = new Map<string, { version: number; from: string }>();
  for (const o of graph.model?.opsetImports ?? []) {
    opsets.set(isDefaultDomain(o.domain) ? "" : o.domain, { version: o.version, from: "model" });
  }
  if (graph.opset > 0) opsets.set("", { version: graph.opset, from: "model" });
  const importOpsets = (f: LocalFunction) => {
    for (const o of f.opsetImports) {
      const domain = isDefaultDomain(o.domain) ? "" : o.domain;
      const had = opsets.get(domain);
      if (had && had.version !== o.version) {
        throw new TypeError(
          `Cannot inline local function ${label(f)} as it imports version ${o.version} of ${
            domain ? `domain "${domain}"` : "the default domain"
          } and the ${
            had.from === "model" ? "model" : `function ${had.from}`
          } imports version ${had.version}`,
        );
      }
      if (!had) opsets.set(domain, { version: o.version, from: label(f) });
    }
  };

  const inlined = new Set<number>();
  let calls = 0;
  const expand = (node: Node, stack: readonly number[]): Node[] => {
    const index = callee(node);
    if (index === undefined) return [node];
    const f = fns[index];
    if (stack.includes(index)) {
      throw new TypeError(`Cannot inline local function ${label(f)} as it calls itself`);
    }
    importOpsets(f);
    inlined.add(index);
    calls++;
    const prefix = node.name || node.outputs.find((o) => o) || f.name;
    const bound = new Map<string, string>();
    f.inputs.forEach((formal, i) => bound.set(formal, node.inputs[i] ?? ""));
    const out: Node[] = [];
    f.outputs.forEach((formal, i) => {
      const actual = node.outputs[i] ?? "";
      if (!actual) return; // an unused optional output: internal to the body
      if (bound.has(formal)) {
        // the function returns one of its inputs as it is
        out.push({
          name: newNode(`${prefix}/${formal}`),
          opType: "Identity",
          inputs: [bound.get(formal) as string],
          outputs: [actual],
          attributes: {},
          ...(node.tag ? { tag: node.tag } : {}),
        });
      } else bound.set(formal, actual);
    });
    const rename = (name: string) => {
      if (!name) return name;
      let to = bound.get(name);
      if (to === undefined) bound.set(name, to = newValue(`${prefix}/${name}`));
      return to;
    };
    const body: Node[] = [];
    for (const n of f.nodes) {
      const attributes: Record<string, Attribute> = { ...n.attributes };
      for (const [name, ref] of Object.entries(n.attributeRefs)) {
        const value = node.attributes[ref] ?? f.attributeDefaults[ref];
        if (value) attributes[name] = value; // neither given nor defaulted: left out
      }
      const tag = n.tag ?? node.tag;
      const inner: Node = {
        name: newNode(`${prefix}/${n.name || n.opType}`),
        opType: n.opType,
        inputs: n.inputs.map(rename),
        outputs: n.outputs.map(rename),
        attributes,
        ...(tag ? { tag } : {}),
      };
      body.push(...expand(inner, [...stack, index]));
    }
    // the Identity nodes read only the caller's inputs: they may come first
    return [...out, ...body];
  };
  const nodes = graph.nodes.flatMap((n) => expand(n, []));

  // keep the functions still called: by the nodes left, their subgraphs, and kept functions
  const keep = new Set<number>();
  const work: number[] = [];
  const need = (nodes: readonly Node[]) => {
    for (const op of nodes.flatMap((n) => [n.opType, ...subgraphCalls(n)])) {
      for (const i of byKey.get(op) ?? []) {
        if (!keep.has(i)) keep.add(i), work.push(i);
      }
    }
  };
  need(nodes);
  for (let i = work.pop(); i !== undefined; i = work.pop()) need(fns[i].nodes);
  const { extra: _, ...model } = graph.model ?? {};
  const newExtra = keepLocalFunctions(extra, [...keep].sort((a, b) => a - b));
  // the model's imports as they were (no version changed: a conflict throws), then the new ones
  const imported = model.opsetImports ?? [];
  const has = (domain: string) =>
    imported.some((o) => (isDefaultDomain(o.domain) ? "" : o.domain) === domain);
  const opsetImports: OpsetImport[] = [
    ...imported,
    ...[...opsets].filter(([domain]) => !has(domain)).map(([domain, o]) => ({
      domain,
      version: o.version,
    })),
  ];
  return {
    graph: {
      ...graph,
      opset: opsets.get("")?.version ?? graph.opset,
      nodes,
      model: { ...model, opsetImports, ...(newExtra ? { extra: newExtra } : {}) },
    },
    functions: inlined.size,
    calls,
  };
}

/**
 * Replaces every node that calls a model-local function by the function's body, recursively.
 *
 * A node calls a function when its op type is the function's `"domain.name"`. The body's formal
 * inputs and outputs become the node's actual ones (a missing optional input `""`), every other
 * value of the body is renamed `CALLER/name` (made unique), body nodes are named `CALLER/node`,
 * attributes that refer to the function's attributes (`ref_attr_name`) take the calling node's
 * value or the function's default (`attribute_proto`), and are left out when neither exists. The
 * inlined functions' opsets are merged into the model's; the functions no longer called anywhere
 * are dropped from `model.extra`, so the encoder does not write them.
 *
 * Not inlined (the call stays and the function is kept): functions with an overload identifier
 * (IR 10; the IR's nodes do not keep a call's overload), two functions of one `"domain.name"`,
 * and functions whose body has subgraph attributes (If, Loop, Scan). Calls inside a graph
 * attribute of the main graph stay calls. Function-level value infos are not carried over.
 *
 * @param graph A decoded graph (its local functions are in `model.extra`).
 * @returns The flat graph; `graph` itself when no node calls a local function.
 * @throws {TypeError} When an inlined function imports an opset version that conflicts with the
 *   model's (or another inlined function's) for the same domain, or a function calls itself.
 * @example
 * ```ts
 * import { inlineFunctions } from "./inline.ts";
 *
 * const graph = {
 *   name: "g", opset: 17, inputs: [], outputs: [], initializers: [], nodes: [],
 * };
 * if (inlineFunctions(graph) !== graph) throw new Error("no functions: the same graph");
 * ```
 */
export function inlineFunctions(graph: Graph): Graph {
  return inlineLocalFunctions(graph).graph;
}
