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
  reparam  fuse your own ONNX model's reparameterizable branches, verify and count it
  count    counts only (params, MACs, FLOPs, memory traffic), no onnxruntime, fast
  export   write one case's two forms as .onnx files
  report   render one or several results files as a self-contained HTML report
  gate     compare a results file with a baseline: exit 1 on a regression (CI)
  baseline record a baseline for the gate
  schema   write the scenario JSON Schema (for editors) to scenarios/scenario.schema.json

Run "deno task <command> --help" for a command's options.`,
  reparam: `Usage: deno task reparam MODEL.onnx [--out FUSED.onnx] [--shape NAME=1x3x224x224]
                                 [--json] [--multiple K] [--seed N]

Fuses every subgraph of MODEL.onnx that is linear in one input tensor (conv branches, BatchNorm,
identity skips, per-channel scales, their sums: MobileOne, RepVGG, FastViT, RepViT, ACNet,
RepGhost, DBB-style blocks) into one Conv with bias, writes the fused model, runs both on
onnxruntime (CPU) with a seeded input and compares them against the model's own fp32 noise floor
(its outputs with the optimizer off against fully on).

Options:
  --out FILE       where to write the fused model (default MODEL.reparameterized.onnx beside it)
  --shape N=DxD..  a concrete shape for input N (needed for dynamic dimensions other than batch,
                   which defaults to 1)
  --json           print the summary as JSON
  --multiple K     tolerance: K times the noise floor, never below normwise 1e-5 (default 10)
  --seed N         seed of the input (default 0)
  -h, --help       this help

Exit: 0 equal within tolerance, 1 not equal (the fused model is still written), 2 bad input`,
  bench: `Usage: deno task bench [--scenario FILE] [--out DIR]

Builds both forms of every case, checks they compute the same function on onnxruntime, counts
them, times them interleaved, and writes DIR/results.json (after every case, so Ctrl-C keeps
what was measured). Progress goes to stderr, the summary table to stdout. Cases are generated
stems (the scenario's widths and resolutions) and users' own models (its "models": ONNX files of
multi-branch train-form networks, fused at graph level and checked against their fp32 noise
floor).

Options:
  --scenario FILE   scenario file (default ${DEFAULT_SCENARIO})
  --out DIR         output folder (default ${DEFAULT_OUT})
  -h, --help        this help

Exit: 0 all cases completed and equivalent, 1 a case errored or was not equivalent,
      2 bad input, 130 interrupted`,
  count: `Usage: deno task count [--scenario FILE] [--json]
       deno task count MODEL.onnx [--shape NAME=1x3x224x224] [--per-node] [--json]

Counts parameters, BN buffers, conv MACs, FLOPs and memory traffic without running anything:
of both forms of every case of a scenario, or of any ONNX model (ops without a counting rule are
listed, not fatal).

Options:
  --scenario FILE   scenario file (default ${DEFAULT_SCENARIO})
  --shape N=DxD..   a model's input shape (dynamic dimensions other than batch, which is 1)
  --per-node        a model's counts node by node too
  --json            print JSON: for a scenario the results shape (schemaVersion
                    ${RESULTS_SCHEMA_VERSION}) without latencies, for a model its totals
  -h, --help        this help

Exit: 0 counted, 1 a case could not be built, 2 bad input`,
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
