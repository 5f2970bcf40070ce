/** Tests for roofline placement and the roof-measuring graphs. */
import assert from "node:assert/strict";
import {
  isModelError,
  levelFor,
  MIN_TOLERANCE,
  placeInHierarchy,
  placeOnRoofline,
  roofLevels,
} from "../../src/profile/roofline.ts";
import {
  buildCopyGraph,
  buildMatMulGraph,
  buildSweepGraph,
  planBandwidthSweep,
} from "../../src/profile/bandwidth_sweep.ts";
import { inferShapes } from "../../src/onnx/shapes.ts";
import type { MemoryLevel, Roofs } from "../../src/results/schema.ts";

const roofs = { peakGflops: 100, bandwidthGBs: 10 };

Deno.test("placeOnRoofline() is memory bound below the ridge point", () => {
  // ridge at 100 / 10 = 10 FLOP/byte; 1 GFLOP over 1 GB is intensity 1: memory bound, 100 ms
  const p = placeOnRoofline(1e9, 1e9, roofs, 150);
  assert.equal(p.intensity, 1);
  assert.equal(p.boundMs, 100);
  assert.equal(p.overBound, 1.5);
  assert.ok(Math.abs(p.achievedGflops! - 1e9 / 150e6) < 1e-12);
});

Deno.test("placeOnRoofline() is compute bound above the ridge point", () => {
  // 20 GFLOP over 0.1 GB: intensity 200; compute 200 ms, memory 10 ms
  const p = placeOnRoofline(2e10, 1e8, roofs);
  assert.equal(p.boundMs, 200);
  assert.equal(p.measuredMs, undefined);
});

Deno.test("buildMatMulGraph() and buildCopyGraph() have the shapes they claim", () => {
  const mm = buildMatMulGraph(8);
  assert.equal(mm.nodes[0].opType, "MatMul");
  assert.deepEqual(mm.outputs[0].shape, [8, 8]);
  const copy = buildCopyGraph(16);
  assert.deepEqual(inferShapes(copy).get("output"), [16]);
});

const MB = 1e6;

function level(name: string, capacityBytes: number | null, bandwidthGBs: number, noise = 0) {
  return {
    name,
    capacityBytes,
    bandwidthGBs,
    medianGBs: bandwidthGBs,
    sweepBytes: [0, 0] as const,
    noise,
  } satisfies MemoryLevel;
}

/** 100 GFLOP/s; 200 GB/s to 32 kB, 80 GB/s to 1 MB, 40 GB/s to 8 MB, then 20 GB/s. */
const hierarchy: Roofs = {
  peakGflops: 100,
  bandwidthGBs: 20,
  peakNoise: 0.02,
  levels: [
    level("L1", 32e3, 200),
    level("L2", 1 * MB, 80),
    level("L3", 8 * MB, 40, 0.3),
    level("DRAM", null, 20),
  ],
};

Deno.test("levelFor() picks the smallest level holding the working set", () => {
  const levels = roofLevels(hierarchy);
  assert.equal(levelFor(levels, 1e3).name, "L1");
  assert.equal(levelFor(levels, 32e3).name, "L1"); // at capacity still fits
  assert.equal(levelFor(levels, 32e3 + 1).name, "L2");
  assert.equal(levelFor(levels, 3 * MB).name, "L3");
  assert.equal(levelFor(levels, 1e12).name, "DRAM");
  assert.throws(() => levelFor([], 1), RangeError);
});

Deno.test("placeInHierarchy() bounds by the level of the working set, its bytes as traffic", () => {
  // 2 MB working set: L3 at 40 GB/s, 2e6 / 40e9 = 0.05 ms; compute 1e6 / 100e9 = 0.01 ms
  const memory = placeInHierarchy(1e6, 2 * MB, hierarchy, 0.1);
  assert.equal(memory.level, "L3");
  assert.equal(memory.bytes, 2 * MB);
  assert.equal(memory.workingSetBytes, 2 * MB);
  assert.equal(memory.bandwidthGBs, 40);
  assert.equal(memory.boundBy, "bandwidth");
  assert.equal(memory.boundMs, 0.05);
  assert.equal(memory.overBound, 2);
  assert.equal(memory.modelError, false);
  // the same work with a 0.5 MB working set sits in L2: 0.5e6 / 80e9 = 0.00625 ms < compute
  const compute = placeInHierarchy(1e6, 0.5 * MB, hierarchy, 0.02);
  assert.equal(compute.level, "L2");
  assert.equal(compute.boundBy, "compute");
  assert.equal(compute.boundMs, 0.01);
  assert.equal(compute.intensity, 2);
  // unmeasured: no ratio, no flag
  const bare = placeInHierarchy(1e6, 0.5 * MB, hierarchy);
  assert.equal(bare.overBound, undefined);
  assert.equal(bare.modelError, undefined);
});

Deno.test("placeInHierarchy() flags a point faster than its bound beyond the noise", () => {
  // compute bound 0.01 ms; peak noise 2% < MIN_TOLERANCE: tolerance 10%
  const within = placeInHierarchy(1e6, 0.5 * MB, hierarchy, 0.0095);
  assert.equal(within.tolerance, MIN_TOLERANCE);
  assert.equal(within.modelError, false); // 0.95x: within noise
  const beyond = placeInHierarchy(1e6, 0.5 * MB, hierarchy, 0.008);
  assert.equal(beyond.modelError, true); // 0.8x: the model is wrong here
  assert.ok(isModelError(beyond));
  // L3's own noise (30%) widens the tolerance of a point bound by L3's bandwidth
  const l3 = placeInHierarchy(1e6, 2 * MB, hierarchy, 0.04); // 0.8x of 0.05 ms
  assert.equal(l3.tolerance, 0.3);
  assert.equal(l3.modelError, false);
});

Deno.test("roofLevels() and isModelError() read results written before the sweep", () => {
  const old = { peakGflops: 100, bandwidthGBs: 10 };
  const [only] = roofLevels(old);
  assert.equal(only.capacityBytes, null);
  assert.equal(only.bandwidthGBs, 10);
  // an old point carries overBound but no flag
  assert.equal(isModelError(placeOnRoofline(1e9, 1e9, old, 50)), true); // 0.5x
  assert.equal(isModelError(placeOnRoofline(1e9, 1e9, old, 95)), false); // within 10%
  assert.equal(isModelError(placeOnRoofline(1e9, 1e9, old)), false); // unmeasured
});

Deno.test("planBandwidthSweep() doubles working sets and repeats small ones to a traffic target", () => {
  const plan = planBandwidthSweep();
  assert.equal(plan.length, 15); // 8 KiB .. 128 MiB
  for (const [i, s] of plan.entries()) {
    assert.equal(s.workingSetBytes, 3 * 4 * s.elements); // x and two partial sums
    assert.equal(s.bytes, (3 * s.inputs - 4) * 4 * s.elements);
    assert.ok(s.inputs >= 3 && s.inputs <= 256);
    if (i > 0) assert.ok(s.workingSetBytes > plan[i - 1].workingSetBytes);
  }
  assert.equal(plan.at(-1)!.inputs, 3); // past the caches one repeat is plenty
  const copies = planBandwidthSweep({ repeat: false, minBytes: 1024, maxBytes: 4096 });
  assert.deepEqual(copies.map((s) => [s.workingSetBytes, s.inputs, s.bytes]), [
    [1024, 1, 1024],
    [2048, 1, 2048],
    [4096, 1, 4096],
  ]);
});

Deno.test("buildSweepGraph() is a copy for one input, else a Sum of the input repeated", () => {
  assert.equal(buildSweepGraph({ elements: 32, inputs: 1 }).nodes[0].opType, "Mul");
  const sum = buildSweepGraph({ elements: 32, inputs: 5 });
  assert.equal(sum.nodes[0].opType, "Sum");
  assert.deepEqual(sum.nodes[0].inputs, ["input", "input", "input", "input", "input"]);
  assert.deepEqual(inferShapes(sum).get("output"), [32]);
});
