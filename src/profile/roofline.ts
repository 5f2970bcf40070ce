/**
 * The roofline: the machine's measured roofs (peak compute, and one bandwidth roof per level of
 * the memory hierarchy, see memory_levels.ts) and where a block or form sits under them, with the
 * check that flags a point faster than its bound as a model error.
 *
 * @module
 */
import type { MemoryLevel, RooflinePoint, Roofs } from "../results/schema.ts";
import { COPY_ELEMENTS } from "./bandwidth_sweep.ts";

/**
 * Places work under one bandwidth roof (`roofs.bandwidthGBs`), whatever its working set: the
 * single-roof model of results written before the per-level roofs. See
 * {@linkcode placeInHierarchy} for the cache-aware placement.
 *
 * @example
 * ```ts
 * import { placeOnRoofline } from "./roofline.ts";
 * const p = placeOnRoofline(2e9, 1e9, { peakGflops: 100, bandwidthGBs: 10 }, 200);
 * // memory bound: 1e9 B / 10 GB/s = 100 ms; compute 2e9 / 100 GFLOP/s = 20 ms
 * if (p.boundMs !== 100 || p.overBound !== 2) throw new Error();
 * ```
 */
export function placeOnRoofline(
  flops: number,
  bytes: number,
  roofs: Roofs,
  measuredMs?: number,
): RooflinePoint {
  const computeMs = flops / (roofs.peakGflops * 1e6);
  const memoryMs = bytes / (roofs.bandwidthGBs * 1e6);
  const boundMs = Math.max(computeMs, memoryMs);
  const point = { flops, bytes, intensity: bytes > 0 ? flops / bytes : 0, boundMs };
  if (measuredMs === undefined || !(measuredMs > 0)) return point;
  return {
    ...point,
    measuredMs,
    overBound: boundMs > 0 ? measuredMs / boundMs : 0,
    achievedGflops: flops / (measuredMs * 1e6),
  };
}

/**
 * Least relative noise allowed below a bound before a point counts as a model error: profile
 * medians of one run move by about this much between runs on a shared machine.
 */
export const MIN_TOLERANCE = 0.1;

/** How the roofline is measured and placed, in words, as results and reports carry them. */
export const ROOFLINE_CONVENTIONS: Readonly<Record<string, string>> = Object.freeze({
  roofs: "Measured on the machine, per provider and threads, from kernel times in onnxruntime's " +
    "profiler: peak GFLOP/s from a 1024^3 MatMul (best of 8 runs); one bandwidth roof per level " +
    "of the memory hierarchy from a sweep of streaming kernels (on cpu a Sum of one tensor " +
    "repeated, elsewhere a copy) over working sets from 8 KiB to 128 MiB, 3 interleaved rounds, " +
    "best time per size. The curve is made non-increasing from the right, then cut into " +
    "plateaus at least 25% apart: each plateau is a level (roof = its best bandwidth; noise = " +
    "median over its sizes of 1 - best / the median round's best), each knee an effective " +
    "cache size (geometric middle of the sizes either side).",
  rooflinePlacement: "Each block and each form's total is placed against the roof of the " +
    "smallest measured level that holds its working set (inputs, weights and outputs: " +
    "bytes.minimum), with that working set as its traffic; bound = max(FLOPs / peak, working " +
    "set / that level's bandwidth). The machine-independent traffic counts (naive, minimum, " +
    "cached at cacheBytes) serve the counts gate; the roofline uses the levels measured here.",
  rooflineModelError: "A point whose measured time is below its bound by more than the " +
    "noise (overBound < 1 - tolerance, tolerance = max(10%, the binding roof's noise: its " +
    "level's, or the MatMul's 1 - best/median)) is flagged modelError: the model, not the " +
    "kernel, is wrong there.",
});

/**
 * The levels of a provider's roofs, fastest first: the measured ones, or for results written
 * before the sweep one level, `DRAM (64 MiB copy)`, holding every working set.
 *
 * @param roofs Measured roofs.
 * @returns At least one level; the last one has capacity null.
 */
export function roofLevels(roofs: Roofs): readonly MemoryLevel[] {
  if (roofs.levels && roofs.levels.length > 0) return roofs.levels;
  return [{
    name: "DRAM (64 MiB copy)",
    capacityBytes: null,
    bandwidthGBs: roofs.bandwidthGBs,
    medianGBs: roofs.bandwidthGBs,
    sweepBytes: [2 * 4 * COPY_ELEMENTS, 2 * 4 * COPY_ELEMENTS],
    noise: 0,
  }];
}

/**
 * The smallest level that holds a working set: the first whose capacity is at least its size,
 * else the last (unbounded) one.
 *
 * @param levels Levels fastest first, as {@linkcode roofLevels} returns them.
 * @param workingSetBytes Inputs, weights and outputs of the work, bytes.
 * @throws {RangeError} When there is no level.
 */
export function levelFor(levels: readonly MemoryLevel[], workingSetBytes: number): MemoryLevel {
  const level =
    levels.find((l) => l.capacityBytes === null || workingSetBytes <= l.capacityBytes) ??
      levels.at(-1);
  if (!level) throw new RangeError("Cannot place work on a roofline as it has no level");
  return level;
}

/**
 * Places work against the roof of the smallest measured level that holds its working set
 * (inputs, weights and outputs), with that working set as its traffic: every byte of it crosses
 * from that level at least once, whatever onnxruntime fuses, so the bound (the slower of compute
 * and that level's bandwidth) is a time no execution can beat. A measured time below the bound by
 * more than the noise (the larger of {@linkcode MIN_TOLERANCE} and the binding roof's own noise)
 * is flagged `modelError`.
 *
 * @param flops FLOPs of the work.
 * @param workingSetBytes Its working set, bytes (the counts' `bytes.minimum`).
 * @param roofs The provider's measured roofs (older ones without levels have a single roof).
 * @param measuredMs Measured kernel time, ms; without it (or at 0) the point has no measurement.
 * @returns The point, with its level, bound, and when measured its ratio and flag.
 *
 * @example
 * ```ts
 * import { placeInHierarchy } from "./roofline.ts";
 * const level = (name: string, capacityBytes: number | null, bandwidthGBs: number) =>
 *   ({ name, capacityBytes, bandwidthGBs, medianGBs: bandwidthGBs, sweepBytes: [0, 0] as const, noise: 0 });
 * const roofs = { peakGflops: 100, bandwidthGBs: 20, levels: [level("L2", 1e6, 80), level("DRAM", null, 20)] };
 * // 4 MB does not fit L2: DRAM, 4e6 B / 20 GB/s = 0.2 ms; compute 1e6 / 100 GFLOP/s = 0.01 ms
 * const p = placeInHierarchy(1e6, 4e6, roofs, 0.1);
 * if (p.level !== "DRAM" || p.boundMs !== 0.2 || p.boundBy !== "bandwidth") throw new Error();
 * if (p.modelError !== true) throw new Error(); // twice as fast as the bound: the model is wrong
 * ```
 */
export function placeInHierarchy(
  flops: number,
  workingSetBytes: number,
  roofs: Roofs,
  measuredMs?: number,
): RooflinePoint {
  const level = levelFor(roofLevels(roofs), workingSetBytes);
  const computeMs = flops / (roofs.peakGflops * 1e6);
  const memoryMs = workingSetBytes / (level.bandwidthGBs * 1e6);
  const boundBy = computeMs >= memoryMs ? "compute" as const : "bandwidth" as const;
  const point = {
    flops,
    bytes: workingSetBytes,
    intensity: workingSetBytes > 0 ? flops / workingSetBytes : 0,
    boundMs: Math.max(computeMs, memoryMs),
    workingSetBytes,
    level: level.name,
    bandwidthGBs: level.bandwidthGBs,
    boundBy,
  };
  if (measuredMs === undefined || !(measuredMs > 0)) return point;
  const noise = boundBy === "compute" ? roofs.peakNoise ?? 0 : level.noise;
  const tolerance = Math.max(MIN_TOLERANCE, noise);
  const overBound = point.boundMs > 0 ? measuredMs / point.boundMs : 0;
  return {
    ...point,
    measuredMs,
    overBound,
    achievedGflops: flops / (measuredMs * 1e6),
    tolerance,
    modelError: point.boundMs > 0 && overBound < 1 - tolerance,
  };
}

/**
 * Whether a point ran faster than its bound beyond the noise: its `modelError` flag, or for
 * points of older results (no flag) overBound below 1 - {@linkcode MIN_TOLERANCE}.
 *
 * @param point A placed point.
 * @returns True for a model error; false when unmeasured.
 */
export function isModelError(point: RooflinePoint): boolean {
  if (point.modelError !== undefined) return point.modelError;
  const r = point.overBound;
  return r !== undefined && point.boundMs > 0 && r < 1 - MIN_TOLERANCE;
}
