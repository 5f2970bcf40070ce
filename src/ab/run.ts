/**
 * The in-process A/B run: for every model case of a scenario, both forms of both sides built
 * (each side's models fused by the harness), checked equivalent per side, and timed together in
 * one interleaved measurement ({@linkcode measureSides}). Loads onnxruntime. Errors are kept per
 * case; the run goes on.
 *
 * @module
 */
import { encodeModel } from "../onnx/encode.ts";
import type { Graph } from "../onnx/ir.ts";
import type { Scenario } from "../scenario/schema.ts";
import { type Case, type CaseConfig, expandScenario } from "../scenario/expand.ts";
import { RESULTS_SCHEMA_VERSION } from "../results/schema.ts";
import type { Context, Equivalence } from "../results/schema.ts";
import { inferShapesPartial } from "../onnx/shapes.ts";
import { randomInput } from "../stem/weights.ts";
import { modelSource } from "../source/model.ts";
import type { CaseGraphs } from "../source/source.ts";
import { createSession, providerStatus, type Session } from "../runner/ort.ts";
import { verifyFusion } from "../runner/verify.ts";
import { measureSides, type PerSideForm, SIDE_NAMES, type SideName } from "./interleave.ts";
import { AB_KIND, type AbCaseResult, type AbResults } from "./results.ts";
import type { SideModels } from "./side_models.ts";

/** What a running A/B comparison reports as it goes. */
export type AbEvent =
  | {
    /** A case is about to run. */
    readonly kind: "case-start";
    /** The case's 0-based position. */
    readonly index: number;
    /** Number of cases. */
    readonly total: number;
    /** The case's id. */
    readonly id: string;
  }
  | {
    /** A case has its result. */
    readonly kind: "case-end";
    /** The case's 0-based position. */
    readonly index: number;
    /** Number of cases. */
    readonly total: number;
    /** The case's result. */
    readonly result: AbCaseResult;
  };

/** Options of {@linkcode runAb}. */
export interface AbOptions {
  /** Called before and after each case. */
  readonly onEvent?: (event: AbEvent) => void;
  /** Called with the results so far after every case (to save them as they grow). */
  readonly onResults?: (results: AbResults) => Promise<void> | void;
  /** Stops between cases when aborted; the results so far come back marked interrupted. */
  readonly signal?: AbortSignal;
}

/**
 * The model cases of a scenario, which must be the same on both sides.
 *
 * @param scenario The parsed scenario.
 * @param sides Both sides' models.
 * @returns The candidate's model cases, in the scenario's order (stem cases left out: the sides
 *   differ only in model files).
 * @throws {RangeError} When the sides' cases differ (a model's declared input shape differs).
 */
export function abCases(
  scenario: Scenario,
  sides: { readonly [S in SideName]: SideModels },
): Case[] {
  const [base, cand] = SIDE_NAMES.map((s) =>
    expandScenario(scenario, sides[s].models).filter((c) => c.config.model)
  );
  const ids = (cs: Case[]) => cs.map((c) => c.id).join(", ");
  if (ids(base) !== ids(cand)) {
    throw new RangeError(
      `Cannot compare "${sides.baseline.record.spec}" with "${sides.candidate.record.spec}" as ` +
        `their cases differ: baseline ${ids(base)}; candidate ${ids(cand)}`,
    );
  }
  return cand;
}

/** What the sides' graphs must share: input shape, output names and inferred shapes. */
function signature(g: CaseGraphs): string {
  const shapes = inferShapesPartial(g.multiBranch).shapes;
  const outputs = g.multiBranch.outputs.map((o) => `${o.name}[${shapes.get(o.name) ?? "?"}]`);
  return `input [${g.inputShape}], outputs ${outputs.join(", ")}`;
}

async function equivalence(g: CaseGraphs, input: Float32Array): Promise<Equivalence> {
  const taps = g.equivalence?.taps ?? [];
  const v = await verifyFusion(g.multiBranch, g.reparameterized, input, g.inputShape, { taps });
  const scale = v.error.normwise > 0 ? v.error.maxAbs / v.error.normwise : 1;
  const finite = (x: number) => (Number.isFinite(x) ? x : 0);
  return {
    maxAbsError: v.error.maxAbs,
    maxRelError: v.error.normwise,
    tolerance: finite(v.tolerance * scale),
    withinTolerance: v.equal,
    method: "noise-floor",
    floor: { maxAbs: v.floor.maxAbs, normwise: v.floor.normwise },
    floorMultiple: v.multiple,
    relTolerance: finite(v.tolerance),
  };
}

async function runCase(
  c: Case,
  scenario: Scenario,
  sources: { readonly [S in SideName]: ReturnType<typeof modelSource> },
): Promise<AbCaseResult> {
  const graphs = {
    baseline: await sources.baseline.build(c.config),
    candidate: await sources.candidate.build(c.config),
  };
  const [sigBase, sigCand] = [signature(graphs.baseline), signature(graphs.candidate)];
  if (sigBase !== sigCand) {
    throw new TypeError(
      `Cannot compare case "${c.id}" as the sides' models differ: baseline ${sigBase}; ` +
        `candidate ${sigCand}`,
    );
  }
  const status = providerStatus(c.config.device);
  if (!status.available) throw new Error(`Cannot run case "${c.id}": ${status.reason}`);
  const { inputShape } = graphs.candidate;
  const input = randomInput(inputShape.reduce((a, b) => a * b, 1), scenario.seed);
  const eq = {
    baseline: await equivalence(graphs.baseline, input),
    candidate: await equivalence(graphs.candidate, input),
  };
  const options = {
    device: c.config.device,
    threads: c.config.threads,
    webgpu: scenario.webgpu,
    optimizationLevel: c.config.optimizationLevel,
  };
  const sessions: Session[] = [];
  try {
    const open = async (g: Graph) => {
      const s = await createSession(encodeModel(g), options);
      sessions.push(s);
      // The session's very first call (allocation, kernel choice), timed apart as firstRunMs
      const start = performance.now();
      await s.run(input, inputShape);
      return { run: s.bind(input, inputShape), firstMs: performance.now() - start };
    };
    const opened = {
      baseline: {
        multiBranch: await open(graphs.baseline.multiBranch),
        reparameterized: await open(graphs.baseline.reparameterized),
      },
      candidate: {
        multiBranch: await open(graphs.candidate.multiBranch),
        reparameterized: await open(graphs.candidate.reparameterized),
      },
    };
    const each = <T>(
      f: (o: { run: () => Promise<void>; firstMs: number }) => T,
    ): PerSideForm<T> => ({
      baseline: {
        multiBranch: f(opened.baseline.multiBranch),
        reparameterized: f(opened.baseline.reparameterized),
      },
      candidate: {
        multiBranch: f(opened.candidate.multiBranch),
        reparameterized: f(opened.candidate.reparameterized),
      },
    });
    const m = await measureSides(each((o) => o.run), {
      warmup: scenario.warmup,
      sampling: scenario.sampling,
      seed: scenario.seed,
      firstRunMs: each((o) => o.firstMs),
    });
    return {
      id: c.id,
      config: c.config,
      state: "completed",
      ...(graphs.baseline.model ? { baselineModel: graphs.baseline.model } : {}),
      forms: m.forms,
      speedup: m.speedup,
      equivalence: eq,
    };
  } finally {
    for (const s of sessions) await s.release();
  }
}

/**
 * Runs every model case of a scenario on both sides and returns the A/B results; never throws
 * for a failing case (it is kept as errored).
 *
 * @param scenario The parsed scenario (with `models`).
 * @param context The run's context, as bench collects it.
 * @param sides Both sides' models (see `loadSideModels`).
 * @param options Progress callback, saving callback, abort signal.
 * @returns The results; `context.interrupted` when aborted.
 * @throws {RangeError} When the sides' cases differ.
 */
export async function runAb(
  scenario: Scenario,
  context: Context,
  sides: { readonly [S in SideName]: SideModels },
  options: AbOptions = {},
): Promise<AbResults> {
  const cases = abCases(scenario, sides);
  const sources = {
    baseline: modelSource(sides.baseline.models),
    candidate: modelSource(sides.candidate.models),
  };
  const done: AbCaseResult[] = [];
  const snapshot = (extra: Partial<Context> = {}): AbResults => ({
    schemaVersion: RESULTS_SCHEMA_VERSION,
    kind: AB_KIND,
    context: { ...context, ...extra },
    sides: { baseline: sides.baseline.record, candidate: sides.candidate.record },
    cases: [...done],
  });
  for (const [index, c] of cases.entries()) {
    if (options.signal?.aborted) {
      return snapshot({ finishedAt: new Date().toISOString(), interrupted: true });
    }
    options.onEvent?.({ kind: "case-start", index, total: cases.length, id: c.id });
    const result = await runCase(c, scenario, sources).catch((error): AbCaseResult => ({
      id: c.id,
      config: c.config as CaseConfig,
      state: "errored",
      error: error instanceof Error ? error.message : String(error),
    }));
    done.push(result);
    options.onEvent?.({ kind: "case-end", index, total: cases.length, result });
    await options.onResults?.(snapshot());
  }
  return snapshot({ finishedAt: new Date().toISOString() });
}
