/**
 * The in-process A/B run: for every case of a scenario, both forms of both sides built (each by
 * its side's source: this harness, or a ref's export), checked equivalent per side, and timed
 * together in one interleaved measurement ({@linkcode measureSides}). Loads onnxruntime. With an
 * `ort:` side, both sides run in worker processes, one per side and case (see workers.ts); the
 * graphs are still built and checked equivalent in process, with the project's onnxruntime.
 * Errors are kept per case; the run goes on.
 *
 * @module
 */
import { encodeModel } from "../onnx/encode.ts";
import type { Graph } from "../onnx/ir.ts";
import type { Scenario } from "../scenario/schema.ts";
import type { Case, CaseConfig } from "../scenario/expand.ts";
import { RESULTS_SCHEMA_VERSION } from "../results/schema.ts";
import type { Context } from "../results/schema.ts";
import { inferShapesPartial } from "../onnx/shapes.ts";
import { randomInput } from "../stem/weights.ts";
import type { CaseGraphs } from "../source/source.ts";
import type { CaseEvent } from "../results/schema.ts";
import { join } from "node:path";
import {
  createSession,
  ortVersion,
  providerStatus,
  type Session,
  type SessionOptions,
} from "../runner/ort.ts";
import { noiseFloorEquivalence } from "../runner/verify.ts";
import {
  measureSides,
  type PerSideForm,
  poolTrials,
  SIDE_NAMES,
  type SideName,
} from "./interleave.ts";
import { AB_KIND, type AbCaseResult, type AbResults, type AbSideRecord } from "./results.ts";
import { measureInWorkers, type PerSide, projectOrtVersion, workerSpec } from "./workers.ts";
import type { LoadedSide } from "./side.ts";

/** What a running A/B comparison reports as it goes. */
export type AbEvent = CaseEvent<AbCaseResult>;

/** A side's worker process as {@linkcode AbOptions.onWorker} sees it. */
export interface AbWorkerInfo {
  /** `baseline worker (onnxruntime-node 1.29.0)`. */
  readonly label: string;
  /** Its process id. */
  readonly pid: number;
  /** The onnxruntime-node version it loaded. */
  readonly ortVersion: string;
}

/** Options of {@linkcode runAb}. */
export interface AbOptions {
  /** Called before and after each case. */
  readonly onEvent?: (event: AbEvent) => void;
  /** Called with the results so far after every case (to save them as they grow). */
  readonly onResults?: (results: AbResults) => Promise<void> | void;
  /** Stops between cases when aborted; the results so far come back marked interrupted. */
  readonly signal?: AbortSignal;
  /** With workers: called when a side's worker has started (its pid and version). */
  readonly onWorker?: (side: SideName, worker: AbWorkerInfo) => void;
  /**
   * With workers: how many fresh worker pairs time each case, their rounds pooled; the ratio's
   * interval then spans what differs between processes (see poolTrials).
   * @default {DEFAULT_WORKER_TRIALS}
   */
  readonly trials?: number;
  /**
   * With workers: how long one answer may take before the worker is killed, ms.
   * @default {60_000}
   */
  readonly workerTimeoutMs?: number;
}

/** Both sides of a run. */
export type Sides = { readonly [S in SideName]: LoadedSide };

/**
 * Worker pairs per case by default. Two workers of the SAME onnxruntime-node measured 0.89x to
 * 1.05x apart, beyond their within-run intervals (default scenario, a 2-core VM): each process
 * has its own memory placement. Three pairs let the interval see that (README, "A/B").
 */
export const DEFAULT_WORKER_TRIALS = 3;

/** Whether a run needs worker processes: when either side is `ort:VERSION`. */
export function needsWorkers(sides: Sides): boolean {
  return SIDE_NAMES.some((s) => sides[s].ort !== undefined);
}

/**
 * Whether the sides can differ on a generated stem: when a side is a git ref (its code builds
 * the stem) or another onnxruntime runs it. Two model sets build the same stems, so their stem
 * cases are left out.
 */
export function stemsDiffer(sides: Sides): boolean {
  return SIDE_NAMES.some((s) => sides[s].record.kind === "ref" || sides[s].ort !== undefined);
}

/**
 * The cases an A/B run times: every case of the scenario, which must be the same on both sides;
 * the stem cases only when the sides can differ on them ({@linkcode stemsDiffer}).
 *
 * @param sides Both sides, loaded.
 * @returns The candidate's cases, in the scenario's order.
 * @throws {RangeError} When the sides' cases differ (a ref's scenario or a model's declared
 *   input shape differs), or no case is left to compare.
 */
export function abCases(sides: Sides): Case[] {
  const stems = stemsDiffer(sides);
  const [base, cand] = SIDE_NAMES.map((s) => sides[s].cases.filter((c) => stems || c.config.model));
  const ids = (cs: readonly Case[]) => cs.map((c) => c.id);
  const [b, c] = [ids(base), ids(cand)];
  if (b.join("\n") !== c.join("\n")) {
    const only = (xs: string[], ys: string[]) => xs.filter((x) => !ys.includes(x));
    const list = (xs: string[]) => xs.length === 0 ? "none" : xs.join(", ");
    throw new RangeError(
      `Cannot compare "${sides.baseline.record.spec}" with "${sides.candidate.record.spec}" as ` +
        `their scenarios yield different cases: only in baseline ${list(only(b, c))}; only in ` +
        `candidate ${list(only(c, b))}${
          b.length === c.length && only(b, c).length === 0 ? " (same cases, another order)" : ""
        }`,
    );
  }
  if (cand.length === 0) {
    throw new RangeError(
      `Cannot compare "${sides.baseline.record.spec}" with "${sides.candidate.record.spec}" as ` +
        `the scenario has no models and the sides differ only in model files`,
    );
  }
  return [...cand];
}

/** What the sides' graphs must share: input shape, output names and inferred shapes. */
function signature(g: CaseGraphs): string {
  const shapes = inferShapesPartial(g.multiBranch).shapes;
  const outputs = g.multiBranch.outputs.map((o) => `${o.name}[${shapes.get(o.name) ?? "?"}]`);
  return `input [${g.inputShape}], outputs ${outputs.join(", ")}`;
}

/** How a case's sessions run: in this process, or in one worker per side. */
type Runner =
  | { readonly kind: "in process" }
  | {
    readonly kind: "workers";
    /** The onnxruntime-node version each side's worker must load (the project's by default). */
    readonly versions: PerSide<string | undefined>;
    readonly expected: PerSide<string>;
    readonly options: AbOptions;
    /** Fresh worker pairs per case, pooled (see poolTrials). */
    readonly trials: number;
    /** Filled with each side's version as its worker reported it. */
    readonly loaded: { [S in SideName]?: string };
  };

async function runCase(
  c: Case,
  scenario: Scenario,
  sources: { readonly [S in SideName]: LoadedSide["source"] },
  runner: Runner,
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
    baseline: await noiseFloorEquivalence(
      graphs.baseline,
      input,
      graphs.baseline.equivalence?.taps ?? [],
    ),
    candidate: await noiseFloorEquivalence(
      graphs.candidate,
      input,
      graphs.candidate.equivalence?.taps ?? [],
    ),
  };
  const options: SessionOptions = {
    device: c.config.device,
    threads: c.config.threads,
    ...(scenario.webgpu ? { webgpu: scenario.webgpu } : {}),
    optimizationLevel: c.config.optimizationLevel,
  };
  const done = (
    m: Pick<AbCaseResult & { state: "completed" }, "forms" | "speedup"> & { trials?: number },
  ) => ({
    id: c.id,
    config: c.config,
    state: "completed" as const,
    ...(graphs.baseline.model ? { baselineModel: graphs.baseline.model } : {}),
    ...(m.trials !== undefined ? { trials: m.trials } : {}),
    forms: m.forms,
    speedup: m.speedup,
    equivalence: eq,
  });
  if (runner.kind === "workers") {
    const dir = await Deno.makeTempDir({ prefix: "repstem-ab-workers-" });
    try {
      const path = (name: string) => join(dir, name);
      await Deno.writeFile(
        path("input.bin"),
        new Uint8Array(input.buffer, input.byteOffset, input.byteLength),
      );
      for (const s of SIDE_NAMES) {
        await Deno.writeFile(path(`${s}.multiBranch.onnx`), encodeModel(graphs[s].multiBranch));
        await Deno.writeFile(
          path(`${s}.reparameterized.onnx`),
          encodeModel(graphs[s].reparameterized),
        );
      }
      const timeouts = { callTimeoutMs: runner.options.workerTimeoutMs ?? 60_000 };
      const workers = runner; // narrowed, for the closure
      const specs = {
        baseline: await workerSpec("baseline", workers.versions.baseline, dir, timeouts),
        candidate: await workerSpec("candidate", workers.versions.candidate, dir, timeouts),
      };
      const trialInWorkers = (trial: number) =>
        measureInWorkers(
          specs,
          workers.expected,
          {
            models: {
              baseline: {
                multiBranch: path("baseline.multiBranch.onnx"),
                reparameterized: path("baseline.reparameterized.onnx"),
              },
              candidate: {
                multiBranch: path("candidate.multiBranch.onnx"),
                reparameterized: path("candidate.reparameterized.onnx"),
              },
            },
            input: path("input.bin"),
            dims: inputShape,
            options,
          },
          {
            warmup: scenario.warmup,
            sampling: scenario.sampling,
            // each trial its own round orders; the intervals' seed stays the scenario's
            seed: scenario.seed + trial,
            onStarted: (s, w) => {
              workers.loaded[s] = w.ortVersion;
              workers.options.onWorker?.(s, w);
            },
          },
        );
      const trials = [];
      for (let trial = 0; trial < workers.trials; trial++) {
        trials.push(await trialInWorkers(trial));
      }
      return done(poolTrials(trials, scenario.seed));
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
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
    return done(m);
  } finally {
    for (const s of sessions) await s.release();
  }
}

/**
 * Runs every case of {@linkcode abCases} on both sides and returns the A/B results; never throws
 * for a failing case (it is kept as errored).
 *
 * @param scenario The parsed scenario (its warm-up, sampling and seed time both sides).
 * @param context The run's context, as bench collects it.
 * @param sides Both sides (see `loadSideModels`, `loadRefSide`).
 * @param options Progress callback, saving callback, abort signal.
 * @returns The results; `context.interrupted` when aborted.
 * @throws {RangeError} When the sides' cases differ.
 */
export async function runAb(
  scenario: Scenario,
  context: Context,
  sides: Sides,
  options: AbOptions = {},
): Promise<AbResults> {
  const cases = abCases(sides);
  const sources = { baseline: sides.baseline.source, candidate: sides.candidate.source };
  const done: AbCaseResult[] = [];
  const runner: Runner = needsWorkers(sides)
    ? {
      kind: "workers",
      versions: { baseline: sides.baseline.ort, candidate: sides.candidate.ort },
      expected: {
        baseline: sides.baseline.ort ?? await projectOrtVersion(),
        candidate: sides.candidate.ort ?? await projectOrtVersion(),
      },
      options,
      trials: options.trials ?? DEFAULT_WORKER_TRIALS,
      loaded: {},
    }
    : { kind: "in process" };
  const record = (s: SideName): AbSideRecord => {
    const version = runner.kind === "workers" ? runner.loaded[s] : ortVersion();
    return {
      ...sides[s].record,
      process: runner.kind === "workers" ? "worker" : "in process",
      ...(version ? { ortVersion: version } : {}),
    };
  };
  const snapshot = (extra: Partial<Context> = {}): AbResults => ({
    schemaVersion: RESULTS_SCHEMA_VERSION,
    kind: AB_KIND,
    context: { ...context, ...extra },
    sides: { baseline: record("baseline"), candidate: record("candidate") },
    cases: [...done],
  });
  for (const [index, c] of cases.entries()) {
    if (options.signal?.aborted) {
      return snapshot({ finishedAt: new Date().toISOString(), interrupted: true });
    }
    options.onEvent?.({ kind: "case-start", index, total: cases.length, id: c.id });
    const result = await runCase(c, scenario, sources, runner).catch((error): AbCaseResult => ({
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
