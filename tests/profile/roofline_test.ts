/** Tests for roofline placement and the roof-measuring graphs. */
import assert from "node:assert/strict";
import { buildCopyGraph, buildMatMulGraph, placeOnRoofline } from "../../src/profile/roofline.ts";
import { inferShapes } from "../../src/onnx/shapes.ts";

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
