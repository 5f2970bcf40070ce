/**
 * The `gate` and `baseline` commands: argument parsing, file I/O and printing around the pure
 * gate. They return exit codes (cli.ts exits); input errors print `error: ...` and return 2.
 *
 * @module
 */
import { printErr, printOut } from "../output.ts";
import { type OptionValues, parseOptions, UsageError } from "../args.ts";
import { join } from "node:path";
import { readResults, writeResults } from "../results/io.ts";
import type { Results } from "../results/schema.ts";
import { calibrate, formatCalibration } from "./calibrate.ts";
import { formatVerdictJson, formatVerdictMarkdown, formatVerdictText } from "./format.ts";
import { DEFAULT_THRESHOLD, DEFAULT_TIME_THRESHOLD, exitCodeOf, gateResults } from "./gate.ts";
import { runBenchProcess } from "./run_bench.ts";

const DEFAULT_RUNS = 10;
const THR = DEFAULT_THRESHOLD * 100;
const TIME = DEFAULT_TIME_THRESHOLD * 100;

/** Help of `deno task gate`. */
export const GATE_HELP = `Usage: deno task gate --baseline FILE --current FILE [options]
       deno task gate --calibrate --scenario FILE [--runs N] [--keep DIR]

Gates a results file against a baseline. Exact gates: params, buffers, MACs, FLOPs, memory
traffic and node histograms of both forms must equal the baseline's, and the equivalence error
must stay within tolerance. Time gates: a form's median regresses when the 95% bootstrap
interval of median(current)/median(baseline) lies above 1 + time threshold; the within-run
speedup regresses when its interval's upper bound is below baseline speedup x (1 - threshold).
Missing, errored and newly skipped cases fail; new cases are noted.

Options:
  --baseline FILE            accepted results (e.g. reports/baselines/ci.json)
  --current FILE             results to judge (e.g. reports/ci/results.json)
  --threshold PCT            allowed loss of the within-run speedup, in percent (default ${THR})
  --time-threshold PCT       allowed slowdown of a median between runs, in percent (default ${TIME}:
                             absolute times on a shared machine vary up to 2x; calibrate a quiet
                             runner and tighten it)
  --allow-different-context  gate runs from another CPU, core count or ORT version: the absolute
                             time gate is skipped, the other gates run (otherwise exit 2)
  --json                     print the verdict as JSON on stdout (the table goes to stderr)
  --markdown FILE            also write the verdict as Markdown (e.g. "$GITHUB_STEP_SUMMARY")
  --calibrate                A/A: run --scenario --runs times, gate each run against the first,
                             report the noise floor per case and a threshold that never alarmed
  --scenario FILE            scenario to run with --calibrate
  --runs N                   runs with --calibrate, at least 2 (default ${DEFAULT_RUNS})
  --keep DIR                 with --calibrate, keep each run's results in DIR/runNN/
  -h, --help                 this help

Exit: 0 nothing regressed, 1 something regressed (or, with --calibrate, the threshold alarmed),
      2 bad input or results that cannot be compared`;

/** Help of `deno task baseline`. */
export const BASELINE_HELP = `Usage: deno task baseline --scenario FILE --out FILE
       deno task baseline --from RESULTS --out FILE

Runs a scenario in a fresh process (as CI does) and writes its results as a baseline for
"deno task gate". Refuses when a case errored or its forms were not equivalent.

Options:
  --scenario FILE   scenario to run (e.g. scenarios/ci.json)
  --from RESULTS    promote an existing results.json instead of running
  --out FILE        baseline file to write (e.g. reports/baselines/ci.json)
  -h, --help        this help

Exit: 0 written, 1 a case errored or was not equivalent (nothing written), 2 bad input`;

function required(v: OptionValues, name: string, help: string): string {
  const value = v[name];
  if (typeof value !== "string" || value === "") {
    throw new UsageError(`Cannot run as '--${name}' is required\n\n${help}`);
  }
  return value;
}

function parsePct(name: string, value: string | boolean | string[] | undefined, max: number) {
  if (value === undefined) return undefined;
  const pct = Number(String(value).replace(/%$/, ""));
  if (typeof value !== "string" || !(pct > 0 && pct < max)) {
    throw new UsageError(
      `Cannot gate as '--${name}' must be a percentage in (0, ${max}): current value is ${
        JSON.stringify(value)
      }`,
    );
  }
  return pct / 100;
}

/** The two thresholds as gateResults takes them, from `--threshold` and `--time-threshold`. */
function parseThresholds(v: OptionValues): { threshold?: number; timeThreshold?: number } {
  const threshold = parsePct("threshold", v.threshold, 100);
  const timeThreshold = parsePct("time-threshold", v["time-threshold"], 10000);
  return {
    ...(threshold !== undefined ? { threshold } : {}),
    ...(timeThreshold !== undefined ? { timeThreshold } : {}),
  };
}

function parseRuns(value: string | boolean | string[] | undefined): number {
  if (value === undefined) return DEFAULT_RUNS;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isInteger(n) || n < 2) {
    throw new UsageError(
      `Cannot calibrate as '--runs' must be an integer >= 2: current value is ${
        JSON.stringify(value)
      }`,
    );
  }
  return n;
}

/** Runs a command body, turning input errors into `error: ...` on stderr and exit code 2. */
async function guarded(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (
      e instanceof UsageError || e instanceof SyntaxError || e instanceof RangeError ||
      e instanceof Deno.errors.NotFound || e instanceof Deno.errors.IsADirectory
    ) {
      printErr(`error: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  }
}

async function calibrateCommand(v: OptionValues): Promise<number> {
  const scenario = required(v, "scenario", GATE_HELP);
  const runs = parseRuns(v.runs);
  const thresholds = parseThresholds(v);
  const keep = typeof v.keep === "string" ? v.keep : undefined;
  const dir = keep ?? await Deno.makeTempDir({ prefix: "repstem-calibrate-" });
  const results: Results[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const out = join(dir, `run${String(i + 1).padStart(2, "0")}`);
      results.push((await runBenchProcess(scenario, out)).results);
      printErr(
        `[${i + 1}/${runs}] ran ${scenario} in ${
          ((performance.now() - started) / 1000).toFixed(1)
        } s`,
      );
    }
  } finally {
    if (!keep) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  const c = calibrate(results, thresholds);
  const text = formatCalibration(c);
  if (v.json) {
    printErr(text);
    printOut(JSON.stringify(c, null, 2));
  } else {
    printOut(text);
  }
  if (typeof v.markdown === "string") {
    await Deno.writeTextFile(v.markdown, "```\n" + text + "\n```\n");
  }
  return c.outcomes.every((o) => o === "pass") && c.hardFailures.length === 0 ? 0 : 1;
}

/**
 * `deno task gate`: gates `--current` against `--baseline`, or calibrates with `--calibrate`.
 * Prints the verdict table (stdout, or stderr with `--json`, which prints JSON on stdout) and
 * writes Markdown with `--markdown FILE`.
 *
 * @param args The command's arguments, without the command name.
 * @returns 0 nothing regressed, 1 something regressed, 2 bad input or incomparable results.
 */
export function gateCommand(args: string[]): Promise<number> {
  return guarded(async () => {
    const v = parseOptions(args, {
      baseline: { type: "string" },
      current: { type: "string" },
      threshold: { type: "string" },
      "time-threshold": { type: "string" },
      json: { type: "boolean" },
      markdown: { type: "string" },
      "allow-different-context": { type: "boolean" },
      calibrate: { type: "boolean" },
      scenario: { type: "string" },
      runs: { type: "string" },
      keep: { type: "string" },
    }, GATE_HELP);
    if (v.help) return printOut(GATE_HELP), 0;
    if (v.calibrate) return await calibrateCommand(v);
    const paths = {
      baseline: required(v, "baseline", GATE_HELP),
      current: required(v, "current", GATE_HELP),
    };
    const thresholds = parseThresholds(v);
    const [baseline, current] = [
      await readResults(paths.baseline),
      await readResults(paths.current),
    ];
    const verdict = gateResults(baseline, current, {
      ...thresholds,
      allowDifferentContext: v["allow-different-context"] === true,
      sources: paths,
    });
    const text = formatVerdictText(verdict, { paths });
    if (v.json) {
      printErr(text);
      printOut(formatVerdictJson(verdict).trimEnd());
    } else {
      printOut(text);
    }
    if (typeof v.markdown === "string") {
      await Deno.writeTextFile(v.markdown, formatVerdictMarkdown(verdict, { paths }));
    }
    return exitCodeOf(verdict);
  });
}

/**
 * `deno task baseline`: runs `--scenario` in a fresh process (or reads `--from`) and writes the
 * results to `--out` as a baseline, unless a case errored or was not equivalent.
 *
 * @param args The command's arguments, without the command name.
 * @returns 0 written, 1 a case errored or was not equivalent, 2 bad input.
 */
export function baselineCommand(args: string[]): Promise<number> {
  return guarded(async () => {
    const v = parseOptions(args, {
      scenario: { type: "string" },
      from: { type: "string" },
      out: { type: "string" },
    }, BASELINE_HELP);
    if (v.help) return printOut(BASELINE_HELP), 0;
    const out = required(v, "out", BASELINE_HELP);
    if ((typeof v.scenario === "string") === (typeof v.from === "string")) {
      throw new UsageError(
        `Cannot record a baseline as exactly one of '--scenario' and '--from' is needed\n\n${BASELINE_HELP}`,
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
        `${
          skipped ? ` (${skipped} skipped)` : ""
        }, ${results.context.cpu.model} (${results.context.cpu.cores} cores), ` +
        `ORT ${results.context.ortVersion}`,
    );
    return 0;
  });
}
