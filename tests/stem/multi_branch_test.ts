/** Tests for buildMultiBranchStem: node counts from the block semantics, tags, wiring, errors. */
import assert from "node:assert/strict";
import type { Graph } from "../../src/onnx/ir.ts";
import { buildMultiBranchStem, stemOutputShape } from "../../src/stem/multi_branch.ts";
import type { StemSpec } from "../../src/stem/spec.ts";
import { randomStemWeights } from "../../src/stem/weights.ts";
import { histogram, spec } from "../_helpers.ts";

const geo = { batchSize: 2, resolution: 32 };
const build = (s: StemSpec) => buildMultiBranchStem(s, randomStemWeights(s, 1), geo);

// Per block: B x (Conv + BN), scale = Conv + BN (blocks 1-2), skip = BN (block 3), one Add per
// branch after the first; SE = GlobalAveragePool, Conv, Relu, Conv, Sigmoid, Mul;
// gelu = Div, Erf, Add, Mul, Mul; relu = Relu.
const histograms: [string, Partial<StemSpec>, Record<string, number>][] = [
  // branches per block 2, 2, 2 -> 3 Adds; convs 2 + 2 + 1; BNs 2 + 2 + 2
  ["B=1, gelu", {}, { Conv: 5, BatchNormalization: 6, Add: 3 + 3, Div: 3, Erf: 3, Mul: 6 }],
  // branches per block 5, 5, 5 -> 12 Adds; convs 5 + 5 + 4; BNs 5 + 5 + 5
  ["B=4, gelu", { branches: 4 }, {
    Conv: 14,
    BatchNormalization: 15,
    Add: 12 + 3,
    Div: 3,
    Erf: 3,
    Mul: 6,
  }],
  // branches per block 1, 1, 2 -> 1 Add
  ["B=1, scale off, relu", { scaleBranch: false, activation: "relu" }, {
    Conv: 3,
    BatchNormalization: 4,
    Add: 1,
    Relu: 3,
  }],
  ["B=1, none", { activation: "none" }, { Conv: 5, BatchNormalization: 6, Add: 3 }],
  ["B=1, SE, relu", { se: true, activation: "relu" }, {
    Conv: 5 + 6,
    BatchNormalization: 6,
    Add: 3,
    GlobalAveragePool: 3,
    Relu: 3 + 3,
    Sigmoid: 3,
    Mul: 3,
  }],
  // branches per block 3, 3, 3 -> 6 Adds; convs 3 + 3 + 2 + SE 6; BNs 3 + 3 + 3
  ["B=2, SE, gelu", { branches: 2, se: true }, {
    Conv: 8 + 6,
    BatchNormalization: 9,
    Add: 6 + 3,
    GlobalAveragePool: 3,
    Relu: 3,
    Sigmoid: 3,
    Mul: 3 + 6,
    Div: 3,
    Erf: 3,
  }],
];

for (const [name, o, expected] of histograms) {
  Deno.test(`buildMultiBranchStem() has the node counts of the semantics: ${name}`, () => {
    assert.deepEqual(histogram(build(spec(o)).nodes), expected);
  });
}

/** Every tensor is defined before use, names are unique and the output is produced once. */
function assertWellFormed(g: Graph): void {
  const defined = new Set([...g.inputs.map((i) => i.name), ...g.initializers.map((t) => t.name)]);
  assert.equal(defined.size, g.inputs.length + g.initializers.length, "unique initializer names");
  assert.equal(new Set(g.nodes.map((n) => n.name)).size, g.nodes.length, "unique node names");
  for (const n of g.nodes) {
    for (const i of n.inputs) assert.ok(defined.has(i), `${n.name} reads ${i} before it exists`);
    for (const o of n.outputs) {
      assert.ok(!defined.has(o), `${o} written twice`);
      defined.add(o);
    }
  }
  assert.equal(g.nodes.filter((n) => n.outputs.includes("output")).length, 1);
  const used = new Set(g.nodes.flatMap((n) => n.inputs));
  for (const t of g.initializers) assert.ok(used.has(t.name), `unused initializer ${t.name}`);
}

Deno.test("buildMultiBranchStem() tags every node with block 1..3 and its branch", () => {
  const g = build(spec({ branches: 4, se: true }));
  const allowed = /^(kxk[0-3]|scale|skip|add|act|se)$/;
  for (const n of g.nodes) {
    assert.ok(n.tag, `${n.name} has no tag`);
    assert.ok([1, 2, 3].includes(n.tag.block), `${n.name} block ${n.tag.block}`);
    assert.match(n.tag.branch, allowed);
  }
  const count = (block: number, branch: string, op: string) =>
    g.nodes.filter((n) => n.tag?.block === block && n.tag.branch === branch && n.opType === op)
      .length;
  for (const block of [1, 2, 3]) {
    for (const k of [0, 1, 2, 3]) {
      assert.equal(count(block, `kxk${k}`, "Conv"), 1);
      assert.equal(count(block, `kxk${k}`, "BatchNormalization"), 1);
    }
    assert.equal(count(block, "scale", "Conv"), block < 3 ? 1 : 0);
    assert.equal(count(block, "skip", "BatchNormalization"), block === 3 ? 1 : 0);
    assert.equal(count(block, "skip", "Conv"), 0);
    assert.equal(count(block, "add", "Add"), 4);
    assert.equal(count(block, "se", "GlobalAveragePool"), 1);
    assert.equal(count(block, "act", "Erf"), 1);
  }
});

Deno.test("buildMultiBranchStem() sets conv attributes from the README's RepStem table", () => {
  const g = build(spec({ width: 8 }));
  const attrs = (name: string) => g.nodes.find((n) => n.name === name)?.attributes;
  assert.deepEqual(attrs("block1.kxk0.conv"), {
    kernel_shape: { type: "ints", value: [3, 3] },
    strides: { type: "ints", value: [2, 2] },
    pads: { type: "ints", value: [1, 1, 1, 1] },
    group: { type: "int", value: 1 },
  });
  assert.deepEqual(attrs("block2.kxk0.conv")?.group, { type: "int", value: 8 });
  assert.deepEqual(attrs("block2.scale.conv")?.pads, { type: "ints", value: [0, 0, 0, 0] });
  assert.deepEqual(attrs("block2.scale.conv")?.strides, { type: "ints", value: [2, 2] });
  assert.deepEqual(attrs("block3.kxk0.conv")?.kernel_shape, { type: "ints", value: [1, 1] });
  assert.deepEqual(attrs("block3.skip.bn")?.epsilon, { type: "float", value: 1e-5 });
  // branch convs have no bias input
  for (const n of g.nodes.filter((n) => n.opType === "Conv")) assert.equal(n.inputs.length, 2);
});

Deno.test("buildMultiBranchStem() builds well-formed graphs", () => {
  for (
    const o of [{}, { branches: 4 }, { se: true }, { activation: "none" as const }, {
      scaleBranch: false,
      activation: "relu" as const,
    }]
  ) {
    const g = build(spec(o));
    assertWellFormed(g);
    assert.deepEqual(g.inputs, [{ name: "input", shape: [2, 3, 32, 32] }]);
    assert.deepEqual(g.outputs, [{ name: "output", shape: [2, 8, 8, 8] }]);
    assert.equal(g.opset, 17);
  }
});

Deno.test("stemOutputShape() is [N, C, R/4, R/4] rounded up for odd R", () => {
  assert.deepEqual(stemOutputShape(spec({ width: 64 }), { batchSize: 3, resolution: 224 }), [
    3,
    64,
    56,
    56,
  ]);
  // 225 -> floor(224 / 2) + 1 = 113 -> floor(112 / 2) + 1 = 57 -> 57
  assert.deepEqual(stemOutputShape(spec({ width: 64 }), { batchSize: 1, resolution: 225 }), [
    1,
    64,
    57,
    57,
  ]);
});

Deno.test("buildMultiBranchStem() rejects bad geometry and weights that do not fit", () => {
  const s = spec();
  const w = randomStemWeights(s, 1);
  assert.throws(() => buildMultiBranchStem(s, w, { batchSize: 0, resolution: 32 }), RangeError);
  assert.throws(() => buildMultiBranchStem(s, w, { batchSize: 1, resolution: 2.5 }), RangeError);
  assert.throws(() => buildMultiBranchStem(spec({ branches: 2 }), w, geo), TypeError);
  assert.throws(() => buildMultiBranchStem(spec({ se: true }), w, geo), TypeError);
  assert.throws(() => buildMultiBranchStem(spec({ scaleBranch: false }), w, geo), TypeError);
  assert.throws(() => buildMultiBranchStem(s, w.slice(0, 2), geo), TypeError);
  assert.throws(() => buildMultiBranchStem(spec({ branches: 0 }), w, geo), RangeError);
});
