/**
 * Look-alikes that fuseGraph() must not merge into one conv, and that must still compute the same
 * function (fp32 rounding: 1e-5 of the output magnitude): different strides, groups or dilation
 * grids, nonlinear branches, SE gating, fan-out, spatial constants, sums of different sources,
 * and sequences that would cost more or would not be exact. Also the no-op model.
 */
import assert from "node:assert/strict";
import { fuseGraph, opHistogram } from "../../../src/reparam/graph/fuse.ts";
import { assertSameFunction, assertValidFusion, Net, ops } from "./_nets.ts";

async function fuseAndRun(net: Net, x: ReturnType<Net["input"]>, out: string) {
  const graph = net.graph(x, out);
  const result = fuseGraph(graph);
  assertValidFusion(graph, result.graph);
  await assertSameFunction(graph, result.graph, x.shape);
  assert.ok(result.merges.every((m) => m.macs.after <= m.macs.before), "never more MACs");
  return result;
}

Deno.test("fuseGraph() leaves a sum of different strides (1x1 s2 + 5x5 s1, same size) alone", async () => {
  const net = new Net(21);
  const x = net.input("x", [1, 8, 8, 8]);
  const a = net.bn(net.conv(x.name, { cout: 8, k: 1, stride: 2, pads: 0 }));
  const b = net.bn(net.conv(x.name, { cout: 8, k: 5, pads: 0 }));
  const { graph } = await fuseAndRun(net, x, net.relu(net.add(a, b)));
  // each conv+BN pair folds on its own; the Add stays
  assert.deepEqual(ops(graph), { Conv: 2, Add: 1, Relu: 1 });
});

Deno.test("fuseGraph() leaves dense 3x3 + depthwise 3x3 of the same input alone (groups)", async () => {
  const net = new Net(22);
  const x = net.input("x", [1, 8, 8, 8]);
  const a = net.bn(net.conv(x.name, { cout: 8, k: 3 }));
  const b = net.bn(net.conv(x.name, { cout: 8, k: 3, group: 8 }));
  const { graph, merges } = await fuseAndRun(net, x, net.relu(net.add(a, b)));
  assert.deepEqual(ops(graph), { Conv: 2, Add: 1, Relu: 1 });
  assert.deepEqual(merges.map((m) => m.group), [1, 8]);
});

Deno.test("fuseGraph() aligns a 2x2 pad 0 kernel off-centre in a 3x3 pad 1 (stride 2)", async () => {
  // taps 2o + {0, 1} and 2o + {-1, 0, 1} share the grid: the 2x2 lands bottom-right in the 3x3
  const net = new Net(23);
  const x = net.input("x", [1, 8, 8, 8]);
  const a = net.bn(net.conv(x.name, { cout: 8, k: 2, stride: 2, pads: 0 }));
  const b = net.bn(net.conv(x.name, { cout: 8, k: 3, stride: 2, pads: 1 }));
  const { graph, merges } = await fuseAndRun(net, x, net.relu(net.add(a, b)));
  assert.deepEqual(ops(graph), { Conv: 1, Relu: 1 });
  assert.deepEqual(merges[0].kernel, [3, 3]);
});

Deno.test("fuseGraph() leaves dilated kernels off each other's grid alone", async () => {
  // dilation 2: taps at -2, 0, 2 and at -1, 1, 3 never share a grid
  const net = new Net(24);
  const x = net.input("x", [1, 8, 9, 9]);
  const a = net.bn(net.conv(x.name, { cout: 8, k: 3, dilation: 2, pads: 2 }));
  const b = net.bn(net.conv(x.name, { cout: 8, k: 3, dilation: 2, pads: [1, 1, 3, 3] }));
  const { graph } = await fuseAndRun(net, x, net.relu(net.add(a, b)));
  assert.deepEqual(ops(graph), { Conv: 2, Add: 1, Relu: 1 });
});

Deno.test("fuseGraph() leaves a branch through Relu and SE gating alone", async () => {
  const net = new Net(25);
  const x = net.input("x", [1, 8, 8, 8]);
  const a = net.bn(net.conv(x.name, { cout: 8, k: 3 }));
  const b = net.relu(net.bn(net.conv(x.name, { cout: 8, k: 1 })));
  const s = net.add(a, b);
  const gate = net.op("Sigmoid", [
    net.conv(net.op("GlobalAveragePool", [s]), { cout: 8, bias: true }),
  ]);
  const { graph } = await fuseAndRun(net, x, net.op("Mul", [s, gate]));
  assert.deepEqual(ops(graph), {
    Conv: 3,
    Relu: 1,
    Add: 1,
    GlobalAveragePool: 1,
    Sigmoid: 1,
    Mul: 1,
  });
});

Deno.test("fuseGraph() keeps a fan-out conv as a boundary rather than duplicating it", async () => {
  // t = BN(conv3x3(x)) feeds a Relu and a sum with a 1x1 branch: composing through t would emit
  // the 3x3 twice (18 MACs per input channel instead of 9 + 1)
  const net = new Net(26);
  const x = net.input("x", [1, 8, 8, 8]);
  const t = net.bn(net.conv(x.name, { cout: 8, k: 3 }));
  const y = net.add(t, net.bn(net.conv(x.name, { cout: 8, k: 1 })));
  const { graph, merges } = await fuseAndRun(net, x, net.op("Mul", [y, net.relu(t)]));
  assert.deepEqual(ops(graph), { Conv: 2, Add: 1, Relu: 1, Mul: 1 });
  assert.deepEqual(merges.map((m) => m.kernel.join("x")), ["3x3", "1x1"]);
});

Deno.test("fuseGraph() composes a BN through a fan-out when that removes work", async () => {
  // BN(x) feeds two unpadded 1x1 convs: folding it into both is cheaper than keeping it
  const net = new Net(27);
  const x = net.input("x", [1, 8, 8, 8]);
  const b = net.bn(x.name);
  const c1 = net.conv(b, { cout: 8, k: 1, pads: 0 });
  const c2 = net.conv(b, { cout: 8, k: 1, pads: 0 });
  const { graph } = await fuseAndRun(net, x, net.op("Mul", [net.relu(c1), c2]));
  assert.deepEqual(ops(graph), { Conv: 2, Relu: 1, Mul: 1 });
});

Deno.test("fuseGraph() leaves Mul by a spatial constant and sums of different sources alone", async () => {
  const net = new Net(28);
  const x = net.input("x", [1, 8, 6, 6]);
  const a = net.bn(net.conv(x.name, { cout: 8, k: 3 }));
  const m = net.op("Mul", [a, net.constant([1, 1, 6, 6], net.uniform(36, -1, 1))]);
  const r = net.relu(x.name);
  const s = net.add(
    net.bn(net.conv(r, { cout: 8, k: 3 })),
    net.bn(net.conv(x.name, { cout: 8, k: 1 })),
  );
  const { graph } = await fuseAndRun(net, x, net.add(m, s));
  assert.deepEqual(ops(graph), { Conv: 3, Mul: 1, Relu: 1, Add: 2 });
});

Deno.test("fuseGraph() keeps a 3x3 -> 3x3 sequence (merged 5x5 would cost more)", async () => {
  const net = new Net(29);
  const x = net.input("x", [1, 8, 8, 8]);
  const t = net.bn(net.conv(net.conv(x.name, { cout: 8, k: 3 }), { cout: 8, k: 3 }));
  const { graph } = await fuseAndRun(net, x, net.relu(t));
  assert.deepEqual(ops(graph), { Conv: 2, Relu: 1 });
});

Deno.test("fuseGraph() keeps a sequence whose inner bias meets the outer padding", async () => {
  // conv2 pads with zeros where the merged conv would see conv1's bias: not exact
  const net = new Net(30);
  const x = net.input("x", [1, 8, 8, 8]);
  const t = net.bn(net.conv(net.conv(x.name, { cout: 8, k: 1, bias: true }), { cout: 8, k: 3 }));
  const { graph } = await fuseAndRun(net, x, net.relu(t));
  assert.deepEqual(ops(graph), { Conv: 2, Relu: 1 });
});

Deno.test("fuseGraph() merges the same sequence when the outer conv is unpadded", async () => {
  const net = new Net(31);
  const x = net.input("x", [1, 8, 8, 8]);
  const inner = net.conv(x.name, { cout: 8, k: 1, bias: true });
  const t = net.bn(net.conv(inner, { cout: 8, k: 3, pads: 0 }));
  const { graph, merges } = await fuseAndRun(net, x, net.relu(t));
  assert.deepEqual(ops(graph), { Conv: 1, Relu: 1 });
  assert.deepEqual(merges[0].branches.map((b) => b.kind), ["sequence"]);
});

Deno.test("fuseGraph() keeps BN -> padded conv apart (the shift meets the padding)", async () => {
  const net = new Net(32);
  const x = net.input("x", [1, 8, 8, 8]);
  const { graph } = await fuseAndRun(net, x, net.relu(net.conv(net.bn(x.name), { cout: 8, k: 3 })));
  assert.deepEqual(ops(graph), { BatchNormalization: 1, Conv: 1, Relu: 1 });
});

Deno.test("fuseGraph() returns a model without anything to fuse unchanged", () => {
  const net = new Net(33);
  const x = net.input("x", [1, 8, 4, 4]);
  const graph = net.graph(x, net.relu(x.name));
  const result = fuseGraph(graph);
  assert.equal(result.unchanged, true);
  assert.equal(result.graph, graph);
  assert.deepEqual(result.merges, []);
  assert.deepEqual(opHistogram(result.graph), { Relu: 1 });
});

Deno.test("fuseGraph() leaves a lone Conv, a lone BN and a domain-prefixed op as they are", () => {
  const net = new Net(34);
  const x = net.input("x", [1, 8, 4, 4]);
  const c = net.relu(net.conv(x.name, { cout: 8, k: 3 }));
  const b = net.op("com.microsoft.FusedConv", [net.bn(c)]);
  const graph = net.graph(x, b);
  const result = fuseGraph(graph);
  assert.equal(result.unchanged, true);
  assert.equal(result.graph, graph);
});

Deno.test("fuseGraph() throws TypeError for a graph that is not topologically ordered", () => {
  const net = new Net(35);
  const x = net.input("x", [1, 8, 4, 4]);
  const graph = net.graph(x, net.relu(net.relu(x.name)));
  assert.throws(
    () => fuseGraph({ ...graph, nodes: [...graph.nodes].reverse() }),
    TypeError,
  );
});

Deno.test("assertSameFunction() rejects a fusion that lost its identity branch", async () => {
  // negative control for the tolerance: a RepVGG-style block fused without its BN skip must fail
  const block = (skip: boolean) => {
    const net = new Net(36); // same seed: the same conv and BN weights in both
    const x = net.input("x", [1, 8, 8, 8]);
    const a = net.bn(net.conv(x.name, { cout: 8, k: 3 }));
    return net.graph(x, net.relu(skip ? net.add(a, net.bn(x.name)) : a));
  };
  const wrong = fuseGraph(block(false)).graph;
  await assert.rejects(() => assertSameFunction(block(true), wrong, [1, 8, 8, 8]));
  await assertSameFunction(block(true), fuseGraph(block(true)).graph, [1, 8, 8, 8]);
});

Deno.test("fuseGraph() does not treat a float16 input as a float32 source", () => {
  const net = new Net(37);
  const x = net.input("x", [1, 8, 4, 4]);
  const mul = net.op("Mul", [x.name, net.constant([1, 8, 1, 1], net.uniform(8, 1, 2))]);
  const graph = net.graph(
    x,
    net.relu(net.op("Add", [mul, net.constant([], new Float32Array([1]))])),
  );
  const half = { ...graph, inputs: [{ ...graph.inputs[0], elemType: 10 }] };
  assert.equal(fuseGraph(half).unchanged, true);
  assert.equal(fuseGraph(graph).merges.length, 1); // the float32 twin: Mul + Add -> dw 1x1
});

Deno.test("fuseGraph() keeps 1x3 + 3x1 apart (a merged 3x3 costs 9 MACs per input, not 6)", async () => {
  const net = new Net(38);
  const x = net.input("x", [1, 8, 7, 7]);
  const h = net.bn(net.conv(x.name, { cout: 8, k: [1, 3], pads: [0, 1, 0, 1] }));
  const v = net.bn(net.conv(x.name, { cout: 8, k: [3, 1], pads: [1, 0, 1, 0] }));
  const { graph, merges } = await fuseAndRun(net, x, net.relu(net.add(h, v)));
  assert.deepEqual(ops(graph), { Conv: 2, Add: 1, Relu: 1 });
  assert.deepEqual(merges.map((m) => m.kernel.join("x")), ["1x3", "3x1"]);
});
