/** Tests for quantizeGraph() without onnxruntime: layout, names, initializers, reports, errors. */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { TensorProtoSchema } from "onnx-buf";
import type { Graph, Tensor } from "../../src/onnx/ir.ts";
import { encodeModel } from "../../src/onnx/encode.ts";
import { decodeModel } from "../../src/onnx/decode.ts";
import { quantizeGraph } from "../../src/quantize/qdq.ts";
import type { Range } from "../../src/quantize/quantize.ts";
import { hasPythonOnnx, ignoreWithout } from "../_tools.ts";

/** x -> Conv c1 (w1, b1) -> a -> Relu -> b -> Conv c2 (w2, no bias) -> z (the graph output). */
function chain(opset = 17): Graph {
  return {
    name: "chain",
    opset,
    inputs: [{ name: "x", shape: [1, 2, 4, 4] }],
    outputs: [{ name: "z", shape: [1, 2, 4, 4] }],
    initializers: [
      // w1 [2, 2, 1, 1]: out ch0 max |w| 1.27, ch1 dead
      { name: "w1", dims: [2, 2, 1, 1], data: new Float32Array([1.27, -0.5, 0, 0]) },
      { name: "b1", dims: [2], data: new Float32Array([0.5, -0.25]) },
      { name: "w2", dims: [2, 2, 1, 1], data: new Float32Array([0.25, 0.5, -1, 2]) },
      { name: "unrelated", dims: [1], data: new Float32Array([7]) },
    ],
    nodes: [
      { name: "c1", opType: "Conv", inputs: ["x", "w1", "b1"], outputs: ["a"], attributes: {} },
      { name: "r", opType: "Relu", inputs: ["a"], outputs: ["b"], attributes: {} },
      { name: "c2", opType: "Conv", inputs: ["b", "w2"], outputs: ["z"], attributes: {} },
    ],
  };
}

const RANGES: ReadonlyMap<string, Range> = new Map([
  ["x", { min: -1, max: 3 }],
  ["a", { min: -2, max: 2 }],
  ["b", { min: 0, max: 2.55 }],
  ["z", { min: -5, max: 5 }],
]);

function decodeInt(t: Tensor | undefined) {
  assert.ok(t && "proto" in t);
  const p = fromBinary(TensorProtoSchema, t.proto);
  const raw = p.rawData;
  const values = p.dataType === 6
    ? [...new Int32Array(raw.slice().buffer)]
    : p.dataType === 3
    ? [...new Int8Array(raw.slice().buffer)]
    : [...raw];
  return { name: p.name, dims: p.dims.map(Number), dataType: p.dataType, values };
}

Deno.test("quantizeGraph() lays out Q/DQ pairs, weight and bias DQs as onnxruntime's quantizer", () => {
  const { graph, activations } = quantizeGraph(chain(), RANGES, {
    weights: "per-channel",
    activations: "uint8",
  });
  assert.deepEqual(activations.map((a) => [a.tensor, a.dequantized]), [
    ["x", "x_DequantizeLinear_Output"],
    ["a", "a_DequantizeLinear_Output"],
    ["b", "b_DequantizeLinear_Output"],
    ["z", "z"],
  ]);
  const layout = graph.nodes.map((n) => `${n.opType}(${n.inputs.join(" ")})->${n.outputs}`);
  assert.deepEqual(layout, [
    "QuantizeLinear(x x_scale x_zero_point)->x_QuantizeLinear_Output",
    "DequantizeLinear(x_QuantizeLinear_Output x_scale x_zero_point)->x_DequantizeLinear_Output",
    "DequantizeLinear(w1_quantized w1_scale w1_zero_point)->w1_DequantizeLinear_Output",
    "DequantizeLinear(b1_quantized b1_quantized_scale b1_quantized_zero_point)->b1_DequantizeLinear_Output",
    "Conv(x_DequantizeLinear_Output w1_DequantizeLinear_Output b1_DequantizeLinear_Output)->a",
    "QuantizeLinear(a a_scale a_zero_point)->a_QuantizeLinear_Output",
    "DequantizeLinear(a_QuantizeLinear_Output a_scale a_zero_point)->a_DequantizeLinear_Output",
    "Relu(a_DequantizeLinear_Output)->b",
    "QuantizeLinear(b b_scale b_zero_point)->b_QuantizeLinear_Output",
    "DequantizeLinear(b_QuantizeLinear_Output b_scale b_zero_point)->b_DequantizeLinear_Output",
    "DequantizeLinear(w2_quantized w2_scale w2_zero_point)->w2_DequantizeLinear_Output",
    "Conv(b_DequantizeLinear_Output w2_DequantizeLinear_Output)->z_QuantizeLinear_Input",
    "QuantizeLinear(z_QuantizeLinear_Input z_scale z_zero_point)->z_QuantizeLinear_Output",
    "DequantizeLinear(z_QuantizeLinear_Output z_scale z_zero_point)->z", // the output keeps its name
  ]);
  const axis = graph.nodes.filter((n) => n.attributes.axis).map((n) => n.name);
  assert.deepEqual(axis, ["w1_DequantizeLinear", "b1_DequantizeLinear", "w2_DequantizeLinear"]);
  // float weights and biases replaced are gone; others stay
  const floats = new Map(graph.initializers.map((i) => [i.name, i]));
  assert.ok(!floats.has("w1") && !floats.has("b1") && !floats.has("w2") && floats.has("unrelated"));
  // x: [-1, 3] -> scale 4/255, zero point 64 (uint8)
  assert.deepEqual([...floats.get("x_scale")!.data], [Math.fround(4 / 255)]);
  const ints = new Map(graph.otherInitializers!.map((t) => [t.name, t]));
  assert.deepEqual(decodeInt(ints.get("x_zero_point")), {
    name: "x_zero_point",
    dims: [],
    dataType: 2,
    values: [64],
  });
  // w1 per channel: ch0 scale 1.27 / 127 = 0.01, levels [127, -50]; ch1 dead: scale 1, [0, 0]
  assert.deepEqual([...floats.get("w1_scale")!.data], [Math.fround(0.01), 1]);
  assert.deepEqual(decodeInt(ints.get("w1_quantized")), {
    name: "w1_quantized",
    dims: [2, 2, 1, 1],
    dataType: 3,
    values: [127, -50, 0, 0],
  });
  assert.deepEqual(decodeInt(ints.get("w1_zero_point"))?.values, [0, 0]);
  // b1: int32, scale x_scale * w1_scale per channel
  const bScale = [...floats.get("b1_quantized_scale")!.data];
  assert.deepEqual(
    bScale,
    [Math.fround(4 / 255) * Math.fround(0.01), Math.fround(4 / 255)].map(
      Math.fround,
    ),
  );
  const b = decodeInt(ints.get("b1_quantized"));
  assert.equal(b.dataType, 6);
  assert.deepEqual(b.values, [Math.round(0.5 / bScale[0]), Math.round(-0.25 / bScale[1])]);
  assert.deepEqual(decodeInt(ints.get("b1_quantized_zero_point")).values, [0, 0]);
  assert.equal(graph.opset, 17);
});

Deno.test("quantizeGraph() per-tensor weights and int8 activations: scalars, no axis, zp 0", () => {
  const { graph, convs } = quantizeGraph(chain(), RANGES, {
    weights: "per-tensor",
    activations: "int8",
  });
  assert.ok(graph.nodes.every((n) => !("axis" in n.attributes)));
  const floats = new Map(graph.initializers.map((i) => [i.name, i]));
  const ints = new Map(graph.otherInitializers!.map((t) => [t.name, t]));
  assert.deepEqual(floats.get("w2_scale")!.dims, []);
  assert.deepEqual([...floats.get("w2_scale")!.data], [Math.fround(2 / 127)]);
  assert.deepEqual(decodeInt(ints.get("w2_quantized")).values, [16, 32, -64, 127]);
  // x: int8 symmetric [-3, 3] -> scale 3 / 127, zero point 0 as int8
  assert.deepEqual(decodeInt(ints.get("x_zero_point")), {
    name: "x_zero_point",
    dims: [],
    dataType: 3,
    values: [0],
  });
  assert.deepEqual([...floats.get("x_scale")!.data], [Math.fround(3 / 127)]);
  assert.deepEqual(floats.get("b1_quantized_scale")!.dims, []);
  assert.deepEqual(convs.map((c) => [c.node, c.weightScales.length, c.deadChannels]), [
    ["c1", 1, []],
    ["c2", 1, []],
  ]);
});

Deno.test("quantizeGraph() reports dead weight channels and zero-range tensors with valid scales", () => {
  const ranges = new Map(RANGES);
  ranges.set("a", { min: 0, max: 0 }); // a dead activation
  const q = quantizeGraph(chain(), ranges, { weights: "per-channel", activations: "uint8" });
  assert.deepEqual(q.zeroRangeTensors, ["a"]);
  const a = q.activations.find((t) => t.tensor === "a")!;
  assert.deepEqual([a.params.scale, a.params.zeroPoint], [1, 0]);
  assert.deepEqual(q.convs.map((c) => [c.node, c.deadChannels]), [["c1", [1]], ["c2", []]]);
  for (const i of q.graph.initializers) {
    assert.ok(i.data.every((v) => Number.isFinite(v) && (!i.name.endsWith("scale") || v > 0)));
  }
});

Deno.test("quantizeGraph() raises the opset to 13, keeps a higher one, and round-trips", () => {
  const q = quantizeGraph(chain(11), RANGES, { weights: "per-channel", activations: "uint8" });
  assert.equal(q.graph.opset, 13);
  const back = decodeModel(encodeModel(q.graph));
  assert.equal(back.opset, 13);
  assert.deepEqual(back.nodes.map((n) => n.opType), q.graph.nodes.map((n) => n.opType));
  assert.deepEqual(
    back.otherInitializers!.map((t) => [t.name, "dataType" in t ? t.dataType : 1]).sort(),
    q.graph.otherInitializers!.map((t) => [t.name, "dataType" in t ? t.dataType : 1]).sort(),
  );
});

Deno.test("quantizeGraph() leaves a Conv with a non-constant weight float, and says why", () => {
  const g = chain();
  const dynamic: Graph = {
    ...g,
    inputs: [...g.inputs, { name: "wx", shape: [2, 2, 1, 1] }],
    nodes: g.nodes.map((n) => n.name === "c2" ? { ...n, inputs: ["b", "wx"] } : n),
  };
  const q = quantizeGraph(dynamic, RANGES, { weights: "per-channel", activations: "uint8" });
  assert.deepEqual(q.skipped, [{
    node: "c2",
    reason: 'its weight "wx" is not a float32 initializer',
  }]);
  assert.deepEqual(q.activations.map((a) => a.tensor), ["x", "a"]);
  assert.deepEqual(q.graph.nodes.at(-1)?.inputs, ["b", "wx"]);
});

Deno.test("quantizeGraph() names the tensor that has no range", () => {
  const ranges = new Map(RANGES);
  ranges.delete("b");
  assert.throws(
    () => quantizeGraph(chain(), ranges, { weights: "per-channel", activations: "uint8" }),
    (e: unknown) =>
      e instanceof TypeError &&
      e.message === 'Cannot quantize graph "chain" as tensor "b" has no range',
  );
});

Deno.test({
  name: "quantizeGraph() output passes onnx.checker.check_model(full_check=True) (python3-onnx)",
  ignore: ignoreWithout(await hasPythonOnnx(), "Debian's python3-onnx"),
  async fn() {
    const q = quantizeGraph(chain(), RANGES, { weights: "per-channel", activations: "uint8" });
    const path = await Deno.makeTempFile({ suffix: ".onnx" });
    try {
      await Deno.writeFile(path, encodeModel(q.graph));
      const out = await new Deno.Command("/usr/bin/python3", {
        args: [
          "-c",
          "import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True)",
          path,
        ],
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
    } finally {
      await Deno.remove(path);
    }
  },
});
