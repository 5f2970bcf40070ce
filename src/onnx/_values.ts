/**
 * Element types and the values of small constant tensors: what shape inference folds (int64
 * Reshape shapes, Slice starts, Resize scales) and what counting needs (bytes per element).
 * Private to src/onnx and src/profile.
 *
 * @module
 */
import { fromBinary } from "@bufbuild/protobuf";
import { TensorProtoSchema } from "onnx-buf";
import type { Attribute, Node, Tensor } from "./ir.ts";

/** ONNX `TensorProto.DataType` numbers used by the rules. */
export const DataType = Object.freeze({
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  BFLOAT16: 16,
});

/** Largest tensor (in elements) whose values inference keeps. */
export const MAX_FOLDED_ELEMENTS = 1024;

// Bytes per element, indexed by data type; 4-bit types take half a byte; strings (8) have no
// fixed size and count 0.
const BYTES: readonly number[] = [0, 4, 1, 1, 2, 2, 4, 8, 0, 1, 2, 8, 4, 8, 8, 16, 2, 1, 1, 1, 1]
  .concat([0.5, 0.5, 0.5]);

const FLOATS = new Set([1, 10, 11, 16, 17, 18, 19, 20, 23]);

/**
 * Bytes per element of an ONNX data type.
 *
 * @param dataType A `TensorProto.DataType` number.
 * @returns Bytes (0.5 for 4-bit types, 0 for strings and unknown types).
 */
export function elementSize(dataType: number): number {
  return BYTES[dataType] ?? 0;
}

/**
 * Whether an ONNX data type is a floating-point type (float32, float16, bfloat16, double, float8).
 *
 * @param dataType A `TensorProto.DataType` number.
 * @returns True for floating-point types.
 */
export function isFloatType(dataType: number): boolean {
  return FLOATS.has(dataType);
}

/**
 * The data type of a tensor of the IR: float32 (1) for one with float data.
 *
 * @param t A tensor.
 * @returns Its `TensorProto.DataType` number.
 */
export function tensorType(t: Tensor): number {
  return "data" in t ? DataType.FLOAT : t.dataType;
}

function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function readRaw(raw: Uint8Array, dataType: number, n: number): number[] | undefined {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const size = elementSize(dataType);
  if (size < 1 || raw.byteLength < n * size) return undefined;
  const read: Record<number, (o: number) => number> = {
    1: (o) => view.getFloat32(o, true),
    2: (o) => view.getUint8(o),
    3: (o) => view.getInt8(o),
    4: (o) => view.getUint16(o, true),
    5: (o) => view.getInt16(o, true),
    6: (o) => view.getInt32(o, true),
    7: (o) => Number(view.getBigInt64(o, true)),
    9: (o) => view.getUint8(o),
    10: (o) => half(view.getUint16(o, true)),
    11: (o) => view.getFloat64(o, true),
    12: (o) => view.getUint32(o, true),
    13: (o) => Number(view.getBigUint64(o, true)),
    16: (o) => new Float32Array(new Uint32Array([view.getUint16(o, true) << 16]).buffer)[0],
  };
  const f = read[dataType];
  return f ? Array.from({ length: n }, (_, i) => f(i * size)) : undefined;
}

function protoValues(proto: Uint8Array, n: number): number[] | undefined {
  const t = fromBinary(TensorProtoSchema, proto);
  if (t.externalData.length > 0) return undefined;
  if (t.rawData.length > 0) return readRaw(t.rawData, t.dataType, n);
  const typed: number[] = t.dataType === DataType.INT64
    ? t.int64Data.map(Number)
    : t.dataType === DataType.DOUBLE
    ? t.doubleData
    : t.dataType === DataType.FLOAT
    ? t.floatData
    : t.dataType === 12 || t.dataType === 13
    ? t.uint64Data.map(Number)
    : t.dataType === DataType.FLOAT16
    ? t.int32Data.map(half)
    : [2, 3, 4, 5, 6, 9].includes(t.dataType)
    ? t.int32Data
    : [];
  return typed.length === n ? [...typed] : undefined;
}

/**
 * The values of a small tensor as numbers (int64 through `Number`), row-major.
 *
 * @param t A tensor of the IR (float data, or an encoded `TensorProto`).
 * @param limit Largest element count to read.
 * @returns The values, or undefined when the tensor is larger than `limit`, stored outside the
 *   model, or of a type without numeric values (strings).
 */
export function tensorValues(t: Tensor, limit = MAX_FOLDED_ELEMENTS): number[] | undefined {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (n > limit) return undefined;
  if ("data" in t) return t.data.length === n ? Array.from(t.data) : undefined;
  return protoValues(t.proto, n);
}

/** A constant tensor in plain numbers: dims, values (when small) and data type. */
export interface ConstantValue {
  readonly dims: readonly number[];
  readonly values: readonly number[] | undefined;
  readonly dataType: number;
}

/**
 * The tensor a Constant node produces, from whichever `value*` attribute it has.
 *
 * @param node A Constant node.
 * @returns Its dims, values (undefined when large) and data type.
 * @throws {TypeError} When it has no `value*` attribute this IR can read (a sparse tensor).
 */
export function constantNodeValue(node: Node): ConstantValue {
  const a: Readonly<Record<string, Attribute>> = node.attributes;
  const v = a.value;
  if (v?.type === "tensor") {
    return { dims: v.value.dims, values: tensorValues(v.value), dataType: tensorType(v.value) };
  }
  const f = a.value_float, fs = a.value_floats, i = a.value_int, is = a.value_ints;
  if (f?.type === "float") return { dims: [], values: [f.value], dataType: DataType.FLOAT };
  if (fs?.type === "floats") {
    return { dims: [fs.value.length], values: fs.value, dataType: DataType.FLOAT };
  }
  if (i?.type === "int") return { dims: [], values: [i.value], dataType: DataType.INT64 };
  if (is?.type === "ints") {
    return { dims: [is.value.length], values: is.value, dataType: DataType.INT64 };
  }
  if (a.value_string?.type === "string") {
    return { dims: [], values: undefined, dataType: DataType.STRING };
  }
  const ss = a.value_strings;
  if (ss?.type === "strings") {
    return { dims: [ss.value.length], values: undefined, dataType: DataType.STRING };
  }
  throw new TypeError(
    `Cannot read Constant "${node.name}" as it has no tensor, float(s), int(s) or string(s) value`,
  );
}
