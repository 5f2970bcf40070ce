/** Test helpers: small graphs of any op, int64 tensors as encoded protos, attribute shorthands. */
import { create, toBinary } from "@bufbuild/protobuf";
import { TensorProtoSchema } from "onnx-buf";
import type { Attribute, Graph, Initializer, Node, Tensor, ValueInfo } from "../../src/onnx/ir.ts";

/** A node named after its first output. */
export function op(
  opType: string,
  inputs: string[],
  outputs: string | string[],
  attributes: Record<string, Attribute> = {},
): Node {
  const outs = typeof outputs === "string" ? [outputs] : outputs;
  return { name: outs[0], opType, inputs, outputs: outs, attributes };
}

/** An int64 tensor as the IR keeps non-float tensors: its encoded TensorProto. */
export function int64(
  name: string,
  values: readonly (number | bigint)[],
  dims = [values.length],
): Tensor {
  const proto = toBinary(
    TensorProtoSchema,
    create(TensorProtoSchema, {
      name,
      dims: dims.map(BigInt),
      dataType: 7,
      int64Data: values.map(BigInt),
    }),
  );
  return { name, dims, dataType: 7, proto };
}

/** An int64 tensor stored little-endian in raw_data, as PyTorch writes it. */
export function int64Raw(name: string, values: readonly number[], dims = [values.length]): Tensor {
  const raw = new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer);
  const proto = toBinary(
    TensorProtoSchema,
    create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: 7, rawData: raw }),
  );
  return { name, dims, dataType: 7, proto };
}

/** A float32 initializer of zeros (or the given values). */
export function f32(name: string, dims: number[], values?: number[]): Initializer {
  const n = dims.reduce((a, b) => a * b, 1);
  return { name, dims, data: values ? Float32Array.from(values) : new Float32Array(n) };
}

/** A Constant node holding a tensor. */
export function constant(output: string, value: Tensor): Node {
  return op("Constant", [], output, { value: { type: "tensor", value } });
}

/** A graph around nodes; inputs and outputs given as name -> shape. */
export function graphOf(
  nodes: Node[],
  inputs: Record<string, number[]> | ValueInfo[],
  outputs: string[],
  tensors: Tensor[] = [],
  opset = 17,
): Graph {
  const ins = Array.isArray(inputs)
    ? inputs
    : Object.entries(inputs).map(([name, shape]) => ({ name, shape }));
  return {
    name: "t",
    opset,
    inputs: ins,
    outputs: outputs.map((name) => ({ name, shape: [], unranked: true })),
    initializers: tensors.filter((t): t is Initializer => "data" in t),
    otherInitializers: tensors.filter((t) => !("data" in t)),
    nodes,
  };
}

/** Attribute shorthands. */
export const attr = {
  int: (value: number): Attribute => ({ type: "int", value }),
  ints: (value: number[]): Attribute => ({ type: "ints", value }),
  float: (value: number): Attribute => ({ type: "float", value }),
  floats: (value: number[]): Attribute => ({ type: "floats", value }),
  string: (value: string): Attribute => ({ type: "string", value }),
};
