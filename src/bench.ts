/**
 * The case loop: scenario -> cases -> both stem graphs -> counts -> onnxruntime runs ->
 * statistics -> one result per case. Errors are kept per case; the run goes on.
 *
 * @module
 */
import type { Graph } from "./onnx/ir.ts";
import { encodeModel } from "./onnx/encode.ts";
import type { Scenario } from "./scenario/schema.ts";
import { type Case, type CaseConfig, expandScenario } from "./scenario/expand.ts";
import { buildIdentityGraph } from "./stem/identity.ts";
import { randomInput, type StemWeights } from "./stem/weights.ts";
import { type BuiltCase, compareOutputs, countCase, describe, weightsCache } from "./case.ts";
import {
  createSession,
  latencyIncludes,
  PROVIDER_NAMES,
  providerStatus,
  type Session,
} from "./runner/ort.ts";
import { measureInterleaved } from "./runner/measure.ts";
import { auditOptimizer, measureRoofs, profileModel } from "./runner/profile_run.ts";
import type { ProfileRow } from "./profile/ort_profile.ts";
import { placeOnRoofline, type Roofs } from "./profile/roofline.ts";
import { summarize } from "./stats/summarize.ts";
import { compareMedians } from "./stats/compare.ts";
import type {
  CaseResult,
  CompletedCase,
  Context,
  CrossProvider,
  FormResult,
  Results,
} from "./results/schema.ts";
import { RESULTS_SCHEMA_VERSION } from "./results/schema.ts";

/** What a running bench reports as it goes. */
export type BenchEvent =
  | {
    readonly kind: "case-start";
    readonly index: number;
    readonly total: number;
    readonly id: string;
  }
  | {
    readonly kind: "case-end";
    readonly index: number;
    readonly total: number;
    readonly result: CaseResult;
  };

/** Options of {@linkcode runBench}. */
export interface BenchOptions {
  /** Called before and after each case. */
  readonly onEvent?: (event: BenchEvent) => void;
  /** Called with the results so far after every case (to save them as they grow). */
  readonly onResults?: (results: Results) => Promise<void> | void;
  /** Stops between cases when aborted; the results so far are returned, marked interrupted. */
  readonly signal?: AbortSignal;
  /**
   * Cases (by id) to fail on purpose after their counts are computed, as a failing onnxruntime
   * run would: how the end-to-end tests plant an errored case on every machine alike.
   */
  readonly failCases?: (id: string) => boolean;
}

/** Shared state of a run: a scratch folder and the roofs measured so far (per provider and threads). */
export interface RunState {
  readonly workDir: string;
  readonly roofs: Map<string, Roofs>;
}

/** Key of a roofs entry in `context.roofline`. */
export function roofsKey(config: CaseConfig): string {
  return `${config.device}/t${config.threads}`;
}

async function roofsFor(
  config: CaseConfig,
  scenario: Scenario,
  state: RunState,
): Promise<Roofs> {
  const key = roofsKey(config);
  let roofs = state.roofs.get(key);
  if (!roofs) {
    roofs = await measureRoofs(sessionBase(config, scenario), state.workDir);
    state.roofs.set(key, roofs);
  }
  return roofs;
}

/** What {@linkcode analyzeForm} needs besides the form. */
interface AnalyzeInput {
  readonly config: CaseConfig;
  readonly scenario: Scenario;
  readonly input: Float32Array;
  readonly state: RunState;
  /** Median binding overhead of the case, ms. */
  readonly overheadMs: number;
}

function sessionBase(config: CaseConfig, scenario: Scenario) {
  return { device: config.device, threads: config.threads, webgpu: scenario.webgpu };
}

/** Profile, optimizer audit and roofline of one form. */
async function analyzeForm(
  name: string,
  graph: Graph,
  form: FormResult,
  { config, scenario, input, state, overheadMs }: AnalyzeInput,
): Promise<FormResult> {
  const base = sessionBase(config, scenario);
  const optimization = await auditOptimizer(graph, base, state.workDir, name);
  if (!scenario.profile) return { ...form, optimization };
  const medianMs = form.latencyMs?.median ?? NaN;
  // Enough profiled runs for a stable median per node: about half a second, 10 to 50 runs.
  const runs = Math.max(10, Math.min(50, Math.ceil(500 / medianMs) || 10));
  const { rows } = await profileModel(
    graph,
    { ...base, optimizationLevel: config.optimizationLevel },
    input,
    state.workDir,
    name,
    runs,
  );
  const expected = PROVIDER_NAMES[providerOf(config)];
  const fallbackNodes = rows.filter((r) => r.provider !== expected).map((r) => r.node);
  const sumMs = (rs: readonly ProfileRow[]) => rs.reduce((a, r) => a + r.medianUs, 0) / 1000;
  const totalMs = sumMs(rows);
  const kernelMs = medianMs - overheadMs;
  const profile = {
    rows,
    runs,
    totalMs,
    coverage: kernelMs > 0 ? totalMs / kernelMs : NaN,
    fallbackNodes,
  };
  if (!scenario.roofline) return { ...form, optimization, profile };
  const roofs = await roofsFor(config, scenario, state);
  return {
    ...form,
    optimization,
    profile,
    roofline: {
      total: placeOnRoofline(form.flops.total, form.bytes.cached, roofs, totalMs),
      blocks: form.blocks.map((b) => ({
        block: b.block,
        ...placeOnRoofline(
          b.flops.total,
          b.bytes.cached,
          roofs,
          sumMs(rows.filter((r) => r.block === b.block)),
        ),
      })),
    },
  };
}

/** The provider a case's device resolves to here (`gpu` becomes cuda or webgpu). */
function providerOf(config: CaseConfig): string {
  const status = providerStatus(config.device);
  return status.available ? status.provider : config.device;
}

/** Runs both forms on the CPU provider: the reference for a GPU provider's outputs. */
async function crossProviderCheck(
  built: BuiltCase,
  input: Float32Array,
  gpu: { multiBranch: Float32Array; reparameterized: Float32Array },
  tolerance: number,
): Promise<CrossProvider> {
  let maxAbsError = 0;
  for (const name of ["multiBranch", "reparameterized"] as const) {
    const cpu = await createSession(encodeModel(built.graphs[name]), {
      device: "cpu",
      threads: 1,
      optimizationLevel: "all",
    });
    try {
      const out = await cpu.run(input, built.inputShape);
      const e = compareOutputs(out.data, gpu[name], tolerance).maxAbsError;
      maxAbsError = Number.isNaN(e) || e > maxAbsError ? e : maxAbsError;
    } finally {
      await cpu.release();
    }
  }
  return { reference: "cpu", maxAbsError, tolerance, withinTolerance: maxAbsError <= tolerance };
}

async function runCase(
  c: Case,
  built: BuiltCase,
  scenario: Scenario,
  state: RunState,
): Promise<CompletedCase> {
  const { config } = c;
  const provider = providerOf(config);
  const options = { ...sessionBase(config, scenario), optimizationLevel: config.optimizationLevel };
  const input = randomInput(built.inputShape.reduce((a, b) => a * b, 1), scenario.seed);
  const sessions: Session[] = [];
  try {
    const open = async (g: Graph) => {
      const s = await createSession(encodeModel(g), options);
      sessions.push(s);
      return s;
    };
    const mb = await open(built.graphs.multiBranch);
    const rp = await open(built.graphs.reparameterized);
    const overhead = await open(buildIdentityGraph(built.outputShape));
    // The very first call of each session (allocation, kernel choice, shader compiles) is the
    // equivalence run, so it is timed here and reported as firstRunMs.
    const firstRun = async (s: Session) => {
      const start = performance.now();
      const out = await s.run(input, built.inputShape);
      return { out, ms: performance.now() - start };
    };
    const [first, firstRp] = [await firstRun(mb), await firstRun(rp)];
    const [outMb, outRp] = [first.out, firstRp.out];
    const firstRunMs = { multiBranch: first.ms, reparameterized: firstRp.ms };
    const equivalence = compareOutputs(outMb.data, outRp.data, scenario.tolerance.maxAbsError);
    const crossProvider = provider === "cpu" ? undefined : await crossProviderCheck(
      built,
      input,
      { multiBranch: outMb.data, reparameterized: outRp.data },
      scenario.tolerance.crossProviderMaxAbsError,
    );
    const outputSize = built.outputShape.reduce((a, b) => a * b, 1);
    const m = await measureInterleaved({
      multiBranch: mb.bind(input, built.inputShape),
      reparameterized: rp.bind(input, built.inputShape),
      overhead: overhead.bind(new Float32Array(outputSize), built.outputShape),
    }, { warmup: scenario.warmup, sampling: scenario.sampling });
    const seed = scenario.seed;
    const latency = (name: "multiBranch" | "reparameterized") => ({
      ...summarize(m[name].samplesMs, { seed }),
      firstRunMs: firstRunMs[name],
      warmupRuns: m[name].warmupRuns,
      samplesMs: m[name].samplesMs,
    });
    const speedup = compareMedians(m.multiBranch.samplesMs, m.reparameterized.samplesMs, {
      paired: true,
      seed,
    });
    for (const s of sessions.splice(0)) await s.release(); // profiling needs its own sessions
    const overheadMs = summarize(m.overhead.samplesMs, { seed });
    const analyzeInput = { config, scenario, input, state, overheadMs: overheadMs.median };
    const analyze = (name: "multiBranch" | "reparameterized") =>
      analyzeForm(
        `${c.id}.${name}`,
        built.graphs[name],
        { ...built.forms[name], latencyMs: latency(name) },
        analyzeInput,
      );
    return {
      id: c.id,
      config,
      state: "completed",
      provider: {
        name: provider,
        ...(provider === "webgpu" ? { options: scenario.webgpu } : {}),
        latencyIncludes: latencyIncludes(provider),
      },
      outputShape: outMb.dims,
      forms: {
        multiBranch: await analyze("multiBranch"),
        reparameterized: await analyze("reparameterized"),
      },
      equivalence: crossProvider ? { ...equivalence, crossProvider } : equivalence,
      speedup: { ratio: speedup.ratio, ci95: speedup.ci95 },
      overheadMs,
    };
  } finally {
    for (const s of sessions) await s.release();
  }
}

/** Evaluates one case to a result (counts, equivalence, timings, profiles); never throws. */
export async function evaluateCase(
  c: Case,
  scenario: Scenario,
  weightsFor: (config: CaseConfig) => StemWeights,
  state: RunState,
  failCase: (id: string) => boolean = () => false,
): Promise<CaseResult> {
  const counted = countCase(c, scenario, weightsFor);
  if (!counted.built) return counted.result;
  const { built } = counted;
  const status = providerStatus(c.config.device);
  if (!status.available) {
    return {
      id: c.id,
      config: c.config,
      state: "skipped",
      reason: status.reason,
      forms: built.forms,
    };
  }
  try {
    if (failCase(c.id)) throw new Error(`Cannot run case "${c.id}" as a failure was injected`);
    return await runCase(c, built, scenario, state);
  } catch (error) {
    return {
      id: c.id,
      config: c.config,
      state: "errored",
      error: describe(error),
      forms: built.forms,
    };
  }
}

/**
 * Runs every case of a scenario and returns the results; never throws for a failing case.
 *
 * @param scenario The parsed scenario.
 * @param context The run's context (see runner/context.ts).
 */
export async function runBench(
  scenario: Scenario,
  context: Context,
  options: BenchOptions = {},
): Promise<Results> {
  const cases = expandScenario(scenario);
  const weightsFor = weightsCache(scenario.seed);
  const done: CaseResult[] = [];
  const state: RunState = {
    workDir: await Deno.makeTempDir({ prefix: "repstem-" }),
    roofs: new Map(),
  };
  const snapshot = (extra: Partial<Context> = {}): Results => ({
    schemaVersion: RESULTS_SCHEMA_VERSION,
    context: { ...context, roofline: Object.fromEntries(state.roofs), ...extra },
    cases: [...done],
  });
  try {
    for (const [index, c] of cases.entries()) {
      if (options.signal?.aborted) {
        return snapshot({ finishedAt: new Date().toISOString(), interrupted: true });
      }
      options.onEvent?.({ kind: "case-start", index, total: cases.length, id: c.id });
      const result = await evaluateCase(c, scenario, weightsFor, state, options.failCases);
      done.push(result);
      options.onEvent?.({ kind: "case-end", index, total: cases.length, result });
      await options.onResults?.(snapshot());
    }
    return snapshot({ finishedAt: new Date().toISOString() });
  } finally {
    await Deno.remove(state.workDir, { recursive: true }).catch(() => {});
  }
}
