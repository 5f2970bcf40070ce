/**
 * Tests for foldConvBatchNorm: the stem's branches folded one by one (same function on
 * onnxruntime, branches kept), and the pairs it must leave alone.
 */
import assert from "node:assert/strict";
import { foldConvBatchNorm } from "../../src/quantize/fold_conv_bn.ts";
import { buildMultiBranchStem } from "../../src/stem/multi_branch.ts";
import { randomStemWeights } from "../../src/stem/weights.ts";
import { randomInput } from "../../src/stem/weights.ts";
import type { Graph } from "../../src/onnx/ir.ts";
import { histogram, maxAbs, maxAbsDiff, runModel, spec } from "../_helpers.ts";

Deno.test("foldConvBatchNorm() folds every conv branch's BN of the stem, keeps the branches and the function", async () => {
  const s = spec({ width: 16, branches: 2 });
  const g = buildMultiBranchStem(s, randomStemWeights(s, 4), { batchSize: 1, resolution: 32 });
  const before = histogram(g.nodes);
  const { graph, folded } = foldConvBatchNorm(g);
  const after = histogram(graph.nodes);
  // Every Conv had its BN; the skip branches' BNs (no conv before them) stay
  assert.equal(folded, before.Conv);
  assert.equal(after.Conv, before.Conv, "branches are not merged");
  assert.equal(after.BatchNormalization, before.BatchNormalization - folded);
  for (const n of graph.nodes.filter((n) => n.opType === "Conv")) {
    assert.equal(n.inputs.length, 3, `${n.name} has a bias`);
    assert.ok(n.tag, `${n.name} keeps its tag`);
  }
  const x = randomInput(3 * 32 * 32, 7);
  const [a, b] = [await runModel(g, x), await runModel(graph, x)];
  assert.ok(maxAbsDiff(a.data, b.data) <= 1e-5 * Math.max(1, maxAbs(a.data)), "same function");
});

/** Conv -> BN, with the conv's output also read by `extra` when given. */
function pair(options: { extraReader?: boolean; bias?: boolean; output?: boolean } = {}): Graph {
  const f = (name: string, data: number[]) => ({
    name,
    dims: [data.length],
    data: new Float32Array(data),
  });
  return {
    name: "g",
    opset: 17,
    inputs: [{ name: "x", shape: [1, 2, 1, 1] }],
    outputs: [
      { name: "y", shape: [1, 2, 1, 1] },
      ...(options.output ? [{ name: "t", shape: [1, 2, 1, 1] }] : []),
      ...(options.extraReader ? [{ name: "z", shape: [1, 2, 1, 1] }] : []),
    ],
    initializers: [
      { name: "w", dims: [2, 2, 1, 1], data: new Float32Array([1, 2, 3, 4]) },
      f("cb", [0.5, -0.5]),
      f("g", [2, 4]),
      f("b", [1, 0]),
      f("m", [0, 1]),
      f("v", [4, 16]),
    ],
    nodes: [
      {
        name: "",
        opType: "Conv",
        inputs: ["x", "w", ...(options.bias ? ["cb"] : [])],
        outputs: ["t"],
        attributes: {},
      },
      {
        name: "",
        opType: "BatchNormalization",
        inputs: ["t", "g", "b", "m", "v"],
        outputs: ["y"],
        attributes: { epsilon: { type: "float", value: 0 } },
      },
      ...(options.extraReader
        ? [{ name: "r", opType: "Relu", inputs: ["t"], outputs: ["z"], attributes: {} }]
        : []),
    ],
  };
}

Deno.test("foldConvBatchNorm() folds a conv bias in by hand-computed values, unnamed nodes too", () => {
  // y_c = g_c (conv_c + cb_c - m_c) / sqrt(v_c) + b_c: channel 0 scale 2/2 = 1, channel 1 4/4 = 1
  const { graph, folded } = foldConvBatchNorm(pair({ bias: true }));
  assert.equal(folded, 1);
  assert.equal(graph.nodes.length, 1);
  const [conv] = graph.nodes;
  assert.deepEqual(conv.outputs, ["y"]);
  const init = (name: string) => graph.initializers.find((i) => i.name === name)!.data;
  assert.deepEqual([...init(conv.inputs[1])], [1, 2, 3, 4]);
  // bias: 1 * (0.5 - 0) + 1 = 1.5; 1 * (-0.5 - 1) + 0 = -1.5
  assert.deepEqual([...init(conv.inputs[2])], [1.5, -1.5]);
  assert.deepEqual(graph.initializers.map((i) => i.name).sort(), [...conv.inputs.slice(1)].sort());
});

Deno.test("foldConvBatchNorm() leaves a conv output read twice, or a graph output, as it is", () => {
  for (const g of [pair({ extraReader: true }), pair({ output: true })]) {
    const { graph, folded } = foldConvBatchNorm(g);
    assert.equal(folded, 0);
    assert.equal(graph, g);
  }
});
