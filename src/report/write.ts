/**
 * Writes the HTML report to a file: reads results files, renders them with chart.js inlined, and
 * writes the page atomically. What `deno task report` does, and what `bench` calls to put
 * report.html beside results.json.
 *
 * @module
 */
import { dirname } from "node:path";
import { readResults } from "../results/io.ts";
import { loadChartJs } from "./chartjs.ts";
import { renderReport, type ReportRun } from "./render.ts";

/** Options of {@linkcode writeReport}. */
export interface WriteReportOptions {
  /** Names of the results files in the report, in order. @default the paths */
  readonly labels?: readonly string[];
}

/**
 * Reads results files, renders the report and writes it atomically (a temp file renamed over
 * `outPath`), creating the folder.
 *
 * @param resultsPaths One results file, or several with the baseline first.
 * @param outPath Where to write the HTML.
 * @throws {SyntaxError} When a file is not results JSON (the message names the file).
 * @throws {RangeError} When a file's schemaVersion is not 1, or no file is given.
 * @throws {Deno.errors.NotFound} When a file does not exist.
 * @throws {Error} When chart.js's UMD build cannot be found.
 */
export async function writeReport(
  resultsPaths: string | readonly string[],
  outPath: string,
  options: WriteReportOptions = {},
): Promise<void> {
  const paths = typeof resultsPaths === "string" ? [resultsPaths] : resultsPaths;
  if (paths.length === 0) throw new RangeError("Cannot write a report of no results files");
  const runs: ReportRun[] = [];
  for (const [i, path] of paths.entries()) {
    runs.push({ label: options.labels?.[i] ?? path, results: await readResults(path) });
  }
  let html: string;
  try {
    html = renderReport(runs, { chartJs: await loadChartJs() });
  } catch (e) {
    // parseResults checks the version and the top level only: a file cut down by hand or by
    // another tool fails here, and that is bad input, not a crash
    if (!(e instanceof TypeError)) throw e;
    throw new SyntaxError(
      `Cannot render a report of ${paths.map((p) => `"${p}"`).join(", ")} as ${
        paths.length > 1 ? "one of them is" : "it is"
      } not a complete results file (${e.message})`,
    );
  }
  await Deno.mkdir(dirname(outPath) || ".", { recursive: true });
  const tmp = `${outPath}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, html);
  await Deno.rename(tmp, outPath);
}
