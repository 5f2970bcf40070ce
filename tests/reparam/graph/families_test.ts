/**
 * fuseGraph() on the train-time forms of reparameterizable families, built as PyTorch exports
 * them: each fused graph runs on onnxruntime next to the original (same function within fp32
 * rounding: 1e-5 of the output magnitude) and has one Conv per block, no BatchNormalization,
 * Add, Sub, Mul or Identity left in fused groups, and its groups kept.
 */
import assert from "node:assert/strict";
import { fuseGraph } from "../../../src/reparam/graph/fuse.ts";
import { assertSameFunction, assertValidFusion, Net, type NetOptions, ops } from "./_nets.ts";

/** A MobileOne block: k conv+BN branches, the 1x1 scale branch, the BN skip, then Relu. */
function mobileOne(
  net: Net,
  x: string,
  b: { cout: number; k: number; stride: number; group: number; branches: number; folded: boolean },
): string {
  const outs: string[] = [];
  const convBn = (k: number, pads?: number) => {
    const c = net.conv(x, { ...b, k, pads, bias: b.folded });
    return b.folded ? c : net.bn(c);
  };
  for (let i = 0; i < b.branches; i++) outs.push(convBn(b.k));
  if (b.k > 1) outs.push(convBn(1, 0));
  if (net.channels.get(x) === b.cout && b.stride === 1) outs.push(net.bn(x));
  return net.relu(net.sum(outs));
}

interface Variant extends NetOptions {
  readonly branches: number;
  readonly folded: boolean;
  readonly opset: number;
  readonly dynamic: boolean;
}

const VARIANTS: Variant[] = [
  { branches: 1, folded: false, constantNodes: false, opset: 17, dynamic: false },
  { branches: 1, folded: true, constantNodes: true, opset: 11, dynamic: true },
  { branches: 2, folded: false, constantNodes: true, opset: 13, dynamic: true },
  { branches: 2, folded: true, constantNodes: false, opset: 17, dynamic: false },
  { branches: 3, folded: false, constantNodes: false, opset: 11, dynamic: true },
  { branches: 3, folded: true, constantNodes: true, opset: 13, dynamic: false },
  { branches: 4, folded: false, constantNodes: true, opset: 17, dynamic: true },
  { branches: 4, folded: true, constantNodes: false, opset: 13, dynamic: true },
];

for (const v of VARIANTS) {
  const name = `k=${v.branches}, ${v.folded ? "Conv+BN folded" : "Conv, BN"}, ` +
    `${v.constantNodes ? "Constant nodes" : "initializers"}, opset ${v.opset}` +
    `${v.dynamic ? ", dynamic batch" : ""}`;
  Deno.test(`fuseGraph() fuses MobileOne blocks to one Conv each: ${name}`, async () => {
    const net = new Net(100 + v.branches, v);
    const x = net.input("x", [v.dynamic ? -1 : 2, 8, 16, 16], v.dynamic ? ["batch"] : undefined);
    const common = { branches: v.branches, folded: v.folded };
    let t = mobileOne(net, x.name, { ...common, cout: 8, k: 3, stride: 1, group: 8 });
    t = mobileOne(net, t, { ...common, cout: 16, k: 1, stride: 1, group: 1 });
    t = mobileOne(net, t, { ...common, cout: 16, k: 3, stride: 2, group: 16 });
    t = mobileOne(net, t, { ...common, cout: 16, k: 1, stride: 1, group: 1 });
    const graph = net.graph(x, t, v.opset);
    const { graph: fused, merges, unchanged } = fuseGraph(graph);
    assert.equal(unchanged, false);
    assert.deepEqual(ops(fused), { Conv: 4, Relu: 4 });
    // a lone Conv (one folded branch, nothing else) is left as it is
    const lone = v.branches === 1 && v.folded;
    assert.deepEqual(merges.map((m) => [m.group, m.kernel.join("x")]), [
      [8, "3x3"],
      ...(lone ? [] : [[1, "1x1"]]),
      [16, "3x3"],
      [1, "1x1"],
    ]);
    const kinds = merges[0].branches.map((b) => b.kind);
    assert.deepEqual(kinds, [...Array(v.branches).fill("conv 3x3"), "conv 1x1", "bn-skip"]);
    assert.ok(merges.every((m) => m.macs.after <= m.macs.before));
    assertValidFusion(graph, fused);
    await assertSameFunction(graph, fused, [2, 8, 16, 16]);
  });
}

Deno.test("fuseGraph() fuses RepVGG blocks (3x3+BN, 1x1+BN, identity BN) and a YOLO RepConv", async () => {
  const net = new Net(11);
  const x = net.input("x", [1, 8, 12, 12]);
  const branch = (t: string, k: number, s: number, cout: number) =>
    net.bn(net.conv(t, { cout, k, stride: s, pads: k === 3 ? 1 : 0 }));
  let t = net.relu(net.sum([branch(x.name, 3, 1, 8), branch(x.name, 1, 1, 8), net.bn(x.name)]));
  t = net.relu(net.sum([branch(t, 3, 2, 16), branch(t, 1, 2, 16)]));
  // YOLO RepConv: SiLU = x * sigmoid(x) after the sum (a product of two activations)
  const s = net.sum([branch(t, 3, 1, 16), branch(t, 1, 1, 16), net.bn(t)]);
  const out = net.op("Mul", [s, net.op("Sigmoid", [s])]);
  const graph = net.graph(x, out);
  const { graph: fused, merges } = fuseGraph(graph);
  assert.deepEqual(ops(fused), { Conv: 3, Relu: 2, Sigmoid: 1, Mul: 1 });
  assert.deepEqual(merges.map((m) => m.branches.map((b) => b.kind)), [
    ["conv 3x3", "conv 1x1", "bn-skip"],
    ["conv 3x3", "conv 1x1"],
    ["conv 3x3", "conv 1x1", "bn-skip"],
  ]);
  assertValidFusion(graph, fused);
  await assertSameFunction(graph, fused, [1, 8, 12, 12]);
});

Deno.test("fuseGraph() fuses FastViT's RepMixer x + g * (mixer(x) - BN(x)) (Sub, Mul)", async () => {
  for (const constantNodes of [false, true]) {
    const net = new Net(12, { constantNodes });
    const x = net.input("x", [1, 16, 8, 8]);
    const dw = (k: number) => net.bn(net.conv(x.name, { cout: 16, k, group: 16 }));
    const mixer = net.sum([dw(3), dw(1), net.bn(x.name)]);
    const diff = net.op("Sub", [mixer, net.bn(x.name)]);
    const g = net.constant([16, 1, 1], net.uniform(16, -1, 1), "layer_scale");
    const out = net.add(x.name, net.op("Mul", [g, diff]));
    const graph = net.graph(x, out);
    const { graph: fused, merges } = fuseGraph(graph);
    assert.deepEqual(ops(fused), { Conv: 1 });
    assert.equal(merges[0].group, 16);
    assert.deepEqual(merges[0].kernel, [3, 3]);
    assert.deepEqual(merges[0].branches.map((b) => b.kind), [
      "identity",
      "conv 3x3",
      "conv 1x1",
      "bn-skip",
      "bn-skip",
    ]);
    // every Constant the absorbed nodes read is gone with them
    assert.equal(fused.nodes.filter((n) => n.opType === "Constant").length, 0);
    assertValidFusion(graph, fused);
    await assertSameFunction(graph, fused, [1, 16, 8, 8]);
  }
});

Deno.test("fuseGraph() keeps FastViT's large-kernel conv grouped: dw 7x7 + dw 3x3, 48 -> 96", async () => {
  const net = new Net(13);
  const x = net.input("x", [1, 48, 16, 16]);
  const dw = (k: number) => net.bn(net.conv(x.name, { cout: 96, k, stride: 2, group: 48 }));
  const s = net.sum([dw(7), dw(3)]);
  // GELU as opset 17 spells it, as in FastViT's stem
  const half = net.constant([], new Float32Array([0.5]));
  const erf = net.op("Erf", [net.op("Div", [s, net.constant([], new Float32Array([Math.SQRT2]))])]);
  const one = net.constant([], new Float32Array([1]));
  const out = net.op("Mul", [net.op("Mul", [s, net.op("Add", [erf, one])]), half]);
  const graph = net.graph(x, out);
  const { graph: fused, merges } = fuseGraph(graph);
  assert.deepEqual(ops(fused), { Conv: 1, Div: 1, Erf: 1, Add: 1, Mul: 2 });
  const conv = fused.nodes.find((n) => n.opType === "Conv")!;
  assert.deepEqual(conv.attributes.group, { type: "int", value: 48 });
  assert.deepEqual(conv.attributes.pads, { type: "ints", value: [3, 3, 3, 3] });
  assert.deepEqual(fused.initializers.find((t) => t.name === conv.inputs[1])!.dims, [96, 1, 7, 7]);
  assert.equal(merges[0].group, 48);
  assertValidFusion(graph, fused);
  await assertSameFunction(graph, fused, [1, 48, 16, 16]);
});

Deno.test("fuseGraph() fuses RepViT's BN(BN(dw3x3(x)) + dw1x1_bias(x) + x)", async () => {
  const net = new Net(14);
  const x = net.input("x", [1, 16, 10, 10]);
  const a = net.bn(net.conv(x.name, { cout: 16, k: 3, group: 16 }));
  const b = net.conv(x.name, { cout: 16, k: 1, group: 16, bias: true });
  const graph = net.graph(x, net.relu(net.bn(net.sum([a, b, x.name]))));
  const { graph: fused, merges } = fuseGraph(graph);
  assert.deepEqual(ops(fused), { Conv: 1, Relu: 1 });
  assert.equal(merges[0].group, 16);
  assert.deepEqual(merges[0].branches.map((b) => b.kind), ["conv 3x3", "conv 1x1", "identity"]);
  assertValidFusion(graph, fused);
  await assertSameFunction(graph, fused, [1, 16, 10, 10]);
});

Deno.test("fuseGraph() fuses ACNet's 3x3 + 1x3 + 3x1 (asymmetric pads) in either sum order", async () => {
  for (const order of [[0, 1, 2], [1, 2, 0]]) {
    const net = new Net(15);
    const x = net.input("x", [1, 8, 9, 11]);
    const convs = [
      net.bn(net.conv(x.name, { cout: 8, k: 3 })),
      net.bn(net.conv(x.name, { cout: 8, k: [1, 3], pads: [0, 1, 0, 1] })),
      net.bn(net.conv(x.name, { cout: 8, k: [3, 1], pads: [1, 0, 1, 0] })),
    ];
    const graph = net.graph(x, net.relu(net.sum(order.map((i) => convs[i]))));
    const { graph: fused, merges } = fuseGraph(graph);
    assert.deepEqual(ops(fused), { Conv: 1, Relu: 1 });
    assert.deepEqual(merges[0].kernel, [3, 3]);
    assertValidFusion(graph, fused);
    await assertSameFunction(graph, fused, [1, 8, 9, 11]);
  }
});

Deno.test("fuseGraph() fuses RepGhost's BN(dw(x)) + BN(x)", async () => {
  const net = new Net(16);
  const x = net.input("x", [1, 12, 8, 8]);
  const s = net.add(net.bn(net.conv(x.name, { cout: 12, k: 3, group: 12 })), net.bn(x.name));
  const graph = net.graph(x, net.relu(s));
  const { graph: fused, merges } = fuseGraph(graph);
  assert.deepEqual(ops(fused), { Conv: 1, Relu: 1 });
  assert.deepEqual(merges[0].branches.map((b) => b.kind), ["conv 3x3", "bn-skip"]);
  assertValidFusion(graph, fused);
  await assertSameFunction(graph, fused, [1, 12, 8, 8]);
});

Deno.test("fuseGraph() merges a DBB-style 1x1 (no bias) -> 3x3 sequence with its siblings", async () => {
  const net = new Net(17);
  const x = net.input("x", [1, 8, 10, 10]);
  const seq = net.bn(net.conv(net.conv(x.name, { cout: 8, k: 1 }), { cout: 8, k: 3 }));
  const s = net.sum([
    seq,
    net.bn(net.conv(x.name, { cout: 8, k: 3 })),
    net.bn(net.conv(x.name, { cout: 8, k: 1 })),
  ]);
  const graph = net.graph(x, net.relu(s));
  const { graph: fused, merges } = fuseGraph(graph);
  assert.deepEqual(ops(fused), { Conv: 1, Relu: 1 });
  assert.deepEqual(merges[0].branches.map((b) => b.kind), ["sequence", "conv 3x3", "conv 1x1"]);
  assert.ok(merges[0].macs.after < merges[0].macs.before);
  assertValidFusion(graph, fused);
  await assertSameFunction(graph, fused, [1, 8, 10, 10]);
});

Deno.test("fuseGraph() folds Div by a scalar and a per-channel constant", async () => {
  const net = new Net(18);
  const x = net.input("x", [1, 8, 8, 8]);
  const c = net.op("Div", [
    net.bn(net.conv(x.name, { cout: 8, k: 3 })),
    net.constant([], new Float32Array([2.5])),
  ]);
  const d = net.op("Div", [c, net.constant([1, 8, 1, 1], net.uniform(8, 0.5, 2))]);
  const graph = net.graph(x, net.relu(d));
  const { graph: fused } = fuseGraph(graph);
  assert.deepEqual(ops(fused), { Conv: 1, Relu: 1 });
  assertValidFusion(graph, fused);
  await assertSameFunction(graph, fused, [1, 8, 8, 8]);
});

Deno.test("fuseGraph() drops Add(x, 0) and Identity in branches and before the output", async () => {
  const net = new Net(19, { constantNodes: true });
  const x = net.input("x", [1, 8, 8, 8]);
  const zero = net.constant([1], new Float32Array([0]));
  const a = net.op("Add", [net.bn(net.conv(x.name, { cout: 8, k: 3 })), zero]);
  const b = net.op("Add", [x.name, net.constant([1, 8, 1, 1], new Float32Array(8))]);
  const c = net.op("Identity", [x.name]);
  const s = net.relu(net.sum([a, b, c]));
  const t = net.op("Identity", [net.bn(net.conv(s, { cout: 8, k: 1 }))]);
  const graph = net.graph(x, t);
  const { graph: fused, merges } = fuseGraph(graph);
  assert.deepEqual(ops(fused), { Conv: 2, Relu: 1 });
  assert.deepEqual(fused.nodes.map((n) => n.opType), ["Conv", "Relu", "Conv"]);
  assert.deepEqual(merges[0].branches.map((b) => b.kind), ["conv 3x3", "identity", "identity"]);
  assertValidFusion(graph, fused);
  await assertSameFunction(graph, fused, [1, 8, 8, 8]);
});

Deno.test("fuseGraph() fuses with dynamic batch and spatial dims, MACs per output element", async () => {
  const net = new Net(20);
  const x = net.input("x", [-1, 8, -1, -1], ["batch", undefined, "height", "width"]);
  const branch = (k: number) => net.bn(net.conv(x.name, { cout: 8, k }));
  const graph = net.graph(x, net.relu(net.sum([branch(3), branch(1), net.bn(x.name)])), 13);
  const { graph: fused, merges } = fuseGraph(graph);
  assert.deepEqual(ops(fused), { Conv: 1, Relu: 1 });
  // before: 3x3 conv 8 * 9 + 1x1 conv 8 + three BNs + two Adds; after: 8 * 9 per output element
  assert.deepEqual(merges[0].macs, { before: 72 + 8 + 3 + 2, after: 72, unit: "output element" });
  assertValidFusion(graph, fused);
  await assertSameFunction(graph, fused, [2, 8, 10, 12]);
});

Deno.test("fuseGraph() merges a stride-2 3x3 + 1x1 block on an input of dynamic H and W", async () => {
  // Output sizes floor((H + 2 - 3) / 2) + 1 and floor((H - 1) / 2) + 1 agree for every H, so
  // the branches merge although no size is known (an export with dynamic_axes on H and W)
  const net = new Net(61);
  const x = net.input("x", [-1, 3, -1, -1], ["batch", undefined, "h", "w"]);
  const y = net.relu(net.add(
    net.bn(net.conv(x.name, { cout: 8, k: 3, stride: 2 })),
    net.bn(net.conv(x.name, { cout: 8, k: 1, stride: 2, pads: 0 })),
  ));
  const graph = net.graph(x, y, 13);
  const { graph: fused, merges } = fuseGraph(graph);
  assert.equal(merges.length, 1);
  assert.deepEqual(ops(fused), { Conv: 1, Relu: 1 });
  for (const shape of [[1, 3, 15, 15], [2, 3, 16, 9]]) {
    await assertSameFunction(graph, fused, shape);
  }
});
