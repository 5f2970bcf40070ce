/** Tests for the shape rules of users' models: hand-computed shapes, opset forms, folding. */
import assert from "node:assert/strict";
import type { Attribute } from "../../src/onnx/ir.ts";
import { inferShapes, inferShapesPartial } from "../../src/onnx/shapes.ts";
import { attr, constant, f32, graphOf, int64, int64Raw, op } from "./_graphs.ts";

const INT64_MAX = 9223372036854775807n;

Deno.test("Reshape takes 0 from the input and infers -1", () => {
  // x [2, 3, 4] = 24 elements
  // [0, -1]: 0 copies 2, -1 = 24 / 2 = 12 -> [2, 12]
  // [0, 2, -1]: 0 copies 2, -1 = 24 / (2 * 2) = 6 -> [2, 2, 6]
  const cases: [number[], number[]][] = [[[0, -1], [2, 12]], [[0, 2, -1], [2, 2, 6]], [[-1], [24]]];
  for (const [target, expected] of cases) {
    const g = graphOf([op("Reshape", ["x", "s"], "y")], { x: [2, 3, 4] }, ["y"], [
      int64("s", target),
    ]);
    assert.deepEqual(inferShapes(g).get("y"), expected, `[${target}]`);
  }
  // a shape stored in raw_data (PyTorch's way) reads the same
  const raw = graphOf([op("Reshape", ["x", "s"], "y")], { x: [2, 3, 4] }, ["y"], [
    int64Raw("s", [6, -1]),
  ]);
  assert.deepEqual(inferShapes(raw).get("y"), [6, 4]);
  // two -1s, or a count that does not divide, are errors
  for (const bad of [[-1, -1], [5, -1]]) {
    const g = graphOf([op("Reshape", ["x", "s"], "y")], { x: [2, 3, 4] }, ["y"], [
      int64("s", bad),
    ]);
    assert.throws(() => inferShapes(g), TypeError, `[${bad}]`);
  }
  // opset 1..4: the target is an attribute
  const old = graphOf(
    [op("Reshape", ["x"], "y", { shape: attr.ints([4, -1]) })],
    {
      x: [2, 3, 4],
    },
    ["y"],
    [],
    4,
  );
  assert.deepEqual(inferShapes(old).get("y"), [4, 6]);
});

Deno.test("Flatten splits the dims at axis (default 1, negative allowed)", () => {
  // x [2, 3, 4, 5]: axis 1 -> [2, 60]; 0 -> [1, 120]; -1 -> [2*3*4, 5] = [24, 5]; 4 -> [120, 1]
  for (
    const [axis, expected] of [[undefined, [2, 60]], [0, [1, 120]], [-1, [24, 5]], [4, [120, 1]]]
  ) {
    const a: Record<string, Attribute> = axis === undefined
      ? {}
      : { axis: attr.int(axis as number) };
    const g = graphOf([op("Flatten", ["x"], "y", a)], { x: [2, 3, 4, 5] }, ["y"]);
    assert.deepEqual(inferShapes(g).get("y"), expected, `axis ${axis}`);
  }
});

Deno.test("Conv auto_pad: SAME_UPPER/SAME_LOWER give ceil(H / s), VALID no padding", () => {
  // x [1, 3, 7, 7], w [8, 3, 3, 3], stride 2
  // SAME_*: ceil(7 / 2) = 4; VALID: floor((7 - 3) / 2) + 1 = 3; NOTSET, no pads: also 3
  const conv = (autoPad?: string) =>
    graphOf(
      [op("Conv", ["x", "w"], "y", {
        strides: attr.ints([2, 2]),
        ...(autoPad ? { auto_pad: attr.string(autoPad) } : {}),
      })],
      { x: [1, 3, 7, 7] },
      ["y"],
      [f32("w", [8, 3, 3, 3])],
    );
  assert.deepEqual(inferShapes(conv("SAME_UPPER")).get("y"), [1, 8, 4, 4]);
  assert.deepEqual(inferShapes(conv("SAME_LOWER")).get("y"), [1, 8, 4, 4]);
  assert.deepEqual(inferShapes(conv("VALID")).get("y"), [1, 8, 3, 3]);
  assert.deepEqual(inferShapes(conv()).get("y"), [1, 8, 3, 3]);
  // a 1-D conv: x [1, 2, 10], w [4, 2, 3], pads [1, 1]: floor((10 + 2 - 3) / 1) + 1 = 10
  const c1 = graphOf(
    [op("Conv", ["x", "w"], "y", { pads: attr.ints([1, 1]) })],
    {
      x: [1, 2, 10],
    },
    ["y"],
    [f32("w", [4, 2, 3])],
  );
  assert.deepEqual(inferShapes(c1).get("y"), [1, 4, 10]);
});

Deno.test("MaxPool ceil_mode rounds up, dropping a window that starts in the end padding", () => {
  const pool = (x: number[], a: Record<string, ReturnType<typeof attr.int>>) =>
    inferShapes(graphOf([op("MaxPool", ["x"], ["y", "i"], a)], { x }, ["y"])).get("y");
  const k3s2 = { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]) };
  // 6x6, k 3, s 2: floor((6 - 3) / 2) + 1 = 2; ceil: ceil(3 / 2) + 1 = 3 ((3-1)*2 = 4 < 6 kept)
  assert.deepEqual(pool([1, 1, 6, 6], k3s2), [1, 1, 2, 2]);
  assert.deepEqual(pool([1, 1, 6, 6], { ...k3s2, ceil_mode: attr.int(1) }), [1, 1, 3, 3]);
  // 5x5, k 2, s 2, pads 1: span 5 + 2 - 2 = 5; floor 5/2 + 1 = 3; ceil 3 + 1 = 4, but the 4th
  // window starts at (4 - 1) * 2 = 6 >= 5 + 1 (in the end padding): dropped -> 3, as PyTorch
  const p1 = {
    kernel_shape: attr.ints([2, 2]),
    strides: attr.ints([2, 2]),
    pads: attr.ints([1, 1, 1, 1]),
  };
  assert.deepEqual(pool([1, 1, 5, 5], { ...p1, ceil_mode: attr.int(1) }), [1, 1, 3, 3]);
  // Indices output: same shape, int64
  const r = inferShapesPartial(
    graphOf([op("MaxPool", ["x"], ["y", "i"], k3s2)], { x: [1, 1, 6, 6] }, ["y"]),
  );
  assert.deepEqual([r.shapes.get("i"), r.types.get("i")], [[1, 1, 2, 2], 7]);
});

Deno.test("Slice reads starts/ends/axes attributes (opset < 10) and inputs (opset >= 10)", () => {
  // x [1, 3, 10, 10], axis 2 from 1 to 1000 (clamped to 10): 9 -> [1, 3, 9, 10]
  const v9 = graphOf(
    [op("Slice", ["x"], "y", {
      starts: attr.ints([1]),
      ends: attr.ints([1000]),
      axes: attr.ints([2]),
    })],
    { x: [1, 3, 10, 10] },
    ["y"],
    [],
    9,
  );
  assert.deepEqual(inferShapes(v9).get("y"), [1, 3, 9, 10]);
  type Ints = (number | bigint)[];
  const v13 = (starts: Ints, ends: Ints, axes: number[], steps?: number[]) =>
    graphOf(
      [op("Slice", ["x", "s", "e", "a", ...(steps ? ["t"] : [])], "y")],
      { x: [1, 3, 10, 10] },
      ["y"],
      [
        int64("s", starts),
        int64("e", ends),
        int64("a", axes),
        ...(steps ? [int64("t", steps)] : []),
      ],
      13,
    );
  assert.deepEqual(inferShapes(v13([1], [1000], [2])).get("y"), [1, 3, 9, 10]);
  // step 2 from 1 to INT64_MAX (clamped to 10): ceil((10 - 1) / 2) = 5
  assert.deepEqual(inferShapes(v13([1], [INT64_MAX], [-2], [2])).get("y"), [1, 3, 5, 10]);
  // reversal: start -1 -> 9, end -INT64_MAX -> clamped to -1, step -1: ceil((-1 - 9) / -1) = 10
  assert.deepEqual(inferShapes(v13([-1], [-INT64_MAX], [3], [-1])).get("y"), [1, 3, 10, 10]);
  // two axes, negative start: axis 1 from -2 -> 1 to 3: 2; axis 3 from 0 to -3 -> 7: 7
  assert.deepEqual(inferShapes(v13([-2, 0], [3, -3], [1, 3])).get("y"), [1, 2, 10, 7]);
});

Deno.test("a PyTorch Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain resolves", () => {
  // x.view(x.size(0), -1) on x [2, 8, 4, 4]: Shape [2, 8, 4, 4]; Gather index 0 -> 2 (a scalar);
  // Unsqueeze axes [0] -> [2]; Concat with [-1] -> [2, -1]; Reshape -> [2, 8 * 4 * 4] = [2, 128]
  for (const opset of [11, 13]) {
    const axes: { inputs: string[]; a: Record<string, Attribute> } = opset >= 13
      ? { inputs: ["n", "axes"], a: {} }
      : { inputs: ["n"], a: { axes: attr.ints([0]) } };
    const g = graphOf(
      [
        op("Shape", ["x"], "s"),
        constant("zero", int64("zero", [0], [])),
        op("Gather", ["s", "zero"], "n", { axis: attr.int(0) }),
        op("Unsqueeze", axes.inputs, "n1", axes.a),
        constant("minus1", int64("minus1", [-1])),
        op("Concat", ["n1", "minus1"], "target", { axis: attr.int(0) }),
        op("Reshape", ["x", "target"], "y"),
      ],
      { x: [2, 8, 4, 4] },
      ["y"],
      opset >= 13 ? [int64("axes", [0])] : [],
      opset,
    );
    const r = inferShapesPartial(g);
    assert.deepEqual(r.unknown, [], `opset ${opset}`);
    assert.deepEqual(r.shapes.get("n"), []);
    assert.deepEqual(r.values.get("target"), [2, -1]);
    assert.equal(r.types.get("target"), 7);
    assert.deepEqual(r.shapes.get("y"), [2, 128], `opset ${opset}`);
  }
});

Deno.test("a dynamic batch dim takes its value from inputShapes, else throws naming it", () => {
  const g = graphOf(
    [op("Conv", ["x", "w"], "c", { pads: attr.ints([1, 1, 1, 1]) }), op("Relu", ["c"], "y")],
    [{ name: "x", shape: [-1, 3, 8, 8], dimNames: ["batch"] }],
    ["y"],
    [f32("w", [4, 3, 3, 3])],
  );
  const shapes = inferShapes(g, { inputShapes: new Map([["x", [4, 3, 8, 8]]]) });
  assert.deepEqual(shapes.get("y"), [4, 4, 8, 8]);
  assert.throws(() => inferShapes(g), (e: Error) => {
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /input "x" has dynamic dimension 0 \("batch"\)/);
    return true;
  });
  // partial: the dependants are listed, with the reason
  const r = inferShapesPartial(g);
  assert.deepEqual(r.unknown.map((u) => u.node), ["c", "y"]);
  assert.match(r.unknown[0].reason, /input "x" has no shape \(graph input "x" has dynamic/);
  // a wrong rank or an unknown name in inputShapes is always an error
  assert.throws(() => inferShapes(g, { inputShapes: new Map([["x", [3, 8, 8]]]) }), TypeError);
  assert.throws(() => inferShapesPartial(g, { inputShapes: new Map([["z", [1]]]) }), TypeError);
});

Deno.test("an unknown op throws, or with partial leaves it and its dependants unknown", () => {
  const g = graphOf(
    [
      op("Relu", ["x"], "a"),
      op("com.example.Foo", ["a"], "b"),
      op("Sigmoid", ["b"], "c"),
      op("Add", ["a", "a"], "d"),
    ],
    { x: [1, 4] },
    ["c", "d"],
  );
  assert.throws(() => inferShapes(g), /op "com.example.Foo" is unknown/);
  const r = inferShapesPartial(g);
  assert.deepEqual(r.unknown.map((u) => [u.index, u.node, u.opType]), [
    [1, "b", "com.example.Foo"],
    [2, "c", "Sigmoid"],
  ]);
  assert.match(r.unknown[0].reason, /has no shape rule/);
  assert.match(r.unknown[1].reason, /input "b" has no shape/);
  assert.deepEqual([r.shapes.get("d"), r.shapes.has("c")], [[1, 4], false]);
  assert.equal(inferShapes(g, { partial: true }).has("c"), false);
  // shapes the model declares stand in for the unknown op: its dependants infer again
  const declared = { ...g, valueInfo: [{ name: "b", shape: [1, 4] }] };
  const d = inferShapesPartial(declared);
  assert.deepEqual(d.unknown.map((u) => u.node), ["b"]);
  assert.match(d.unknown[0].reason, /declared output shapes stand in/);
  assert.deepEqual(d.shapes.get("c"), [1, 4]);
});

Deno.test("Gemm and MatMul follow transA/transB and numpy batch broadcasting", () => {
  // Gemm [1, 512] x [1000, 512]^T + [1000] -> [1, 1000]
  const gemm = graphOf(
    [op("Gemm", ["x", "w", "b"], "y", { transB: attr.int(1) })],
    { x: [1, 512] },
    ["y"],
    [f32("w", [1000, 512]), f32("b", [1000])],
  );
  assert.deepEqual(inferShapes(gemm).get("y"), [1, 1000]);
  const mm = (a: number[], b: number[]) =>
    inferShapes(graphOf([op("MatMul", ["a", "b"], "y")], { a, b }, ["y"])).get("y");
  // batch [2, 1] and [3] broadcast to [2, 3]; [4, 8] x [8, 5] -> [4, 5]
  assert.deepEqual(mm([2, 1, 4, 8], [3, 8, 5]), [2, 3, 4, 5]);
  assert.deepEqual(mm([8], [8, 5]), [5]); // 1-D first operand: the 1 is removed
  assert.deepEqual(mm([2, 4, 8], [8]), [2, 4]); // 1-D second operand
  assert.throws(() => mm([2, 4, 8], [7, 5]), TypeError);
});
