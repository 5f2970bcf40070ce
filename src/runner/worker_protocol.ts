/**
 * The line protocol between an A/B coordinator and a worker process that runs sessions with its
 * own onnxruntime-node (one native library per process, so two versions need two processes).
 * One JSON object per line: the worker greets with its onnxruntime version, then answers each
 * request by id. A `run` is timed inside the worker around the session's run, so the pipe round
 * trip stays out of the reported duration. Loads no onnxruntime itself: {@linkcode serve} takes
 * the session opener (src/runner/ab_worker.ts passes onnxruntime's; tests pass fakes).
 *
 * @module
 */
import type { SessionOptions } from "./ort.ts";

/** What the coordinator asks. */
export type WorkerRequest =
  & {
    /** Matches the reply to the request. */
    readonly id: number;
  }
  & (
    | {
      /** Opens a session on a model file with a fixed input, and runs it once (`firstMs`). */
      readonly op: "load";
      /** The session's name in later requests. */
      readonly name: string;
      /** An ONNX file. */
      readonly model: string;
      /** A file of float32 little-endian values, the input of every run. */
      readonly input: string;
      /** The input's shape. */
      readonly dims: readonly number[];
      /** The session's options, as bench sets them. */
      readonly options: SessionOptions;
    }
    | {
      /** Runs the named session once, timed inside the worker. */
      readonly op: "run";
      /** A loaded session's name. */
      readonly name: string;
    }
    | {
      /** Frees the named session. */
      readonly op: "release";
      /** A loaded session's name. */
      readonly name: string;
    }
    | {
      /** Answers, then exits. */
      readonly op: "exit";
    }
  );

/** What the worker says. */
export type WorkerReply =
  | {
    /** The first line: the worker is ready. */
    readonly type: "hello";
    /** The onnxruntime version the worker loaded (`ort.env.versions`). */
    readonly ortVersion: string;
  }
  | {
    /** The request answered. */
    readonly id: number;
    /** Success. */
    readonly ok: true;
    /** `load`: the session's first run, in ms. */
    readonly firstMs?: number;
    /** `run`: the run's duration measured inside the worker, in ms. */
    readonly durationMs?: number;
  }
  | {
    /** The request answered. */
    readonly id: number;
    /** Failure. */
    readonly ok: false;
    /** Why, one line. */
    readonly error: string;
  };

/** A session as the worker holds it: one bound run over a fixed input. */
export interface WorkerSession {
  /** Runs the session once on the input it was opened with. */
  run(): Promise<void>;
  /** Frees the session. */
  release(): Promise<void>;
}

/** How a worker opens its sessions and where it reads and writes. */
export interface ServeOptions {
  /** The onnxruntime version loaded, sent in the greeting. */
  readonly ortVersion: string;
  /** Opens a session on a model with a fixed input. */
  readonly open: (
    model: Uint8Array,
    input: Float32Array,
    dims: readonly number[],
    options: SessionOptions,
  ) => Promise<WorkerSession>;
  /**
   * The clock of timed runs, ms.
   * @default {performance.now}
   */
  readonly clock?: () => number;
  /**
   * The requests, bytes of JSON lines.
   * @default {Deno.stdin.readable}
   */
  readonly input?: ReadableStream<Uint8Array>;
  /**
   * Writes one reply line.
   * @default {a synchronous write to stdout}
   */
  readonly write?: (line: string) => void;
}

/** Splits a byte stream into text lines (the last one even without a newline). */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
    }
  }
  if (buffered !== "") yield buffered;
}

function writeStdout(line: string): void {
  const bytes = new TextEncoder().encode(line);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

/**
 * The worker's loop: greets, then answers requests until `exit` or the end of its input (the
 * coordinator gone), releasing every session before it returns. Ctrl-C in a terminal reaches the
 * whole process group; the worker ignores it while it serves, so the coordinator decides when it
 * ends (and ends it on every exit path).
 *
 * @param options The session opener, the version, and optionally the clock and the streams.
 * @returns When the input ends or `exit` was answered.
 */
export async function serve(options: ServeOptions): Promise<void> {
  const clock = options.clock ?? (() => performance.now());
  const write = (reply: WorkerReply) =>
    (options.write ?? writeStdout)(JSON.stringify(reply) + "\n");
  const ignore = () => {};
  const ownStdin = options.input === undefined;
  if (ownStdin) Deno.addSignalListener("SIGINT", ignore);
  const sessions = new Map<string, WorkerSession>();
  try {
    write({ type: "hello", ortVersion: options.ortVersion });
    for await (const line of readLines(options.input ?? Deno.stdin.readable)) {
      if (line.trim() === "") continue;
      let request: WorkerRequest;
      try {
        request = JSON.parse(line);
      } catch {
        write({ id: -1, ok: false, error: `not a JSON request: ${line.slice(0, 80)}` });
        continue;
      }
      const { id } = request;
      try {
        switch (request.op) {
          case "load": {
            if (sessions.has(request.name)) throw new Error(`"${request.name}" is already loaded`);
            const bytes = await Deno.readFile(request.input);
            const input = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
            const model = await Deno.readFile(request.model);
            const session = await options.open(model, input, request.dims, request.options);
            sessions.set(request.name, session);
            const start = clock();
            await session.run();
            write({ id, ok: true, firstMs: clock() - start });
            break;
          }
          case "run": {
            const session = sessions.get(request.name);
            if (!session) throw new Error(`no session "${request.name}"`);
            const start = clock();
            await session.run();
            write({ id, ok: true, durationMs: clock() - start });
            break;
          }
          case "release": {
            await sessions.get(request.name)?.release();
            sessions.delete(request.name);
            write({ id, ok: true });
            break;
          }
          case "exit":
            write({ id, ok: true });
            return;
          default:
            throw new Error(`unknown op ${JSON.stringify((request as { op: unknown }).op)}`);
        }
      } catch (e) {
        const message = (e instanceof Error ? e.message : String(e)).split("\n")[0];
        write({ id, ok: false, error: message });
      }
    }
  } finally {
    for (const s of sessions.values()) await s.release().catch(() => {});
    if (ownStdin) Deno.removeSignalListener("SIGINT", ignore);
  }
}
