/** Tests for the expression algebra: alignment of sums, group adaptation, conv-of-conv. */
import assert from "node:assert/strict";
import {
  affineLin,
  convLin,
  type ConvParams,
  identityLin,
  type Lin,
  memo,
  type Pair,
} from "../../../src/reparam/graph/linear.ts";
import { sumBlocker, sumLins } from "../../../src/reparam/graph/_align.ts";
import {
  composedGeometry,
  composeLin,
  sequenceExact,
} from "../../../src/reparam/graph/_compose.ts";

function params(
  dims: [number, number, number, number],
  o: {
    pads?: [number, number, number, number];
    stride?: number;
    group?: number;
    dil?: number;
    w?: number[];
  } = {},
): ConvParams {
  const [t, l, b, r] = o.pads ?? [0, 0, 0, 0];
  const n = dims.reduce((a, v) => a * v, 1);
  return {
    weight: Float32Array.from(o.w ?? Array.from({ length: n }, (_, i) => i + 1)),
    dims,
    group: o.group ?? 1,
    stride: [o.stride ?? 1, o.stride ?? 1],
    dilation: [o.dil ?? 1, o.dil ?? 1],
    padBegin: [t, l],
    padEnd: [b, r],
  };
}

const geometry = (l: Lin) => ({
  kernel: l.kernel,
  pads: [...l.padBegin, ...l.padEnd],
  group: l.group,
  stride: l.stride,
});

Deno.test("sumLins() merges 3x3 pad 1 + 1x1 pad 0 into 3x3 pad 1, the 1x1 at the centre", () => {
  const a = convLin("x", params([1, 1, 3, 3], { pads: [1, 1, 1, 1] }), "a");
  const b = convLin("x", params([1, 1, 1, 1], { w: [10] }), "b");
  const s = sumLins(a, b, 1, "add", undefined);
  assert.deepEqual(geometry(s), { kernel: [3, 3], pads: [1, 1, 1, 1], group: 1, stride: [1, 1] });
  assert.deepEqual([...s.weight()], [1, 2, 3, 4, 15, 6, 7, 8, 9]);
  assert.deepEqual(s.sums, ["add"]);
});

Deno.test("sumLins() merges 1x3 pads (0,1) + 3x1 pads (1,0) + 3x3 pad 1 into 3x3 (ACNet)", () => {
  const hor = convLin("x", params([1, 1, 1, 3], { pads: [0, 1, 0, 1], w: [1, 2, 3] }), "h");
  const ver = convLin("x", params([1, 1, 3, 1], { pads: [1, 0, 1, 0], w: [10, 20, 30] }), "v");
  const sq = convLin("x", params([1, 1, 3, 3], { pads: [1, 1, 1, 1], w: Array(9).fill(0) }), "s");
  const s = sumLins(sumLins(hor, ver, 1, "a1", true), sq, 1, "a2", true);
  assert.deepEqual(geometry(s), { kernel: [3, 3], pads: [1, 1, 1, 1], group: 1, stride: [1, 1] });
  assert.deepEqual([...s.weight()], [0, 10, 0, 1, 22, 3, 0, 30, 0]);
});

Deno.test("sumLins() merges dw 7x7 pad 3 + dw 3x3 pad 1 at stride 2 into a grouped 7x7", () => {
  const big = convLin("x", params([4, 1, 7, 7], { pads: [3, 3, 3, 3], stride: 2, group: 2 }), "b");
  const small = convLin(
    "x",
    params([4, 1, 3, 3], { pads: [1, 1, 1, 1], stride: 2, group: 2 }),
    "s",
  );
  const s = sumLins(big, small, -1, "sub", true);
  assert.deepEqual(geometry(s), { kernel: [7, 7], pads: [3, 3, 3, 3], group: 2, stride: [2, 2] });
  // channel 0's centre tap: 7x7 value 25 minus 3x3 centre value 5
  assert.equal(s.weight()[3 * 7 + 3], 25 - 5);
});

Deno.test("sumLins() lets a diagonal map adopt the group of its partner", () => {
  const id = affineLin(identityLin("x", 4), new Float64Array([1, 2, 3, 4]), undefined, "bn");
  const dense = convLin("x", params([4, 2, 1, 1], { group: 2, w: Array(8).fill(0) }), "c");
  const s = sumLins(dense, id, 1, "add", true);
  assert.equal(s.group, 2);
  // [out 4, in/group 2]: channel c's own input sits at c % 2 within its group
  assert.deepEqual([...s.weight()], [1, 0, 0, 2, 3, 0, 0, 4]);
  assert.equal(sumLins(id, id, 1, "twice", true).diag, true);
});

Deno.test("sumBlocker() names what keeps two expressions apart", () => {
  const c = (dims: [number, number, number, number], o: Parameters<typeof params>[1]) =>
    convLin("x", params(dims, o), "n");
  const base = c([2, 2, 3, 3], { pads: [1, 1, 1, 1] });
  assert.equal(
    sumBlocker(base, c([2, 1, 3, 3], { pads: [1, 1, 1, 1], group: 2 }), true),
    "different groups",
  );
  assert.equal(
    sumBlocker(base, c([2, 2, 3, 3], { pads: [1, 1, 1, 1], stride: 2 }), true),
    "different strides",
  );
  assert.equal(sumBlocker(base, { ...base, src: "y" }, true), "different sources");
  const d1 = c([2, 2, 3, 3], { pads: [2, 2, 2, 2], dil: 2 });
  assert.equal(
    sumBlocker(d1, c([2, 2, 3, 3], { pads: [1, 1, 3, 3], dil: 2 }), true),
    "kernels do not align",
  );
  // 3x3 pad 1 and 1x1 pad 0 give H outputs for every H; an unpadded 3x3 gives H - 2
  assert.equal(sumBlocker(base, c([2, 2, 1, 1], {}), undefined), undefined);
  const unpadded = c([2, 2, 3, 3], {});
  assert.equal(sumBlocker(unpadded, c([2, 2, 1, 1], {}), undefined), "different output sizes");
  assert.equal(sumBlocker(unpadded, c([2, 2, 1, 1], {}), false), "different output shapes");
  assert.equal(sumBlocker(base, c([2, 2, 1, 1], {}), true), undefined);
});

Deno.test("composeLin() composes a 1x1 into a 3x3: W[o,i] = sum_m W2[o,m] W1[m,i]", () => {
  const inner = convLin("x", params([2, 2, 1, 1], { w: [1, 2, 3, 4] }), "c1");
  const outer = params([1, 2, 3, 3], {
    pads: [1, 1, 1, 1],
    w: [...Array(9).fill(1), ...Array(9).fill(10)],
  });
  assert.ok(sequenceExact(outer, inner));
  const s = composeLin(outer, inner, "c2");
  assert.deepEqual(geometry(s), { kernel: [3, 3], pads: [1, 1, 1, 1], group: 1, stride: [1, 1] });
  // input 0: 1 * 1 + 10 * 3 = 31; input 1: 1 * 2 + 10 * 4 = 42, at every tap
  assert.deepEqual([...s.weight()], [...Array(9).fill(31), ...Array(9).fill(42)]);
  assert.deepEqual(s.branches.map((b) => b.kind), ["sequence"]);
});

Deno.test("composedGeometry() of 3x3 s2 pad 1 then 3x3 unpadded is 7x7 s2 pad 1", () => {
  const inner = convLin("x", params([1, 1, 3, 3], { pads: [1, 1, 1, 1], stride: 2 }), "c1");
  const geo = composedGeometry(params([1, 1, 3, 3]), inner);
  const expected: { kernel: Pair; padBegin: Pair; padEnd: Pair; stride: Pair } = {
    kernel: [7, 7],
    padBegin: [1, 1],
    padEnd: [1, 1],
    stride: [2, 2],
  };
  assert.deepEqual({
    kernel: geo.kernel,
    padBegin: geo.padBegin,
    padEnd: geo.padEnd,
    stride: geo.stride,
  }, expected);
});

Deno.test("sequenceExact() needs zero inner bias and a 1x1 inner kernel when the outer pads", () => {
  const padded = params([1, 1, 3, 3], { pads: [1, 1, 1, 1] });
  const biased = { ...params([1, 1, 1, 1]), bias: new Float32Array([0.5]) };
  assert.equal(sequenceExact(padded, convLin("x", biased, "c")), false);
  assert.equal(sequenceExact(params([1, 1, 3, 3]), convLin("x", biased, "c")), true);
  assert.equal(
    sequenceExact(padded, convLin("x", params([1, 1, 3, 3], { pads: [1, 1, 1, 1] }), "c")),
    false,
  );
});

Deno.test("memo() computes once", () => {
  let calls = 0;
  const f = memo(() => ++calls);
  assert.equal(f() + f(), 2);
  assert.equal(calls, 1);
});
