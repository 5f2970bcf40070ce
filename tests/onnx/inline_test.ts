/**
 * Tests for inlineFunctions: models with local functions (python3-onnx's helper, onnx-buf, and a
 * real PyTorch export with its modules as functions) become flat graphs that compute the same.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  FunctionProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
} from "onnx-buf";
import * as ort from "onnxruntime-node";
import { decodeLocalFunctions, decodeModel } from "../../src/onnx/decode.ts";
import { encodeModel } from "../../src/onnx/encode.ts";
import { inlineFunctions, inlineLocalFunctions } from "../../src/onnx/inline.ts";
import type { Graph } from "../../src/onnx/ir.ts";
import { readModelFile } from "../../src/onnx/load.ts";
import { fuseGraph } from "../../src/reparam/graph/fuse.ts";
import { randomInput } from "../../src/stem/weights.ts";
import { hasPythonOnnx, histogram } from "../_helpers.ts";

const TORCH = new URL("../testdata/torch/", import.meta.url);

/** Runs a model (bytes or path) once on CPU, optimizer off; returns every output by name. */
async function run(
  model: Uint8Array | string,
  feeds: Record<string, { data: Float32Array; dims: readonly number[] }>,
): Promise<Record<string, Float32Array>> {
  const session = typeof model === "string"
    ? await ort.InferenceSession.create(model, { graphOptimizationLevel: "disabled" })
    : await ort.InferenceSession.create(model, { graphOptimizationLevel: "disabled" });
  try {
    const inputs = Object.fromEntries(
      Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor("float32", v.data, v.dims)]),
    );
    const out = await session.run(inputs);
    return Object.fromEntries(
      Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]),
    );
  } finally {
    await session.release();
  }
}

/** max |a - b| / max |b|. */
function normwise(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}

/** Every value is written by one node at most, and no node name repeats. */
function assertSsa(graph: Graph): void {
  const outputs = graph.nodes.flatMap((n) => n.outputs.filter((o) => o));
  assert.equal(new Set(outputs).size, outputs.length, "each value written once");
  const names = graph.nodes.map((n) => n.name);
  assert.equal(new Set(names).size, names.length, "node names unique");
}

// A model with two local functions: custom.AffineLeaky (attribute alpha, referenced by its
// LeakyRelu) called twice with different alphas, which calls custom.Square (nested). Both bodies
// name an internal value "s", and so does the main graph.
const PY_MODEL = `
import sys
import onnx
from onnx import helper, TensorProto, AttributeProto

def ref(name, ref_name, kind):
    a = AttributeProto()
    a.name, a.ref_attr_name, a.type = name, ref_name, kind
    return a

leaky = helper.make_node("LeakyRelu", ["s"], ["t"], name="leaky")
leaky.attribute.append(ref("alpha", "alpha", AttributeProto.FLOAT))
affine = helper.make_function(
    "custom", "AffineLeaky", ["x", "b"], ["y"],
    [helper.make_node("Add", ["x", "b"], ["s"], name="add"), leaky,
     helper.make_node("Square", ["t"], ["y"], name="sq", domain="custom")],
    [helper.make_opsetid("", 17), helper.make_opsetid("custom", 1)], ["alpha"])
square = helper.make_function(
    "custom", "Square", ["a"], ["r"],
    [helper.make_node("Mul", ["a", "a"], ["s"], name="mul"),
     helper.make_node("Sub", ["s", "a"], ["r"], name="sub")],
    [helper.make_opsetid("", 17)])
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
bias = helper.make_tensor("bias", TensorProto.FLOAT, [4], [0.5, -1.0, 0.25, -0.75])
nodes = [
    helper.make_node("Identity", ["x"], ["s"], name="first"),
    helper.make_node("AffineLeaky", ["s", "bias"], ["h"], name="block1", domain="custom",
                     alpha=0.1),
    helper.make_node("AffineLeaky", ["h", "bias"], ["y"], name="block2", domain="custom",
                     alpha=0.3),
]
graph = helper.make_graph(nodes, "functions", [x], [y], [bias])
model = helper.make_model(graph, functions=[affine, square], opset_imports=[
    helper.make_opsetid("", 17), helper.make_opsetid("custom", 1)])
model.ir_version = 8
onnx.checker.check_model(model, full_check=True)
onnx.save(model, sys.argv[1])
`;

const PY_CHECK = `
import sys
import onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
assert len(m.functions) == 0, [f.name for f in m.functions]
print(sorted(n.op_type for n in m.graph.node))
`;

async function python(script: string, ...args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", script, ...args],
  }).output();
  const text = new TextDecoder();
  const output = text.decode(stdout) + text.decode(stderr);
  assert.ok(success, output);
  return output;
}

const hasOnnx = await hasPythonOnnx();

Deno.test({
  name: "inlineFunctions() flattens helper-built functions: same outputs, onnx checker passes",
  ignore: !hasOnnx,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "repstem_inline_" });
    try {
      const path = join(dir, "functions.onnx");
      await python(PY_MODEL, path);
      const loaded = await readModelFile(path);
      assert.equal(loaded.inlinedFunctions, 2);
      const { graph } = loaded;
      assert.deepEqual(
        graph.nodes.map((n) => `${n.name}: ${n.opType}`),
        [
          "first: Identity",
          "block1/add: Add",
          "block1/leaky: LeakyRelu",
          "block1/sq/mul: Mul",
          "block1/sq/sub: Sub",
          "block2/add: Add",
          "block2/leaky: LeakyRelu",
          "block2/sq/mul: Mul",
          "block2/sq/sub: Sub",
        ],
      );
      assertSsa(graph);
      // formal inputs and outputs bound to the caller's, the rest renamed below the caller
      assert.deepEqual(graph.nodes[1].inputs, ["s", "bias"]);
      assert.deepEqual(graph.nodes[1].outputs, ["block1/s"]);
      assert.deepEqual(graph.nodes[3].outputs, ["block1/sq/s"]);
      assert.deepEqual(graph.nodes[4].outputs, ["h"]);
      assert.deepEqual(graph.nodes[8].outputs, ["y"]);
      // the attribute reference takes each caller's value
      const alpha = (i: number) => graph.nodes[i].attributes.alpha;
      assert.equal(alpha(2).type, "float");
      assert.ok(Math.abs((alpha(2) as { value: number }).value - 0.1) < 1e-7);
      assert.ok(Math.abs((alpha(6) as { value: number }).value - 0.3) < 1e-7);
      assert.equal(graph.model?.extra, undefined, "no function is left");

      const flat = join(dir, "flat.onnx");
      await Deno.writeFile(flat, encodeModel(graph));
      const ops = await python(PY_CHECK, flat);
      assert.match(ops, /'LeakyRelu', 'LeakyRelu', 'Mul', 'Mul', 'Sub', 'Sub'/);

      const feeds = { x: { data: randomInput(12, 3), dims: [3, 4] } };
      const want = await run(path, feeds);
      const got = await run(flat, feeds);
      assert.deepEqual(got.y, want.y);
      // reading without inlining keeps the model as written
      const kept = await readModelFile(path, { inlineFunctions: false });
      assert.equal(kept.inlinedFunctions, 0);
      assert.equal(kept.graph.nodes.length, 3);
      assert.equal(decodeLocalFunctions(kept.graph.model?.extra as Uint8Array).length, 2);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("inlineFunctions() flattens a PyTorch export with modules as functions; it fuses to the deploy form", async () => {
  const path = new URL("mobileone.train_functions.onnx", TORCH).pathname;
  const original = await Deno.readFile(path);
  const { graph: opaque } = await readModelFile(path, { inlineFunctions: false });
  assert.deepEqual(histogram(opaque.nodes), { "export.MobileOneNet": 1 });
  assert.equal(fuseGraph(opaque).unchanged, true, "nothing to fuse while the functions are opaque");

  const { graph, inlinedFunctions } = await readModelFile(path);
  assert.equal(inlinedFunctions, 13);
  assert.equal(graph.model?.extra, undefined);
  assertSsa(graph);
  const before = histogram(graph.nodes);
  assert.equal(before.Conv, 29);
  assert.equal(before.BatchNormalization, 4);

  const fused = fuseGraph(graph);
  const deploy = decodeModel(await Deno.readFile(new URL("mobileone.deploy.onnx", TORCH)));
  const after = histogram(fused.graph.nodes);
  assert.equal(after.BatchNormalization, undefined);
  assert.equal(after.Conv, histogram(deploy.nodes).Conv);

  const dims = [2, 3, 64, 64];
  const feeds = { input: { data: randomInput(2 * 3 * 64 * 64, 7), dims } };
  const output = graph.outputs[0].name;
  const want = (await run(original, feeds))[output];
  assert.ok(normwise((await run(encodeModel(graph), feeds))[output], want) < 1e-6);
  assert.ok(normwise((await run(encodeModel(fused.graph), feeds))[output], want) < 1e-4);
});

Deno.test("inlineFunctions() returns a graph without called functions unchanged", () => {
  const graph = decodeModel(encodeModel({
    name: "g",
    opset: 17,
    inputs: [{ name: "x", shape: [1, 4] }],
    outputs: [{ name: "y", shape: [1, 4] }],
    initializers: [],
    nodes: [{ name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"], attributes: {} }],
  }));
  assert.equal(inlineFunctions(graph), graph);
  // a function nobody calls: the same graph too, the function kept
  const extra = toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, {
      functions: [create(FunctionProtoSchema, { domain: "c", name: "F" })],
    }),
  );
  const withFunction = { ...graph, model: { ...graph.model, extra } };
  assert.equal(inlineFunctions(withFunction), withFunction);
});

/** A graph calling `c.F` (built with onnx-buf: attribute defaults, optional inputs). */
function callingGraph(fn: Parameters<typeof create<typeof FunctionProtoSchema>>[1]): Graph {
  const extra = toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, { functions: [create(FunctionProtoSchema, fn)] }),
  );
  return {
    name: "g",
    opset: 17,
    inputs: [{ name: "x", shape: [2, 3] }],
    outputs: [{ name: "y", shape: [2, 3] }],
    initializers: [],
    nodes: [
      { name: "call", opType: "c.F", inputs: ["x"], outputs: ["y"], attributes: {} },
    ],
    model: {
      irVersion: 9,
      opsetImports: [{ domain: "", version: 17 }, { domain: "c", version: 1 }],
      extra,
    },
  };
}

const T = AttributeProto_AttributeType;

Deno.test("inlineFunctions() takes attribute defaults, binds missing inputs to '' and merges opsets", async () => {
  const graph = callingGraph({
    domain: "c",
    name: "F",
    input: ["a", "min", "max"],
    output: ["r"],
    attributeProto: [create(AttributeProtoSchema, { name: "alpha", type: T.FLOAT, f: 0.5 })],
    opsetImport: [
      create(OperatorSetIdProtoSchema, { domain: "", version: 17n }),
      create(OperatorSetIdProtoSchema, { domain: "com.microsoft", version: 1n }),
    ],
    node: [
      create(NodeProtoSchema, {
        name: "clip",
        opType: "Clip",
        input: ["a", "min", "max"],
        output: ["c"],
      }),
      create(NodeProtoSchema, {
        name: "elu",
        opType: "Elu",
        input: ["c"],
        output: ["r"],
        attribute: [
          create(AttributeProtoSchema, { name: "alpha", type: T.FLOAT, refAttrName: "alpha" }),
        ],
      }),
    ],
  });
  const { graph: flat, functions, calls } = inlineLocalFunctions(graph);
  assert.deepEqual([functions, calls], [1, 1]);
  assert.deepEqual(flat.nodes.map((n) => [n.name, n.inputs, n.outputs]), [
    ["call/clip", ["x", "", ""], ["call/c"]],
    ["call/elu", ["call/c"], ["y"]],
  ]);
  assert.deepEqual(flat.nodes[1].attributes.alpha, { type: "float", value: 0.5 });
  assert.deepEqual(flat.model?.opsetImports, [
    { domain: "", version: 17 },
    { domain: "c", version: 1 },
    { domain: "com.microsoft", version: 1 },
  ]);
  assert.equal(flat.model?.extra, undefined);
  const data = Float32Array.from([-2, -1, 0, 1, 2, 3]);
  const out = await run(encodeModel(flat), { x: { data, dims: [2, 3] } });
  assert.deepEqual(
    Array.from(out.y, (v) => Math.round(v * 1e4) / 1e4),
    Array.from(data, (v) => Math.round((v > 0 ? v : 0.5 * (Math.exp(v) - 1)) * 1e4) / 1e4),
  );
});

Deno.test("inlineFunctions() refuses a function importing another version of a domain", () => {
  const graph = callingGraph({
    domain: "c",
    name: "F",
    input: ["a"],
    output: ["r"],
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: "", version: 13n })],
    node: [create(NodeProtoSchema, { name: "r", opType: "Relu", input: ["a"], output: ["r"] })],
  });
  assert.throws(() => inlineFunctions(graph), {
    name: "TypeError",
    message:
      'Cannot inline local function "c.F" as it imports version 13 of the default domain and the model imports version 17',
  });
});

Deno.test("inlineFunctions() refuses a function that calls itself", () => {
  const graph = callingGraph({
    domain: "c",
    name: "F",
    input: ["a"],
    output: ["r"],
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: "c", version: 1n })],
    node: [create(NodeProtoSchema, { opType: "F", domain: "c", input: ["a"], output: ["r"] })],
  });
  assert.throws(() => inlineFunctions(graph), {
    name: "TypeError",
    message: 'Cannot inline local function "c.F" as it calls itself',
  });
});
