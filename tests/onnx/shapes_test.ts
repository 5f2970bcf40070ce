/** Tests for inferShapes, convOutputShape and broadcastShapes, checked against onnxruntime. */
import assert from "node:assert/strict";
import type { Graph, Node } from "../../src/onnx/ir.ts";
import { int, ints } from "../../src/onnx/ir.ts";
import { broadcastShapes, convOutputShape, inferShapes } from "../../src/onnx/shapes.ts";
import { buildMultiBranchStem } from "../../src/stem/multi_branch.ts";
import { buildReparamStem } from "../../src/stem/reparameterized.ts";
import type { StemSpec } from "../../src/stem/spec.ts";
import { randomInput, randomStemWeights } from "../../src/stem/weights.ts";
import { runModel, spec } from "../_helpers.ts";

const conv = (a: Record<string, ReturnType<typeof int>> = {}): Node => ({
  name: "c",
  opType: "Conv",
  inputs: ["x", "w"],
  outputs: ["y"],
  attributes: a,
});

function forms(s: StemSpec, batchSize: number, resolution: number): [string, Graph][] {
  const w = randomStemWeights(s, 1);
  const g = { batchSize, resolution };
  return [
    ["multi-branch", buildMultiBranchStem(s, w, g)],
    ["reparameterized", buildReparamStem(s, w, g)],
  ];
}

Deno.test("convOutputShape() applies floor((H + pt + pb - d(k - 1) - 1) / s) + 1", () => {
  const s2 = conv({ strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) });
  // H: floor((224 + 2 - 2 - 1) / 2) + 1 = 112; W: floor((225 + 2 - 2 - 1) / 2) + 1 = 113
  assert.deepEqual(convOutputShape(s2, [1, 3, 224, 225], [8, 3, 3, 3]), [1, 8, 112, 113]);
  // pads [top, left, bottom, right], dilation 2: H (10 + 0 + 1 - 4 - 1) + 1 = 7, W (10 + 2 + 0 - 4 - 1) + 1 = 8
  const odd = conv({ pads: ints([0, 2, 1, 0]), dilations: ints([2, 2]) });
  assert.deepEqual(convOutputShape(odd, [1, 1, 10, 10], [1, 1, 3, 3]), [1, 1, 7, 8]);
  const grouped = conv({ group: int(4) });
  assert.deepEqual(convOutputShape(grouped, [2, 8, 5, 5], [8, 2, 1, 1]), [2, 8, 5, 5]);
  assert.throws(() => convOutputShape(grouped, [2, 8, 5, 5], [8, 8, 1, 1]), TypeError);
});

Deno.test("broadcastShapes() follows numpy rules", () => {
  assert.deepEqual(broadcastShapes([2, 8, 4, 4], []), [2, 8, 4, 4]);
  assert.deepEqual(broadcastShapes([2, 8, 4, 4], [2, 8, 1, 1]), [2, 8, 4, 4]);
  assert.deepEqual(broadcastShapes([3, 1], [1, 5]), [3, 5]);
  assert.throws(() => broadcastShapes([2, 3], [4, 3]), TypeError);
});

Deno.test("inferShapes() gives [N, C, R/4, R/4] for R=224 and 57x57 for R=225", () => {
  // 224 -> 112 -> 56 -> 56; 225 -> floor(224 / 2) + 1 = 113 -> floor(112 / 2) + 1 = 57 -> 57
  for (const [r, size, mid] of [[224, 56, 112], [225, 57, 113]]) {
    for (const [form, g] of forms(spec({ width: 16, branches: 2, se: true }), 3, r)) {
      const shapes = inferShapes(g);
      assert.deepEqual(shapes.get("output"), [3, 16, size, size], `${form} R=${r}`);
      const block1 = g.nodes.find((n) => n.tag?.block === 2)!.inputs[0];
      assert.deepEqual(shapes.get(block1), [3, 16, mid, mid], `${form} block 1 output`);
      assert.deepEqual(
        shapes.get(g.nodes.find((n) => n.opType === "GlobalAveragePool")!.outputs[0]),
        [3, 16, 1, 1],
      );
    }
  }
});

Deno.test("inferShapes() throws TypeError for unknown ops and undefined tensors", () => {
  const g: Graph = {
    name: "g",
    opset: 17,
    inputs: [{ name: "x", shape: [1] }],
    outputs: [],
    initializers: [],
    nodes: [{
      name: "n",
      opType: "com.example.Foo",
      inputs: ["x"],
      outputs: ["y"],
      attributes: {},
    }],
  };
  assert.throws(() => inferShapes(g), TypeError);
  assert.equal(inferShapes(g, { partial: true }).has("y"), false);
  const undefinedInput = { ...g, nodes: [{ ...g.nodes[0], opType: "Relu", inputs: ["z"] }] };
  assert.throws(() => inferShapes(undefinedInput), TypeError);
});

Deno.test("inferShapes() output agrees with onnxruntime's actual dims", async () => {
  for (const [n, r] of [[1, 225], [2, 30], [1, 9]]) {
    for (const [form, g] of forms(spec({ width: 8, se: true }), n, r)) {
      const out = await runModel(g, randomInput(n * 3 * r * r, 1));
      assert.deepEqual(out.dims, inferShapes(g).get("output"), `${form} N=${n} R=${r}`);
      assert.deepEqual(out.dims, g.outputs[0].shape);
    }
  }
});
