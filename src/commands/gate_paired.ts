/**
 * `deno task gate --paired --ab FILE [--threshold PCT]`: gates a saved A/B run (`ab.json`) on its
 * paired ratios (src/gate/paired.ts) and prints one line per check.
 *
 * @module
 */
import { printErr, printOut } from "../output.ts";
import { parseAbResults } from "../ab/results.ts";
import { gatePaired, type PairedVerdict } from "../gate/paired.ts";
import { whyUnreadable } from "../text_format.ts";

/** The verdict as text for a CI log: failures first, then a summary line. */
function formatPairedVerdict(v: PairedVerdict, path: string): string {
  const failed = v.checks.filter((c) => c.status === "fail");
  const passed = v.checks.filter((c) => c.status !== "fail");
  const lines = [...failed, ...passed].map((c) => `${c.status.toUpperCase()}  ${c.message}`);
  const pct = (v.threshold * 100).toFixed(1);
  lines.push(
    v.failed
      ? `Paired gate of ${path}: ${failed.length} of ${v.checks.length} check(s) failed (threshold ${pct}%)`
      : `Paired gate of ${path}: all ${v.checks.length} check(s) passed (threshold ${pct}%)`,
  );
  return lines.join("\n");
}

/**
 * Gates a saved A/B run.
 *
 * @param path The `ab.json` to gate.
 * @param threshold Allowed slowdown as a fraction; the default (5%) when undefined.
 * @param json Print the verdict as JSON on stdout (the text goes to stderr).
 * @returns 0 nothing regressed, 1 a case/form regressed or a case errored.
 * @throws {SyntaxError} When the file cannot be read or is not an A/B results document.
 */
export async function gatePairedCommand(
  path: string,
  threshold: number | undefined,
  json: boolean,
): Promise<number> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new SyntaxError(`Cannot read A/B results "${path}" as ${whyUnreadable(error)}`, {
      cause: error,
    });
  }
  const verdict = gatePaired(
    parseAbResults(text, path),
    threshold === undefined ? {} : { threshold },
  );
  const out = formatPairedVerdict(verdict, path);
  if (json) {
    printErr(out);
    printOut(JSON.stringify(verdict, null, 2));
  } else {
    printOut(out);
  }
  return verdict.exitCode;
}
