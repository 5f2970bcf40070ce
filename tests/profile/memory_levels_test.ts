/** Tests for the plateau and knee detection of a bandwidth sweep (synthetic sweeps only). */
import assert from "node:assert/strict";
import { detectMemoryLevels, formatBytes } from "../../src/profile/memory_levels.ts";
import type { SweepPoint } from "../../src/results/schema.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Working sets doubling from 8 KiB to 128 MiB (15 sizes), as the default sweep. */
const SIZES = Array.from({ length: 15 }, (_, i) => 8 * KiB * 2 ** i);

/** A sweep whose bandwidth at each size is `bandwidth(ws)`, the median `spread` slower. */
function sweep(bandwidth: (ws: number, i: number) => number, spread = 0): SweepPoint[] {
  return SIZES.map((ws, i) => {
    const bandwidthGBs = bandwidth(ws, i);
    const bytes = 16 * MiB;
    const bestUs = bytes / (bandwidthGBs * 1e3);
    return { workingSetBytes: ws, bytes, bestUs, medianUs: bestUs * (1 + spread), bandwidthGBs };
  });
}

/** A staircase: 200 GB/s to 32 KiB, 100 to 1 MiB, 50 to 16 MiB, then 20. */
const stairs = (ws: number) => ws <= 32 * KiB ? 200 : ws <= MiB ? 100 : ws <= 16 * MiB ? 50 : 20;

/** A deterministic pseudo-random factor in [1 - a, 1 + a] (no test depends on the clock). */
function jitter(i: number, a: number): number {
  const x = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return 1 + a * (2 * (x - Math.floor(x)) - 1);
}

Deno.test("detectMemoryLevels() finds L1, L2, L3 and DRAM on clean steps", () => {
  const levels = detectMemoryLevels(sweep(stairs, 0.05));
  assert.deepEqual(levels.map((l) => l.name), ["L1", "L2", "L3", "DRAM"]);
  assert.deepEqual(levels.map((l) => l.bandwidthGBs), [200, 100, 50, 20]);
  // knees at the geometric middle of the sizes either side of each step
  assert.deepEqual(levels.map((l) => l.capacityBytes), [
    Math.sqrt(32 * KiB * 64 * KiB),
    Math.sqrt(MiB * 2 * MiB),
    Math.sqrt(16 * MiB * 32 * MiB),
    null,
  ]);
  assert.deepEqual(levels[3].sweepBytes, [32 * MiB, 128 * MiB]);
  // median 5% slower than best: noise 1 - 1/1.05
  assert.ok(Math.abs(levels[0].noise - (1 - 1 / 1.05)) < 1e-12);
});

Deno.test("detectMemoryLevels() finds the same knees through 10% noise and names levels by size when not four", () => {
  const noisy = detectMemoryLevels(sweep((ws, i) => stairs(ws) * jitter(i, 0.1)));
  assert.equal(noisy.length, 4);
  // each knee within one sweep step of the true one
  const truth = [48 * KiB, 1.5 * MiB, 24 * MiB];
  noisy.slice(0, 3).forEach((l, i) => {
    assert.ok(l.capacityBytes! > truth[i] / 2 && l.capacityBytes! < truth[i] * 2, l.name);
  });
  // roofs are upper bounds: each at least every bandwidth measured on its plateau or beyond
  for (const l of noisy) assert.ok(l.bandwidthGBs >= l.medianGBs);
  // two steps only (as onnxruntime's kernels show on a machine whose L1 they cannot resolve)
  const two = detectMemoryLevels(
    sweep((ws, i) => (ws <= MiB ? 80 : ws <= 8 * MiB ? 42 : 25) * jitter(i, 0.08)),
  );
  assert.deepEqual(two.map((l) => l.name), [
    `<= ${formatBytes(Math.sqrt(MiB * 2 * MiB))}`,
    `<= ${formatBytes(Math.sqrt(8 * MiB * 16 * MiB))}`,
    "DRAM",
  ]);
});

Deno.test("detectMemoryLevels() finds no knee on a flat sweep and ignores a kernel's fixed cost", () => {
  const flat = detectMemoryLevels(sweep((_, i) => 30 * jitter(i, 0.1)));
  assert.equal(flat.length, 1);
  assert.equal(flat[0].capacityBytes, null);
  assert.equal(flat[0].name, "no knee (8 KiB to 128 MiB)");
  // the smallest sizes run slower (fixed cost per kernel), which is not a level: lifted
  const rising = detectMemoryLevels(sweep((ws) => (ws < 64 * KiB ? 20 + ws / KiB : 80)));
  assert.equal(rising.length, 1);
  assert.equal(rising[0].bandwidthGBs, 80);
  assert.deepEqual(detectMemoryLevels([]), []);
});

Deno.test("detectMemoryLevels() does not split a single-size dip into a level", () => {
  // one slow size in the middle of a plateau: a transition or a neighbour, not a cache
  const dip = detectMemoryLevels(sweep((ws, i) => (i === 7 ? 30 : ws <= 16 * MiB ? 80 : 25)));
  assert.deepEqual(dip.map((l) => l.bandwidthGBs), [80, 25]);
  assert.equal(dip[1].name, "DRAM");
});

Deno.test("formatBytes() writes short sizes", () => {
  assert.equal(formatBytes(48 * KiB), "48 KiB");
  assert.equal(formatBytes(1.4142 * MiB), "1.4 MiB");
  assert.equal(formatBytes(22.63 * MiB), "22.6 MiB");
});
