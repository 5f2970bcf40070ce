/**
 * The roofline: the machine's measured roofs and where a node, block or form sits under them.
 *
 * @module
 */
import type { Graph } from "../onnx/ir.ts";
import type { RooflinePoint, Roofs } from "../results/schema.ts";

/**
 * Places work under the roofs.
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

/** Side of the square MatMul that measures peak compute. */
export const MATMUL_SIZE = 1024;

/** Elements of the tensor that measures bandwidth (64 MiB, above most caches). */
export const COPY_ELEMENTS = 16 * 1024 * 1024;

/** A graph computing input[N,N] x W[N,N]: 2 N^3 FLOPs. */
export function buildMatMulGraph(n = MATMUL_SIZE): Graph {
  const w = new Float32Array(n * n).fill(1 / n);
  return {
    name: "roof_matmul",
    opset: 17,
    inputs: [{ name: "input", shape: [n, n] }],
    outputs: [{ name: "output", shape: [n, n] }],
    initializers: [{ name: "w", dims: [n, n], data: w }],
    nodes: [{
      name: "matmul",
      opType: "MatMul",
      inputs: ["input", "w"],
      outputs: ["output"],
      attributes: {},
    }],
  };
}

/** A graph computing input * 1 elementwise: reads and writes every element once. */
export function buildCopyGraph(elements = COPY_ELEMENTS): Graph {
  return {
    name: "roof_copy",
    opset: 17,
    inputs: [{ name: "input", shape: [elements] }],
    outputs: [{ name: "output", shape: [elements] }],
    initializers: [{ name: "one", dims: [], data: new Float32Array([1]) }],
    nodes: [{
      name: "copy",
      opType: "Mul",
      inputs: ["input", "one"],
      outputs: ["output"],
      attributes: {},
    }],
  };
}
