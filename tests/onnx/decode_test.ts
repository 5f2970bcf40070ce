/** Tests for decodeModel on models the harness does not write: float_data, domains, old inputs. */
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import {
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
import { decodeModel } from "../../src/onnx/decode.ts";

const valueInfo = (name: string, dims: (number | string)[]) =>
  create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: "tensorType",
        value: create(TypeProto_TensorSchema, {
          elemType: TensorProto_DataType.FLOAT,
          shape: create(TensorShapeProtoSchema, {
            dim: dims.map((d) =>
              create(TensorShapeProto_DimensionSchema, {
                value: typeof d === "number"
                  ? { case: "dimValue", value: BigInt(d) }
                  : { case: "dimParam", value: d },
              })
            ),
          }),
        }),
      },
    }),
  });

Deno.test("decodeModel() reads float_data, drops non-float tensors and initializer inputs", () => {
  const bytes = toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, {
      irVersion: 7n,
      opsetImport: [
        create(OperatorSetIdProtoSchema, { domain: "com.microsoft", version: 1n }),
        create(OperatorSetIdProtoSchema, { domain: "ai.onnx", version: 13n }),
      ],
      graph: create(GraphProtoSchema, {
        name: "g",
        input: [valueInfo("x", ["N", 4]), valueInfo("w", [2])],
        output: [valueInfo("y", ["N", 4])],
        initializer: [
          create(TensorProtoSchema, {
            name: "w",
            dims: [2n],
            dataType: TensorProto_DataType.FLOAT,
            floatData: [1.5, -2],
          }),
          create(TensorProtoSchema, {
            name: "shape",
            dims: [1n],
            dataType: TensorProto_DataType.INT64,
            int64Data: [4n],
          }),
        ],
        node: [create(NodeProtoSchema, {
          name: "fused",
          opType: "FusedConv",
          domain: "com.microsoft",
          input: ["x", "w"],
          output: ["y"],
        })],
      }),
    }),
  );
  const g = decodeModel(bytes);
  assert.equal(g.opset, 13);
  assert.deepEqual(g.inputs, [{ name: "x", shape: [-1, 4] }]);
  assert.deepEqual(g.outputs, [{ name: "y", shape: [-1, 4] }]);
  assert.deepEqual(g.initializers, [{ name: "w", dims: [2], data: new Float32Array([1.5, -2]) }]);
  assert.equal(g.nodes[0].opType, "com.microsoft.FusedConv");
  assert.equal(g.nodes[0].tag, undefined);
});

Deno.test("decodeModel() throws TypeError for a model without a graph", () => {
  const bytes = toBinary(ModelProtoSchema, create(ModelProtoSchema, { irVersion: 8n }));
  assert.throws(() => decodeModel(bytes), TypeError);
});
