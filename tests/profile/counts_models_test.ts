/** Tests for countGraph on users' models: Gemm, MatMul, new elementwise rules, uncounted ops. */
import assert from "node:assert/strict";
import type { Node } from "../../src/onnx/ir.ts";
import { countGraph, type GraphCounts } from "../../src/profile/counts.ts";
import { attr, constant, f32, graphOf, int64, op } from "../onnx/_graphs.ts";

const { int, ints, float, string } = attr;
const byNode = (c: GraphCounts) => Object.fromEntries(c.nodes.map((n) => [n.node, n]));

Deno.test("countGraph() counts a Gemm 1x512 -> 1000 as 512,000 MACs", () => {
  // M = 1, K = 512, N = 1000: MACs 1 * 1000 * 512 = 512,000; conv FLOPs 2 * 512,000;
  // bias 1 per output = 1,000; params W 512,000 + b 1,000 = 513,000
  // bytes: read x 512 * 4 = 2,048 + W 2,048,000 + b 4,000 = 2,054,048, write 1,000 * 4 = 4,000
  const g = graphOf([op("Gemm", ["x", "w", "b"], "y", { transB: int(1) })], { x: [1, 512] }, [
    "y",
  ], [f32("w", [1000, 512]), f32("b", [1000])]);
  const c = countGraph(g, { cacheBytes: 0 });
  assert.equal(c.total.macs, 512_000);
  assert.deepEqual(c.total.flops, { conv: 1_024_000, elementwise: 1_000, total: 1_025_000 });
  assert.equal(c.total.params, 513_000);
  assert.deepEqual(c.nodes[0].bytes, {
    read: 2_054_048,
    written: 4_000,
    naive: 2_058_048,
    cached: 2_058_048,
  });
  assert.deepEqual(c.uncounted, []);
  // alpha 0.5 and beta 2 scale the product and the bias: 1,000 more FLOPs each
  const scaled = graphOf(
    [op("Gemm", ["x", "w", "b"], "y", {
      transB: int(1),
      alpha: float(0.5),
      beta: float(2),
    })],
    { x: [1, 512] },
    ["y"],
    [f32("w", [1000, 512]), f32("b", [1000])],
  );
  assert.equal(countGraph(scaled, { cacheBytes: 0 }).total.flops.elementwise, 3_000);
});

Deno.test("countGraph() counts a batched MatMul as batch * M * N * K with broadcasting", () => {
  // a [2, 1, 4, 8] x w [3, 8, 5] -> [2, 3, 4, 5]: batch 2 * 3 = 6, M 4, N 5, K 8:
  // 6 * 4 * 5 * 8 = 960 MACs; w is a float weight of 120 elements: params
  const g = graphOf([op("MatMul", ["a", "w"], "y")], { a: [2, 1, 4, 8] }, ["y"], [
    f32("w", [3, 8, 5]),
  ]);
  const c = countGraph(g, { cacheBytes: 0 });
  assert.deepEqual(c.nodes[0].outputShape, [2, 3, 4, 5]);
  assert.equal(c.total.macs, 960);
  assert.equal(c.total.flops.total, 1_920);
  assert.equal(c.total.params, 120);
  // two activations, 1-D second operand: [2, 4, 8] x [8] -> [2, 4], 8 MACs each = 64
  const v = graphOf([op("MatMul", ["a", "v"], "y")], { a: [2, 4, 8], v: [8] }, ["y"]);
  assert.equal(countGraph(v, { cacheBytes: 0 }).total.macs, 64);
});

Deno.test("countGraph() counts ConvTranspose and any-rank Conv MACs", () => {
  // ConvTranspose x [1, 8, 4, 4], W [8, 4, 2, 2], stride 2 -> [1, 4, 8, 8]:
  // N * Cin * H * W * (Cout / g) * kh * kw = 128 * 4 * 4 = 2,048 (each output gets 8 products)
  // Conv1d x [1, 2, 10], W [4, 2, 3], pads 1 -> [1, 4, 10]: 40 outputs * 2 * 3 = 240
  const g = graphOf(
    [
      op("ConvTranspose", ["x", "wt"], "up", { strides: ints([2, 2]) }),
      op("Conv", ["s", "w1"], "c1", { pads: ints([1, 1]) }),
    ],
    { x: [1, 8, 4, 4], s: [1, 2, 10] },
    ["up", "c1"],
    [f32("wt", [8, 4, 2, 2]), f32("w1", [4, 2, 3])],
  );
  const n = byNode(countGraph(g, { cacheBytes: 0 }));
  assert.deepEqual([n.up.macs, n.c1.macs], [2_048, 240]);
});

Deno.test("countGraph() applies the stated per-element rules of the new ops", () => {
  // x [1, 8, 6, 6] = 288 elements
  const x = [1, 8, 6, 6];
  const g = graphOf(
    [
      op("Softmax", ["x"], "sm", { axis: int(1) }), // 5 per element: 1,440
      op("LayerNormalization", ["x", "g", "b"], "ln"), // 7 per element: 2,016
      op("LayerNormalization", ["x", "g"], "ln6"), // no bias, 6: 1,728
      op("HardSwish", ["x"], "hs"), // 5: 1,440
      op("HardSigmoid", ["x"], "hsg"), // 4: 1,152
      op("Clip", ["x", "lo", "hi"], "clip"), // 2: 576
      op("MaxPool", ["x"], "mp", { kernel_shape: ints([3, 3]), strides: ints([2, 2]) }),
      // -> [1, 8, 2, 2] = 32 outputs * 9 kernel elements = 288
      op("GlobalAveragePool", ["x"], "gap"), // 1 per input element: 288
      op("ReduceMean", ["x"], "rm", { axes: ints([2, 3]) }), // 1 per input element: 288
      op("Resize", ["x", "", "sc"], "lin", { mode: string("linear") }), // [1, 8, 12, 12]: 7 * 1,152
      op("Resize", ["x", "", "sc"], "near"), // nearest: 0
      op("Transpose", ["x"], "t", { perm: ints([0, 2, 3, 1]) }), // data movement: 0
      op("Max", ["x", "x", "x"], "max3"), // inputs - 1 = 2 per element: 576
    ],
    { x },
    [],
    [
      f32("g", [6]),
      f32("b", [6]),
      f32("lo", [], [0]),
      f32("hi", [], [6]),
      f32("sc", [4], [1, 1, 2, 2]),
    ],
  );
  const n = byNode(countGraph(g, { cacheBytes: 0 }));
  const flops = Object.fromEntries(Object.entries(n).map(([k, v]) => [k, v.flops.elementwise]));
  assert.deepEqual(flops, {
    sm: 1_440,
    ln: 2_016,
    ln6: 1_728,
    hs: 1_440,
    hsg: 1_152,
    clip: 576,
    mp: 288,
    gap: 288,
    rm: 288,
    lin: 7 * 1_152,
    near: 0,
    t: 0,
    max3: 576,
  });
  // Transpose moves data: reads and writes 288 * 4 bytes
  assert.deepEqual([n.t.bytes.read, n.t.bytes.written], [1_152, 1_152]);
});

Deno.test("countGraph() sorts constants into params, buffers and constants", () => {
  // conv W [4, 2, 3, 3] 72 + bias [4] 4; BN gamma/beta 8 params, mean/var 8 buffers;
  // layer scale [4, 1, 1] (a Constant node's float tensor) 4 params; GELU-style scalar 1 constant;
  // Resize scales [4] a setting: 4 constants; Reshape target int64 [2]: 2 constants;
  // a 1-channel conv's bias [1] sits in a weight slot: a param (W 4 + b 1)
  const g = graphOf(
    [
      op("Conv", ["x", "w", "bias"], "c", { pads: ints([1, 1, 1, 1]) }),
      op("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], "bn"),
      constant("ls", f32("ls", [4, 1, 1])),
      op("Mul", ["bn", "ls"], "scaled"),
      op("Div", ["scaled", "sqrt2"], "d"),
      op("Resize", ["d", "", "sc"], "up"),
      op("Conv", ["up", "w1", "b1"], "one"),
      op("Reshape", ["one", "target"], "y"),
    ],
    { x: [1, 2, 4, 4] },
    ["y"],
    [
      f32("w", [4, 2, 3, 3]),
      f32("bias", [4]),
      ...["gamma", "beta", "mean", "var"].map((n) => f32(n, [4])),
      f32("sqrt2", [], [Math.SQRT2]),
      f32("sc", [4], [1, 1, 2, 2]),
      f32("w1", [1, 4, 1, 1]),
      f32("b1", [1]),
      int64("target", [1, -1]),
    ],
  );
  const c = countGraph(g, { cacheBytes: 0 });
  assert.equal(c.total.params, 72 + 4 + 8 + 4 + 4 + 1);
  assert.equal(c.total.buffers, 8);
  assert.equal(c.total.constants, 1 + 4 + 2);
  const n = byNode(c);
  assert.deepEqual([n.scaled.params, n.ls.params, n.y.params], [4, 0, 0]);
  assert.deepEqual(n.y.outputShape, [1, 64]); // 1 * 8 * 8 after the x2 resize
  assert.deepEqual(c.uncounted, []);
});

Deno.test("countGraph() counts shape chains 0 FLOPs and int64 bytes at 8", () => {
  // x [2, 8, 4, 4] float = 256 elements; Shape -> int64 [4] (32 B); Gather -> scalar (8 B);
  // Unsqueeze -> [1] (8 B); Concat with [-1] -> [2] (16 B); Reshape reads x + target, writes x
  const g = graphOf(
    [
      op("Shape", ["x"], "s"),
      op("Gather", ["s", "zero"], "n", { axis: int(0) }),
      op("Unsqueeze", ["n", "ax"], "n1"),
      op("Concat", ["n1", "minus1"], "target", { axis: int(0) }),
      op("Reshape", ["x", "target"], "flat"),
      op("Relu", ["flat"], "y"),
    ],
    { x: [2, 8, 4, 4] },
    ["y"],
    [int64("zero", [0], []), int64("ax", [0]), int64("minus1", [-1])],
    13,
  );
  const c = countGraph(g, { cacheBytes: 0 });
  const n = byNode(c);
  assert.deepEqual(n.s.bytes.written, 32);
  assert.deepEqual([n.n.bytes.read, n.n.bytes.written], [32 + 8, 8]);
  assert.deepEqual([n.flat.bytes.read, n.flat.bytes.written], [1_024 + 16, 1_024]);
  assert.deepEqual(n.flat.outputShape, [2, 128]);
  assert.equal(c.total.flops.total, 256); // the Relu only
  assert.equal(c.total.constants, 3); // zero, ax, minus1
  // elementBytes 2 halves the float tensors only: Reshape reads 512 + 16
  assert.equal(byNode(countGraph(g, { cacheBytes: 0, elementBytes: 2 })).flat.bytes.read, 528);
});

Deno.test("countGraph() lists an unknown op as uncounted and counts the rest", () => {
  // x [1, 4, 8, 8]; conv 1x1 4 -> 4: 256 outputs * 4 = 1,024 MACs; Foo unknown; Relu after Foo
  // has no shape (uncounted); Sigmoid on the conv output is counted (256)
  const nodes: Node[] = [
    op("Conv", ["x", "w"], "c"),
    op("com.example.Foo", ["c"], "foo"),
    op("Relu", ["foo"], "r"),
    op("Sigmoid", ["c"], "s"),
  ];
  const g = graphOf(nodes, { x: [1, 4, 8, 8] }, ["r", "s"], [f32("w", [4, 4, 1, 1])]);
  const c = countGraph(g, { cacheBytes: 1 << 20 });
  assert.deepEqual(c.uncounted.map((u) => [u.node, u.opType]), [
    ["foo", "com.example.Foo"],
    ["r", "Relu"],
  ]);
  assert.match(c.uncounted[0].reason, /no shape rule/);
  assert.match(c.uncounted[1].reason, /input "foo" has no shape/);
  assert.deepEqual([c.total.macs, c.total.flops.elementwise, c.total.params], [1_024, 256, 16]);
  assert.deepEqual(c.total.nodes, { Conv: 1, "com.example.Foo": 1, Relu: 1, Sigmoid: 1 });
  // Foo reads c (1,024 B) and writes a tensor of unknown size (0 B)
  assert.deepEqual(byNode(c).foo.bytes.naive, 1_024);
  // with Foo's output declared by the model, only Foo stays uncounted
  const declared = countGraph({ ...g, valueInfo: [{ name: "foo", shape: [1, 4, 8, 8] }] }, {
    cacheBytes: 0,
  });
  assert.deepEqual(declared.uncounted.map((u) => u.node), ["foo"]);
  assert.equal(declared.total.flops.elementwise, 512);
});

Deno.test("countGraph() takes dynamic input dims from inputShapes, else throws naming them", () => {
  // a 3x3 conv 3 -> 8 at N x 3 x 16 x 16, pads 1: N * 8 * 256 * 27 MACs = N * 55,296
  const g = graphOf(
    [op("Conv", ["x", "w"], "y", { pads: ints([1, 1, 1, 1]) })],
    [{ name: "x", shape: [-1, 3, 16, 16], dimNames: ["N"] }],
    ["y"],
    [f32("w", [8, 3, 3, 3])],
  );
  const c = countGraph(g, { cacheBytes: 0, inputShapes: new Map([["x", [4, 3, 16, 16]]]) });
  assert.equal(c.total.macs, 4 * 55_296);
  assert.throws(() => countGraph(g, { cacheBytes: 0 }), /"x" has dynamic dimension 0 \("N"\)/);
});

Deno.test("countGraph() counts a 50-conv network by pure shape arithmetic", () => {
  // 50 x (3x3 conv 64 -> 64, pads 1, on 56 x 56, + Relu): per conv 64 * 56 * 56 * 64 * 9 MACs
  const nodes: Node[] = [];
  const tensors = [];
  let x = "x";
  for (let i = 0; i < 50; i++) {
    tensors.push(f32(`w${i}`, [64, 64, 3, 3]));
    nodes.push(op("Conv", [x, `w${i}`], `c${i}`, { pads: ints([1, 1, 1, 1]) }));
    nodes.push(op("Relu", [`c${i}`], `r${i}`));
    x = `r${i}`;
  }
  const c = countGraph(graphOf(nodes, { x: [1, 64, 56, 56] }, [x], tensors), {
    cacheBytes: 32 << 20,
  });
  assert.equal(c.total.macs, 50 * 64 * 56 * 56 * 64 * 9);
  assert.equal(c.total.params, 50 * 64 * 64 * 9);
  assert.equal(c.nodes.length, 100);
});
