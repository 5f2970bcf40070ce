/** Tests for decodeModel on models the harness does not write, built field by field with onnx-buf. */
import assert from "node:assert/strict";
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import {
  AttributeProto_AttributeType as A,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType as D,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_SequenceSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from "onnx-buf";
import { decodeModel } from "../../src/onnx/decode.ts";
import { randomInput } from "../../src/stem/weights.ts";

/** A message's fields as `create` takes them, without an existing message. */
type Init<T extends Parameters<typeof create>[0]> = Exclude<
  MessageInitShape<T>,
  { $typeName: string }
>;

/** A tensor value info; a string dim is a dim_param, null an unset dim, no dims no shape. */
const valueInfo = (name: string, dims?: (number | string | null)[], elemType = D.FLOAT) =>
  create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: "tensorType",
        value: create(TypeProto_TensorSchema, {
          elemType,
          shape: dims && create(TensorShapeProtoSchema, {
            dim: dims.map((d) =>
              create(TensorShapeProto_DimensionSchema, {
                value: typeof d === "number"
                  ? { case: "dimValue", value: BigInt(d) }
                  : typeof d === "string"
                  ? { case: "dimParam", value: d }
                  : undefined,
              })
            ),
          }),
        }),
      },
    }),
  });

const node = (opType: string, init: Init<typeof NodeProtoSchema> = {}) =>
  create(NodeProtoSchema, { name: opType.toLowerCase(), opType, ...init });

function model(
  graph: Init<typeof GraphProtoSchema>,
  init: Init<typeof ModelProtoSchema> = {},
): Uint8Array {
  return toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, {
      irVersion: 8n,
      opsetImport: [create(OperatorSetIdProtoSchema, { domain: "", version: 17n })],
      graph: create(GraphProtoSchema, {
        name: "g",
        input: [valueInfo("x", [1, 4])],
        output: [valueInfo("y", [1, 4])],
        node: [node("Relu", { input: ["x"], output: ["y"] })],
        ...graph,
      }),
      ...init,
    }),
  );
}

const externalTensor = (name: string, dataType: number, dims: bigint[], at: [number, number]) =>
  create(TensorProtoSchema, {
    name,
    dataType,
    dims,
    dataLocation: TensorProto_DataLocation.EXTERNAL,
    externalData: [
      ["location", "w.bin"],
      ["offset", String(at[0])],
      ["length", String(at[1])],
    ].map(([key, value]) => create(StringStringEntryProtoSchema, { key, value })),
  });

Deno.test("decodeModel() reads float_data, keeps int64 tensors, domains and model fields", () => {
  const bytes = model({
    input: [valueInfo("x", ["N", 4]), valueInfo("w", [2])],
    output: [valueInfo("y", ["N", 4])],
    initializer: [
      create(TensorProtoSchema, { name: "w", dims: [2n], dataType: D.FLOAT, floatData: [1.5, -2] }),
      create(TensorProtoSchema, { name: "shape", dims: [1n], dataType: D.INT64, int64Data: [4n] }),
    ],
    node: [node("FusedConv", { domain: "com.microsoft", input: ["x", "w"], output: ["y"] })],
  }, {
    irVersion: 7n,
    producerName: "pytorch",
    modelVersion: 2n,
    opsetImport: [
      create(OperatorSetIdProtoSchema, { domain: "com.microsoft", version: 1n }),
      create(OperatorSetIdProtoSchema, { domain: "ai.onnx", version: 13n }),
    ],
    metadataProps: [create(StringStringEntryProtoSchema, { key: "k", value: "v" })],
  });
  const g = decodeModel(bytes);
  assert.equal(g.opset, 13);
  assert.deepEqual(g.inputs, [{ name: "x", shape: [-1, 4], dimNames: ["N", undefined] }]);
  assert.deepEqual(g.outputs, [{ name: "y", shape: [-1, 4], dimNames: ["N", undefined] }]);
  assert.deepEqual(g.initializers, [{ name: "w", dims: [2], data: new Float32Array([1.5, -2]) }]);
  const [shape] = g.otherInitializers ?? [];
  assert.deepEqual([shape.name, shape.dims, "dataType" in shape && shape.dataType], [
    "shape",
    [1],
    D.INT64,
  ]);
  assert.deepEqual(
    fromBinary(TensorProtoSchema, "proto" in shape ? shape.proto : new Uint8Array()).int64Data,
    [
      4n,
    ],
  );
  assert.equal(g.nodes[0].opType, "com.microsoft.FusedConv");
  assert.equal(g.nodes[0].tag, undefined);
  // "w" is listed as an input (old exporters): kept in model.extra, not among the inputs
  const { extra, ...info } = g.model ?? {};
  assert.deepEqual(info, {
    irVersion: 7,
    producerName: "pytorch",
    modelVersion: 2,
    opsetImports: [{ domain: "com.microsoft", version: 1 }, { domain: "ai.onnx", version: 13 }],
    metadata: [{ key: "k", value: "v" }],
  });
  assert.deepEqual(
    fromBinary(ModelProtoSchema, extra ?? new Uint8Array()).graph?.input.map((i) => i.name),
    [
      "w",
    ],
  );
});

Deno.test("decodeModel() decodes every attribute kind and keeps the others as bytes", () => {
  const graphAttr = create(AttributeProtoSchema, {
    name: "body",
    type: A.GRAPH,
    g: create(GraphProtoSchema, { name: "sub" }),
  });
  const attrs = [
    create(AttributeProtoSchema, { name: "i", type: A.INT, i: -3n }),
    create(AttributeProtoSchema, { name: "is", type: A.INTS, ints: [1n, 2n ** 40n] }),
    create(AttributeProtoSchema, { name: "f", type: A.FLOAT, f: 0.25 }),
    create(AttributeProtoSchema, { name: "fs", type: A.FLOATS, floats: [0.5, -1] }),
    create(AttributeProtoSchema, { name: "s", type: A.STRING, s: new TextEncoder().encode("é") }),
    create(AttributeProtoSchema, {
      name: "ss",
      type: A.STRINGS,
      strings: ["a", ""].map((s) => new TextEncoder().encode(s)),
    }),
    create(AttributeProtoSchema, {
      name: "t",
      type: A.TENSOR,
      t: create(TensorProtoSchema, { dims: [2n], dataType: D.FLOAT, floatData: [1, 2] }),
    }),
    create(AttributeProtoSchema, {
      name: "ti",
      type: A.TENSOR,
      t: create(TensorProtoSchema, { dims: [], dataType: D.INT64, int64Data: [5n] }),
    }),
    graphAttr,
    // not representable as numbers or text: kept as read
    create(AttributeProtoSchema, { name: "big", type: A.INT, i: 2n ** 62n }),
    create(AttributeProtoSchema, { name: "bin", type: A.STRING, s: new Uint8Array([0xff, 0]) }),
  ];
  const g = decodeModel(model({ node: [node("Op", { attribute: attrs, output: ["y"] })] }));
  const a = g.nodes[0].attributes;
  assert.deepEqual(a.i, { type: "int", value: -3 });
  assert.deepEqual(a.is, { type: "ints", value: [1, 2 ** 40] });
  assert.deepEqual(a.f, { type: "float", value: 0.25 });
  assert.deepEqual(a.fs, { type: "floats", value: [0.5, -1] });
  assert.deepEqual(a.s, { type: "string", value: "é" });
  assert.deepEqual(a.ss, { type: "strings", value: ["a", ""] });
  assert.deepEqual(a.t, {
    type: "tensor",
    value: { name: "", dims: [2], data: new Float32Array([1, 2]) },
  });
  assert.ok(a.ti.type === "tensor" && "proto" in a.ti.value && a.ti.value.dataType === D.INT64);
  assert.deepEqual(a.body, { type: "opaque", bytes: toBinary(AttributeProtoSchema, graphAttr) });
  for (const k of ["big", "bin"]) assert.equal(a[k].type, "opaque", k);
  const big = a.big.type === "opaque" ? fromBinary(AttributeProtoSchema, a.big.bytes) : undefined;
  assert.equal(big?.i, 2n ** 62n);
});

Deno.test("decodeModel() reads dynamic dims, unranked values, element types and value_info", () => {
  const g = decodeModel(model({
    input: [valueInfo("x", ["batch", null, 3]), valueInfo("ids", [2], D.INT64)],
    output: [valueInfo("y"), valueInfo("z", [""], D.FLOAT16)],
    valueInfo: [
      valueInfo("h", ["batch", 4]),
      create(ValueInfoProtoSchema, {
        name: "seq",
        type: create(TypeProtoSchema, {
          value: { case: "sequenceType", value: create(TypeProto_SequenceSchema) },
        }),
      }),
    ],
  }));
  assert.deepEqual(g.inputs, [
    { name: "x", shape: [-1, -1, 3], dimNames: ["batch", undefined, undefined] },
    { name: "ids", shape: [2], elemType: D.INT64 },
  ]);
  assert.deepEqual(g.outputs, [
    { name: "y", shape: [], unranked: true },
    { name: "z", shape: [-1], elemType: D.FLOAT16 },
  ]);
  assert.deepEqual(g.valueInfo, [{ name: "h", shape: [-1, 4], dimNames: ["batch", undefined] }]);
  // the sequence value is not a tensor: kept in model.extra
  const extra = fromBinary(ModelProtoSchema, g.model?.extra ?? new Uint8Array());
  assert.deepEqual(extra.graph?.valueInfo.map((v) => v.name), ["seq"]);
});

Deno.test("decodeModel() resolves external data of initializers and Constant values", () => {
  const file = new Uint8Array(40);
  const view = new DataView(file.buffer);
  [1.5, -2, 3].forEach((v, i) => view.setFloat32(8 + 4 * i, v, true));
  view.setBigInt64(24, 7n, true);
  const bytes = model({
    initializer: [
      externalTensor("w", D.FLOAT, [3n], [8, 12]),
      externalTensor("n", D.INT64, [1n], [24, 8]),
    ],
    node: [node("Constant", {
      output: ["y"],
      attribute: [create(AttributeProtoSchema, {
        name: "value",
        type: A.TENSOR,
        t: externalTensor("c", D.FLOAT, [1n], [8, 4]),
      })],
    })],
  });
  const calls: unknown[] = [];
  const g = decodeModel(bytes, {
    externalData: (location, offset, length) => {
      calls.push([location, offset, length]);
      return file.subarray(offset, offset + (length ?? file.length));
    },
  });
  assert.deepEqual(calls, [["w.bin", 8, 12], ["w.bin", 24, 8], ["w.bin", 8, 4]]);
  assert.deepEqual(g.initializers, [{
    name: "w",
    dims: [3],
    data: new Float32Array([1.5, -2, 3]),
  }]);
  const n = g.otherInitializers?.[0];
  const proto = fromBinary(TensorProtoSchema, n && "proto" in n ? n.proto : new Uint8Array());
  assert.deepEqual([proto.rawData, proto.dataLocation, proto.externalData], [
    file.subarray(24, 32),
    TensorProto_DataLocation.DEFAULT,
    [],
  ]);
  assert.deepEqual(g.nodes[0].attributes.value, {
    type: "tensor",
    value: { name: "c", dims: [1], data: new Float32Array([1.5]) },
  });
});

Deno.test("decodeModel() names the tensor and location when external data cannot be read", () => {
  const bytes = model({ initializer: [externalTensor("conv.w", D.FLOAT, [3n], [0, 12])] });
  assert.throws(
    () => decodeModel(bytes),
    new TypeError(
      'Cannot decode tensor "conv.w" as its data is in external file "w.bin" and no resolver was given',
    ),
  );
  assert.throws(
    () =>
      decodeModel(bytes, {
        externalData: () => {
          throw new Error("gone");
        },
      }),
    new TypeError(
      'Cannot decode tensor "conv.w" as its external data "w.bin" cannot be read: gone',
    ),
  );
  assert.throws(
    () => decodeModel(bytes, { externalData: () => new Uint8Array(8) }),
    /tensor "conv.w" as its external data "w.bin" has 8 bytes, not 12$/,
  );
});

Deno.test("decodeModel() rejects float data that does not match its shape", () => {
  const bad = (t: Init<typeof TensorProtoSchema>) =>
    model({
      initializer: [
        create(TensorProtoSchema, { name: "w", dims: [2n, 2n], dataType: D.FLOAT, ...t }),
      ],
    });
  assert.throws(() => decodeModel(bad({ floatData: [1, 2, 3] })), {
    name: "TypeError",
    message: 'Cannot decode tensor "w" as it has 3 values for shape [2,2]',
  });
  assert.throws(() => decodeModel(bad({ rawData: new Uint8Array(15) })), /has 15 bytes/);
});

Deno.test("decodeModel() throws SyntaxError for bytes that are not an ONNX model", () => {
  const valid = model({});
  const notOnnx = /^Cannot decode model as it (is truncated or not protobuf|is not ONNX): /;
  assert.throws(
    () => decodeModel(new Uint8Array()),
    new SyntaxError("Cannot decode model as it is empty"),
  );
  assert.throws(() => decodeModel(valid.subarray(0, valid.length >> 1)), {
    name: "SyntaxError",
    message: /^Cannot decode model as it is truncated or not protobuf: /,
  });
  const json = new TextEncoder().encode(JSON.stringify({ irVersion: 8, graph: { node: [] } }));
  assert.throws(() => decodeModel(json), { name: "SyntaxError", message: notOnnx });
  for (let seed = 1; seed <= 64; seed++) {
    const noise = Uint8Array.from(randomInput(100, seed), (v) => Math.floor((v + 1) * 128));
    assert.throws(
      () => decodeModel(noise),
      { name: "SyntaxError", message: notOnnx },
      `seed ${seed}`,
    );
  }
  const cases: [Uint8Array, string][] = [
    [toBinary(ModelProtoSchema, create(ModelProtoSchema, { irVersion: 8n })), "it has no graph"],
    [model({}, { irVersion: 0n }), "its IR version is 0"],
    [model({}, { opsetImport: [] }), "it imports no opset"],
    [model({ node: [node("Relu"), node("")] }), 'node 1 ("") has no op type'],
  ];
  for (const [bytes, why] of cases) {
    assert.throws(
      () => decodeModel(bytes),
      new SyntaxError(`Cannot decode model as it is not ONNX: ${why}`),
    );
  }
});

Deno.test("decodeModel() names a graph input that is not a tensor", () => {
  const seq = create(ValueInfoProtoSchema, {
    name: "s",
    type: create(TypeProtoSchema, {
      value: { case: "sequenceType", value: create(TypeProto_SequenceSchema) },
    }),
  });
  assert.throws(
    () => decodeModel(model({ input: [seq] })),
    new TypeError('Cannot decode value "s" as it is not a tensor'),
  );
});
