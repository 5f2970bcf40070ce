/** Tests for calibrate.ts: min/max and percentile ranges on known data, graph taps, inputs. */
import assert from "node:assert/strict";
import {
  calibrateRanges,
  calibrationInputs,
  calibrationTensors,
  createRangeCollector,
  minMaxRange,
  percentileRange,
  withIntermediateOutputs,
} from "../../src/quantize/calibrate.ts";
import type { Graph } from "../../src/onnx/ir.ts";
import { randomInput } from "../../src/stem/weights.ts";

/** 1..n in a shuffled but fixed order (the collectors must not depend on order). */
function oneTo(n: number): Float32Array {
  const x = Float32Array.from({ length: n }, (_, i) => i + 1);
  for (let i = n - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [x[i], x[j]] = [x[j], x[i]];
  }
  return x;
}

Deno.test("minMaxRange() and the minmax collector give the extremes over every run", () => {
  const runs = [new Float32Array([0.5, -2, 1]), new Float32Array([3, 0]), new Float32Array([])];
  assert.deepEqual(minMaxRange(runs), { min: -2, max: 3 });
  const c = createRangeCollector({ method: "minmax" });
  for (const r of runs) c.add(r);
  assert.deepEqual(c.range(), { min: -2, max: 3 });
  assert.equal(c.count, 5);
  assert.throws(() => createRangeCollector({ method: "minmax" }).range(), /has no values/);
  assert.throws(() => minMaxRange([new Float32Array([1, NaN])]), /value 1 of a tensor is NaN/);
});

Deno.test("percentileRange() on 1..10000 cuts exactly the known order statistics", () => {
  const x = oneTo(10000);
  // uint8 (asymmetric): 0.5% from each tail: ranks ceil(0.005 * 10000) = 50, ceil(0.995 * 10000)
  assert.deepEqual(percentileRange([x], 99, "uint8"), { min: 50, max: 9950 });
  // int8 (symmetric): the 99th percentile of |x| is the 9900th value
  assert.deepEqual(percentileRange([x], 99, "int8"), { min: -9900, max: 9900 });
  // the default-like 99.99: rank 9999 of |x|; uint8: ranks 1 (0.005%) and 9999.5 -> 10000
  assert.deepEqual(percentileRange([x], 99.99, "int8"), { min: -9999, max: 9999 });
  assert.deepEqual(percentileRange([x], 99.99, "uint8"), { min: 1, max: 10000 });
  // 100 keeps everything: minmax for uint8, max |x| for int8
  assert.deepEqual(percentileRange([x], 100, "uint8"), { min: 1, max: 10000 });
  // 50: the median of |x| (rank 5000); uint8 keeps the middle half: ranks 2500 and 7500
  assert.deepEqual(percentileRange([x], 50, "int8"), { min: -5000, max: 5000 });
  assert.deepEqual(percentileRange([x], 50, "uint8"), { min: 2500, max: 7500 });
});

Deno.test("percentileRange() symmetric takes |x| of both signs; asymmetric keeps the sign", () => {
  // -10000..-1 and 1..10000: |x| has each value twice, so its 99th percentile is 9900 again
  const x = oneTo(10000);
  const neg = x.map((v) => -v);
  assert.deepEqual(percentileRange([x, neg], 99, "int8"), { min: -9900, max: 9900 });
  // 20000 values, quantiles 0.005 and 0.995 by nearest rank: ranks 100 and 19900 of the sorted
  // -10000..-1, 1..10000, which are -9901 and 9900 (as searchsorted on the cdf picks them)
  assert.deepEqual(percentileRange([neg, x], 99, "uint8"), { min: -9901, max: 9900 });
});

Deno.test("the percentile collector equals one call over all runs and rejects bad input", () => {
  const x = oneTo(10000);
  const c = createRangeCollector({ method: "percentile", percentile: 99, activations: "uint8" });
  for (let i = 0; i < 10; i++) c.add(x.subarray(i * 1000, (i + 1) * 1000));
  x.fill(0); // the collector kept copies
  assert.deepEqual(c.range(), { min: 50, max: 9950 });
  for (const p of [0, -1, 100.5, NaN]) {
    assert.throws(
      () => createRangeCollector({ method: "percentile", percentile: p }),
      new RegExp(`'percentile' must be in \\(0, 100\\]: current value is ${p}`),
    );
  }
  assert.throws(() => percentileRange([], 99, "int8"), /has no values/);
});

Deno.test("the percentile range of a uniform distribution cuts what the percentile says", () => {
  // 100001 values evenly on [-1, 1]: the 99th percentile of |x| is 0.99 to within one spacing
  const n = 100001;
  const x = Float32Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1));
  const sym = percentileRange([x], 99, "int8");
  assert.ok(Math.abs(sym.max - 0.99) <= 2 / (n - 1), String(sym.max));
  const asym = percentileRange([x], 98, "uint8"); // 1% per tail: [-0.98, 0.98]
  assert.ok(Math.abs(asym.min + 0.98) <= 2 / (n - 1) && Math.abs(asym.max - 0.98) <= 2 / (n - 1));
});

const chain: Graph = {
  name: "chain",
  opset: 17,
  inputs: [{ name: "x", shape: [1, 1, 4, 4] }],
  outputs: [{ name: "z", shape: [1, 1, 4, 4] }],
  initializers: [
    { name: "w1", dims: [1, 1, 1, 1], data: new Float32Array([2]) },
    { name: "w2", dims: [1, 1, 1, 1], data: new Float32Array([3]) },
  ],
  valueInfo: [{ name: "a", shape: [1, 1, 4, 4] }],
  nodes: [
    { name: "c1", opType: "Conv", inputs: ["x", "w1"], outputs: ["a"], attributes: {} },
    { name: "r", opType: "Relu", inputs: ["a"], outputs: ["b"], attributes: {} },
    { name: "c2", opType: "Conv", inputs: ["b", "w2"], outputs: ["z"], attributes: {} },
  ],
};

Deno.test("calibrationTensors() names each Conv's data input and output once, in order", () => {
  assert.deepEqual(calibrationTensors(chain), ["x", "a", "b", "z"]);
});

Deno.test("withIntermediateOutputs() adds the named tensors as outputs, once", () => {
  const g = withIntermediateOutputs(chain, calibrationTensors(chain));
  assert.deepEqual(g.outputs, [
    { name: "z", shape: [1, 1, 4, 4] },
    { name: "a", shape: [1, 1, 4, 4] }, // its declared type
    { name: "b", shape: [], unranked: true },
  ]);
  assert.deepEqual(g.nodes, chain.nodes);
  assert.equal(chain.outputs.length, 1, "the original is untouched");
  assert.throws(
    () => withIntermediateOutputs(chain, ["nope"]),
    /Cannot expose tensor "nope" as an output as no node of graph "chain" writes it/,
  );
});

Deno.test("calibrationInputs() are seeded, uniform in [-1, 1) and not the evaluation input", () => {
  const a = calibrationInputs(256, 7, 3);
  const b = calibrationInputs(256, 7, 3);
  assert.deepEqual(a, b);
  const evaluation = randomInput(256, 7);
  for (const x of a) {
    assert.notDeepEqual(x, evaluation);
    assert.ok(x.every((v) => v >= -1 && v < 1));
  }
  assert.notDeepEqual(a[0], a[1]);
  assert.notDeepEqual(calibrationInputs(256, 8, 1)[0], a[0]);
  assert.throws(
    () => calibrationInputs(256, 7, 0),
    /'calibrationSamples' must be a positive integer: current value is 0/,
  );
});

Deno.test("calibrateRanges() collects every tensor over every run, the input from itself", async () => {
  const runs: Float32Array[] = [];
  const run = (x: Float32Array) => {
    runs.push(x);
    return Promise.resolve({ a: { data: x.map((v) => v * 10) }, z: { data: x.map((v) => -v) } });
  };
  const inputs = [new Float32Array([0.5, -1]), new Float32Array([3, 0])];
  const ranges = await calibrateRanges(["x", "a", "z"], "x", inputs, run, { method: "minmax" });
  assert.equal(runs.length, 2);
  assert.deepEqual(Object.fromEntries(ranges), {
    x: { min: -1, max: 3 },
    a: { min: -10, max: 30 },
    z: { min: -3, max: 1 },
  });
  const p = await calibrateRanges(["a"], "x", inputs, run, {
    method: "percentile",
    percentile: 50,
    activations: "int8",
  });
  assert.deepEqual(p.get("a"), { min: -5, max: 5 }); // |a| = 0 5 10 30: rank 2
  await assert.rejects(
    () => calibrateRanges(["b"], "x", inputs, run, { method: "minmax" }),
    /Cannot calibrate tensor "b" as the run gave no value/,
  );
  await assert.rejects(
    () => calibrateRanges(["a"], "x", [], run, { method: "minmax" }),
    /'calibrationSamples' must be a positive integer: current value is 0/,
  );
});
