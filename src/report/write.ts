/**
 * Writes the HTML report to a file: reads results files (bench's `results.json` or ab's
 * `ab.json`, told apart by `kind`), renders them with chart.js inlined, and writes the page
 * atomically. What `deno task report` does, what `bench` calls to put report.html beside
 * results.json, and what `ab` calls to put it beside ab.json.
 *
 * @module
 */
import { dirname } from "node:path";
import { parseResults } from "../results/io.ts";
import type { Results } from "../results/schema.ts";
import { AB_KIND, type AbResults, parseAbResults } from "../ab/results.ts";
import { whyUnreadable } from "../text_format.ts";
import { loadChartJs } from "./chartjs.ts";
import { renderReport, type ReportRun } from "./render.ts";
import { renderAbReport } from "./ab.ts";

/** Options of {@linkcode writeReport}. */
export interface WriteReportOptions {
  /** Names of the results files in the report, in order. @default the paths */
  readonly labels?: readonly string[];
}

/** A file given to the report, by its kind. */
type ReportInput =
  | { readonly kind: "results"; readonly path: string; readonly results: Results }
  | { readonly kind: "ab"; readonly path: string; readonly results: AbResults };

/** Whether a file's text is an A/B results document (`kind: "ab"`); false for anything else. */
function isAbText(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null &&
      (value as { kind?: unknown }).kind === AB_KIND;
  } catch {
    return false; // not JSON: parseResults says so, naming the file
  }
}

async function readInput(path: string): Promise<ReportInput> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new SyntaxError(`Cannot read results "${path}" as ${whyUnreadable(error)}`, {
      cause: error,
    });
  }
  // The text is parsed twice for an A/B file (once to see its kind): files are a few MB at most.
  return isAbText(text)
    ? { kind: "ab", path, results: parseAbResults(text, path) }
    : { kind: "results", path, results: parseResults(text, path) };
}

async function writeHtmlAtomic(outPath: string, html: string): Promise<void> {
  await Deno.mkdir(dirname(outPath) || ".", { recursive: true });
  const tmp = `${outPath}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, html);
  await Deno.rename(tmp, outPath);
}

/** A TypeError from rendering a file cut down by hand or by another tool, as bad input. */
function incomplete(paths: readonly string[], what: string, e: unknown): unknown {
  // the parsers check the version and the top level only: a file missing deeper fields fails
  // while rendering, and that is bad input, not a crash
  if (!(e instanceof TypeError)) return e;
  return new SyntaxError(
    `Cannot render a report of ${paths.map((p) => `"${p}"`).join(", ")} as ${
      paths.length > 1 ? "one of them is" : "it is"
    } not a complete ${what} (${e.message})`,
  );
}

/**
 * Reads results files, renders the report and writes it atomically (a temp file renamed over
 * `outPath`), creating the folder. An A/B results file (`kind: "ab"`, from `deno task ab`) gets
 * the A/B report, and must be the only file given.
 *
 * @param resultsPaths One results file, or several with the baseline first; or one ab.json.
 * @param outPath Where to write the HTML.
 * @param options The files' labels.
 * @throws {SyntaxError} When a file is not results JSON (the message names the file).
 * @throws {RangeError} When a file's schemaVersion is not 1, no file is given, or an A/B file is
 *   given with other files (the message names the A/B file).
 * @throws {Error} When chart.js's UMD build cannot be found.
 */
export async function writeReport(
  resultsPaths: string | readonly string[],
  outPath: string,
  options: WriteReportOptions = {},
): Promise<void> {
  const paths = typeof resultsPaths === "string" ? [resultsPaths] : resultsPaths;
  if (paths.length === 0) throw new RangeError("Cannot write a report of no results files");
  const inputs: ReportInput[] = [];
  for (const path of paths) inputs.push(await readInput(path));
  const ab = inputs.find((i) => i.kind === "ab");
  if (ab?.kind === "ab") {
    if (inputs.length > 1) {
      throw new RangeError(
        `Cannot render A/B results "${ab.path}" with other files as an A/B report takes ` +
          `exactly one file: current value is ${inputs.length} files`,
      );
    }
    const label = options.labels?.[0] ?? ab.path;
    let html: string;
    try {
      html = renderAbReport(ab.results, { chartJs: await loadChartJs(), label });
    } catch (e) {
      throw incomplete(paths, "A/B results file", e);
    }
    return await writeHtmlAtomic(outPath, html);
  }
  const runs: ReportRun[] = inputs.map((input, i) => ({
    label: options.labels?.[i] ?? input.path,
    results: input.results as Results,
  }));
  let html: string;
  try {
    html = renderReport(runs, { chartJs: await loadChartJs() });
  } catch (e) {
    throw incomplete(paths, "results file", e);
  }
  await writeHtmlAtomic(outPath, html);
}

/** Options of {@linkcode writeAbReport}. */
export interface WriteAbReportOptions {
  /** How the report names the results (the ab.json path, say). @default no name */
  readonly label?: string;
}

/**
 * Renders A/B results (see {@linkcode renderAbReport}) and writes the page atomically (a temp
 * file renamed over `outPath`), creating the folder: what `ab` calls to put report.html beside
 * ab.json after a run.
 *
 * @param results The A/B results, as the run returned them.
 * @param outPath Where to write the HTML (`DIR/report.html`).
 * @param options The label of the results in the report.
 * @throws {Error} When chart.js's UMD build cannot be found.
 */
export async function writeAbReport(
  results: AbResults,
  outPath: string,
  options: WriteAbReportOptions = {},
): Promise<void> {
  const html = renderAbReport(results, { chartJs: await loadChartJs(), label: options.label });
  await writeHtmlAtomic(outPath, html);
}
