/**
 * `deno task baseline`: runs a scenario in a fresh process (or reads an existing results file) and
 * records it as the gate's baseline, unless a case errored or was not equivalent. Returns exit
 * codes (cli.ts exits); input errors print `error: ...` and return 2.
 *
 * @module
 */
import { printErr, printOut } from "../output.ts";
import { guardInputErrors, parseOptions, requireOption, UsageError } from "../args.ts";
import { readResults, writeResults } from "../results/io.ts";
import type { Results } from "../results/schema.ts";
import { runBenchProcess } from "../runner/bench_process.ts";
import { HELP } from "./help.ts";
import { formatCpu } from "../text_format.ts";

/**
 * `deno task baseline`: runs `--scenario` in a fresh process (or reads `--from`) and writes the
 * results to `--out` as a baseline, unless a case errored or was not equivalent.
 *
 * @param args The command's arguments, without the command name.
 * @returns 0 written, 1 a case errored or was not equivalent, 2 bad input.
 */
export function baselineCommand(args: string[]): Promise<number> {
  return guardInputErrors(async () => {
    const v = parseOptions(args, {
      scenario: { type: "string" },
      from: { type: "string" },
      out: { type: "string" },
    }, HELP.baseline);
    if (v.help) return printOut(HELP.baseline), 0;
    const out = requireOption(v, "out", HELP.baseline);
    if ((typeof v.scenario === "string") === (typeof v.from === "string")) {
      throw new UsageError(
        `Cannot record a baseline as exactly one of '--scenario' and '--from' is needed\n\n${HELP.baseline}`,
      );
    }
    let results: Results;
    if (typeof v.from === "string") {
      results = await readResults(v.from);
    } else {
      const dir = await Deno.makeTempDir({ prefix: "repstem-baseline-" });
      try {
        results = (await runBenchProcess(v.scenario as string, dir, { output: "inherit" })).results;
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }
    const bad = results.cases.filter((c) =>
      c.state === "errored" || (c.state === "completed" && !c.equivalence.withinTolerance)
    );
    if (bad.length > 0 || results.context.interrupted) {
      printErr(
        `Not writing ${out}: ${results.context.interrupted ? "the run was interrupted; " : ""}` +
          `${bad.length} case(s) errored or were not equivalent${
            bad.length ? `: ${bad.map((c) => c.id).join(", ")}` : ""
          }`,
      );
      return 1;
    }
    await writeResults(out, results);
    const skipped = results.cases.filter((c) => c.state === "skipped").length;
    printOut(
      `Wrote baseline ${out}: scenario ${results.context.scenario.name}, ${results.cases.length} case(s)` +
        `${skipped ? ` (${skipped} skipped)` : ""}, ${formatCpu(results.context.cpu)}, ` +
        `ORT ${results.context.ortVersion}`,
    );
    return 0;
  });
}
