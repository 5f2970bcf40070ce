/**
 * The case loop: scenario -> cases -> both graphs from the case's source (a generated stem or a
 * user's model, see `src/source/`) -> counts -> onnxruntime runs -> statistics -> one result per
 * case. Everything after the source is one pipeline that does not know which source it has.
 * Errors are kept per case; the run goes on.
 *
 * @module
 */
import type { Graph } from "./onnx/ir.ts";
import { encodeModel } from "./onnx/encode.ts";
import type { Scenario } from "./scenario/schema.ts";
import { type Case, type CaseConfig, expandScenario } from "./scenario/expand.ts";
import { buildIdentityGraph } from "./stem/identity.ts";
import { randomInput } from "./stem/weights.ts";
import { compareOutputs, countCase, type CountedCase, describe } from "./case.ts";
import type { CaseGraphs, CaseSource } from "./source/source.ts";
import { scenarioSource } from "./source/mod.ts";
import { quantizedOf, quantizedSource } from "./source/quantized.ts";
import { ortCalibrator } from "./runner/calibrate_run.ts";
import { blockErrors, type Int8FormMeasured, int8Result, outputStep } from "./int8_case.ts";
import { loadScenarioModels, type ScenarioModel } from "./source/scenario_models.ts";
import { noiseFloorEquivalence } from "./runner/verify.ts";
import {
  createSession,
  latencyIncludes,
  PROVIDER_NAMES,
  providerStatus,
  type Session,
} from "./runner/ort.ts";
import { measureInterleaved } from "./runner/measure.ts";
import { auditOptimizer, measureRoofs, profileModel } from "./runner/profile_run.ts";
import { placeInHierarchy } from "./profile/roofline.ts";
import { summarize } from "./stats/summarize.ts";
import { compareMedians } from "./stats/compare.ts";
import {
  type CaseEvent,
  type CaseResult,
  type CompletedCase,
  type Context,
  type CrossProvider,
  type FormResult,
  type ProfileRow,
  type Results,
  RESULTS_SCHEMA_VERSION,
  type Roofs,
  roofsKey,
} from "./results/schema.ts";

/** What a running bench reports as it goes. */
export type BenchEvent = CaseEvent<CaseResult>;

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
  /**
   * The scenario's models as read by `loadScenarioModels` (index for index); when absent they
   * are read here, relative to `context.scenario.path`.
   */
  readonly models?: readonly ScenarioModel[];
}

/** Shared state of a run: a scratch folder and the roofs measured so far (per provider and threads). */
interface RunState {
  readonly workDir: string;
  readonly roofs: Map<string, Roofs>;
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
    // Each block and the whole form against the roof of the smallest measured level holding its
    // working set (inputs, weights, outputs = bytes.minimum); see placeInHierarchy.
    roofline: {
      total: placeInHierarchy(form.flops.total, form.bytes.minimum, roofs, totalMs),
      blocks: form.blocks.map((b) => ({
        block: b.block,
        ...placeInHierarchy(
          b.flops.total,
          b.bytes.minimum,
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
  graphs: CaseGraphs,
  input: Float32Array,
  gpu: { multiBranch: Float32Array; reparameterized: Float32Array },
  tolerance: number,
): Promise<CrossProvider> {
  let maxAbsError = 0;
  for (const name of ["multiBranch", "reparameterized"] as const) {
    const cpu = await createSession(encodeModel(graphs[name]), {
      device: "cpu",
      threads: 1,
      optimizationLevel: "all",
    });
    try {
      const out = await cpu.run(input, graphs.inputShape);
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
  built: CountedCase,
  scenario: Scenario,
  state: RunState,
): Promise<CompletedCase> {
  const { config } = c;
  const { graphs } = built;
  const provider = providerOf(config);
  const options = { ...sessionBase(config, scenario), optimizationLevel: config.optimizationLevel };
  const input = randomInput(graphs.inputShape.reduce((a, b) => a * b, 1), scenario.seed);
  const sessions: Session[] = [];
  try {
    const open = async (g: Graph) => {
      const s = await createSession(encodeModel(g), options);
      sessions.push(s);
      return s;
    };
    const mb = await open(graphs.multiBranch);
    const rp = await open(graphs.reparameterized);
    // An int8 case: the forms above are the QDQ models; the fp32 forms are timed beside them
    const q = quantizedOf(graphs);
    const fp32 = q
      ? {
        multiBranch: await open(q.fp32.multiBranch),
        reparameterized: await open(q.fp32.reparameterized),
      }
      : undefined;
    // The very first call of each session (allocation, kernel choice, shader compiles) is the
    // equivalence run, so it is timed here and reported as firstRunMs.
    const firstRun = async (s: Session) => {
      const start = performance.now();
      const out = await s.run(input, graphs.inputShape);
      return { out, ms: performance.now() - start };
    };
    const [first, firstRp] = [await firstRun(mb), await firstRun(rp)];
    const [outMb, outRp] = [first.out, firstRp.out];
    const firstRunMs = { multiBranch: first.ms, reparameterized: firstRp.ms };
    // An int8 case's equivalence is the fusion proof of its fp32 forms (the int8 error is apart)
    const fp32Out = fp32
      ? {
        multiBranch: (await fp32.multiBranch.run(input, graphs.inputShape)).data,
        reparameterized: (await fp32.reparameterized.run(input, graphs.inputShape)).data,
      }
      : undefined;
    const proofGraphs = q ? q.fp32 : graphs;
    const equivalence = proofGraphs.equivalence?.method === "noise-floor"
      ? await noiseFloorEquivalence(proofGraphs, input, proofGraphs.equivalence.taps)
      : fp32Out
      ? compareOutputs(fp32Out.multiBranch, fp32Out.reparameterized, scenario.tolerance.maxAbsError)
      : compareOutputs(outMb.data, outRp.data, scenario.tolerance.maxAbsError);
    const crossProvider = provider === "cpu" ? undefined : await crossProviderCheck(
      graphs,
      input,
      { multiBranch: outMb.data, reparameterized: outRp.data },
      // an int8 output may round one step the other way on another provider
      Math.max(scenario.tolerance.crossProviderMaxAbsError, q ? 1.5 * outputStep(q) : 0),
    );
    // The binding overhead: an Identity of the output's size, as onnxruntime returned it.
    const outputShape = outMb.dims;
    const overhead = await open(buildIdentityGraph(outputShape));
    const outputSize = outputShape.reduce((a, b) => a * b, 1);
    const m = await measureInterleaved({
      multiBranch: mb.bind(input, graphs.inputShape),
      reparameterized: rp.bind(input, graphs.inputShape),
      overhead: overhead.bind(new Float32Array(outputSize), outputShape),
      ...(fp32
        ? {
          fp32MultiBranch: fp32.multiBranch.bind(input, graphs.inputShape),
          fp32Reparameterized: fp32.reparameterized.bind(input, graphs.inputShape),
        }
        : {}),
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
        graphs[name],
        { ...built.forms[name], latencyMs: latency(name) },
        analyzeInput,
      );
    const forms = {
      multiBranch: await analyze("multiBranch"),
      reparameterized: await analyze("reparameterized"),
    };
    let int8;
    if (q && fp32Out) {
      const fp32Task = { multiBranch: "fp32MultiBranch", reparameterized: "fp32Reparameterized" };
      const measured = (name: "multiBranch" | "reparameterized"): Int8FormMeasured => {
        const t = m[fp32Task[name]];
        const r = compareMedians(t.samplesMs, m[name].samplesMs, { paired: true, seed });
        return {
          output: name === "multiBranch" ? outMb.data : outRp.data,
          fp32LatencyMs: {
            ...summarize(t.samplesMs, { seed }),
            firstRunMs: t.firstRoundMs,
            warmupRuns: t.warmupRuns,
            samplesMs: t.samplesMs,
          },
          speedupOverFp32: { ratio: r.ratio, ci95: r.ci95 },
          ...(forms[name].optimization ? { optimization: forms[name].optimization } : {}),
        };
      };
      int8 = int8Result(
        q,
        scenario,
        provider,
        config.optimizationLevel,
        fp32Out.multiBranch,
        { multiBranch: measured("multiBranch"), reparameterized: measured("reparameterized") },
        await blockErrors(q, input),
      );
    }
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
      forms,
      equivalence: crossProvider ? { ...equivalence, crossProvider } : equivalence,
      speedup: { ratio: speedup.ratio, ci95: speedup.ci95 },
      overheadMs,
      ...(int8 ? { int8 } : {}),
    };
  } finally {
    for (const s of sessions) await s.release();
  }
}

/** Evaluates one case to a result (counts, equivalence, timings, profiles); never throws. */
async function evaluateCase(
  c: Case,
  scenario: Scenario,
  source: CaseSource,
  state: RunState,
  failCase: (id: string) => boolean = () => false,
): Promise<CaseResult> {
  const counted = await countCase(c, scenario, source);
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
 * @param options Progress callbacks, the abort signal, injected failures, the models read.
 * @throws {ScenarioError} When the scenario's models are not given and cannot be read.
 */
export async function runBench(
  scenario: Scenario,
  context: Context,
  options: BenchOptions = {},
): Promise<Results> {
  const models = options.models ??
    (scenario.models ? await loadScenarioModels(scenario, context.scenario.path) : []);
  const cases = expandScenario(scenario, models);
  const source = quantizedSource(
    scenarioSource(scenario, models),
    scenario.quantization,
    ortCalibrator(scenario.quantization, scenario.seed),
  );
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
      const result = await evaluateCase(c, scenario, source, state, options.failCases);
      done.push(result);
      options.onEvent?.({ kind: "case-end", index, total: cases.length, result });
      await options.onResults?.(snapshot());
    }
    return snapshot({ finishedAt: new Date().toISOString() });
  } finally {
    await Deno.remove(state.workDir, { recursive: true }).catch(() => {});
  }
}
