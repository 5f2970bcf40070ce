/**
 * Round trips of whole models: graphs with every feature the IR keeps (decode(encode(g)) === g at
 * opsets 11 and 21), a committed model written by onnx's Python helpers, and models that
 * python3-onnx writes at test time, re-encoded and compared by onnx itself and by onnxruntime.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
} from "onnx-buf";
import * as ort from "onnxruntime-node";
import { decodeModel } from "../../src/onnx/decode.ts";
import { encodeModel } from "../../src/onnx/encode.ts";
import type { Attribute, Graph, Node } from "../../src/onnx/ir.ts";
import { readModelFile } from "../../src/onnx/load.ts";
import { randomInput } from "../../src/stem/weights.ts";
import { hasPythonOnnx, maxAbsDiff } from "../_helpers.ts";

const TESTDATA = new URL("../testdata/onnx/", import.meta.url).pathname;
const PYMODELS = join(TESTDATA, "pymodels.py");

const int64 = (name: string, values: bigint[]) => ({
  name,
  dims: [values.length],
  dataType: TensorProto_DataType.INT64,
  proto: toBinary(
    TensorProtoSchema,
    create(TensorProtoSchema, {
      name,
      dims: [BigInt(values.length)],
      dataType: TensorProto_DataType.INT64,
      int64Data: values,
    }),
  ),
});

const weights = (name: string, dims: number[], seed: number) => ({
  name,
  dims,
  data: randomInput(dims.reduce((a, b) => a * b, 1), seed),
});

const op = (
  opType: string,
  inputs: string[],
  output: string,
  attributes: Record<string, Attribute> = {},
): Node => ({ name: `${opType}_${output}`, opType, inputs, outputs: [output], attributes });

/** Every attribute kind the IR has, float values exact in float32. */
const everyKind: Record<string, Attribute> = {
  i: { type: "int", value: -7 },
  is: { type: "ints", value: [1, 2 ** 40] },
  f: { type: "float", value: 0.375 },
  fs: { type: "floats", value: [1.5, -0.25] },
  s: { type: "string", value: "reflect" },
  ss: { type: "strings", value: ["relu", "tänh"] },
  t: { type: "tensor", value: weights("t", [2], 9) },
  ti: { type: "tensor", value: int64("ti", [3n]) },
  g: {
    type: "opaque",
    bytes: toBinary(
      AttributeProtoSchema,
      create(AttributeProtoSchema, {
        name: "g",
        type: AttributeProto_AttributeType.GRAPH,
        g: create(GraphProtoSchema, { name: "body" }),
      }),
    ),
  },
};

/**
 * x [batch, 3, 4, 4] -> Conv -> Mul by a Constant -> LeakyRelu -> com.microsoft.Gelu -> Pad
 * (reflect) -> Reshape by an int64 initializer -> y [batch, 144]; `everything` adds a node of a
 * custom domain with every attribute kind (then the model no longer runs).
 */
function richGraph(opset: number, everything: boolean): Graph {
  const batch = { dimNames: ["batch", undefined, undefined, undefined] };
  const nodes: Node[] = [
    op("Conv", ["x", "w", "b"], "c", {
      kernel_shape: { type: "ints", value: [3, 3] },
      pads: { type: "ints", value: [1, 1, 1, 1] },
      group: { type: "int", value: 1 },
    }),
    op("Constant", [], "k", { value: { type: "tensor", value: weights("", [], 4) } }),
    op("Mul", ["c", "k"], "m"),
    op("LeakyRelu", ["m"], "a", { alpha: { type: "float", value: 0.125 } }),
    op("com.microsoft.Gelu", ["a"], "ge"),
    op("Pad", ["ge", "pads"], "p", { mode: { type: "string", value: "reflect" } }),
    op("Reshape", ["p", "shape"], "y"),
  ];
  if (everything) nodes.push(op("ai.repstem.Everything", ["y"], "z", everyKind));
  return {
    name: "rich",
    opset,
    inputs: [{ name: "x", shape: [-1, 3, 4, 4], ...batch }],
    outputs: [{ name: "y", shape: [-1, 144], dimNames: ["batch", undefined] }],
    initializers: [weights("w", [4, 3, 3, 3], 1), weights("b", [4], 2)],
    otherInitializers: [int64("pads", [0n, 0n, 1n, 1n, 0n, 0n, 1n, 1n]), int64("shape", [0n, -1n])],
    nodes,
    valueInfo: [{ name: "c", shape: [-1, 4, 4, 4], ...batch }],
    model: {
      irVersion: opset >= 21 ? 10 : 6,
      producerName: "pytorch",
      producerVersion: "2.5.0",
      domain: "ai.repstem.test",
      modelVersion: 2,
      docString: "a model a user exported",
      opsetImports: [
        { domain: "", version: opset },
        { domain: "com.microsoft", version: 1 },
        ...(everything ? [{ domain: "ai.repstem", version: 1 }] : []),
      ],
      metadata: [{ key: "author", value: "repstem" }, { key: "empty", value: "" }],
    },
  };
}

/** Runs a model (bytes or a path) on seeded inputs with batch `batch`; all outputs by name. */
async function run(model: Uint8Array | string, graph: Graph, batch = 2) {
  // quiet: onnxruntime warns about initializers listed as inputs and unused Constants
  const options = { intraOpNumThreads: 1, logSeverityLevel: 3 } as const;
  const session = typeof model === "string"
    ? await ort.InferenceSession.create(model, options)
    : await ort.InferenceSession.create(model, options);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    graph.inputs.forEach((v, i) => {
      const dims = v.shape.map((d) => (d < 0 ? batch : d));
      const n = dims.reduce((a, b) => a * b, 1);
      feeds[v.name] = v.elemType === TensorProto_DataType.INT64
        ? new ort.Tensor("int64", BigInt64Array.from({ length: n }, (_, j) => BigInt(j % 2)), dims)
        : new ort.Tensor("float32", randomInput(n, 11 + i), dims);
    });
    const out = await session.run(feeds);
    return Object.fromEntries(
      Object.entries(out).map(([k, t]) => [k, { dims: t.dims, data: t.data }]),
    );
  } finally {
    await session.release();
  }
}

for (const opset of [11, 21]) {
  Deno.test(`decodeModel() inverts encodeModel() for a graph with every feature, opset ${opset}`, () => {
    const g = richGraph(opset, true);
    const bytes = encodeModel(g);
    const back = decodeModel(bytes);
    assert.deepEqual(back, g);
    assert.deepEqual(encodeModel(back), bytes);
  });

  Deno.test(`encodeModel() of a user-like graph runs in onnxruntime at opset ${opset}`, async () => {
    const g = richGraph(opset, false);
    const full = await run(encodeModel(decodeModel(encodeModel(g))), g, 3);
    assert.deepEqual(full.y.dims, [3, 144]);
    // the model's own fields change nothing about what it computes
    const bare = await run(encodeModel({ ...g, model: undefined }), g, 3);
    assert.deepEqual(full, bare);
  });
}

Deno.test("readModelFile() reads the committed model that onnx's helpers saved with external data", async () => {
  const path = join(TESTDATA, "tiny.onnx");
  const { graph } = await readModelFile(path);
  assert.deepEqual(graph.inputs, [
    { name: "input", shape: [-1, 2, 3, 3], dimNames: ["batch", undefined, undefined, undefined] },
  ]);
  assert.deepEqual(graph.nodes.map((n) => n.opType), ["Conv", "Constant", "Mul", "Reshape"]);
  assert.deepEqual(graph.nodes[1].attributes.value, {
    type: "tensor",
    value: { name: "", dims: [1], data: new Float32Array([2]) },
  });
  assert.deepEqual(graph.initializers.map((t) => [t.name, t.dims, t.data.length]), [
    ["w", [4, 2, 3, 3], 72],
  ]);
  assert.deepEqual(graph.otherInitializers?.map((t) => [t.name, t.dims]), [["shape", [2]]]);
  const { extra: _, ...info } = graph.model ?? {};
  assert.deepEqual(info, {
    irVersion: 7,
    producerName: "pytorch",
    producerVersion: "1.13.1",
    domain: "ai.repstem.test",
    modelVersion: 3,
    docString: "exported for the decode/encode tests",
    opsetImports: [{ domain: "", version: 13 }],
    metadata: [{ key: "author", value: "repstem" }, { key: "license", value: "MIT" }],
  });
  // onnxruntime cannot load the original (its Reshape shape is external); the re-encoded bytes
  // compute the 3x3 conv of each image, doubled
  const { output } = await run(encodeModel(graph), graph);
  assert.deepEqual(output.dims, [2, 4]);
  const x = randomInput(2 * 18, 11);
  const w = graph.initializers[0].data;
  const expected = Array.from({ length: 8 }, (_, i) => {
    const [n, o] = [Math.floor(i / 4), i % 4];
    let sum = 0;
    for (let j = 0; j < 18; j++) sum += w[o * 18 + j] * x[n * 18 + j];
    return 2 * sum;
  });
  assert.ok(maxAbsDiff(output.data as Float32Array, expected) < 1e-5, String(output.data));
});

const hasOnnx = await hasPythonOnnx();
if (!hasOnnx) {
  console.warn(
    "roundtrip_test: skipping python3-onnx interop: /usr/bin/python3 cannot import onnx",
  );
}

async function python(...args: string[]): Promise<{ success: boolean; output: string }> {
  const { success, stdout, stderr } = await new Deno.Command("/usr/bin/python3", {
    args: [PYMODELS, ...args],
  }).output();
  const text = new TextDecoder();
  return { success, output: text.decode(stdout) + text.decode(stderr) };
}

Deno.test({
  name: "python3-onnx models re-encode as the same model: checker, onnx.load, onnxruntime agree",
  ignore: !hasOnnx,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "repstem_interop_" });
    try {
      const made = await python("make", dir);
      assert.ok(made.success, made.output);
      for (const name of ["exported", "external", "legacy", "functions"]) {
        await t.step(name, async () => {
          const path = join(dir, `${name}.onnx`);
          // as written: local functions kept, not inlined
          const { graph } = await readModelFile(path, { inlineFunctions: false });
          const again = join(dir, `${name}.again.onnx`);
          const bytes = encodeModel(graph);
          await Deno.writeFile(again, bytes);
          const checked = await python("check", again);
          assert.ok(checked.success, checked.output);
          const same = await python("same", path, again);
          assert.ok(same.success, same.output);
          // onnxruntime cannot load external int64 shapes: "external" is "exported" saved so
          const inline = join(dir, `${name === "external" ? "exported" : name}.onnx`);
          assert.deepEqual(await run(bytes, graph), await run(inline, graph));
        });
      }
      await t.step("the comparison can fail", async () => {
        const differ = await python("same", join(dir, "exported.onnx"), join(dir, "legacy.onnx"));
        assert.equal(differ.success, false);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
