/**
 * Reading and writing results files.
 *
 * @module
 */
import { whyUnreadable } from "../text_format.ts";
import { dirname } from "node:path";
import { type Results, RESULTS_SCHEMA_VERSION } from "./schema.ts";

/**
 * Writes results as indented JSON, atomically (a temp file renamed over the target), so an
 * interrupted write never leaves a truncated file. Creates the folder when missing.
 *
 * @param path The file to write (`results.json`).
 * @param results The results.
 */
export async function writeResults(path: string, results: Results): Promise<void> {
  await writeJsonAtomic(path, results);
}

/**
 * Writes any value as indented JSON, atomically (a temp file renamed over the target), creating
 * the folder when missing: how results and A/B results (`ab.json`) are saved.
 *
 * @param path The file to write.
 * @param value The value to write.
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, JSON.stringify(value, null, 2) + "\n");
  await Deno.rename(tmp, path);
}

/**
 * Parses a results file's text. Only `schemaVersion`, `cases` and `context` are checked; the
 * gate checks the fields it reads itself.
 *
 * @param text The file's content, JSON.
 * @param source Where the text came from, named in error messages (usually the path).
 * @returns The results, as read.
 * @throws {SyntaxError} When the text is not JSON or not a results object.
 * @throws {RangeError} When its schemaVersion is not one this code reads.
 * @example
 * ```ts
 * import { parseResults } from "./io.ts";
 * const results = parseResults('{"schemaVersion": 1, "context": {}, "cases": []}', "r.json");
 * if (results.cases.length !== 0) throw new Error();
 * try {
 *   parseResults('{"schemaVersion": 2, "context": {}, "cases": []}', "new.json");
 *   throw new Error("version 2 was read");
 * } catch (e) {
 *   if (!(e instanceof RangeError)) throw e;
 * }
 * ```
 */
export function parseResults(text: string, source: string): Results {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // a binary file's bytes in the message would garble the terminal: say what it is instead
    // deno-lint-ignore no-control-regex -- control characters are what this looks for
    const printable = !/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text.slice(0, 1024));
    throw new SyntaxError(
      `Cannot read results "${source}" as it is not JSON${
        printable ? `: ${(e as Error).message}` : " (a binary file?)"
      }`,
    );
  }
  if (typeof value !== "object" || value === null || !("schemaVersion" in value)) {
    throw new SyntaxError(`Cannot read results "${source}" as it has no 'schemaVersion'`);
  }
  const version = (value as { schemaVersion: unknown }).schemaVersion;
  if (version !== RESULTS_SCHEMA_VERSION) {
    throw new RangeError(
      `Cannot read results "${source}" as 'schemaVersion' must be ${RESULTS_SCHEMA_VERSION}: current value is ${
        JSON.stringify(version)
      }`,
    );
  }
  const r = value as Results;
  if (!Array.isArray(r.cases) || typeof r.context !== "object") {
    throw new SyntaxError(`Cannot read results "${source}" as 'cases' or 'context' is missing`);
  }
  return r;
}

/**
 * Reads and parses a results file (see {@linkcode parseResults}).
 *
 * @param path The file to read; named in error messages.
 * @returns The results.
 */
export async function readResults(path: string): Promise<Results> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = whyUnreadable(error);
    throw new SyntaxError(`Cannot read results "${path}" as ${why}`, { cause: error });
  }
  return parseResults(text, path);
}
