/**
 * The A/B timing with worker processes, for runs with an `ort:VERSION` side: two onnxruntime-node
 * versions cannot share a process, so each side runs in a worker of its own (the project's
 * version too, so both sides pay the same overhead: a process of their own, a pipe round trip
 * outside the timed span, idling while the other side runs). Rounds run in lock-step: one timed
 * call at a time, each round all four sessions once in a fresh random order
 * ({@linkcode measureSides}), each duration measured inside its worker around `session.run`.
 * Workers are closed, or killed, on every way out.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SessionOptions } from "../runner/ort.ts";
import { startWorker, type Worker, type WorkerSpec } from "../runner/worker_client.ts";
import { FORM_NAMES } from "../results/schema.ts";
import {
  measureSides,
  type MeasureSidesOptions,
  type PerSideForm,
  SIDE_NAMES,
  type SideName,
  type SidesMeasurement,
} from "./interleave.ts";

/** A value per side. */
export type PerSide<T> = { readonly [S in SideName]: T };

const PROJECT_CONFIG = new URL("../../deno.json", import.meta.url);
const WORKER_ENTRY = new URL("../runner/ab_worker.ts", import.meta.url);
const WORKER_PERMISSIONS = ["--allow-read", "--allow-env", "--allow-ffi", "--allow-sys"];

async function projectConfig(): Promise<{ imports: Record<string, string> } & object> {
  return JSON.parse(await Deno.readTextFile(PROJECT_CONFIG));
}

/**
 * The onnxruntime-node version the project pins (deno.json's `imports`).
 *
 * @returns The version, `1.30.0`.
 * @throws {Error} When deno.json does not map `onnxruntime-node` to `npm:onnxruntime-node@X`.
 */
export async function projectOrtVersion(): Promise<string> {
  const spec = (await projectConfig()).imports["onnxruntime-node"] ?? "";
  const m = /^npm:onnxruntime-node@(.+)$/.exec(spec);
  if (!m) throw new Error(`deno.json maps onnxruntime-node to "${spec}", not npm:...@VERSION`);
  return m[1];
}

/**
 * How to start a side's worker: with the project's deno.json for its own version, else with a
 * copy written into `dir` whose `onnxruntime-node` import is `npm:onnxruntime-node@VERSION`
 * (the worker's own imports are relative, so they resolve the same).
 *
 * @param side The side, named in the label.
 * @param version Another onnxruntime-node version, or undefined for the project's.
 * @param dir A folder for the generated config.
 * @param timeouts The worker's call and start timeouts, ms.
 * @returns The worker's spec.
 */
export async function workerSpec(
  side: SideName,
  version: string | undefined,
  dir: string,
  timeouts: { callTimeoutMs?: number; startTimeoutMs?: number } = {},
): Promise<WorkerSpec> {
  let config = fileURLToPath(PROJECT_CONFIG);
  const lock: string[] = [];
  if (version !== undefined) {
    const project = await projectConfig();
    config = join(dir, `deno.${side}.json`);
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        ...project,
        imports: { ...project.imports, "onnxruntime-node": `npm:onnxruntime-node@${version}` },
        tasks: {},
      }),
    );
    lock.push("--no-lock"); // the project's lock pins its own version
  }
  return {
    label: `${side} worker (onnxruntime-node ${version ?? await projectOrtVersion()})`,
    args: [
      "run",
      "--quiet",
      "--config",
      config,
      ...lock,
      ...WORKER_PERMISSIONS,
      fileURLToPath(WORKER_ENTRY),
    ],
    ...timeouts,
  };
}

/** One case's files for the workers. */
export interface WorkerCase {
  /** Per side and form, an ONNX file. */
  readonly models: PerSideForm<string>;
  /** The input, float32 little-endian. */
  readonly input: string;
  /** The input's shape. */
  readonly dims: readonly number[];
  /** The sessions' options. */
  readonly options: SessionOptions;
}

/** What {@linkcode measureInWorkers} measured, with each side's onnxruntime as loaded. */
export interface WorkersMeasurement extends SidesMeasurement {
  /** The version each worker reported. */
  readonly ortVersions: PerSide<string>;
}

/** Options of {@linkcode measureInWorkers}. */
export interface MeasureInWorkersOptions extends Omit<MeasureSidesOptions, "firstRunMs"> {
  /** Called once per side when its worker has greeted (its pid and version). */
  readonly onStarted?: (side: SideName, worker: Worker) => void;
}

/**
 * Starts one worker per side, checks each loaded the version it must, opens both forms in each,
 * and times the four sessions in lock-step rounds with their self-reported durations.
 *
 * @param specs How to start each side's worker.
 * @param expected The onnxruntime-node version each side must report.
 * @param files The models and the input.
 * @param options Warm-up, sampling, seed, and a callback per started worker.
 * @returns The measurement and the versions loaded.
 * @throws {WorkerError} When a worker dies, fails or does not answer in time (one line naming
 *   its side); both workers are gone by then.
 * @throws {RangeError} When a worker loaded another version than expected.
 */
export async function measureInWorkers(
  specs: PerSide<WorkerSpec>,
  expected: PerSide<string>,
  files: WorkerCase,
  options: MeasureInWorkersOptions,
): Promise<WorkersMeasurement> {
  const started = await Promise.allSettled(SIDE_NAMES.map((s) => startWorker(specs[s])));
  const running = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  try {
    const failed = started.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const workers = { baseline: running[0], candidate: running[1] };
    for (const s of SIDE_NAMES) {
      if (workers[s].ortVersion !== expected[s]) {
        throw new RangeError(
          `Cannot time the ${s} side as its worker loaded onnxruntime-node ` +
            `${workers[s].ortVersion}, not ${expected[s]}`,
        );
      }
      options.onStarted?.(s, workers[s]);
    }
    const first: Record<string, Record<string, number>> = {};
    for (const s of SIDE_NAMES) {
      first[s] = {};
      for (const f of FORM_NAMES) {
        const { firstMs } = await workers[s].load(
          f,
          files.models[s][f],
          files.input,
          files.dims,
          files.options,
        );
        first[s][f] = firstMs;
      }
    }
    const task = (s: SideName) => ({
      multiBranch: () => workers[s].run("multiBranch"),
      reparameterized: () => workers[s].run("reparameterized"),
    });
    const m = await measureSides({ baseline: task("baseline"), candidate: task("candidate") }, {
      ...options,
      firstRunMs: {
        baseline: {
          multiBranch: first.baseline.multiBranch,
          reparameterized: first.baseline.reparameterized,
        },
        candidate: {
          multiBranch: first.candidate.multiBranch,
          reparameterized: first.candidate.reparameterized,
        },
      },
    });
    return {
      ...m,
      ortVersions: {
        baseline: workers.baseline.ortVersion,
        candidate: workers.candidate.ortVersion,
      },
    };
  } finally {
    await Promise.all(running.map((w) => w.close()));
  }
}

/**
 * Starts an `ort:VERSION` side's worker once and stops it: bad input before any case runs when
 * the version cannot be loaded (not on npm, no native build for this machine).
 *
 * @param side The side, named in the worker's label.
 * @param version The onnxruntime-node version.
 * @param flag The flag the side came from (`--baseline`), named in the error.
 * @returns The version the worker loaded.
 * @throws {RangeError} When the worker does not start, or loads another version.
 */
export async function checkOrtSide(
  side: SideName,
  version: string,
  flag: string,
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "repstem-ab-check-" });
  try {
    let worker: Worker;
    try {
      worker = await startWorker(await workerSpec(side, version, dir));
    } catch (e) {
      throw new RangeError(
        `Cannot use '${flag}' "ort:${version}" as onnxruntime-node ${version} cannot be loaded: ${
          (e as Error).message
        }`,
      );
    }
    try {
      if (worker.ortVersion !== version) {
        throw new RangeError(
          `Cannot use '${flag}' "ort:${version}" as its worker loaded onnxruntime-node ` +
            `${worker.ortVersion}`,
        );
      }
      return worker.ortVersion;
    } finally {
      await worker.kill();
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
