/** verifyFusion(): a right fusion is equal within the floor's tolerance, a wrong one is named. */
import assert from "node:assert/strict";
import { fuseGraph } from "../../src/reparam/graph/fuse.ts";
import { difference, MIN_NORMWISE_TOLERANCE, verifyFusion } from "../../src/runner/verify.ts";
import { randomInput } from "../../src/stem/weights.ts";
import type { Graph } from "../../src/onnx/ir.ts";
import { Net } from "../reparam/graph/_nets.ts";

/** Two RepVGG-style blocks: 3x3+BN, 1x1+BN and an identity BN, summed, then Relu. */
function repvgg(): Graph {
  const net = new Net(11);
  const x = net.input("x", [1, 8, 12, 12]);
  let t = x.name;
  for (let i = 0; i < 2; i++) {
    t = net.relu(net.sum([
      net.bn(net.conv(t, { cout: 8, k: 3 })),
      net.bn(net.conv(t, { cout: 8, k: 1 })),
      net.bn(t),
    ]));
  }
  return net.graph(x, t);
}

const input = randomInput(8 * 12 * 12, 1);

Deno.test("verifyFusion() accepts the fused graph and reports floor, error and tolerance", async () => {
  const original = repvgg();
  const { graph, merges } = fuseGraph(original);
  assert.equal(merges.length, 2);
  const taps = merges.map((m) => ({ name: m.output, label: m.node }));
  const v = await verifyFusion(original, graph, input, [1, 8, 12, 12], { taps });
  assert.ok(v.equal, JSON.stringify(v));
  assert.equal(v.tolerance, Math.max(10 * v.floor.normwise, MIN_NORMWISE_TOLERANCE));
  // fp32 rounding of a float64 fusion: far below the tolerance
  assert.ok(v.error.normwise < 1e-5, `${v.error.normwise}`);
  assert.equal(v.taps.length, 2);
});

Deno.test("verifyFusion() rejects a wrong fusion and names the merge group that is off", async () => {
  const original = repvgg();
  const { graph, merges } = fuseGraph(original);
  // Plant a wrong fusion: the second block's bias shifted by 0.5 (as if one BN's beta were lost)
  const second = graph.nodes.find((n) => n.name === merges[1].node)!;
  const biasName = second.inputs[2];
  const wrong: Graph = {
    ...graph,
    initializers: graph.initializers.map((t) =>
      t.name === biasName ? { ...t, data: t.data.map((v) => v + 0.5) } : t
    ),
  };
  const taps = merges.map((m) => ({ name: m.output, label: m.node }));
  const v = await verifyFusion(original, wrong, input, [1, 8, 12, 12], { taps });
  assert.equal(v.equal, false);
  assert.ok(v.error.normwise > v.tolerance);
  assert.equal(v.taps[0].label, merges[1].node); // the largest error first
  assert.ok(v.taps[1].normwise < 1e-5, "the first group is still right");
});

Deno.test("difference() keeps a NaN wherever it is", () => {
  const d = difference(new Float32Array([1, 2, 3]), new Float32Array([NaN, 2, 3.5]));
  assert.ok(Number.isNaN(d.maxAbs) && Number.isNaN(d.normwise));
});
