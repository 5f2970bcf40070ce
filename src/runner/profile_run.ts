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
import { buildCopyGraph, buildMatMulGraph } from "../profile/roofline.ts";
import type { OptimizationAudit, ProfileRow, Roofs } from "../results/schema.ts";
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

async function bestKernelUs(
  graph: Graph,
  options: SessionOptions,
  workDir: string,
  tag: string,
): Promise<number> {
  const elements = graph.inputs[0].shape.reduce((a, b) => a * b, 1);
  const input = new Float32Array(elements).fill(0.5);
  const { rows } = await profileModel(graph, options, input, workDir, tag, 5);
  const kernel = rows.find((r) => r.opType === "MatMul" || r.opType === "Mul");
  if (!kernel) throw new Error(`Cannot measure roofs as the profile of "${tag}" has no kernel row`);
  return kernel.medianUs;
}

/**
 * Measures the roofs of a provider: peak GFLOP/s from a 1024^3 MatMul and bandwidth from a
 * 64 MiB elementwise copy, both from the kernel's own time in the profiler (no binding overhead).
 */
export async function measureRoofs(
  options: Omit<SessionOptions, "optimizationLevel">,
  workDir: string,
): Promise<Roofs> {
  const o = { ...options, optimizationLevel: "all" as const };
  const matmul = buildMatMulGraph();
  const n = matmul.inputs[0].shape[0];
  const matmulUs = await bestKernelUs(matmul, o, workDir, "roof_matmul");
  const copy = buildCopyGraph();
  const copyUs = await bestKernelUs(copy, o, workDir, "roof_copy");
  const bytes = copy.inputs[0].shape[0] * 4 * 2;
  return { peakGflops: (2 * n ** 3) / (matmulUs * 1e3), bandwidthGBs: bytes / (copyUs * 1e3) };
}
