/**
 * `deno task report RESULTS.json... [--out FILE]`: reads results files, renders the HTML report
 * and writes it. Also {@linkcode writeReport}, which `bench` calls to put report.html beside
 * results.json.
 *
 * @module
 */
import { printErr, printOut } from "../output.ts";
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { readResults } from "../results/io.ts";
import { loadChartJs } from "./chartjs.ts";
import { renderReport, type ReportRun } from "./render.ts";

/** Help text of the report command. */
export const REPORT_HELP = `Usage: deno task report RESULTS.json... [--out FILE] [--label NAME]...

Renders one self-contained HTML report (chart.js inlined, opens offline from file://) from one
or more results files. With several files, the first is the baseline: every later file is
compared with it case by case (median latency and speedup, marked where the confidence
intervals do not overlap), and the last one is shown in full.

Options:
  --out FILE      where to write the report (default: report.html beside the last results file)
  --label NAME    name of each results file in the report, in order (default: its path)
  -h, --help      this help

Exit: 0 written, 2 bad input (a file missing, not results JSON, or of another schemaVersion),
      1 chart.js's UMD build not found in Deno's npm cache`;

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
    runs.push({ label: options.labels?.[i] ?? path, results: await readResultsFile(path) });
  }
  const html = renderReport(runs, { chartJs: await loadChartJs() });
  await Deno.mkdir(dirname(outPath) || ".", { recursive: true });
  const tmp = `${outPath}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, html);
  await Deno.rename(tmp, outPath);
}

async function readResultsFile(path: string) {
  try {
    return await readResults(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot read results "${path}": no such file`);
    }
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.IsADirectory) {
      throw new SyntaxError(`Cannot read results "${path}": ${e.message}`);
    }
    throw e;
  }
}

/**
 * Runs `report` with its arguments (after the command name); prints errors, never exits.
 *
 * @returns 0 when the report was written, 2 on bad input (message on stderr naming the file),
 *   1 when chart.js cannot be found.
 */
export async function reportCommand(args: string[]): Promise<number> {
  let values: { out?: string; label?: string[]; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: {
        out: { type: "string" },
        label: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (e) {
    printErr(`error: ${(e as Error).message}\n\n${REPORT_HELP}`);
    return 2;
  }
  if (values.help) return printOut(REPORT_HELP), 0;
  if (positionals.length === 0) {
    printErr(`error: Cannot make a report as no results file is given\n\n${REPORT_HELP}`);
    return 2;
  }
  const labels = values.label ?? [];
  if (labels.length > 0 && labels.length !== positionals.length) {
    printErr(
      `error: Cannot label the results as '--label' must be given once per file: ${labels.length} labels for ${positionals.length} files`,
    );
    return 2;
  }
  const out = values.out ?? join(dirname(positionals[positionals.length - 1]), "report.html");
  try {
    await writeReport(positionals, out, labels.length ? { labels } : {});
  } catch (e) {
    const bad = e instanceof SyntaxError || e instanceof RangeError ||
      e instanceof Deno.errors.NotFound;
    printErr(`error: ${(e as Error).message}`);
    return bad ? 2 : 1;
  }
  printErr(`Wrote ${out}`);
  return 0;
}
