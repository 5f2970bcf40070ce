/**
 * `deno task gate --paired`: gates an A/B run on its paired ratios (src/gate/paired.ts), a saved
 * one (`--ab FILE`) or one it runs (`--baseline-ref REF --scenario FILE`: `deno task ab` in a
 * fresh process, the working tree against the ref), and prints one line per check.
 *
 * @module
 */
import { join } from "node:path";
import { printErr, printOut } from "../output.ts";
import { type AbResults, parseAbResults } from "../ab/results.ts";
import { gatePaired, type PairedVerdict } from "../gate/paired.ts";
import { whyUnreadable } from "../text_format.ts";
import { runAbProcess } from "../ab/process.ts";
import { UsageError } from "../args.ts";

/** The verdict as text for a CI log: failures first, then a summary line. */
function formatPairedVerdict(v: PairedVerdict, path: string): string {
  const failed = v.checks.filter((c) => c.status === "fail");
  const passed = v.checks.filter((c) => c.status !== "fail");
  const lines = [...failed, ...passed].map((c) => `${c.status.toUpperCase()}  ${c.message}`);
  lines.push(summaryLine(v, path));
  return lines.join("\n");
}

function summaryLine(v: PairedVerdict, path: string): string {
  const failed = v.checks.filter((c) => c.status === "fail").length;
  const pct = (v.threshold * 100).toFixed(1);
  return v.failed
    ? `Paired gate of ${path}: ${failed} of ${v.checks.length} check(s) failed (threshold ${pct}%)`
    : `Paired gate of ${path}: all ${v.checks.length} check(s) passed (threshold ${pct}%)`;
}

/** The verdict as Markdown (a CI step summary): a table of every check, failures first. */
export function formatPairedMarkdown(v: PairedVerdict, path: string, sides: string): string {
  const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
  const rows = [...v.checks].sort((a, b) =>
    (a.status === "fail" ? 0 : 1) - (b.status === "fail" ? 0 : 1)
  ).map((c) =>
    `| ${c.status === "fail" ? "**FAIL**" : "pass"} | ${cell(c.caseId)} | ${c.form ?? "-"} | ${
      c.ratio === undefined ? "-" : c.ratio.toFixed(3)
    } | ${c.ci95 ? `[${c.ci95[0].toFixed(3)}, ${c.ci95[1].toFixed(3)}]` : "-"} | ${
      cell(c.message)
    } |`
  );
  return [
    `### Paired gate: ${cell(sides)}`,
    "",
    summaryLine(v, path),
    "",
    "| status | case | form | ratio | ci95 | check |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}

/** Options of {@linkcode gatePairedCommand}. */
export interface PairedCommandOptions {
  /** A saved `ab.json` to gate. */
  readonly ab?: string;
  /** Or: run the A/B of the working tree against this git ref first. */
  readonly baselineRef?: string;
  /** The scenario to run with `baselineRef`. */
  readonly scenario?: string;
  /** Where the run writes ab.json (default reports/ab-gate). */
  readonly out?: string;
  /** Allowed slowdown as a fraction; the default (5%) when undefined. */
  readonly threshold?: number;
  /** Print the verdict as JSON on stdout (the text goes to stderr). */
  readonly json?: boolean;
  /** Also write the verdict as Markdown to this file. */
  readonly markdown?: string;
}

/** Where `gate --paired --baseline-ref` writes its A/B run by default. */
export const DEFAULT_PAIRED_GATE_OUT = "reports/ab-gate";

async function readAb(path: string): Promise<AbResults> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new SyntaxError(`Cannot read A/B results "${path}" as ${whyUnreadable(error)}`, {
      cause: error,
    });
  }
  return parseAbResults(text, path);
}

/**
 * Gates a saved A/B run, or runs one against a git ref and gates it.
 *
 * @param o What to gate and how.
 * @returns 0 nothing regressed, 1 a case/form regressed, a case errored or the candidate's forms
 *   were not equivalent, 2 bad input (as the A/B run's own exit 2), 130 interrupted.
 * @throws {UsageError} When neither `ab` nor `baselineRef` with `scenario` is given, or both.
 * @throws {SyntaxError} When the file cannot be read or is not an A/B results document.
 */
export async function gatePairedCommand(o: PairedCommandOptions): Promise<number> {
  if ((o.ab === undefined) === (o.baselineRef === undefined)) {
    throw new UsageError(
      "Cannot gate paired as it needs either '--ab FILE' (a saved A/B run) or " +
        "'--baseline-ref REF --scenario FILE' (run one now), not both",
    );
  }
  let path: string;
  let results: AbResults;
  if (o.baselineRef !== undefined) {
    if (o.scenario === undefined) {
      throw new UsageError("Cannot gate paired against a ref as '--scenario FILE' is missing");
    }
    const out = o.out ?? DEFAULT_PAIRED_GATE_OUT;
    path = join(out, "ab.json");
    const run = await runAbProcess(o.scenario, `ref:${o.baselineRef}`, out);
    if (run.code === 2 || !run.results) {
      // The child's own error line has already gone through to stderr
      if (!run.error) printErr(`error: the A/B run exited with code ${run.code}`);
      return run.code === 0 || run.code === 1 ? 2 : run.code;
    }
    if (run.code === 130) return 130;
    results = run.results;
  } else {
    path = o.ab!;
    results = await readAb(path);
  }
  const verdict = gatePaired(results, o.threshold === undefined ? {} : { threshold: o.threshold });
  const out = formatPairedVerdict(verdict, path);
  if (o.json) {
    printErr(out);
    printOut(JSON.stringify(verdict, null, 2));
  } else {
    printOut(out);
  }
  if (o.markdown !== undefined) {
    const sides = `${results.sides.candidate?.spec} against ${results.sides.baseline?.spec}`;
    await Deno.writeTextFile(o.markdown, formatPairedMarkdown(verdict, path, sides));
  }
  return verdict.exitCode;
}
