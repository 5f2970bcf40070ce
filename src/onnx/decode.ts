/**
 * Decodes ONNX protobuf bytes into the graph IR (one of the two importers of onnx-buf).
 *
 * Reads what the harness writes and what onnxruntime's optimizer saves: float32 tensors in
 * `raw_data` or `float_data`; ops from other domains keep their type with the domain prefixed.
 *
 * @module
 */
import { fromBinary } from "@bufbuild/protobuf";
import { AttributeProto_AttributeType, ModelProtoSchema, TensorProto_DataType } from "onnx-buf";
import type { AttributeProto, TensorProto, ValueInfoProto } from "onnx-buf";
import type { Attribute, Graph, Initializer, Node, ValueInfo } from "./ir.ts";
import { parseTag } from "./encode.ts";

function decodeAttribute(attr: AttributeProto): Attribute | undefined {
  switch (attr.type) {
    case AttributeProto_AttributeType.INT:
      return { type: "int", value: Number(attr.i) };
    case AttributeProto_AttributeType.INTS:
      return { type: "ints", value: attr.ints.map(Number) };
    case AttributeProto_AttributeType.FLOAT:
      return { type: "float", value: attr.f };
    case AttributeProto_AttributeType.STRING:
      return { type: "string", value: new TextDecoder().decode(attr.s) };
    default:
      return undefined; // graphs, tensors and other kinds are not used by the stem
  }
}

function decodeTensor(t: TensorProto): Initializer | undefined {
  if (t.dataType !== TensorProto_DataType.FLOAT) return undefined;
  const dims = t.dims.map(Number);
  let data: Float32Array;
  if (t.rawData.length > 0) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    data = new Float32Array(t.rawData.byteLength / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(i * 4, true);
  } else {
    data = Float32Array.from(t.floatData);
  }
  return { name: t.name, dims, data };
}

function decodeValueInfo(v: ValueInfoProto): ValueInfo {
  const type = v.type?.value;
  if (type?.case !== "tensorType") {
    throw new TypeError(`Cannot decode value "${v.name}" as it is not a tensor`);
  }
  const shape = (type.value.shape?.dim ?? []).map((d) =>
    d.value.case === "dimValue" ? Number(d.value.value) : -1
  );
  return { name: v.name, shape };
}

/**
 * Decodes a serialized ONNX model into the graph IR.
 *
 * @param bytes A serialized `ModelProto`.
 * @returns The graph; non-float initializers are dropped, unknown attribute kinds skipped.
 * @throws {TypeError} When the model has no graph or a graph input is not a tensor.
 */
export function decodeModel(bytes: Uint8Array): Graph {
  const model = fromBinary(ModelProtoSchema, bytes);
  const g = model.graph;
  if (!g) throw new TypeError("Cannot decode model as it has no graph");
  const opset = model.opsetImport.find((o) => o.domain === "" || o.domain === "ai.onnx");
  const initializers = g.initializer.map(decodeTensor).filter((t): t is Initializer => !!t);
  const initNames = new Set(g.initializer.map((t) => t.name));
  const nodes: Node[] = g.node.map((n) => {
    const attributes: Record<string, Attribute> = {};
    for (const a of n.attribute) {
      const value = decodeAttribute(a);
      if (value) attributes[a.name] = value;
    }
    const tag = parseTag(n.docString);
    return {
      name: n.name,
      opType: n.domain && n.domain !== "ai.onnx" ? `${n.domain}.${n.opType}` : n.opType,
      inputs: [...n.input],
      outputs: [...n.output],
      attributes,
      ...(tag ? { tag } : {}),
    };
  });
  return {
    name: g.name,
    opset: Number(opset?.version ?? 0),
    // Older exporters list initializers among the inputs; the IR keeps true inputs only.
    inputs: g.input.filter((i) => !initNames.has(i.name)).map(decodeValueInfo),
    outputs: g.output.map(decodeValueInfo),
    initializers,
    nodes,
  };
}
