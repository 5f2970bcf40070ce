/**
 * The graphs that measure the roofs: a large MatMul for peak compute, and the bandwidth sweep's
 * plan and kernels (working sets doubling past the last-level cache, each run by a streaming
 * onnxruntime kernel whose traffic and working set are known exactly) from which
 * `memory_levels.ts` reads the hierarchy.
 *
 * @module
 */
import type { Graph } from "../onnx/ir.ts";

/** Side of the square MatMul that measures peak compute. */
export const MATMUL_SIZE = 1024;

/** Elements of the tensor of {@linkcode buildCopyGraph}'s default (64 MiB, above most caches). */
export const COPY_ELEMENTS = 16 * 1024 * 1024;

/** One size of a bandwidth sweep, as {@linkcode planBandwidthSweep} plans it. */
export interface SweepSize {
  /** Working set of the kernel, bytes. */
  readonly workingSetBytes: number;
  /** Elements of the swept tensor. */
  readonly elements: number;
  /** Inputs of the kernel: 1 for a copy (Mul by 1), 3 or more for a repeated Sum. */
  readonly inputs: number;
  /** Bytes the kernel reads and writes per run. */
  readonly bytes: number;
}

/** Options of {@linkcode planBandwidthSweep}. */
export interface SweepOptions {
  /**
   * Smallest working set, bytes.
   * @default 8 KiB
   */
  readonly minBytes?: number;
  /**
   * Largest working set, bytes: well past the last-level cache of most machines.
   * @default 128 MiB
   */
  readonly maxBytes?: number;
  /**
   * Repeat passes over the working set inside one kernel (a Sum of the same tensor K times) so
   * a small working set still takes long enough to time; false: one copy pass per kernel (for
   * providers whose kernels take few inputs).
   * @default true
   */
  readonly repeat?: boolean;
  /**
   * Traffic a repeated kernel aims at, bytes (about 0.2 ms at 80 GB/s).
   * @default 16 MiB
   */
  readonly targetBytes?: number;
  /**
   * Most inputs of a repeated kernel.
   * @default 256
   */
  readonly maxInputs?: number;
}

/**
 * The sizes of a bandwidth sweep: working sets doubling from `minBytes` to `maxBytes`. A copy
 * (`repeat: false`) reads and writes its tensor once: working set and traffic 2 x its bytes. A
 * repeated kernel is onnxruntime's Sum of one tensor x given K times, which it runs as K - 1
 * passes (x + x, then each partial sum + x into a new buffer): working set 3 x the tensor (x and
 * two partial sums), traffic (3K - 4) x the tensor (the first pass reads x once, every other
 * pass reads two tensors and writes one).
 *
 * @param options Range, repetition, traffic target.
 * @returns The sizes, smallest first.
 *
 * @example
 * ```ts
 * import { planBandwidthSweep } from "./bandwidth_sweep.ts";
 * const [first] = planBandwidthSweep({ minBytes: 12 * 1024, maxBytes: 12 * 1024 });
 * if (first.elements !== 1024 || first.inputs !== 256 || first.bytes !== 764 * 4096) throw new Error();
 * ```
 */
export function planBandwidthSweep(options: SweepOptions = {}): SweepSize[] {
  const {
    minBytes = 8 * 1024,
    maxBytes = 128 * 2 ** 20,
    repeat = true,
    targetBytes = 16 * 2 ** 20,
    maxInputs = 256,
  } = options;
  const sizes: SweepSize[] = [];
  for (let ws = minBytes; ws <= maxBytes; ws *= 2) {
    const share = repeat ? 3 : 2;
    // whole 64-byte lines of float32
    const elements = Math.max(16, Math.floor(ws / share / 4 / 16) * 16);
    const tensor = elements * 4;
    const inputs = repeat
      ? Math.max(3, Math.min(maxInputs, Math.ceil((targetBytes / tensor + 4) / 3)))
      : 1;
    const bytes = repeat ? (3 * inputs - 4) * tensor : 2 * tensor;
    sizes.push({ workingSetBytes: share * tensor, elements, inputs, bytes });
  }
  return sizes;
}

/**
 * The kernel of one sweep size: a copy (input x 1) for one input, else a Sum of the input
 * given `inputs` times.
 *
 * @param size A size from {@linkcode planBandwidthSweep}.
 * @returns A graph with one input and one output of `size.elements` floats.
 */
export function buildSweepGraph(size: Pick<SweepSize, "elements" | "inputs">): Graph {
  if (size.inputs <= 1) return buildCopyGraph(size.elements);
  return {
    name: "roof_sweep",
    opset: 17,
    inputs: [{ name: "input", shape: [size.elements] }],
    outputs: [{ name: "output", shape: [size.elements] }],
    initializers: [],
    nodes: [{
      name: "sweep",
      opType: "Sum",
      inputs: new Array<string>(size.inputs).fill("input"),
      outputs: ["output"],
      attributes: {},
    }],
  };
}

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
