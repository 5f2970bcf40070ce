/**
 * Help texts of every command, in one style (usage, what it does, options, exit codes), and the
 * defaults they state. Imports no command, so every command can import it.
 *
 * @module
 */
import { RESULTS_SCHEMA_VERSION } from "../results/schema.ts";
import {
  DEFAULT_SQNR_THRESHOLD_DB,
  DEFAULT_THRESHOLD,
  DEFAULT_TIME_THRESHOLD,
} from "../gate/gate.ts";

/** Scenario run when none is given. */
export const DEFAULT_SCENARIO = "scenarios/default.json";
/** Output folder of `bench` when none is given. */
export const DEFAULT_OUT = "reports/latest";
/** Output folder of `ab` when none is given. */
export const DEFAULT_AB_OUT = "reports/ab";
/** Runs of `gate --calibrate` when `--runs` is not given. */
export const DEFAULT_CALIBRATION_RUNS = 10;
/** Output folder of `export` when none is given. */
export const DEFAULT_EXPORT_OUT = "reports/export";
/** Where `schema` writes when `--out` is not given. */
export const DEFAULT_SCHEMA_OUT = "scenarios/scenario.schema.json";

const THRESHOLD_PCT = DEFAULT_THRESHOLD * 100;
const TIME_THRESHOLD_PCT = DEFAULT_TIME_THRESHOLD * 100;

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
  ab       time a baseline and a candidate interleaved in one run; write ab.json
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
  count: `Usage: deno task count [--scenario FILE] [--json [--per-node]]
       deno task count MODEL.onnx [--shape NAME=1x3x224x224] [--per-node] [--json]

Counts parameters, BN buffers, conv MACs, FLOPs and memory traffic without running anything:
of both forms of every case of a scenario, or of any ONNX model (ops without a counting rule are
listed, not fatal).

Options:
  --scenario FILE   scenario file (default ${DEFAULT_SCENARIO})
  --shape N=DxD..   a model's input shape (dynamic dimensions other than batch, which is 1)
  --per-node        counts node by node too: a model's table or JSON, a scenario's perNode
                    (empty without it)
  --json            print JSON: for a scenario a results file (schemaVersion ${RESULTS_SCHEMA_VERSION}) of
                    skipped cases (reason "counts only") with their counts and no latencies,
                    its context naming no machine and no onnxruntime ("none (counts only)"),
                    which "deno task report" renders and "deno task gate" gates; for a model
                    its totals
  -h, --help        this help

Exit: 0 counted, 1 a case could not be built, 2 bad input`,
  export: `Usage: deno task export --width C --resolution R [options]
       deno task export --scenario FILE [--out DIR]

Writes multi_branch.onnx and reparameterized.onnx (opset 17, static shapes) for one stem.
With --scenario: both forms of every case of the scenario (stems built, models fused, as bench
builds them) as NNN.multi_branch.onnx and NNN.reparameterized.onnx, and manifest.json naming
them; the contract an A/B run against a git ref (deno task ab --baseline ref:REF) runs at the ref.

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
  --scenario FILE    export every case of a scenario instead (the stem options then refused)
  --out DIR          output folder (default ${DEFAULT_EXPORT_OUT})
  -h, --help         this help

Exit: 0 written, 1 a case of the scenario could not be built (kept in the manifest with its
error), 2 bad input`,
  report: `Usage: deno task report RESULTS.json... [--out FILE] [--label NAME]...
       deno task report AB.json [--out FILE] [--label NAME]

Renders one self-contained HTML report (chart.js inlined, opens offline from file://) from one
or more results files. With several files, the first is the baseline: every later file is
compared with it case by case: counts marked on any change, the within-run speedup marked
beyond the run-to-run noise, absolute medians shown but never marked (they drift up to 2x
between separate runs on a shared machine: for a verdict on time use deno task ab); the last
file is shown in full.

Given the ab.json of "deno task ab" (its "kind" is "ab"), renders the A/B report instead: both
sides, the verdict per case and form in words, the paired ratio candidate / baseline with its
95% interval (chart and table), and each side's within-run speedup. An ab.json is rendered
alone: with other files it is bad input.

Options:
  --out FILE      where to write the report (default: report.html beside the last results file)
  --label NAME    name of each results file in the report, in order (default: its path)
  -h, --help      this help

Exit: 0 written, 1 chart.js's UMD build not found in Deno's npm cache,
      2 bad input (a file missing, not results JSON, or of another schemaVersion; an ab.json
        given with other files)`,
  gate: `Usage: deno task gate --baseline FILE --current FILE [options]
       deno task gate --calibrate --scenario FILE [--runs N] [--keep DIR]
       deno task gate --paired --ab FILE [--threshold PCT] [--json] [--markdown FILE]
       deno task gate --paired --baseline-ref REF --scenario FILE [--out DIR] [--threshold PCT]

Gates a results file against a baseline. Exact gates: params, buffers, MACs, FLOPs, memory
traffic and node histograms of both forms must equal the baseline's, and the equivalence error
must stay within tolerance. Time gates: a form's median regresses when the 95% bootstrap
interval of median(current)/median(baseline) lies above 1 + time threshold; the within-run
speedup regresses when its interval's upper bound is below baseline speedup x (1 - threshold).
Int8 cases: a form's output SQNR (not the per-block SQNRs) regresses when it is below the
baseline's less the SQNR threshold, and a form that lost its integer kernels fails; a baseline
without int8 results is not compared. Missing, errored and newly skipped cases fail; new cases
are noted.

Options:
  --baseline FILE            accepted results (e.g. reports/baselines/ci.json)
  --current FILE             results to judge (e.g. reports/ci/results.json)
  --threshold PCT            allowed loss of the within-run speedup, in percent (default ${THRESHOLD_PCT})
  --time-threshold PCT       allowed slowdown of a median between runs, in percent (default ${TIME_THRESHOLD_PCT}:
                             absolute times on a shared machine vary up to 2x; calibrate a quiet
                             runner and tighten it)
  --sqnr-threshold DB        allowed drop of an int8 case's output SQNR per form, in dB
                             (default ${DEFAULT_SQNR_THRESHOLD_DB}; about 6 dB per bit)
  --allow-different-context  gate runs from another CPU, core count or ORT version: the absolute
                             time gate is skipped, the other gates run (otherwise exit 2)
  --json                     print the verdict as JSON on stdout (the table goes to stderr)
  --markdown FILE            also write the verdict as Markdown (e.g. "$GITHUB_STEP_SUMMARY")
  --calibrate                A/A: run --scenario --runs times, gate each run against the first,
                             report the noise floor per case and a threshold that never alarmed
  --scenario FILE            scenario to run with --calibrate or --baseline-ref
  --runs N                   runs with --calibrate, at least 2 (default ${DEFAULT_CALIBRATION_RUNS})
  --keep DIR                 with --calibrate, keep each run's results in DIR/runNN/
  --paired                   gate an A/B run ("deno task ab"'s ab.json, given with --ab): a case
                             and form regresses when the 95% interval of median(candidate) /
                             median(baseline) lies above 1 + --threshold (default 5%); an
                             errored case fails
  --ab FILE                  the ab.json to gate with --paired
  --baseline-ref REF         with --paired: run "deno task ab --baseline ref:REF" on --scenario
                             first (the working tree against the harness at git ref REF) and
                             gate its ab.json; also gates the candidate's equivalence
  --out DIR                  with --baseline-ref, where the run writes ab.json (default
                             reports/ab-gate)
  -h, --help                 this help

Exit: 0 nothing regressed, 1 something regressed (or, with --calibrate, the threshold alarmed),
      2 bad input or results that cannot be compared`,
  baseline: `Usage: deno task baseline --scenario FILE --out FILE
       deno task baseline --from RESULTS --out FILE

Runs a scenario in a fresh process (as CI does) and writes its results as a baseline for
"deno task gate". Refuses when a case errored or its forms were not equivalent.

Options:
  --scenario FILE   scenario to run (e.g. scenarios/ci.json)
  --from RESULTS    promote an existing results.json instead of running
  --out FILE        baseline file to write (e.g. reports/baselines/ci.json)
  -h, --help        this help

Exit: 0 written, 1 a case errored or was not equivalent (nothing written), 2 bad input`,
  ab: `Usage: deno task ab --scenario FILE --baseline SIDE [--candidate SIDE] [--out DIR]

Compares two versions in ONE run: for every case, both forms (multi-branch and
reparameterized) of the baseline and of the candidate are built, checked equivalent per side,
and timed together, each round running all four once in a fresh random order. Per case and form
it reports the paired ratio median(candidate) / median(baseline) with its 95% paired bootstrap
interval (above 1: the candidate is slower), and each side's within-run speedup. Writes
DIR/ab.json and DIR/report.html (after every case; Ctrl-C keeps what was measured); progress on
stderr, the table on stdout. Verdict: "slower" / "faster" when the interval lies entirely above /
below 1, else "same". Stem cases run when the sides can differ on them (a ref or an ort: side);
two model sets compare the model cases only.

Sides:
  working tree   this harness and the scenario's own model files (the default candidate)
  models:DIR     the scenario's model files, taken from DIR by the same file name
  ref:REF, REF   the harness at git ref REF (a branch, tag, sha, HEAD~1, ...): the commit's
                 tracked files are extracted to a temporary folder and its own
                 "export --scenario" builds the stems and fuses the models, from the scenario
                 and model files at that commit (a scenario outside the repository is used as
                 it is); the graphs are timed here, beside the other side's
  ort:VERSION    this harness run by onnxruntime-node VERSION (npm); then both sides run in
                 worker processes, one per side, in lock-step, each call timed inside its
                 worker; a worker that dies or does not answer in 60 s errors the case, naming
                 its side (the first start may download the package)

Options:
  --scenario FILE     the scenario (required)
  --baseline SIDE     the side to compare against (required)
  --candidate SIDE    the side judged (default "working tree")
  --out DIR           output folder (default ${DEFAULT_AB_OUT})
  --trials N          with an ort: side, fresh worker pairs per case, pooled (default 3): two
                      processes of one version differ by up to ~10% here, which only several
                      pairs let the interval see
  -h, --help          this help

Exit: 0 every case compared, 1 a case errored or a side's forms were not equivalent,
      2 bad input (an unknown ref, a ref that cannot export the scenario, a file missing from
        DIR, a version that cannot be loaded, sides whose scenarios yield different cases),
      130 interrupted`,
  schema: `Usage: deno task schema [--out FILE]

Writes the JSON Schema of scenario files, which editors use to complete and check them.

Options:
  --out FILE   where to write it (default ${DEFAULT_SCHEMA_OUT})
  -h, --help   this help

Exit: 0 written, 2 bad input`,
};
