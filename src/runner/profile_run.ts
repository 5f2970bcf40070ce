/**
 * Profiling runs, kept apart from timing runs: onnxruntime's per-node profiler, the graph it
 * executes at each optimization level, and the machine's roofs.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import type { Graph } from "../onnx/ir.ts";
import { encodeModel } from "../onnx/encode.ts";
import { decodeModel } from "../onnx/decode.ts";
import { parseProfileTrace, profileRows } from "../profile/ort_profile.ts";
import { opHistogram } from "../reparam/graph/fuse.ts";
import {
  buildMatMulGraph,
  buildSweepGraph,
  planBandwidthSweep,
  type SweepSize,
} from "../profile/bandwidth_sweep.ts";
import { detectMemoryLevels } from "../profile/memory_levels.ts";
import type { OptimizationAudit, ProfileRow, Roofs, SweepPoint } from "../results/schema.ts";
import { OPTIMIZATION_LEVELS, type OptimizationLevel } from "../scenario/schema.ts";
import { createSession, type SessionOptions } from "./ort.ts";

async function findTrace(prefix: string, reported: string | undefined): Promise<string> {
  if (reported) return reported;
  const dir = dirname(prefix);
  const start = basename(prefix) + "_";
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.startsWith(start) && e.name.endsWith(".json")) return join(dir, e.name);
  }
  throw new Error(`Cannot find onnxruntime's profile written with prefix "${prefix}"`);
}

/**
 * Runs a model with the profiler on and returns per-node rows attributed to the original graph,
 * and the executed graph's histogram.
 *
 * @param runs Profiled runs after one warm-up run (which is dropped from the medians).
 */
export async function profileModel(
  graph: Graph,
  options: SessionOptions,
  input: Float32Array,
  workDir: string,
  tag: string,
  runs = 10,
): Promise<{ rows: ProfileRow[]; executed: Graph }> {
  const prefix = join(workDir, `${tag}_profile`);
  const optimizedPath = join(workDir, `${tag}_optimized.onnx`);
  const session = await createSession(encodeModel(graph), {
    ...options,
    profilePrefix: prefix,
    optimizedModelPath: optimizedPath,
  });
  try {
    const run = session.bind(input, graph.inputs[0].shape);
    for (let i = 0; i <= runs; i++) await run();
    const tracePath = await findTrace(prefix, session.endProfiling());
    const trace = parseProfileTrace(await Deno.readTextFile(tracePath));
    const executed = decodeModel(await Deno.readFile(optimizedPath));
    return { rows: profileRows(trace, executed, graph, 1), executed };
  } finally {
    await session.release();
  }
}

/** What onnxruntime's optimizer makes of a graph at each level (sessions only, nothing run). */
export async function auditOptimizer(
  graph: Graph,
  options: Omit<SessionOptions, "optimizationLevel">,
  workDir: string,
  tag: string,
  levels: readonly OptimizationLevel[] = OPTIMIZATION_LEVELS,
): Promise<Record<string, OptimizationAudit>> {
  const model = encodeModel(graph);
  const nodesBefore = opHistogram(graph);
  const audit: Record<string, OptimizationAudit> = {};
  for (const level of levels) {
    const path = join(workDir, `${tag}_${level}.onnx`);
    const session = await createSession(model, {
      ...options,
      optimizationLevel: level,
      optimizedModelPath: path,
    });
    await session.release();
    audit[level] = { nodesBefore, nodesAfter: opHistogram(decodeModel(await Deno.readFile(path))) };
  }
  return audit;
}

/**
 * Kernel times of a one-node graph's node over `runs` profiled runs (after one dropped warm-up
 * run), microseconds, in run order.
 */
async function kernelTimesUs(
  graph: Graph,
  options: SessionOptions,
  workDir: string,
  tag: string,
  runs: number,
): Promise<number[]> {
  const prefix = join(workDir, `${tag}_profile`);
  const session = await createSession(encodeModel(graph), { ...options, profilePrefix: prefix });
  try {
    const shape = graph.inputs[0].shape;
    const run = session.bind(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape);
    for (let i = 0; i <= runs; i++) await run();
    const tracePath = await findTrace(prefix, session.endProfiling());
    const trace = parseProfileTrace(await Deno.readTextFile(tracePath));
    await Deno.remove(tracePath).catch(() => {});
    const times = [...trace.values()].find((e) => e.durUs.length > 1)?.durUs.slice(1);
    if (!times) throw new Error(`Cannot measure roofs as the profile of "${tag}" has no kernel`);
    return times;
  } finally {
    await session.release();
  }
}

function median(values: readonly number[]): number {
  const s = values.toSorted((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Options of {@linkcode measureRoofs}. */
export interface MeasureRoofsOptions {
  /**
   * Rounds of the bandwidth sweep: each round runs every size once, smallest first, so drift
   * and neighbours hit all sizes alike; each size keeps its best kernel time over all rounds.
   * @default 3
   */
  readonly rounds?: number;
  /**
   * Profiled runs per size and round (after one dropped warm-up run).
   * @default 6
   */
  readonly runs?: number;
  /** The sweep's sizes; default: {@linkcode planBandwidthSweep} (repeated kernels on cpu only). */
  readonly sweep?: readonly SweepSize[];
}

/**
 * Measures the roofs of a provider from kernel times in onnxruntime's profiler (no binding
 * overhead): peak GFLOP/s from a 1024^3 MatMul (best of 8 runs), and one bandwidth roof per
 * level of the memory hierarchy from a sweep of streaming kernels over working sets from 8 KiB
 * to 128 MiB (`detectMemoryLevels`). A few seconds on a CPU.
 *
 * @param options Provider, threads and its options (the optimizer runs at level all).
 * @param workDir Scratch folder for the profiler's traces.
 * @param measure Sweep rounds, runs and sizes.
 * @returns Peak, levels (fastest first), the sweep, and the last level's bandwidth.
 */
export async function measureRoofs(
  options: Omit<SessionOptions, "optimizationLevel">,
  workDir: string,
  measure: MeasureRoofsOptions = {},
): Promise<Roofs> {
  const o = { ...options, optimizationLevel: "all" as const };
  const { rounds = 3, runs = 6 } = measure;
  const matmul = buildMatMulGraph();
  const n = matmul.inputs[0].shape[0];
  const matmulUs = await kernelTimesUs(matmul, o, workDir, "roof_matmul", 8);
  const sizes = measure.sweep ?? planBandwidthSweep({ repeat: options.device === "cpu" });
  const times: number[][] = sizes.map(() => []);
  const roundBests: number[][] = sizes.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, size] of sizes.entries()) {
      const graph = buildSweepGraph(size);
      const us = await kernelTimesUs(graph, o, workDir, `roof_sweep${i}`, runs);
      times[i].push(...us);
      roundBests[i].push(Math.min(...us));
    }
  }
  const sweep: SweepPoint[] = sizes.map((size, i) => {
    const bestUs = Math.max(1, Math.min(...times[i])); // the profiler's resolution is 1 us
    return {
      workingSetBytes: size.workingSetBytes,
      bytes: size.bytes,
      bestUs,
      medianUs: median(times[i]),
      bandwidthGBs: size.bytes / (bestUs * 1e3),
      ...(rounds > 1 ? { noise: 1 - bestUs / median(roundBests[i]) } : {}),
    };
  });
  const levels = detectMemoryLevels(sweep);
  const bestMatmulUs = Math.max(1, Math.min(...matmulUs));
  return {
    peakGflops: (2 * n ** 3) / (bestMatmulUs * 1e3),
    bandwidthGBs: levels.at(-1)?.bandwidthGBs ?? NaN,
    peakNoise: 1 - bestMatmulUs / median(matmulUs),
    levels,
    sweep,
  };
}
