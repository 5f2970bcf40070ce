/**
 * The command line: dispatches `bench`, `ab`, `count`, `reparam`, `export`, `report`, `gate`,
 * `baseline` and `schema` (one file each in src/commands/). The only file that calls Deno.exit.
 *
 * Exit codes: 0 success, 1 a case failed or a gate found a regression, 2 bad input,
 * 130 interrupted (results so far are saved).
 *
 * @module
 */
import { printErr, printOut } from "./output.ts";
import { isInputError } from "./args.ts";
import { HELP } from "./commands/help.ts";
import { reportCommand } from "./commands/report.ts";
import { gateCommand } from "./commands/gate.ts";
import { baselineCommand } from "./commands/baseline.ts";
import { bench } from "./commands/bench.ts";
import { count } from "./commands/count.ts";
import { exportModels } from "./commands/export.ts";
import { schema } from "./commands/schema.ts";
import { reparam } from "./commands/reparam.ts";
import { ab } from "./commands/ab.ts";

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  report: reportCommand,
  gate: gateCommand,
  baseline: baselineCommand,
  bench,
  ab,
  count,
  reparam,
  export: exportModels,
  schema,
};

/** Runs the CLI and returns its exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    printOut(HELP.main);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    printErr(`Unknown command "${command}"\n\n${HELP.main}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (isInputError(e)) {
      printErr(`error: ${e.message}`);
      return 2;
    }
    // A bug, not bad input: one line, the stack only when asked for
    printErr(`error: ${command} failed unexpectedly: ${e instanceof Error ? e.message : e}`);
    if (Deno.env.get("REPSTEM_DEBUG")) printErr(String(e instanceof Error ? e.stack : e));
    else printErr("(set REPSTEM_DEBUG=1 for the stack trace)");
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
