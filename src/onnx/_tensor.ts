/**
 * Private tensor helpers of the decoder and encoder: float32 data from `raw_data` or
 * `float_data`, external data pulled inline, and tensors of any element type to and from the IR.
 *
 * @module
 */
import { clearField, create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { TensorProto_DataLocation, TensorProto_DataType, TensorProtoSchema } from "onnx-buf";
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto } from "onnx-buf";
import type { Initializer, Tensor } from "./ir.ts";

/**
 * Reads the bytes of a tensor stored outside the model: `length` bytes from `offset` of the file
 * at `location` (relative to the model's folder), or up to the end when `length` is undefined.
 */
export type ExternalDataResolver = (
  location: string,
  offset: number,
  length: number | undefined,
) => Uint8Array;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const label = (t: TensorProto, where: string) => t.name ? `"${t.name}"` : `of ${where}`;

/** Replaces a tensor's external data by its bytes in `raw_data`, in place. */
function internalize(t: TensorProto, where: string, resolve?: ExternalDataResolver): void {
  if (t.dataLocation !== TensorProto_DataLocation.EXTERNAL) return;
  const entry = (key: string) => t.externalData.find((e) => e.key === key)?.value;
  const location = entry("location");
  const name = label(t, where);
  if (!location) {
    throw new TypeError(`Cannot decode tensor ${name} as its external data has no location`);
  }
  if (!resolve) {
    throw new TypeError(
      `Cannot decode tensor ${name} as its data is in external file "${location}" and no resolver was given`,
    );
  }
  const offset = Number(entry("offset") ?? 0);
  const lengthText = entry("length");
  const length = lengthText === undefined ? undefined : Number(lengthText);
  if (!Number.isSafeInteger(offset) || offset < 0 || (length !== undefined && !(length >= 0))) {
    throw new TypeError(
      `Cannot decode tensor ${name} as its external data "${location}" has offset "${
        entry("offset")
      }" and length "${lengthText}"`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = resolve(location, offset, length);
  } catch (e) {
    throw new TypeError(
      `Cannot decode tensor ${name} as its external data "${location}" cannot be read: ${
        e instanceof Error ? e.message : e
      }`,
      { cause: e },
    );
  }
  if (length !== undefined && bytes.length !== length) {
    throw new TypeError(
      `Cannot decode tensor ${name} as its external data "${location}" has ${bytes.length} bytes, not ${length}`,
    );
  }
  t.rawData = Uint8Array.from(bytes);
  t.externalData = [];
  clearField(t, TensorProtoSchema.field.dataLocation);
}

function internalizeNode(n: NodeProto, resolve?: ExternalDataResolver): void {
  const where = `node "${n.name}"`;
  const visit = (a: AttributeProto) => {
    if (a.t) internalize(a.t, where, resolve);
    a.tensors.forEach((t) => internalize(t, where, resolve));
    for (const s of [a.sparseTensor, ...a.sparseTensors]) {
      if (s?.values) internalize(s.values, where, resolve);
      if (s?.indices) internalize(s.indices, where, resolve);
    }
    if (a.g) internalizeGraph(a.g, resolve);
    a.graphs.forEach((g) => internalizeGraph(g, resolve));
  };
  n.attribute.forEach(visit);
}

function internalizeGraph(g: GraphProto, resolve?: ExternalDataResolver): void {
  const where = `graph "${g.name}"`;
  g.initializer.forEach((t) => internalize(t, where, resolve));
  for (const s of g.sparseInitializer) {
    if (s.values) internalize(s.values, where, resolve);
    if (s.indices) internalize(s.indices, where, resolve);
  }
  g.node.forEach((n) => internalizeNode(n, resolve));
}

/**
 * Pulls every externally stored tensor of a model inline (initializers, Constant values,
 * subgraphs, local functions, training graphs), so the rest of the decoder sees raw data only.
 *
 * @param model The parsed model, changed in place.
 * @param resolve Reads external data; needed only when the model has some.
 * @throws {TypeError} When a tensor's external data has no location, no resolver is given, the
 *   resolver throws or returns fewer bytes than the tensor's `length` (naming tensor and location).
 */
export function internalizeModel(model: ModelProto, resolve?: ExternalDataResolver): void {
  if (model.graph) internalizeGraph(model.graph, resolve);
  model.functions.forEach((f) => f.node.forEach((n) => internalizeNode(n, resolve)));
  for (const t of model.trainingInfo) {
    if (t.initialization) internalizeGraph(t.initialization, resolve);
    if (t.algorithm) internalizeGraph(t.algorithm, resolve);
  }
}

/** Float32 values of a FLOAT tensor from `raw_data` (little-endian) or `float_data`. */
function floatData(t: TensorProto, dims: readonly number[]): Float32Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData;
  let data: Float32Array;
  if (raw.length > 0) {
    if (raw.length !== count * 4) {
      throw new TypeError(
        `Cannot decode tensor "${t.name}" as it has ${raw.length} bytes for shape [${dims}]`,
      );
    }
    if (LITTLE_ENDIAN) {
      data = new Float32Array(raw.slice().buffer);
    } else {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
    }
  } else {
    if (t.floatData.length !== count) {
      throw new TypeError(
        `Cannot decode tensor "${t.name}" as it has ${t.floatData.length} values for shape [${dims}]`,
      );
    }
    data = Float32Array.from(t.floatData);
  }
  return data;
}

/**
 * Decodes a tensor (external data already inline): float32 to an {@linkcode Initializer}, any
 * other element type to its encoded `TensorProto`.
 *
 * @param t The tensor.
 * @returns The IR tensor.
 * @throws {TypeError} When a float32 tensor's data does not match its shape.
 */
export function decodeTensor(t: TensorProto): Tensor {
  const dims = t.dims.map(Number);
  if (t.dataType === TensorProto_DataType.FLOAT) {
    return { name: t.name, dims, data: floatData(t, dims) };
  }
  return { name: t.name, dims, dataType: t.dataType, proto: toBinary(TensorProtoSchema, t) };
}

/**
 * Encodes a float32 tensor with its data in little-endian `raw_data`.
 *
 * @param init The tensor.
 * @returns Its `TensorProto`.
 */
export function encodeInitializer(init: Initializer): TensorProto {
  let bytes: Uint8Array;
  if (LITTLE_ENDIAN) {
    bytes = new Uint8Array(Float32Array.from(init.data).buffer);
  } else {
    bytes = new Uint8Array(init.data.byteLength);
    const view = new DataView(bytes.buffer);
    init.data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  }
  return create(TensorProtoSchema, {
    name: init.name || undefined, // a Constant's value often has no name: none is written
    dims: init.dims.map(BigInt),
    dataType: TensorProto_DataType.FLOAT,
    rawData: bytes as Uint8Array<ArrayBuffer>,
  });
}

/**
 * Encodes a tensor of any element type: float32 from its data, others as read (renamed).
 *
 * @param t The tensor.
 * @returns Its `TensorProto`.
 */
export function encodeTensor(t: Tensor): TensorProto {
  if ("data" in t) return encodeInitializer(t);
  const proto = fromBinary(TensorProtoSchema, t.proto);
  if (proto.name !== t.name) proto.name = t.name;
  return proto;
}
