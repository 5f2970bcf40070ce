/**
 * The coordinator's end of the worker protocol (see worker_protocol.ts): spawns a worker process,
 * waits for its greeting, sends one request at a time and waits for its answer within a timeout.
 * A worker that exits, answers nonsense or does not answer in time is killed and reported in one
 * line naming it. Every worker still alive is killed when this process exits, Ctrl-C included
 * (`Deno.exit` dispatches `unload`); a worker whose coordinator dies without that sees its stdin
 * end and exits on its own. Loads no onnxruntime.
 *
 * @module
 */
import type { SessionOptions } from "./ort.ts";
import { readLines, type WorkerReply, type WorkerRequest } from "./worker_protocol.ts";

/** How to start a worker. */
export interface WorkerSpec {
  /** Names the worker in errors: `baseline worker (onnxruntime-node 1.29.0)`. */
  readonly label: string;
  /**
   * The executable.
   * @default {Deno.execPath()}
   */
  readonly command?: string;
  /** Its arguments (`run --config ... src/runner/ab_worker.ts`). */
  readonly args: readonly string[];
  /**
   * How long the greeting may take, ms (a first start may download the npm package).
   * @default {300_000}
   */
  readonly startTimeoutMs?: number;
  /**
   * How long any other answer may take, ms.
   * @default {60_000}
   */
  readonly callTimeoutMs?: number;
}

/** A started worker. */
export interface Worker {
  /** The label it was started with. */
  readonly label: string;
  /** Its process id. */
  readonly pid: number;
  /** The onnxruntime version it reported as loaded. */
  readonly ortVersion: string;
  /** Opens a session on a model file with a fixed input; resolves to its first run's ms. */
  load(
    name: string,
    model: string,
    input: string,
    dims: readonly number[],
    options: SessionOptions,
  ): Promise<{ firstMs: number }>;
  /** Runs a session once; resolves to the duration the worker measured around it. */
  run(name: string): Promise<{ durationMs: number }>;
  /** Frees a session. */
  release(name: string): Promise<void>;
  /** Asks the worker to exit, kills it when it does not in time; resolves once it is gone. */
  close(): Promise<void>;
  /** Kills the worker now (SIGKILL); resolves once it is gone. */
  kill(): Promise<void>;
}

/** A worker that died, answered nonsense or did not answer in time; the message names it. */
export class WorkerError extends Error {
  /** Names the error. */
  override name = "WorkerError";
}

const live = new Set<Deno.ChildProcess>();
let unloadHooked = false;

function killAllOnExit(): void {
  if (unloadHooked) return;
  unloadHooked = true;
  globalThis.addEventListener("unload", () => {
    for (const child of live) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
  });
}

/** The process ids of the workers this process started that are still running. */
export function liveWorkerPids(): number[] {
  return [...live].map((c) => c.pid);
}

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
}

/**
 * Starts a worker and waits for its greeting.
 *
 * @param spec The command, its label and timeouts.
 * @returns The worker, ready for requests.
 * @throws {WorkerError} When it exits or does not greet in time (it is killed first).
 */
export async function startWorker(spec: WorkerSpec): Promise<Worker> {
  const callTimeoutMs = spec.callTimeoutMs ?? 60_000;
  const child = new Deno.Command(spec.command ?? Deno.execPath(), {
    args: [...spec.args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  live.add(child);
  killAllOnExit();
  const writer = child.stdin.getWriter();
  let stderrTail = "";
  const stderrDone = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderrTail = (stderrTail + chunk).slice(-4000);
    }
  })().catch(() => {});
  const pending = new Map<number, Pending>();
  let hello: Pending | undefined;
  let exited: Deno.CommandStatus | undefined;
  let broken: string | undefined;
  let dead: WorkerError | undefined;
  const lastStderrLine = () => {
    // deno-lint-ignore no-control-regex -- strips terminal colour codes
    const lines = stderrTail.replace(/\u001b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim());
    // Deno's own failure (an npm package it cannot resolve) is its first "error:" line
    return lines.find((l) => /^error:/i.test(l)) ?? lines.filter((l) => l !== "").at(-1);
  };
  const failAll = (error: WorkerError) => {
    hello?.reject(error);
    hello = undefined;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  const status = child.status.then(async (s) => {
    exited = s;
    live.delete(child);
    await stderrDone;
    const why = s.signal ? `signal ${s.signal}` : `code ${s.code}`;
    const last = lastStderrLine();
    dead = new WorkerError(`${spec.label} exited (${why})${last ? `: ${last}` : ""}`);
    failAll(dead);
    return s;
  });
  const stdoutDone = (async () => {
    for await (const line of readLines(child.stdout)) {
      if (line.trim() === "") continue;
      let reply: WorkerReply;
      try {
        reply = JSON.parse(line);
      } catch {
        broken = `${spec.label} wrote a line that is not the protocol: ${line.slice(0, 120)}`;
        failAll(new WorkerError(broken));
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
        continue;
      }
      if ("type" in reply) {
        hello?.resolve(reply);
        hello = undefined;
      } else {
        const p = pending.get(reply.id);
        pending.delete(reply.id);
        p?.resolve(reply);
      }
    }
  })().catch(() => {});

  const kill = async () => {
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
    await writer.close().catch(() => {});
    await status;
    await stdoutDone;
  };
  const waitFor = <T>(
    promise: Promise<T>,
    ms: number,
    what: string,
  ): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new WorkerError(`${spec.label} did not answer ${what} within ${ms} ms`);
        failAll(error);
        kill().finally(() => reject(error));
      }, ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  };

  let nextId = 0;
  const call = async (
    request: Record<string, unknown>,
    what: string,
    timeoutMs = callTimeoutMs,
  ) => {
    if (dead || exited || broken) {
      throw dead ?? new WorkerError(broken ?? `${spec.label} is not running (asked for ${what})`);
    }
    const id = nextId++;
    const answered = new Promise<WorkerReply>((resolve, reject) => {
      pending.set(id, { resolve, reject });
    });
    answered.catch(() => {}); // handled below; a death while writing must not go unhandled
    const line = JSON.stringify({ id, ...request } as WorkerRequest) + "\n";
    await writer.write(new TextEncoder().encode(line)).catch(() => {
      // a closed pipe: the exit handler rejects `answered` with the reason
    });
    if (dead && pending.has(id)) pending.get(id)!.reject(dead); // it died while we wrote
    const reply = await waitFor(answered, timeoutMs, what);
    if ("ok" in reply && !reply.ok) {
      throw new WorkerError(`${spec.label} failed ${what}: ${reply.error}`);
    }
    return reply as Extract<WorkerReply, { ok: true }>;
  };

  let greeting: WorkerReply;
  try {
    greeting = await waitFor(
      new Promise<WorkerReply>((resolve, reject) => (hello = { resolve, reject })),
      spec.startTimeoutMs ?? 300_000,
      "its start (the greeting with its onnxruntime version)",
    );
  } catch (e) {
    await kill();
    throw e;
  }
  const ortVersion = "ortVersion" in greeting ? greeting.ortVersion : "unknown";
  return {
    label: spec.label,
    pid: child.pid,
    ortVersion,
    async load(name, model, input, dims, options) {
      const r = await call({ op: "load", name, model, input, dims, options }, `'load ${name}'`);
      return { firstMs: r.firstMs ?? NaN };
    },
    async run(name) {
      const r = await call({ op: "run", name }, `'run ${name}'`);
      if (typeof r.durationMs !== "number") {
        throw new WorkerError(`${spec.label} answered 'run ${name}' without a duration`);
      }
      return { durationMs: r.durationMs };
    },
    async release(name) {
      await call({ op: "release", name }, `'release ${name}'`);
    },
    async close() {
      if (!exited && !broken) {
        await call({ op: "exit" }, "'exit'", 5_000).catch(() => {});
      }
      // the worker exits after answering 'exit'; kill it when it has not within a second
      let timer: ReturnType<typeof setTimeout> | undefined;
      const gone = await Promise.race([
        status.then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 1_000))),
      ]);
      clearTimeout(timer);
      if (!gone) await kill();
      else {
        await writer.close().catch(() => {});
        await stdoutDone;
      }
    },
    kill,
  };
}
