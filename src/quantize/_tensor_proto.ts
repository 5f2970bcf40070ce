/**
 * Integer constant tensors (int8, uint8, int32) for the graph IR, written as `TensorProto` bytes
 * by hand: the IR keeps tensors that are not float32 as encoded protos, and only src/onnx/ may
 * import onnx-buf. Four fields: `dims` (1), `data_type` (2), `name` (8), `raw_data` (9,
 * little-endian), which is all a quantized initializer needs. (A public encoder for such tensors
 * in src/onnx/ would replace this file.)
 *
 * @module
 */
import type { Tensor } from "../onnx/ir.ts";

/** ONNX `TensorProto.DataType` numbers of the integer types used here. */
export const DATA_TYPE = { uint8: 2, int8: 3, int32: 6 } as const;

function varint(value: number, out: number[]): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function lengthDelimited(field: number, bytes: Uint8Array, out: number[]): void {
  out.push((field << 3) | 2);
  varint(bytes.length, out);
  for (const b of bytes) out.push(b);
}

/**
 * An integer tensor of the IR, holding its encoded `TensorProto`.
 *
 * @param name The tensor's name.
 * @param dims Its shape.
 * @param data Its elements: `Int8Array` (int8), `Uint8Array` (uint8) or `Int32Array` (int32).
 * @returns The tensor, ready for `Graph.otherInitializers`.
 */
export function integerTensor(
  name: string,
  dims: readonly number[],
  data: Int8Array | Uint8Array | Int32Array,
): Tensor {
  const dataType = data instanceof Int8Array
    ? DATA_TYPE.int8
    : data instanceof Uint8Array
    ? DATA_TYPE.uint8
    : DATA_TYPE.int32;
  const raw = new Uint8Array(data.length * data.BYTES_PER_ELEMENT);
  const view = new DataView(raw.buffer);
  data.forEach((v, i) => {
    if (dataType === DATA_TYPE.int32) view.setInt32(i * 4, v, true);
    else raw[i] = v & 0xff;
  });
  const out: number[] = [];
  for (const d of dims) {
    out.push(1 << 3);
    varint(d, out);
  }
  out.push(2 << 3);
  varint(dataType, out);
  lengthDelimited(8, new TextEncoder().encode(name), out);
  out.push((9 << 3) | 2);
  varint(raw.length, out);
  const proto = new Uint8Array(out.length + raw.length);
  proto.set(out);
  proto.set(raw, out.length);
  return { name, dims: [...dims], dataType, proto };
}
