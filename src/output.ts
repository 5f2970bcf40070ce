/**
 * Writing command output so that all of it arrives, piped or not: every byte written before the
 * process exits, partial writes continued and a full non-blocking pipe waited out.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Sleeps the thread for `ms` without the event loop (for a full pipe). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Writes all of `bytes` to a writer, continuing after partial writes and retrying while the
 * pipe is full (`WouldBlock`) or the call was interrupted.
 *
 * @param writer `Deno.stdout` or `Deno.stderr` (anything with `writeSync`).
 * @param bytes What to write.
 * @throws What the writer throws other than WouldBlock and Interrupted (a closed pipe, say).
 * @example
 * ```ts
 * import { writeAllSync } from "./output.ts";
 * const chunks: number[] = [];
 * // a writer that takes at most 2 bytes a call still receives all 5
 * writeAllSync({ writeSync: (b) => (chunks.push(...b.subarray(0, 2)), Math.min(2, b.length)) },
 *   new Uint8Array([1, 2, 3, 4, 5]));
 * if (chunks.join() !== "1,2,3,4,5") throw new Error();
 * ```
 */
export function writeAllSync(
  writer: { writeSync(bytes: Uint8Array): number },
  bytes: Uint8Array,
): void {
  let offset = 0;
  let waitMs = 1;
  while (offset < bytes.length) {
    try {
      offset += writer.writeSync(bytes.subarray(offset));
      waitMs = 1;
    } catch (e) {
      if (!(e instanceof Deno.errors.WouldBlock || e instanceof Deno.errors.Interrupted)) throw e;
      pause(waitMs);
      waitMs = Math.min(waitMs * 2, 50);
    }
  }
}

/** Where command output goes instead of stdout and stderr (see {@linkcode redirectOutput}). */
export interface OutputSink {
  out(text: string): void;
  err(text: string): void;
}

let sink: OutputSink | undefined;

/**
 * Sends {@linkcode printOut} and {@linkcode printErr} to `to` until called again without it:
 * for calling the commands as functions (a program embedding them, or tests reading their output).
 */
export function redirectOutput(to?: OutputSink): void {
  sink = to;
}

const line = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);

/** Prints a line (or lines) to stdout: the command's result, complete before any exit. */
export function printOut(text: string): void {
  if (sink) return sink.out(text);
  writeAllSync(Deno.stdout, encoder.encode(line(text)));
}

/** Prints a line (or lines) to stderr: progress, notes and errors. */
export function printErr(text: string): void {
  if (sink) return sink.err(text);
  writeAllSync(Deno.stderr, encoder.encode(line(text)));
}
