/**
 * Encodes the graph IR to ONNX protobuf bytes (one of the two importers of onnx-buf).
 *
 * IR version 8 with opset 17: the newest pair that Debian's `python3-onnx` (1.12) checks, so the
 * exported files can be verified by an independent implementation.
 *
 * @module
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from "onnx-buf";
import type { AttributeProto, TensorProto, ValueInfoProto } from "onnx-buf";
import type { Attribute, Graph, Initializer, NodeTag, Tensor, ValueInfo } from "./ir.ts";

/** ONNX IR version written by {@linkcode encodeModel}. */
export const IR_VERSION = 8;

/** Producer name written into every model. */
export const PRODUCER_NAME = "repstem-bench";

/** Formats a node tag as the node's doc string, read back by {@linkcode parseTag}. */
export function formatTag(tag: NodeTag): string {
  return `repstem:block=${tag.block};branch=${tag.branch}`;
}

/** Parses a doc string written by {@linkcode formatTag}; undefined when it is not one. */
export function parseTag(docString: string): NodeTag | undefined {
  const match = /^repstem:block=(\d+);branch=([\w-]+)$/.exec(docString);
  return match ? { block: Number(match[1]), branch: match[2] } : undefined;
}

function encodeAttribute(name: string, attr: Attribute): AttributeProto {
  switch (attr.type) {
    case "int":
      return create(AttributeProtoSchema, {
        name,
        type: AttributeProto_AttributeType.INT,
        i: BigInt(attr.value),
      });
    case "ints":
      return create(AttributeProtoSchema, {
        name,
        type: AttributeProto_AttributeType.INTS,
        ints: attr.value.map(BigInt),
      });
    case "float":
      return create(AttributeProtoSchema, {
        name,
        type: AttributeProto_AttributeType.FLOAT,
        f: attr.value,
      });
    case "string":
      return create(AttributeProtoSchema, {
        name,
        type: AttributeProto_AttributeType.STRING,
        s: new TextEncoder().encode(attr.value),
      });
    case "floats":
      return create(AttributeProtoSchema, {
        name,
        type: AttributeProto_AttributeType.FLOATS,
        floats: [...attr.value],
      });
    case "strings":
      return create(AttributeProtoSchema, {
        name,
        type: AttributeProto_AttributeType.STRINGS,
        strings: attr.value.map((v) => new TextEncoder().encode(v)),
      });
    case "tensor":
      return create(AttributeProtoSchema, {
        name,
        type: AttributeProto_AttributeType.TENSOR,
        t: encodeTensor(attr.value),
      });
    case "opaque":
      return { ...fromBinary(AttributeProtoSchema, attr.bytes), name };
  }
}

/** Encodes a tensor of any element type (float32 from its data, others as read). */
function encodeTensor(t: Tensor): TensorProto {
  if ("data" in t) return encodeInitializer(t);
  return { ...fromBinary(TensorProtoSchema, t.proto), name: t.name };
}

function encodeInitializer(init: Initializer): TensorProto {
  const bytes = new Uint8Array(init.data.byteLength);
  // ONNX raw_data is little-endian; DataView makes that explicit on any host.
  const view = new DataView(bytes.buffer);
  init.data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return create(TensorProtoSchema, {
    name: init.name,
    dims: init.dims.map(BigInt),
    dataType: TensorProto_DataType.FLOAT,
    rawData: bytes,
  });
}

function encodeValueInfo(info: ValueInfo): ValueInfoProto {
  const dim = info.shape.map((d) =>
    create(TensorShapeProto_DimensionSchema, { value: { case: "dimValue", value: BigInt(d) } })
  );
  const tensorType = create(TypeProto_TensorSchema, {
    elemType: TensorProto_DataType.FLOAT,
    shape: create(TensorShapeProtoSchema, { dim }),
  });
  return create(ValueInfoProtoSchema, {
    name: info.name,
    type: create(TypeProtoSchema, { value: { case: "tensorType", value: tensorType } }),
  });
}

/**
 * Encodes a graph as a complete ONNX model.
 *
 * @param graph The graph to encode.
 * @returns The serialized `ModelProto`.
 */
export function encodeModel(graph: Graph): Uint8Array {
  const graphProto = create(GraphProtoSchema, {
    name: graph.name,
    input: graph.inputs.map(encodeValueInfo),
    output: graph.outputs.map(encodeValueInfo),
    initializer: graph.initializers.map(encodeInitializer),
    node: graph.nodes.map((node) =>
      create(NodeProtoSchema, {
        name: node.name,
        opType: node.opType,
        input: [...node.inputs],
        output: [...node.outputs],
        attribute: Object.entries(node.attributes).map(([k, v]) => encodeAttribute(k, v)),
        docString: node.tag ? formatTag(node.tag) : "",
      })
    ),
  });
  const model = create(ModelProtoSchema, {
    irVersion: BigInt(IR_VERSION),
    producerName: PRODUCER_NAME,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: "", version: BigInt(graph.opset) })],
    graph: graphProto,
  });
  return toBinary(ModelProtoSchema, model);
}
