/**
 * Help texts of the commands and their defaults.
 *
 * @module
 */
import { RESULTS_SCHEMA_VERSION } from "../results/schema.ts";
import { REPORT_HELP } from "../report/command.ts";
import { BASELINE_HELP, GATE_HELP } from "../gate/command.ts";

/** Scenario run when none is given. */
export const DEFAULT_SCENARIO = "scenarios/default.json";
/** Output folder of `bench` when none is given. */
export const DEFAULT_OUT = "reports/latest";

/** Help text of each command, and `main` for the overview. */
export const HELP: Record<string, string> = {
  main: `repstem-bench: benchmark FastViT's reparameterizable stem in both forms

Usage: deno task <command> [options]    (or: deno run -A src/cli.ts <command> [options])

Commands:
  bench    build, verify, count and time every case of a scenario; write results.json
  count    counts only (params, MACs, FLOPs, memory traffic), no onnxruntime, fast
  export   write one case's two forms as .onnx files
  report   render one or several results files as a self-contained HTML report
  gate     compare a results file with a baseline: exit 1 on a regression (CI)
  baseline record a baseline for the gate
  schema   write the scenario JSON Schema (for editors) to scenarios/scenario.schema.json

Run "deno task <command> --help" for a command's options.`,
  bench: `Usage: deno task bench [--scenario FILE] [--out DIR]

Builds both forms of every case, checks they compute the same function on onnxruntime, counts
them, times them interleaved, and writes DIR/results.json (after every case, so Ctrl-C keeps
what was measured). Progress goes to stderr, the summary table to stdout.

Options:
  --scenario FILE   scenario file (default ${DEFAULT_SCENARIO})
  --out DIR         output folder (default ${DEFAULT_OUT})
  -h, --help        this help

Exit: 0 all cases completed and equivalent, 1 a case errored or was not equivalent,
      2 bad input, 130 interrupted`,
  count: `Usage: deno task count [--scenario FILE] [--json]

Counts parameters, BN buffers, conv MACs, FLOPs and memory traffic of both forms of every case,
without running anything.

Options:
  --scenario FILE   scenario file (default ${DEFAULT_SCENARIO})
  --json            print the results shape (schemaVersion ${RESULTS_SCHEMA_VERSION}) without latencies
  -h, --help        this help`,
  export: `Usage: deno task export --width C --resolution R [options]

Writes multi_branch.onnx and reparameterized.onnx (opset 17, static shapes) for one stem.

Options:
  --width C          stem width (required)
  --resolution R     square input size (required)
  --branches B       conv branches per block, 1..8 (default 1)
  --batch N          batch size (default 1)
  --in-channels I    input channels (default 3)
  --activation A     gelu | relu | none (default gelu)
  --no-scale         drop the 1x1 scale branch
  --se               add squeeze-excitation
  --seed S           weight seed (default 0)
  --out DIR          output folder (default reports/export)
  -h, --help         this help`,
  report: REPORT_HELP,
  gate: GATE_HELP,
  baseline: BASELINE_HELP,
  schema: `Usage: deno task schema [--out FILE]

Writes the JSON Schema of scenario files (default scenarios/scenario.schema.json).`,
};
