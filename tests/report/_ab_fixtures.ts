/**
 * A/B report test data: an AbResults built by hand, with ratios whose verdicts and percentages
 * are worked out in the tests, an errored case, an equivalence failure and hostile strings.
 */
import type { AbCompletedCase, AbResults, AbSideRecord } from "../../src/ab/results.ts";
import type { Context, LatencyMs } from "../../src/results/schema.ts";
import type { ModelCaseConfig, ModelRef } from "../../src/scenario/expand.ts";

/** The hostile baseline spec: it must show as text. */
export const HOSTILE_SPEC = "models:<script>alert(1)</script>";

/** SHA-256 of the fixture's model file (64 hex digits). */
export const MODEL_SHA = "0123456789abcdef".repeat(4);

const MODEL: ModelRef = { name: "mynet", path: "/models/mynet.onnx", sha256: MODEL_SHA };

/** A latency summary around one median (samples are not read by the report). */
function latency(median: number): LatencyMs {
  return {
    samples: 3,
    median,
    mean: median,
    min: median * 0.9,
    max: median * 1.1,
    p10: median * 0.95,
    p90: median * 1.05,
    p99: median * 1.1,
    stdev: median * 0.05,
    mad: median * 0.02,
    outliers: 0,
    ci95: [median * 0.98, median * 1.02],
    firstRunMs: median * 3,
    warmupRuns: 5,
    samplesMs: [median * 0.9, median, median * 1.1],
  };
}

function config(resolution: number): ModelCaseConfig {
  return {
    model: MODEL,
    inputShape: [1, 3, resolution, resolution],
    inChannels: 3,
    resolution,
    batchSize: 1,
    device: "cpu",
    threads: 1,
    optimizationLevel: "all",
  };
}

const OK = { maxAbsError: 1e-6, maxRelError: 1e-7, tolerance: 1e-4, withinTolerance: true };

/** A completed case: per form the paired ratio and its interval; baseline medians 2 and 1 ms. */
function completedCase(
  resolution: number,
  mb: [number, [number, number]],
  rp: [number, [number, number]],
  candidateEquivalent = true,
): AbCompletedCase {
  const form = ([ratio, ci95]: [number, [number, number]], baselineMs: number) => ({
    baseline: latency(baselineMs),
    candidate: latency(baselineMs * ratio),
    ratio,
    ci95,
  });
  return {
    id: `cpu-all-t1-n1-model-mynet-r${resolution}`,
    config: config(resolution),
    state: "completed",
    baselineModel: MODEL,
    forms: { multiBranch: form(mb, 2), reparameterized: form(rp, 1) },
    speedup: {
      baseline: { ratio: 2, ci95: [1.9, 2.1] },
      candidate: { ratio: (2 * mb[0]) / rp[0], ci95: [2.2, 2.5] },
    },
    equivalence: {
      baseline: OK,
      candidate: candidateEquivalent ? OK : { ...OK, maxAbsError: 3e-3, withinTolerance: false },
    },
  };
}

const CONTEXT: Context = {
  tool: { name: "repstem-bench", version: "0.1.0" },
  startedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:05:00.000Z",
  ortVersion: "1.30.0",
  denoVersion: "2.9.6",
  v8Version: "14.0",
  os: "linux 6.8.0",
  arch: "x86_64",
  cpu: { model: "Test CPU", cores: 2, usableCores: 2 },
  gitCommit: "feedface",
  scenario: {
    name: "<b>ab</b> models",
    description: "two resolutions of mynet",
    path: "scenarios/ab.json",
    hash: "f".repeat(64),
    resolved: {},
  },
  cacheBytes: 32 * 2 ** 20,
  conventions: { abRatio: "median(candidate) / median(baseline), above 1: candidate slower" },
};

const BASELINE: AbSideRecord = {
  spec: HOSTILE_SPEC,
  kind: "models",
  dir: "/tmp/<i>dir</i>",
  models: [MODEL],
  ortVersion: "1.29.0",
  process: "worker",
};

const CANDIDATE: AbSideRecord = {
  spec: "ort:1.30.0",
  kind: "ort",
  models: [MODEL],
  ortVersion: "1.30.0",
  process: "worker",
};

/** The error of the fixture's errored case (with markup that must show as text). */
export const CASE_ERROR = "inputs differ: <b>[1,3,224,224]</b> against [1,3,256,256]";

/**
 * Three cases: r224 (multi-branch ratio 1.12 [1.05, 1.16], slower; reparameterized 0.958
 * [0.94, 0.979], faster), r320 (multi-branch 1.003 [0.99, 1.015], same; reparameterized 0.9
 * [0.85, 0.95], faster; the candidate's forms not equivalent), r256 errored.
 */
export function abFixture(): AbResults {
  return {
    schemaVersion: 1,
    kind: "ab",
    context: CONTEXT,
    sides: { baseline: BASELINE, candidate: CANDIDATE },
    cases: [
      completedCase(224, [1.12, [1.05, 1.16]], [0.958, [0.94, 0.979]]),
      completedCase(320, [1.003, [0.99, 1.015]], [0.9, [0.85, 0.95]], false),
      {
        id: "cpu-all-t1-n1-model-mynet-r256",
        config: config(256),
        state: "errored",
        error: CASE_ERROR,
      },
    ],
  };
}
