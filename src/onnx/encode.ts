/**
 * Encodes the graph IR to ONNX protobuf bytes (one of the two importers of onnx-buf).
 *
 * A graph the harness builds is written as IR version 8 with one opset of the default domain: the
 * newest IR that Debian's `python3-onnx` (1.12) checks, so the exported files can be verified by
 * an independent implementation. A decoded graph is written back as the model it came from: its
 * IR version, producer, opsets of every domain, metadata, value infos and whatever else the IR
 * keeps in `model.extra`.
 *
 * @module
 */
import { create, fromBinary, isFieldSet, toBinary } from "@bufbuild/protobuf";
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from "onnx-buf";
import type { AttributeProto, GraphProto, ModelProto, NodeProto, ValueInfoProto } from "onnx-buf";
import type { Attribute, Graph, Node, NodeTag, OpsetImport, Tensor, ValueInfo } from "./ir.ts";
import { encodeInitializer, encodeTensor } from "./_tensor.ts";

/** ONNX IR version written by {@linkcode encodeModel} for a graph without `model` info. */
export const IR_VERSION = 8;

/** Producer name written into a model built by the harness (one without `model` info). */
export const PRODUCER_NAME = "repstem-bench";

/**
 * Operator domains of onnxruntime (and its extensions), recognized as the domain prefix of an
 * `opType` even when the model does not import them.
 */
const RUNTIME_DOMAINS = [
  "ai.onnx.ml",
  "ai.onnx.training",
  "ai.onnx.preview",
  "ai.onnx.preview.training",
  "ai.onnx.contrib",
  "com.microsoft",
  "com.microsoft.nchwc",
  "com.microsoft.experimental",
  "com.microsoft.mlfeaturizers",
  "com.microsoft.dml",
  "com.microsoft.extensions",
  "com.ms.internal.nhwc",
  "org.pytorch.aten",
];

/**
 * Formats a node tag as the node's doc string, read back by {@linkcode parseTag}.
 *
 * @param tag The node's block and branch.
 * @returns `repstem:block=B;branch=NAME`.
 */
export function formatTag(tag: NodeTag): string {
  return `repstem:block=${tag.block};branch=${tag.branch}`;
}

/**
 * Parses a doc string written by {@linkcode formatTag}.
 *
 * @param docString A node's doc string.
 * @returns The tag, or undefined when the doc string is not one.
 */
export function parseTag(docString: string): NodeTag | undefined {
  const match = /^repstem:block=(\d+);branch=([\w-]+)$/.exec(docString);
  return match ? { block: Number(match[1]), branch: match[2] } : undefined;
}

function encodeAttribute(name: string, attr: Attribute): AttributeProto {
  const T = AttributeProto_AttributeType;
  const utf8 = new TextEncoder();
  switch (attr.type) {
    case "int":
      return create(AttributeProtoSchema, { name, type: T.INT, i: BigInt(attr.value) });
    case "ints":
      return create(AttributeProtoSchema, { name, type: T.INTS, ints: attr.value.map(BigInt) });
    case "float":
      return create(AttributeProtoSchema, { name, type: T.FLOAT, f: attr.value });
    case "floats":
      return create(AttributeProtoSchema, { name, type: T.FLOATS, floats: [...attr.value] });
    case "string":
      return create(AttributeProtoSchema, { name, type: T.STRING, s: utf8.encode(attr.value) });
    case "strings":
      return create(AttributeProtoSchema, {
        name,
        type: T.STRINGS,
        strings: attr.value.map((v) => utf8.encode(v)),
      });
    case "tensor":
      return create(AttributeProtoSchema, { name, type: T.TENSOR, t: encodeTensor(attr.value) });
    case "opaque": {
      const proto = fromBinary(AttributeProtoSchema, attr.bytes);
      if (proto.name !== name) proto.name = name;
      return proto;
    }
  }
}

function encodeValueInfo(info: ValueInfo): ValueInfoProto {
  const tensorType = create(TypeProto_TensorSchema);
  const elemType = info.elemType ?? TensorProto_DataType.FLOAT;
  if (elemType !== TensorProto_DataType.UNDEFINED) tensorType.elemType = elemType;
  if (!info.unranked) {
    const dim = info.shape.map((d, i) => {
      const name = info.dimNames?.[i];
      return create(TensorShapeProto_DimensionSchema, {
        // a fixed size wins over a name; a dynamic one keeps its name, or has no value at all
        value: d >= 0
          ? { case: "dimValue", value: BigInt(d) }
          : name !== undefined
          ? { case: "dimParam", value: name }
          : undefined,
      });
    });
    tensorType.shape = create(TensorShapeProtoSchema, { dim });
  }
  return create(ValueInfoProtoSchema, {
    name: info.name,
    type: create(TypeProtoSchema, { value: { case: "tensorType", value: tensorType } }),
  });
}

const isDefaultDomain = (domain: string) => domain === "" || domain === "ai.onnx";

/** Splits `"com.microsoft.FusedConv"` at its last dot when the prefix is a known domain. */
function splitOpType(opType: string, domains: ReadonlySet<string>): [string, string] {
  const dot = opType.lastIndexOf(".");
  const domain = opType.slice(0, dot);
  return dot > 0 && domains.has(domain) ? [domain, opType.slice(dot + 1)] : ["", opType];
}

function encodeNode(node: Node, domains: ReadonlySet<string>): NodeProto {
  const [domain, opType] = splitOpType(node.opType, domains);
  return create(NodeProtoSchema, {
    name: node.name || undefined, // proto2: an unnamed node stays without a name field
    opType,
    domain: domain || undefined,
    input: [...node.inputs],
    output: [...node.outputs],
    attribute: Object.entries(node.attributes).map(([k, v]) => encodeAttribute(k, v)),
    docString: node.tag ? formatTag(node.tag) : undefined,
  });
}

/**
 * The model's opsets: those it imported, the default domain's at `graph.opset` (added when
 * missing), and version 1 of any domain a node uses that is not imported.
 */
function opsetImports(graph: Graph, used: readonly string[]): OpsetImport[] {
  const imported = graph.model?.opsetImports ?? [];
  const out = imported.map((o) => isDefaultDomain(o.domain) ? { ...o, version: graph.opset } : o);
  if (!imported.some((o) => isDefaultDomain(o.domain)) && graph.opset > 0) {
    out.unshift({ domain: "", version: graph.opset });
  }
  for (const domain of used) {
    if (domain && !out.some((o) => o.domain === domain)) out.push({ domain, version: 1 });
  }
  return out;
}

/** Writes back what `model.extra` keeps; initializer inputs only for initializers still there. */
function mergeExtra(model: ModelProto, g: GraphProto, graph: Graph): void {
  const extra = graph.model?.extra && fromBinary(ModelProtoSchema, graph.model.extra);
  const eg = extra ? extra.graph : undefined;
  if (extra) {
    model.functions = extra.functions;
    model.trainingInfo = extra.trainingInfo;
    model.configuration = extra.configuration;
    if (extra.$unknown) model.$unknown = extra.$unknown;
  }
  if (eg) {
    g.sparseInitializer = eg.sparseInitializer;
    g.quantizationAnnotation = eg.quantizationAnnotation;
    g.metadataProps = eg.metadataProps;
    g.valueInfo.push(...eg.valueInfo);
    if (isFieldSet(eg, GraphProtoSchema.field.docString)) g.docString = eg.docString;
    if (eg.$unknown) g.$unknown = eg.$unknown;
  }
  const inits = [...graph.initializers, ...graph.otherInitializers ?? []];
  const names = new Set(inits.map((t) => t.name));
  const listed = (eg?.input ?? []).filter((i) => names.has(i.name));
  g.input.push(...listed);
  if (model.irVersion < 4n) {
    // before IR 4 every initializer must also be a graph input
    const inputs = new Set(g.input.map((i) => i.name));
    for (const t of inits.filter((t) => !inputs.has(t.name))) {
      const elemType = "data" in t ? undefined : t.dataType;
      g.input.push(encodeValueInfo({ name: t.name, shape: t.dims, elemType }));
    }
  }
}

/**
 * An integer constant tensor of the IR (its `TensorProto` encoded, as the IR keeps every tensor
 * that is not float32): the int8 and uint8 weights and zero points and the int32 biases of a
 * quantized model, data little-endian in `raw_data`.
 *
 * @param name The tensor's name.
 * @param dims Its shape.
 * @param data Its elements: `Int8Array` (int8), `Uint8Array` (uint8) or `Int32Array` (int32).
 * @returns The tensor, ready for `Graph.otherInitializers`.
 * @example
 * ```ts
 * import { integerTensor } from "./encode.ts";
 * const t = integerTensor("w", [2], new Int8Array([-1, 127]));
 * if (t.dims.join() !== "2" || !("proto" in t) || t.dataType !== 3) throw new Error();
 * ```
 */
export function integerTensor(
  name: string,
  dims: readonly number[],
  data: Int8Array | Uint8Array | Int32Array,
): Tensor {
  const dataType = data instanceof Int8Array
    ? TensorProto_DataType.INT8
    : data instanceof Uint8Array
    ? TensorProto_DataType.UINT8
    : TensorProto_DataType.INT32;
  const raw = new Uint8Array(data.length * data.BYTES_PER_ELEMENT);
  const view = new DataView(raw.buffer);
  data.forEach((v, i) => {
    if (dataType === TensorProto_DataType.INT32) view.setInt32(i * 4, v, true);
    else raw[i] = v & 0xff;
  });
  const proto = create(TensorProtoSchema, {
    name,
    dims: dims.map(BigInt),
    dataType,
    rawData: raw as Uint8Array<ArrayBuffer>,
  });
  return { name, dims: [...dims], dataType, proto: toBinary(TensorProtoSchema, proto) };
}

/**
 * Encodes a graph as a complete ONNX model.
 *
 * Without `graph.model` the model is IR version {@linkcode IR_VERSION} by
 * {@linkcode PRODUCER_NAME} with the default domain at `graph.opset`; with it, its fields are
 * written as decoded (the default domain's opset is always `graph.opset`). A node's `opType`
 * `"domain.Op"` is written as domain and op type when the prefix is an imported domain or one of
 * onnxruntime's, and a domain a node uses that is not imported is imported at version 1.
 *
 * @param graph The graph to encode.
 * @returns The serialized `ModelProto`.
 * @example
 * ```ts
 * import { encodeModel } from "./encode.ts";
 *
 * const bytes = encodeModel({
 *   name: "g",
 *   opset: 17,
 *   inputs: [{ name: "x", shape: [1, 4] }],
 *   outputs: [{ name: "y", shape: [1, 4] }],
 *   initializers: [],
 *   nodes: [{ name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"], attributes: {} }],
 * });
 * if (bytes.length === 0) throw new Error();
 * ```
 */
export function encodeModel(graph: Graph): Uint8Array {
  const info = graph.model;
  const imported = (info?.opsetImports ?? []).map((o) => o.domain);
  const domains = new Set([...imported.filter((d) => !isDefaultDomain(d)), ...RUNTIME_DOMAINS]);
  const nodes = graph.nodes.map((n) => encodeNode(n, domains));
  const g = create(GraphProtoSchema, {
    name: graph.name || undefined,
    input: graph.inputs.map(encodeValueInfo),
    output: graph.outputs.map(encodeValueInfo),
    initializer: [
      ...graph.initializers.map(encodeInitializer),
      ...(graph.otherInitializers ?? []).map(encodeTensor),
    ],
    valueInfo: (graph.valueInfo ?? []).map(encodeValueInfo),
    node: nodes,
  });
  const model = create(ModelProtoSchema, {
    irVersion: BigInt(info?.irVersion ?? IR_VERSION),
    producerName: info ? info.producerName : PRODUCER_NAME,
    producerVersion: info?.producerVersion,
    domain: info?.domain,
    modelVersion: info?.modelVersion === undefined ? undefined : BigInt(info.modelVersion),
    docString: info?.docString,
    opsetImport: opsetImports(graph, nodes.map((n) => n.domain)).map((o) =>
      create(OperatorSetIdProtoSchema, {
        domain: o.domain || undefined,
        version: BigInt(o.version),
      })
    ),
    metadataProps: (info?.metadata ?? []).map((e) => create(StringStringEntryProtoSchema, e)),
    graph: g,
  });
  mergeExtra(model, g, graph);
  return toBinary(ModelProtoSchema, model);
}
