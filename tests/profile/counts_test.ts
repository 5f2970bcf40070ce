/** Tests for countGraph: hand-derived params, MACs, FLOPs and bytes; traffic bounds; block sums. */
import assert from "node:assert/strict";
import type { Graph, Initializer, Node } from "../../src/onnx/ir.ts";
import { ints } from "../../src/onnx/ir.ts";
import { inferShapes } from "../../src/onnx/shapes.ts";
import { countGraph, COUNTING_CONVENTIONS, type GraphCounts } from "../../src/profile/counts.ts";
import { buildMultiBranchStem } from "../../src/stem/multi_branch.ts";
import { buildReparamStem } from "../../src/stem/reparameterized.ts";
import type { StemSpec } from "../../src/stem/spec.ts";
import { randomStemWeights } from "../../src/stem/weights.ts";
import { spec as stemSpec } from "../_helpers.ts";

const deploy = (s: StemSpec, resolution = 32, batchSize = 1) =>
  buildReparamStem(s, randomStemWeights(s, 7), { batchSize, resolution });
const multi = (s: StemSpec, resolution = 32, batchSize = 1) =>
  buildMultiBranchStem(s, randomStemWeights(s, 7), { batchSize, resolution });

const init = (name: string, dims: number[]): Initializer => ({
  name,
  dims,
  data: new Float32Array(dims.reduce((a, b) => a * b, 1)),
});
const node = (opType: string, inputs: string[], output: string, attributes = {}): Node => ({
  name: output,
  opType,
  inputs,
  outputs: [output],
  attributes,
});
const graph = (
  nodes: Node[],
  initializers: Initializer[] = [],
  input: number[] = [1, 1, 2, 2],
  output: number[] = [1, 1, 2, 2],
): Graph => ({
  name: "t",
  opset: 17,
  inputs: [{ name: "x", shape: input }],
  outputs: [{ name: "out", shape: output }],
  initializers,
  nodes,
});

Deno.test("countGraph() counts C^2 + 39C = 6,592 params and 0 buffers for the C = 64 deploy stem", () => {
  const c = countGraph(deploy(stemSpec({ width: 64 })), { cacheBytes: 0 });
  assert.equal(c.total.params, 6592);
  assert.equal(64 * 64 + 39 * 64, 6592);
  assert.equal(c.total.buffers, 0);
  assert.equal(c.total.constants, 3); // GELU's sqrt(2), 1 and 0.5, shared by the three blocks
});

Deno.test("countGraph() counts multi-branch params and buffers per block by formula", () => {
  const C = 64, I = 3, r = Math.max(1, Math.floor(C / 16));
  const seParams = r * C + r + C * r + C; // reduce conv W + b, expand conv W + b
  for (const B of [1, 4]) {
    for (const scale of [false, true]) {
      for (const se of [false, true]) {
        const s = stemSpec({ width: C, branches: B, scaleBranch: scale, se });
        const c = countGraph(multi(s, 16), { cacheBytes: 0 });
        const sc = scale ? 1 : 0;
        const extra = se ? seParams : 0;
        const params = [
          B * (C * I * 9 + 2 * C) + sc * (C * I + 2 * C) + extra,
          B * (9 * C + 2 * C) + sc * (C + 2 * C) + extra,
          B * (C * C + 2 * C) + 2 * C + extra, // the skip BN has gamma and beta only
        ];
        const buffers = [(B + sc) * 2 * C, (B + sc) * 2 * C, (B + 1) * 2 * C];
        const what = `B=${B} scale=${scale} se=${se}`;
        assert.deepEqual(c.blocks.map((b) => b.params), params, what);
        assert.deepEqual(c.blocks.map((b) => b.buffers), buffers, what);
        assert.equal(c.total.params, params[0] + params[1] + params[2], what);
        assert.equal(c.total.buffers, buffers[0] + buffers[1] + buffers[2], what);
      }
    }
  }
});

// Deploy stem, C = 48, I = 3, N = 1, R = 224 (hand count):
//   block 1, 3x3 stride 2 -> 112x112: 48 * 112 * 112 * 3 * 9 = 16,257,024
//   block 2, 3x3 dw stride 2 -> 56x56: 48 * 56 * 56 * 1 * 9 =   1,354,752
//   block 3, 1x1 -> 56x56:             48 * 56 * 56 * 48    =   7,225,344
//   total                                                     24,837,120
Deno.test("countGraph() counts deploy-stem MACs at 224, C = 48 as hand-computed", () => {
  const s = stemSpec({ width: 48 });
  const c = countGraph(deploy(s, 224), { cacheBytes: 0 });
  assert.deepEqual(c.blocks.map((b) => b.macs), [16_257_024, 1_354_752, 7_225_344]);
  assert.equal(c.total.macs, 24_837_120);
  assert.equal(c.total.flops.conv, 2 * 24_837_120);
  // block 1 elementwise: bias 1 + GELU (Div, Erf, Add, Mul, Mul) 5 per element of 48x112x112
  assert.equal(c.blocks[0].flops.elementwise, 6 * 48 * 112 * 112);
  // batch N = 2 doubles every MAC
  assert.equal(countGraph(deploy(s, 224, 2), { cacheBytes: 0 }).total.macs, 2 * 24_837_120);
});

Deno.test("countGraph() counts multi-branch MACs as B * kxk + scale per block", () => {
  const c = countGraph(multi(stemSpec({ width: 48, branches: 4 }), 224), { cacheBytes: 0 });
  const scale1 = 48 * 112 * 112 * 3; // 1x1 stride 2, I -> C: 1,806,336
  const scale2 = 48 * 56 * 56; // 1x1 dw stride 2: 150,528
  assert.deepEqual(c.blocks.map((b) => b.macs), [
    4 * 16_257_024 + scale1,
    4 * 1_354_752 + scale2,
    4 * 7_225_344, // the skip branch is a BN, no MACs
  ]);
  assert.deepEqual(c.blocks.map((b) => b.macs), [66_834_432, 5_569_536, 28_901_376]);
});

Deno.test("countGraph() applies one elementwise rule per op type", () => {
  // x [1,2,3,3] (18 elements); conv 1x1 2->4 with bias -> [1,4,3,3] (36)
  const g: Graph = {
    ...graph(
      [
        node("Conv", ["x", "w", "b"], "c", { kernel_shape: ints([1, 1]) }),
        node("BatchNormalization", ["c", "g", "be", "m", "v"], "bn"),
        node("Sigmoid", ["bn"], "s"),
        node("Erf", ["s"], "e"),
        node("GlobalAveragePool", ["e"], "p"),
        node("Mul", ["e", "p"], "out"),
      ],
      [
        init("w", [4, 2, 1, 1]),
        init("b", [4]),
        ...["g", "be", "m", "v"].map((n) => init(n, [4])),
      ],
      [1, 2, 3, 3],
      [1, 4, 3, 3],
    ),
  };
  const c = countGraph(g, { cacheBytes: 0 });
  const by = Object.fromEntries(c.nodes.map((n) => [n.opType, n]));
  assert.equal(by.Conv.macs, 36 * 2);
  assert.deepEqual(by.Conv.flops, { conv: 144, elementwise: 36, total: 180 });
  assert.equal(by.Conv.params, 12);
  assert.equal(by.BatchNormalization.flops.elementwise, 72);
  assert.equal(by.BatchNormalization.params, 8);
  assert.equal(by.BatchNormalization.buffers, 8);
  assert.equal(by.Sigmoid.flops.elementwise, 36);
  assert.equal(by.Erf.flops.elementwise, 36);
  assert.equal(by.GlobalAveragePool.flops.elementwise, 36); // per input element
  assert.deepEqual(by.GlobalAveragePool.outputShape, [1, 4, 1, 1]);
  assert.equal(by.Mul.flops.elementwise, 36);
  // Conv bytes: reads x 18 + w 8 + b 4 elements, writes 36; 4 bytes each
  assert.deepEqual(by.Conv.bytes, { read: 120, written: 144, naive: 264, cached: 264 });
  assert.equal(by.Conv.arithmeticIntensity, 180 / 264);
  assert.equal(c.total.params, 20);
  assert.equal(c.total.buffers, 8);
});

Deno.test("countGraph() gives hand-computed bytes for Conv -> Relu", () => {
  // x [1,1,2,2] 16 B, w [1,1,1,1] 4 B, y 16 B, out 16 B
  const g = graph(
    [node("Conv", ["x", "w"], "y", { kernel_shape: ints([1, 1]) }), node("Relu", ["y"], "out")],
    [init("w", [1, 1, 1, 1])],
  );
  // naive: conv 16 + 4 + 16 = 36, relu 16 + 16 = 32; minimum: x + w + out = 36
  const cold = countGraph(g, { cacheBytes: 0 });
  assert.deepEqual([cold.total.bytes.naive, cold.total.bytes.minimum], [68, 36]);
  assert.deepEqual(cold.nodes.map((n) => n.bytes.cached), [36, 32]);
  // 1 KiB: conv reads x and w (20), y stays on chip; relu writes out back at the end (16)
  const warm = countGraph(g, { cacheBytes: 1024 });
  assert.deepEqual(warm.nodes.map((n) => n.bytes.cached), [20, 16]);
  // 8 B: no 16 B tensor fits, only w: everything streams, as naive
  assert.equal(countGraph(g, { cacheBytes: 8 }).total.bytes.cached, 68);
  // elementBytes 2 halves every byte count
  assert.equal(countGraph(g, { cacheBytes: 0, elementBytes: 2 }).total.bytes.naive, 34);
});

Deno.test("countGraph() charges write-back of an evicted dirty tensor to its producer", () => {
  // 16 B tensors, a 16 B cache (one tensor). Relu x -> a, then Add of a and x.
  // naive: relu 16 + 16, add 32 + 16 = 80; minimum: x + out = 32
  const ax = graph([node("Relu", ["x"], "a"), node("Add", ["a", "x"], "out")]);
  // Add(a, x): a hits; loading x evicts a (dirty but already read: dead, free);
  // relu 16 (x), add 16 (x again) + 16 (out written back) = 48
  const c1 = countGraph(ax, { cacheBytes: 16 });
  assert.deepEqual(c1.nodes.map((n) => n.bytes.cached), [16, 32]);
  assert.deepEqual([c1.total.bytes.naive, c1.total.bytes.minimum], [80, 32]);
  // Add(x, a): loading x evicts a still unread, so relu pays its write-back (16 + 16);
  // add reads x 16, a 16, writes out 16 = 48; total 80
  const xa = graph([node("Relu", ["x"], "a"), node("Add", ["x", "a"], "out")]);
  assert.deepEqual(countGraph(xa, { cacheBytes: 16 }).nodes.map((n) => n.bytes.cached), [32, 48]);
  // 32 B holds both: x and out only, the minimum
  assert.equal(countGraph(ax, { cacheBytes: 32 }).total.bytes.cached, 32);
});

Deno.test("countGraph() keeps minimum <= cached <= naive, with the cache-size limits", () => {
  const graphs = [
    deploy(stemSpec({ width: 16 })),
    multi(stemSpec({ width: 16, branches: 3, se: true })),
    multi(stemSpec({ width: 8, activation: "relu" }), 64, 2),
  ];
  for (const g of graphs) {
    const cold = countGraph(g, { cacheBytes: 0 });
    assert.equal(cold.total.bytes.cached, cold.total.bytes.naive, g.name);
    for (const n of cold.nodes) assert.equal(n.bytes.cached, n.bytes.naive, n.node);
    for (const cacheBytes of [1_000, 10_000, 30_000, 100_000, 1_000_000]) {
      const { minimum, cached, naive } = countGraph(g, { cacheBytes }).total.bytes;
      assert.ok(minimum <= cached && cached <= naive, `${g.name} ${cacheBytes}: ${cached}`);
    }
    for (const cacheBytes of [1e12, Infinity]) {
      const { minimum, cached } = countGraph(g, { cacheBytes }).total.bytes;
      assert.equal(cached, minimum, `${g.name} ${cacheBytes}`);
    }
  }
});

Deno.test("countGraph() defines a block's minimum as its input, weights and output", () => {
  // deploy, relu, C = 8, R = 32: block 1 reads input 3*32*32 + W 8*3*9 + bias 8 and writes
  // 8*16*16 elements: (3072 + 216 + 8 + 2048) * 4 B
  const c = countGraph(deploy(stemSpec({ activation: "relu" })), { cacheBytes: 0 });
  assert.equal(c.blocks[0].bytes.minimum, (3072 + 216 + 8 + 2048) * 4);
  // graph minimum: input + all initializers + output (8*8*8)
  const weights = 216 + 8 + 72 + 8 + 64 + 8;
  assert.equal(c.total.bytes.minimum, (3072 + weights + 512) * 4);
});

Deno.test("countGraph() block totals sum to the graph totals", () => {
  for (const g of [deploy(stemSpec({ se: true })), multi(stemSpec({ branches: 2, se: true }))]) {
    const c = countGraph(g, { cacheBytes: 20_000 });
    const sum = (f: (b: GraphCounts["total"]) => number) => c.blocks.reduce((s, b) => s + f(b), 0);
    assert.equal(sum((b) => b.params), c.total.params);
    assert.equal(sum((b) => b.buffers), c.total.buffers);
    assert.equal(sum((b) => b.constants), c.total.constants);
    assert.equal(sum((b) => b.macs), c.total.macs);
    assert.equal(sum((b) => b.flops.conv), c.total.flops.conv);
    assert.equal(sum((b) => b.flops.elementwise), c.total.flops.elementwise);
    assert.equal(sum((b) => b.flops.total), c.total.flops.total);
    assert.equal(sum((b) => b.bytes.naive), c.total.bytes.naive);
    assert.equal(sum((b) => b.bytes.cached), c.total.bytes.cached);
    const hist: Record<string, number> = {};
    for (const b of c.blocks) {
      for (const [k, v] of Object.entries(b.nodes)) hist[k] = (hist[k] ?? 0) + v;
    }
    assert.deepEqual(hist, c.total.nodes);
    assert.equal(Object.values(c.total.nodes).reduce((a, b) => a + b), g.nodes.length);
    assert.deepEqual(c.uncounted, []);
  }
});

Deno.test("countGraph() output shapes match inferShapes and tags map to blocks", () => {
  const g = multi(stemSpec({ branches: 2, se: true }), 40, 3);
  const shapes = inferShapes(g);
  const c = countGraph(g, { cacheBytes: 0 });
  c.nodes.forEach((n, i) => {
    assert.deepEqual(n.outputShape, shapes.get(g.nodes[i].outputs[0]));
    assert.equal(n.block, g.nodes[i].tag?.block);
    assert.equal(n.branch, g.nodes[i].tag?.branch);
  });
  assert.deepEqual(c.blocks.map((b) => b.block), [1, 2, 3]);
  assert.equal(c.blocks[0].nodes.Conv, 2 + 1 + 2); // 2 kxk, scale, SE reduce + expand
  // untagged nodes have block null and belong to no block
  const u = countGraph(graph([node("Relu", ["x"], "out")]), { cacheBytes: 0 });
  assert.deepEqual([u.nodes[0].block, u.nodes[0].branch, u.blocks.length], [null, null, 0]);
});

Deno.test("countGraph() lists unknown ops as uncounted and rejects bad options", () => {
  const g = graph([node("com.example.Foo", ["x"], "out")]);
  const c = countGraph(g, { cacheBytes: 0 });
  assert.deepEqual(c.uncounted.map((u) => [u.node, u.opType]), [["out", "com.example.Foo"]]);
  assert.deepEqual([c.total.flops.total, c.total.nodes], [0, { "com.example.Foo": 1 }]);
  const ok = graph([node("Relu", ["x"], "out")]);
  assert.throws(
    () => countGraph(ok, { cacheBytes: -1 }),
    new RangeError(
      "Cannot count graph as 'cacheBytes' must be a non-negative number: current value is -1",
    ),
  );
  assert.throws(() => countGraph(ok, { cacheBytes: NaN }), RangeError);
  assert.throws(() => countGraph(ok, { cacheBytes: 0, elementBytes: 0 }), RangeError);
});

Deno.test("COUNTING_CONVENTIONS says what countGraph() does, op by op", () => {
  // Each "Op N" the text states per output element must be what a one-node graph counts
  const text = COUNTING_CONVENTIONS.elementwiseFlops;
  const stated = (op: string) => {
    const m = new RegExp(`\\b${op}(?: and [A-Za-z]+)* (\\d+)`).exec(text);
    assert.ok(m, `${op} is not stated`);
    return Number(m[1]);
  };
  const unary = (op: string) => graph([node(op, ["x"], "out")]);
  for (const op of ["Relu", "Sigmoid", "Erf", "HardSwish", "HardSigmoid", "Mish"]) {
    const perElement = countGraph(unary(op), { cacheBytes: 0 }).total.flops.elementwise / 4;
    assert.equal(perElement, stated(op), op);
  }
  const bn = graph(
    [node("BatchNormalization", ["x", "g", "b", "m", "v"], "out")],
    ["g", "b", "m", "v"].map((n) => init(n, [1])),
  );
  assert.equal(
    countGraph(bn, { cacheBytes: 0 }).total.flops.elementwise / 4,
    stated("BatchNormalization"),
  );
  assert.match(
    COUNTING_CONVENTIONS.macs,
    /N \* Cout \* Hout \* Wout \* \(Cin \/ groups\) \* kh \* kw/,
  );
});
