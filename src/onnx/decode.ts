/**
 * Decodes ONNX protobuf bytes into the graph IR (one of the two importers of onnx-buf).
 *
 * Reads any ONNX model: what the harness writes, what onnxruntime's optimizer saves and what
 * PyTorch's exporters write. Every attribute kind is kept (those the IR does not model as their
 * encoded bytes), tensors of every element type, external data through a resolver, dynamic
 * dimensions with their names, value infos and the model's own fields, so that
 * {@linkcode encodeModel} writes the same model back.
 *
 * @module
 */
import { create, fromBinary, isFieldSet, toBinary } from "@bufbuild/protobuf";
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  TensorProto_DataType,
} from "onnx-buf";
import type { AttributeProto, GraphProto, ModelProto, NodeProto, ValueInfoProto } from "onnx-buf";
import type {
  Attribute,
  FunctionNode,
  Graph,
  Initializer,
  LocalFunction,
  ModelInfo,
  Node,
  Tensor,
  ValueInfo,
} from "./ir.ts";
import { parseTag } from "./encode.ts";
import { decodeTensor, type ExternalDataResolver, internalizeModel } from "./_tensor.ts";

export type { ExternalDataResolver } from "./_tensor.ts";

/** Options of {@linkcode decodeModel}. */
export interface DecodeOptions {
  /**
   * Reads tensors stored outside the model (`data_location: EXTERNAL`); needed only by models
   * saved with external data. `readModelFile` (load.ts) passes one that reads the model's folder.
   */
  readonly externalData?: ExternalDataResolver;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function text(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined; // not UTF-8: kept as bytes instead
  }
}

/** Int64 values as numbers, or undefined when one does not fit a double exactly. */
function safeInts(values: readonly bigint[]): number[] | undefined {
  const out = values.map(Number);
  return out.every(Number.isSafeInteger) ? out : undefined;
}

function decodeAttribute(a: AttributeProto): Attribute {
  const T = AttributeProto_AttributeType;
  let attr: Attribute | undefined;
  if (!a.refAttrName && !a.docString) {
    if (a.type === T.INT) {
      const v = safeInts([a.i]);
      attr = v && { type: "int", value: v[0] };
    } else if (a.type === T.INTS) {
      const v = safeInts(a.ints);
      attr = v && { type: "ints", value: v };
    } else if (a.type === T.FLOAT) {
      attr = { type: "float", value: a.f };
    } else if (a.type === T.FLOATS) {
      attr = { type: "floats", value: [...a.floats] };
    } else if (a.type === T.STRING) {
      const v = text(a.s);
      attr = v === undefined ? undefined : { type: "string", value: v };
    } else if (a.type === T.STRINGS) {
      const v = a.strings.map(text);
      attr = v.every((s) => s !== undefined)
        ? { type: "strings", value: v as string[] }
        : undefined;
    } else if (a.type === T.TENSOR && a.t) {
      attr = { type: "tensor", value: decodeTensor(a.t) };
    }
  }
  // graphs, sparse tensors, type protos, huge ints, binary strings: kept exactly as read
  return attr ?? { type: "opaque", bytes: toBinary(AttributeProtoSchema, a) };
}

/** A tensor value's type and shape; undefined when the value is not a tensor. */
function decodeValueInfo(v: ValueInfoProto): ValueInfo | undefined {
  const type = v.type?.value;
  if (type?.case !== "tensorType") return undefined;
  const { elemType, shape } = type.value;
  const dims = shape?.dim ?? [];
  const names = dims.map((d) => d.value.case === "dimParam" && d.value.value || undefined);
  return {
    name: v.name,
    shape: dims.map((d) => d.value.case === "dimValue" ? Number(d.value.value) : -1),
    ...(names.some((n) => n !== undefined) ? { dimNames: names } : {}),
    ...(elemType !== TensorProto_DataType.FLOAT ? { elemType } : {}),
    ...(shape ? {} : { unranked: true }),
  };
}

function tensorValueInfo(v: ValueInfoProto): ValueInfo {
  const info = decodeValueInfo(v);
  if (!info) throw new TypeError(`Cannot decode value "${v.name}" as it is not a tensor`);
  return info;
}

/** Parses and checks that the bytes are an ONNX model, not garbage protobuf accepts. */
function parseModel(bytes: Uint8Array): ModelProto {
  if (bytes.length === 0) throw new SyntaxError("Cannot decode model as it is empty");
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new SyntaxError(`Cannot decode model as it is truncated or not protobuf: ${why}`, {
      cause: e,
    });
  }
  const untyped = model.graph?.node.findIndex((n) => !n.opType) ?? -1;
  const problem = !model.graph
    ? "it has no graph"
    : model.irVersion <= 0n
    ? `its IR version is ${model.irVersion}`
    : model.opsetImport.length === 0
    ? "it imports no opset"
    : untyped >= 0
    ? `node ${untyped} ("${model.graph.node[untyped].name}") has no op type`
    : undefined;
  if (problem) throw new SyntaxError(`Cannot decode model as it is not ONNX: ${problem}`);
  return model;
}

/** `"domain.Op"` for a domain other than the default one, else the op type. */
const qualifiedOpType = (domain: string, opType: string) =>
  domain && domain !== "ai.onnx" ? `${domain}.${opType}` : opType;

function decodeNode(n: NodeProto, attributes: readonly AttributeProto[]): Node {
  const attrs: Record<string, Attribute> = {};
  for (const a of attributes) attrs[a.name] = decodeAttribute(a);
  const tag = parseTag(n.docString);
  return {
    name: n.name,
    opType: qualifiedOpType(n.domain, n.opType),
    inputs: [...n.input],
    outputs: [...n.output],
    attributes: attrs,
    ...(tag ? { tag } : {}),
  };
}

/** What the IR does not model, as an encoded ModelProto; undefined when there is none. */
function extraOf(
  model: ModelProto,
  g: GraphProto,
  initializerInputs: ValueInfoProto[],
  otherValueInfo: ValueInfoProto[],
): Uint8Array | undefined {
  const graph = create(GraphProtoSchema, {
    sparseInitializer: g.sparseInitializer,
    quantizationAnnotation: g.quantizationAnnotation,
    metadataProps: g.metadataProps,
    input: initializerInputs,
    valueInfo: otherValueInfo,
  });
  if (isFieldSet(g, GraphProtoSchema.field.docString)) graph.docString = g.docString;
  if (g.$unknown) graph.$unknown = g.$unknown;
  const extra = create(ModelProtoSchema, {
    functions: model.functions,
    trainingInfo: model.trainingInfo,
    configuration: model.configuration,
  });
  if (model.$unknown) extra.$unknown = model.$unknown;
  if (toBinary(GraphProtoSchema, graph).length > 0) extra.graph = graph;
  const bytes = toBinary(ModelProtoSchema, extra);
  return bytes.length > 0 ? bytes : undefined;
}

function modelInfo(model: ModelProto, extra: Uint8Array | undefined): ModelInfo {
  const has = (name: keyof typeof ModelProtoSchema.field) =>
    isFieldSet(model, ModelProtoSchema.field[name]);
  return {
    irVersion: Number(model.irVersion),
    ...(has("producerName") ? { producerName: model.producerName } : {}),
    ...(has("producerVersion") ? { producerVersion: model.producerVersion } : {}),
    ...(has("domain") ? { domain: model.domain } : {}),
    ...(has("modelVersion") ? { modelVersion: Number(model.modelVersion) } : {}),
    ...(has("docString") ? { docString: model.docString } : {}),
    opsetImports: model.opsetImport.map((o) => ({ domain: o.domain, version: Number(o.version) })),
    ...(model.metadataProps.length > 0
      ? { metadata: model.metadataProps.map(({ key, value }) => ({ key, value })) }
      : {}),
    ...(extra ? { extra } : {}),
  };
}

/**
 * Decodes a serialized ONNX model into the graph IR.
 *
 * Float32 initializers become {@linkcode Initializer}s, others `otherInitializers` (kept as
 * read); initializers that older exporters also list as inputs are not among `inputs`. A node of
 * a domain other than the default one has `opType` `"domain.Op"` (`"com.microsoft.FusedConv"`).
 * A dimension without a fixed size is -1 (its `dim_param` in `dimNames`), a value without a
 * shape is `unranked`.
 *
 * @param bytes A serialized `ModelProto`.
 * @param options `externalData` reads tensors stored outside the model.
 * @returns The graph, with `model` holding the model's own fields.
 * @throws {SyntaxError} When the bytes are empty, truncated or not an ONNX model.
 * @throws {TypeError} When a graph input or output is not a tensor, a float tensor's data does
 *   not match its shape, or external data is needed and no resolver is given or it fails (the
 *   message names the tensor and the location).
 * @example
 * ```ts
 * import { decodeModel } from "./decode.ts";
 * import { encodeModel } from "./encode.ts";
 *
 * const bytes = encodeModel({
 *   name: "g",
 *   opset: 17,
 *   inputs: [{ name: "x", shape: [-1, 4], dimNames: ["batch", undefined] }],
 *   outputs: [{ name: "y", shape: [-1, 4], dimNames: ["batch", undefined] }],
 *   initializers: [],
 *   nodes: [{ name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"], attributes: {} }],
 * });
 * const g = decodeModel(bytes);
 * if (g.inputs[0].dimNames?.[0] !== "batch" || g.model?.irVersion !== 8) throw new Error();
 * ```
 */
export function decodeModel(bytes: Uint8Array, options: DecodeOptions = {}): Graph {
  const model = parseModel(bytes);
  internalizeModel(model, options.externalData);
  const g = model.graph as GraphProto;
  const opset = model.opsetImport.find((o) => o.domain === "" || o.domain === "ai.onnx");
  const tensors = g.initializer.map(decodeTensor);
  const initializers = tensors.filter((t): t is Initializer => "data" in t);
  const otherInitializers = tensors.filter((t) => !("data" in t));
  const initNames = new Set(g.initializer.map((t) => t.name));
  const nodes: Node[] = g.node.map((n) => decodeNode(n, n.attribute));
  const valueInfo = g.valueInfo.map(decodeValueInfo);
  const tensorValueInfos = valueInfo.filter((v): v is ValueInfo => v !== undefined);
  const extra = extraOf(
    model,
    g,
    g.input.filter((i) => initNames.has(i.name)),
    g.valueInfo.filter((_, i) => valueInfo[i] === undefined),
  );
  return {
    name: g.name,
    opset: Number(opset?.version ?? 0),
    // Older exporters list initializers among the inputs; the IR keeps true inputs only.
    inputs: g.input.filter((i) => !initNames.has(i.name)).map(tensorValueInfo),
    outputs: g.output.map(tensorValueInfo),
    initializers,
    nodes,
    ...(otherInitializers.length > 0 ? { otherInitializers: otherInitializers as Tensor[] } : {}),
    ...(tensorValueInfos.length > 0 ? { valueInfo: tensorValueInfos } : {}),
    model: modelInfo(model, extra),
  };
}

/**
 * Decodes the model-local functions (`FunctionProto`s) that {@linkcode decodeModel} keeps in
 * `ModelInfo.extra`, for inlining (`inlineFunctions`, inline.ts). Body nodes are read as the
 * graph's nodes are (`"domain.Op"` op types); an attribute with `ref_attr_name` goes to
 * `attributeRefs`. Function-level value infos and metadata are not read.
 *
 * @param extra `ModelInfo.extra` of a decoded graph.
 * @returns The functions, in the model's order (empty when there are none).
 * @example
 * ```ts
 * import { decodeLocalFunctions } from "./decode.ts";
 *
 * if (decodeLocalFunctions(new Uint8Array()).length !== 0) throw new Error();
 * ```
 */
export function decodeLocalFunctions(extra: Uint8Array): LocalFunction[] {
  return fromBinary(ModelProtoSchema, extra).functions.map((f) => {
    const attributeDefaults: Record<string, Attribute> = {};
    for (const a of f.attributeProto) attributeDefaults[a.name] = decodeAttribute(a);
    const nodes = f.node.map((n): FunctionNode => {
      const attributeRefs: Record<string, string> = {};
      for (const a of n.attribute) if (a.refAttrName) attributeRefs[a.name] = a.refAttrName;
      return { ...decodeNode(n, n.attribute.filter((a) => !a.refAttrName)), attributeRefs };
    });
    return {
      domain: f.domain,
      name: f.name,
      ...(f.overload ? { overload: f.overload } : {}),
      inputs: [...f.input],
      outputs: [...f.output],
      attributeNames: [...f.attribute, ...f.attributeProto.map((a) => a.name)],
      attributeDefaults,
      opsetImports: f.opsetImport.map((o) => ({ domain: o.domain, version: Number(o.version) })),
      nodes,
    };
  });
}

/**
 * `ModelInfo.extra` with only some of its local functions (those still called after inlining).
 *
 * @param extra `ModelInfo.extra` of a decoded graph.
 * @param keep Indexes into {@linkcode decodeLocalFunctions}'s list of the functions to keep.
 * @returns The new extra bytes, or undefined when nothing is left in them.
 * @example
 * ```ts
 * import { keepLocalFunctions } from "./decode.ts";
 *
 * if (keepLocalFunctions(new Uint8Array(), []) !== undefined) throw new Error();
 * ```
 */
export function keepLocalFunctions(
  extra: Uint8Array,
  keep: readonly number[],
): Uint8Array | undefined {
  const model = fromBinary(ModelProtoSchema, extra);
  const kept = new Set(keep);
  model.functions = model.functions.filter((_, i) => kept.has(i));
  const bytes = toBinary(ModelProtoSchema, model);
  return bytes.length > 0 ? bytes : undefined;
}

function graphOpTypes(g: GraphProto, out: string[]): void {
  for (const n of g.node) {
    out.push(qualifiedOpType(n.domain, n.opType));
    for (const a of n.attribute) {
      for (const sub of [...(a.g ? [a.g] : []), ...a.graphs]) graphOpTypes(sub, out);
    }
  }
}

/**
 * The op types (`"domain.Op"`) of every node inside an attribute's subgraphs (If branches, Loop
 * bodies, nested ones included), for finding the local functions they call.
 *
 * @param attr A node's attribute.
 * @returns The op types, or undefined when the attribute holds no graph.
 * @example
 * ```ts
 * import { subgraphOpTypes } from "./decode.ts";
 *
 * if (subgraphOpTypes({ type: "int", value: 1 }) !== undefined) throw new Error();
 * ```
 */
export function subgraphOpTypes(attr: Attribute): string[] | undefined {
  if (attr.type !== "opaque") return undefined;
  const a = fromBinary(AttributeProtoSchema, attr.bytes);
  const graphs = [...(a.g ? [a.g] : []), ...a.graphs];
  const T = AttributeProto_AttributeType;
  if (graphs.length === 0 && a.type !== T.GRAPH && a.type !== T.GRAPHS) return undefined;
  const out: string[] = [];
  for (const g of graphs) graphOpTypes(g, out);
  return out;
}
