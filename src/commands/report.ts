/**
 * `deno task report RESULTS.json... [--out FILE]`: renders one or several results files as the
 * HTML report, or one ab.json as the A/B report (see src/report/write.ts). Returns exit codes;
 * prints errors, never exits.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { printErr, printOut } from "../output.ts";
import { writeReport } from "../report/write.ts";
import { isInputError } from "../args.ts";
import { HELP } from "./help.ts";

/**
 * Runs `report` with its arguments (after the command name); prints errors, never exits.
 *
 * @returns 0 when the report was written, 2 on bad input (message on stderr naming the file: a
 *   file missing or not results, an ab.json given with other files), 1 when chart.js cannot be
 *   found.
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
    printErr(`error: ${(e as Error).message}\n\n${HELP.report}`);
    return 2;
  }
  if (values.help) return printOut(HELP.report), 0;
  if (positionals.length === 0) {
    printErr(`error: Cannot make a report as no results file is given\n\n${HELP.report}`);
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
    if (!isInputError(e)) throw e;
    printErr(`error: ${e.message}`);
    return 2;
  }
  printErr(`Wrote ${out}`);
  return 0;
}
