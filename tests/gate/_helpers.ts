/** Hand-made results for the gate tests: real counts (pure stem builders), synthetic samples. */
import { buildCase } from "../../src/case.ts";
import type {
  CaseResult,
  CompletedCase,
  Context,
  FormResult,
  Results,
} from "../../src/results/schema.ts";
import { type CaseConfig, caseId, type StemCaseConfig } from "../../src/scenario/expand.ts";
import { compareMedians } from "../../src/stats/compare.ts";
import { createRandom } from "../../src/stats/random.ts";
import { summarize } from "../../src/stats/summarize.ts";
import { randomStemWeights } from "../../src/stem/weights.ts";

/** A small CPU case config (C = 8, 16x16), overridable. */
export function config(overrides: Partial<StemCaseConfig> = {}): StemCaseConfig {
  return {
    inChannels: 3,
    width: 8,
    resolution: 16,
    batchSize: 1,
    branches: 1,
    activation: "gelu",
    scaleBranch: true,
    se: false,
    device: "cpu",
    threads: 1,
    optimizationLevel: "all",
    ...overrides,
  };
}

/**
 * `n` positive samples around `median` ms: a seeded uniform spread of +-`spread` (relative) with
 * a right tail on every tenth sample, as timings have.
 */
export function samples(median: number, n = 60, seed = 1, spread = 0.05): number[] {
  const random = createRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const x = median * (1 + spread * (2 * random() - 1));
    return i % 10 === 9 ? x * 1.5 : x;
  });
}

/** The counts of both forms of a config, from the real stem builders (no onnxruntime). */
export function countsOf(
  c: StemCaseConfig,
): { multiBranch: FormResult; reparameterized: FormResult } {
  const spec = {
    inChannels: c.inChannels,
    width: c.width,
    branches: c.branches,
    scaleBranch: c.scaleBranch,
    se: c.se,
    activation: c.activation,
  };
  const forms = buildCase(c, randomStemWeights(spec, 0), 32 * 1024 * 1024).forms;
  const optimization = (f: FormResult) => ({ all: { nodesBefore: f.nodes, nodesAfter: f.nodes } });
  return {
    multiBranch: { ...forms.multiBranch, optimization: optimization(forms.multiBranch) },
    reparameterized: {
      ...forms.reparameterized,
      optimization: optimization(forms.reparameterized),
    },
  };
}

function latency(samplesMs: number[]) {
  return { ...summarize(samplesMs, { resamples: 200 }), firstRunMs: 1, warmupRuns: 5, samplesMs };
}

/** Options of {@linkcode completed}. */
export interface CaseOptions {
  /** Samples of the multi-branch form. @default samples(0.14) */
  mb?: number[];
  /** Samples of the reparameterized form. @default samples(0.1, 60, 2) */
  rp?: number[];
  /** Counts come from this config (e.g. with an extra branch) while the id is the case's. */
  countsFrom?: StemCaseConfig;
  /** Max abs error between the forms. @default 5e-6 */
  maxAbsError?: number | null;
}

/** A completed case with real counts, synthetic samples and a paired speedup like bench.ts's. */
export function completed(c: CaseConfig = config(), options: CaseOptions = {}): CompletedCase {
  if (c.model) throw new TypeError("completed() makes stem cases only");
  const mb = options.mb ?? samples(0.14);
  const rp = options.rp ?? samples(0.1, 60, 2);
  const counts = countsOf(options.countsFrom ?? c);
  const speedup = compareMedians(mb, rp, { paired: mb.length === rp.length, resamples: 200 });
  const err = options.maxAbsError === undefined ? 5e-6 : options.maxAbsError;
  return {
    id: caseId(c),
    config: c,
    state: "completed",
    provider: { name: c.device, latencyIncludes: "session.run() with the output copied back" },
    outputShape: [1, c.width, c.resolution / 4, c.resolution / 4],
    forms: {
      multiBranch: { ...counts.multiBranch, latencyMs: latency(mb) },
      reparameterized: { ...counts.reparameterized, latencyMs: latency(rp) },
    },
    equivalence: {
      maxAbsError: err as number,
      maxRelError: (err ?? NaN) / 2,
      tolerance: 1e-4,
      withinTolerance: err !== null && err <= 1e-4,
    },
    speedup: { ratio: speedup.ratio, ci95: speedup.ci95 },
    overheadMs: summarize(samples(0.04, 60, 3), { resamples: 200 }),
  };
}

/** A context on a named CPU, overridable. */
export function context(overrides: Partial<Context> = {}): Context {
  return {
    tool: { name: "repstem-bench", version: "0.1.0" },
    startedAt: "2026-01-01T00:00:00.000Z",
    ortVersion: "1.30.0",
    denoVersion: "2.9.6",
    v8Version: "15.0",
    os: "linux 6.1",
    arch: "x86_64",
    cpu: { model: "Test CPU", cores: 2 },
    scenario: { name: "test", description: "", path: "test.json", hash: "abc", resolved: {} },
    cacheBytes: 32 * 1024 * 1024,
    conventions: {},
    ...overrides,
  };
}

/** A results object of the given cases. */
export function results(cases: CaseResult[], ctx: Partial<Context> = {}): Results {
  return { schemaVersion: 1, context: context(ctx), cases };
}

/** Two cases (B = 1 and B = 2) with distinct samples: the usual baseline. */
export function baselineResults(): Results {
  return results([
    completed(config()),
    completed(config({ branches: 2 }), { mb: samples(0.16, 60, 4), rp: samples(0.11, 60, 5) }),
  ]);
}

/** A copy of results with every latency sample of every completed case multiplied by `factor`. */
export function scaleTimes(r: Results, factor: number): Results {
  return {
    ...r,
    cases: r.cases.map((c) => {
      if (c.state !== "completed") return c;
      const mb = c.forms.multiBranch.latencyMs!.samplesMs.map((x) => x * factor);
      const rp = c.forms.reparameterized.latencyMs!.samplesMs.map((x) => x * factor);
      return { ...completed(c.config, { mb, rp }), speedup: c.speedup };
    }),
  };
}
