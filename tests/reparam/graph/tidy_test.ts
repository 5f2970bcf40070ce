/**
 * What fuseGraph() keeps and removes around the fused convs: value infos, model info, names,
 * constants on either side of Add / Sub / Mul, Identity elsewhere, what was already dead, tensors
 * that subgraphs read, and a second pass over a fused graph (nothing left to do).
 */
import assert from "node:assert/strict";
import type { Graph } from "../../../src/onnx/ir.ts";
import { fuseGraph } from "../../../src/reparam/graph/fuse.ts";
import { assertSameFunction, assertValidFusion, Net, ops } from "./_nets.ts";

function convBnNet(): { net: Net; graph: Graph; conv: string; bn: string } {
  const net = new Net(41);
  const x = net.input("x", [1, 8, 6, 6]);
  const conv = net.conv(x.name, { cout: 8, k: 3 });
  const bn = net.bn(conv);
  return { net, graph: net.graph(x, net.relu(bn)), conv, bn };
}

Deno.test("fuseGraph() keeps model info and value infos of tensors that still exist", () => {
  const { graph, conv, bn } = convBnNet();
  const valueInfo = [conv, bn, "relu_extra"].map((name) => ({ name, shape: [1, 8, 6, 6] }));
  const model = {
    irVersion: 8,
    producerName: "pytorch",
    opsetImports: [{ domain: "", version: 17 }],
  };
  const input = { ...graph, valueInfo, model };
  const { graph: fused, merges } = fuseGraph(input);
  assert.equal(fused.model, model);
  assert.deepEqual(fused.valueInfo!.map((v) => v.name), [bn, "relu_extra"]);
  assert.equal(merges[0].output, bn);
  assert.deepEqual(merges[0].macs, {
    before: 8 * 36 * 72 + 8 * 36,
    after: 8 * 36 * 72,
    unit: "graph",
  });
});

Deno.test("fuseGraph() names emitted convs uniquely after the group's last node", () => {
  const { graph, bn } = convBnNet();
  const bnNode = graph.nodes.find((n) => n.outputs[0] === bn)!;
  const clash = {
    name: `${bnNode.name}_fused`,
    opType: "Relu",
    inputs: ["x"],
    outputs: ["dead"],
    attributes: {},
  };
  const { graph: fused, merges } = fuseGraph({ ...graph, nodes: [clash, ...graph.nodes] });
  assert.equal(merges[0].node, `${bnNode.name}_fused_2`);
  // the clashing node was already dead in the original: left as it was
  assert.equal(fused.nodes[0], clash);
});

Deno.test("fuseGraph() keeps untouched nodes and dead initializers as the same objects", () => {
  const { graph } = convBnNet();
  const spare = { name: "spare", dims: [1], data: new Float32Array([3]) };
  const { graph: fused } = fuseGraph({ ...graph, initializers: [...graph.initializers, spare] });
  assert.ok(fused.initializers.includes(spare));
  const relu = graph.nodes.find((n) => n.opType === "Relu");
  assert.equal(fused.nodes.find((n) => n.opType === "Relu"), relu);
});

Deno.test("fuseGraph() removes Identity between opaque nodes unless tidy is off", async () => {
  const net = new Net(42);
  const x = net.input("x", [1, 4, 4, 4]);
  const graph = net.graph(x, net.relu(net.op("Identity", [net.relu(x.name)])));
  const tidied = fuseGraph(graph);
  assert.deepEqual(ops(tidied.graph), { Relu: 2 });
  assert.equal(tidied.unchanged, false);
  await assertSameFunction(graph, tidied.graph, [1, 4, 4, 4]);
  assert.equal(fuseGraph(graph, { tidy: false }).unchanged, true);
});

Deno.test("fuseGraph() folds constants on either side of Add, Sub and Mul, and Add(t, t)", async () => {
  const net = new Net(43, { constantNodes: true });
  const x = net.input("x", [1, 8, 6, 6]);
  const c = (v: number) => net.constant([], new Float32Array([v]));
  const t = net.bn(net.conv(x.name, { cout: 8, k: 3 }));
  const a = net.op("Sub", [c(1.5), net.op("Mul", [c(-2), t])]);
  const b = net.op("Add", [
    net.constant([8, 1, 1], net.uniform(8, -1, 1)),
    net.op("Sub", [a, c(0.25)]),
  ]);
  const graph = net.graph(x, net.relu(net.add(b, b)));
  const { graph: fused } = fuseGraph(graph);
  assert.deepEqual(ops(fused), { Conv: 1, Relu: 1 });
  assertValidFusion(graph, fused);
  await assertSameFunction(graph, fused, [1, 8, 6, 6]);
});

Deno.test("fuseGraph() folds a zero-shift scale of the raw input into a padded conv", async () => {
  const net = new Net(44);
  const x = net.input("x", [1, 8, 6, 6]);
  const s = net.op("Mul", [x.name, net.constant([1, 8, 1, 1], net.uniform(8, 0.5, 2))]);
  const graph = net.graph(x, net.relu(net.bn(net.conv(s, { cout: 8, k: 3 }))));
  const { graph: fused, merges } = fuseGraph(graph);
  assert.deepEqual(ops(fused), { Conv: 1, Relu: 1 });
  assert.deepEqual(merges[0].branches.map((b) => b.kind), ["sequence"]);
  await assertSameFunction(graph, fused, [1, 8, 6, 6]);
});

Deno.test("fuseGraph() materializes a tensor that a subgraph reads", () => {
  const { graph, conv } = convBnNet();
  const body = { type: "opaque" as const, bytes: new TextEncoder().encode(`..${conv}..`) };
  const loop = { name: "loop", opType: "Loop", inputs: [], outputs: ["l"], attributes: { body } };
  const { graph: fused } = fuseGraph({ ...graph, nodes: [...graph.nodes, loop] });
  assert.ok(fused.nodes.some((n) => n.outputs[0] === conv), "the conv output still exists");
});

Deno.test("fuseGraph() has nothing left to do on a fused graph", () => {
  const net = new Net(45);
  const x = net.input("x", [1, 8, 8, 8]);
  const t = net.bn(net.conv(x.name, { cout: 8, k: 3 }));
  const y = net.add(t, net.bn(net.conv(x.name, { cout: 8, k: 1 })));
  const once = fuseGraph(net.graph(x, net.op("Mul", [y, net.relu(t)]))).graph;
  const twice = fuseGraph(once);
  assert.equal(twice.unchanged, true);
  assert.equal(twice.graph, once);
});
