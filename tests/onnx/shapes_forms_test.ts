/** Tests for shape rules: opset forms of Split/Squeeze/Reduce/Pad/Resize, other ops, folding. */
import assert from "node:assert/strict";
import { inferShapes, inferShapesPartial, SHAPE_OPS } from "../../src/onnx/shapes.ts";
import { attr, f32, graphOf, int64, op } from "./_graphs.ts";

Deno.test("Split, Unsqueeze, Squeeze, ReduceMean, Pad and Resize read both opset forms", () => {
  const shapes = (nodes: ReturnType<typeof op>[], x: number[], opset: number, t = [] as never[]) =>
    inferShapes(graphOf(nodes, { x }, [], t, opset));
  // Split [1, 10] on axis 1: attribute (11), input (13), num_outputs 3 -> ceil(10/3) = 4, 4, 2 (18)
  let s = shapes(
    [op("Split", ["x"], ["a", "b"], { axis: attr.int(1), split: attr.ints([3, 7]) })],
    [1, 10],
    11,
  );
  assert.deepEqual([s.get("a"), s.get("b")], [[1, 3], [1, 7]]);
  s = inferShapes(
    graphOf([op("Split", ["x", "p"], ["a", "b"], { axis: attr.int(1) })], { x: [1, 10] }, [], [
      int64("p", [3, 7]),
    ], 13),
  );
  assert.deepEqual([s.get("a"), s.get("b")], [[1, 3], [1, 7]]);
  s = shapes(
    [op("Split", ["x"], ["a", "b", "c"], { axis: attr.int(1), num_outputs: attr.int(3) })],
    [1, 10],
    18,
  );
  assert.deepEqual([s.get("a"), s.get("b"), s.get("c")], [[1, 4], [1, 4], [1, 2]]);
  // Unsqueeze [3, 4] at axes [0, -1] of the rank-4 output -> [1, 3, 4, 1]; Squeeze back
  s = shapes(
    [op("Unsqueeze", ["x"], "u", { axes: attr.ints([0, -1]) }), op("Squeeze", ["u"], "q")],
    [3, 4],
    11,
  );
  assert.deepEqual([s.get("u"), s.get("q")], [[1, 3, 4, 1], [3, 4]]);
  s = inferShapes(
    graphOf(
      [op("Unsqueeze", ["x", "ax"], "u"), op("Squeeze", ["u", "ax"], "q")],
      { x: [3, 4] },
      [],
      [int64("ax", [0, -1])],
      13,
    ),
  );
  assert.deepEqual([s.get("u"), s.get("q")], [[1, 3, 4, 1], [3, 4]]);
  // ReduceMean [1, 3, 8, 8] over H, W: attribute (13) -> [1, 3, 1, 1]; input (18) -> [1, 3]
  s = shapes([op("ReduceMean", ["x"], "m", { axes: attr.ints([2, 3]) })], [1, 3, 8, 8], 13);
  assert.deepEqual(s.get("m"), [1, 3, 1, 1]);
  s = inferShapes(
    graphOf(
      [op("ReduceMean", ["x", "ax"], "m", { keepdims: attr.int(0) })],
      { x: [1, 3, 8, 8] },
      [],
      [int64("ax", [-2, -1])],
      18,
    ),
  );
  assert.deepEqual(s.get("m"), [1, 3]);
  // Pad [1, 3, 5, 5] by H 1 + 1, W 2 + 2 -> [1, 3, 7, 9]: attribute (2) and input (11)
  const pads = [0, 0, 1, 2, 0, 0, 1, 2];
  assert.deepEqual(
    shapes([op("Pad", ["x"], "p", { pads: attr.ints(pads) })], [1, 3, 5, 5], 2).get("p"),
    [1, 3, 7, 9],
  );
  s = inferShapes(
    graphOf([op("Pad", ["x", "pp"], "p")], { x: [1, 3, 5, 5] }, [], [int64("pp", pads)], 11),
  );
  assert.deepEqual(s.get("p"), [1, 3, 7, 9]);
  // Resize [1, 3, 8, 8] x2: scales input (13), empty scales + sizes (11), Resize-10, Upsample-9
  const sc = f32("sc", [4], [1, 1, 2, 2]);
  s = inferShapes(graphOf([op("Resize", ["x", "", "sc"], "r")], { x: [1, 3, 8, 8] }, [], [sc], 13));
  assert.deepEqual(s.get("r"), [1, 3, 16, 16]);
  s = inferShapes(
    graphOf([op("Resize", ["x", "roi", "none", "sz"], "r")], { x: [1, 3, 8, 8] }, [], [
      f32("roi", [0]),
      f32("none", [0]),
      int64("sz", [1, 3, 16, 12]),
    ], 11),
  );
  assert.deepEqual(s.get("r"), [1, 3, 16, 12]);
  s = inferShapes(graphOf([op("Resize", ["x", "sc"], "r")], { x: [1, 3, 8, 8] }, [], [sc], 10));
  assert.deepEqual(s.get("r"), [1, 3, 16, 16]);
  s = inferShapes(graphOf([op("Upsample", ["x", "sc"], "r")], { x: [1, 3, 8, 8] }, [], [sc], 9));
  assert.deepEqual(s.get("r"), [1, 3, 16, 16]);
});

Deno.test("the other ops of users' networks infer", () => {
  const x = [1, 8, 4, 4];
  const g = graphOf(
    [
      op("Clip", ["x"], "clip6", { min: attr.float(0), max: attr.float(6) }), // opset 6 form
      op("HardSwish", ["clip6"], "hs"),
      op("GlobalAveragePool", ["hs"], "gap"), // [1, 8, 1, 1]
      op("Transpose", ["x"], "nhwc", { perm: attr.ints([0, 2, 3, 1]) }), // [1, 4, 4, 8]
      op("LayerNormalization", ["nhwc", "g", "b"], ["ln", "mean"], { axis: attr.int(-1) }),
      op("Softmax", ["ln"], "sm", { axis: attr.int(-1) }),
      op("Concat", ["x", "x"], "cat", { axis: attr.int(-3) }), // [1, 16, 4, 4]
      op("AveragePool", ["cat"], "ap", {
        kernel_shape: attr.ints([3, 3]),
        pads: attr.ints([1, 1, 1, 1]),
        strides: attr.ints([2, 2]),
      }), // floor((4 + 2 - 3) / 2) + 1 = 2
      op("ConvTranspose", ["x", "wt"], "up", { strides: attr.ints([2, 2]) }), // 2*(4-1)+2 = 8
      op("DepthToSpace", ["x"], "d2s", { blocksize: attr.int(2) }), // [1, 2, 8, 8]
      op("Cast", ["x"], "half", { to: attr.int(10) }),
      op("Expand", ["gap", "shape4"], "ex"), // [1, 8, 1, 1] to [1, 8, 4, 4]
      op("com.microsoft.FusedGemm", ["x"], "other"),
    ],
    { x },
    [],
    [f32("g", [8]), f32("b", [8]), f32("wt", [8, 4, 2, 2]), int64("shape4", [1, 1, 4, 4])],
    17,
  );
  const r = inferShapesPartial(g);
  const want: Record<string, number[]> = {
    clip6: x,
    hs: x,
    gap: [1, 8, 1, 1],
    nhwc: [1, 4, 4, 8],
    ln: [1, 4, 4, 8],
    mean: [1, 4, 4, 1],
    sm: [1, 4, 4, 8],
    cat: [1, 16, 4, 4],
    ap: [1, 16, 2, 2],
    up: [1, 4, 8, 8],
    d2s: [1, 2, 8, 8],
    half: x,
    ex: [1, 8, 4, 4],
  };
  for (const [name, shape] of Object.entries(want)) {
    assert.deepEqual(r.shapes.get(name), shape, name);
  }
  assert.equal(r.types.get("half"), 10);
  assert.deepEqual(r.unknown.map((u) => u.opType), ["com.microsoft.FusedGemm"]);
  for (const o of ["Conv", "MatMul", "Gemm", "Resize", "Pad", "Slice", "Split", "Cast", "Erf"]) {
    assert.ok(SHAPE_OPS.includes(o), o);
  }
});

Deno.test("Constant, ConstantOfShape, Range, Cast and integer arithmetic fold", () => {
  const g = graphOf(
    [
      op("Shape", ["x"], "s", { start: attr.int(2) }), // opset 15: [4, 6]
      op("Constant", [], "two", { value_int: attr.int(2) }),
      op("Div", ["s", "two"], "half"), // int64: [2, 3]
      op("ConstantOfShape", ["half"], "zeros"), // float [2, 3]
      op("Cast", ["half"], "hf", { to: attr.int(1) }),
      op("Range", ["zero", "n", "one"], "r"), // [0, 1, 2, 3, 4]
      op("Slice", ["s", "zs", "os"], "h"), // [4]
    ],
    { x: [1, 3, 4, 6] },
    [],
    [
      int64("zero", [0], []),
      int64("n", [5], []),
      int64("one", [1], []),
      int64("zs", [0]),
      int64("os", [1]),
    ],
    15,
  );
  const r = inferShapesPartial(g);
  assert.deepEqual(r.unknown, []);
  assert.deepEqual(r.values.get("s"), [4, 6]);
  assert.deepEqual(r.values.get("half"), [2, 3]);
  assert.deepEqual([r.shapes.get("zeros"), r.types.get("zeros")], [[2, 3], 1]);
  assert.deepEqual([r.values.get("hf"), r.types.get("hf")], [[2, 3], 1]);
  assert.deepEqual(r.values.get("r"), [0, 1, 2, 3, 4]);
  assert.deepEqual(r.values.get("h"), [4]);
});
