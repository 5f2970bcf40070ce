/**
 * `deno task gate`: gates a results file against a baseline (argument parsing, file I/O and
 * printing around the pure gate of src/gate/), or calibrates the thresholds with A/A runs
 * (`--calibrate`). Returns exit codes (cli.ts exits); input errors print `error: ...` and return 2.
 *
 * @module
 */
import { join } from "node:path";
import { printErr, printOut } from "../output.ts";
import {
  guardInputErrors,
  type OptionValues,
  parseOptions,
  requireOption,
  UsageError,
} from "../args.ts";
import { readResults } from "../results/io.ts";
import type { Results } from "../results/schema.ts";
import { calibrate, formatCalibration } from "../gate/calibrate.ts";
import { exitCodeOf, gateResults } from "../gate/gate.ts";
import {
  formatVerdictJson,
  formatVerdictMarkdown,
  formatVerdictText,
} from "../gate/verdict_text.ts";
import { runBenchProcess } from "../runner/bench_process.ts";
import { DEFAULT_CALIBRATION_RUNS, HELP } from "./help.ts";
import { gatePairedCommand } from "./gate_paired.ts";

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

/** `--sqnr-threshold DB`: decibels >= 0, with or without a `dB` suffix. */
function parseDb(name: string, value: string | boolean | string[] | undefined) {
  if (value === undefined) return undefined;
  const text = String(value).replace(/\s*db$/i, "").trim();
  const db = Number(text);
  if (typeof value !== "string" || text === "" || !(db >= 0 && Number.isFinite(db))) {
    throw new UsageError(
      `Cannot gate as '--${name}' must be a number of dB >= 0: current value is ${
        JSON.stringify(value)
      }`,
    );
  }
  return db;
}

/**
 * The thresholds as gateResults takes them, from `--threshold`, `--time-threshold` and
 * `--sqnr-threshold`.
 */
function parseThresholds(
  v: OptionValues,
): { threshold?: number; timeThreshold?: number; sqnrThresholdDb?: number } {
  const threshold = parsePct("threshold", v.threshold, 100);
  const timeThreshold = parsePct("time-threshold", v["time-threshold"], 10000);
  const sqnrThresholdDb = parseDb("sqnr-threshold", v["sqnr-threshold"]);
  return {
    ...(threshold !== undefined ? { threshold } : {}),
    ...(timeThreshold !== undefined ? { timeThreshold } : {}),
    ...(sqnrThresholdDb !== undefined ? { sqnrThresholdDb } : {}),
  };
}

function parseRuns(value: string | boolean | string[] | undefined): number {
  if (value === undefined) return DEFAULT_CALIBRATION_RUNS;
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

/** `gate --calibrate`: runs the scenario `--runs` times in fresh processes and calibrates. */
async function calibrateCommand(v: OptionValues): Promise<number> {
  const scenario = requireOption(v, "scenario", HELP.gate);
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
  return guardInputErrors(async () => {
    const v = parseOptions(args, {
      baseline: { type: "string" },
      current: { type: "string" },
      threshold: { type: "string" },
      "time-threshold": { type: "string" },
      "sqnr-threshold": { type: "string" },
      json: { type: "boolean" },
      markdown: { type: "string" },
      "allow-different-context": { type: "boolean" },
      calibrate: { type: "boolean" },
      scenario: { type: "string" },
      runs: { type: "string" },
      keep: { type: "string" },
      paired: { type: "boolean" },
      ab: { type: "string" },
      "baseline-ref": { type: "string" },
      out: { type: "string" },
    }, HELP.gate);
    if (v.help) return printOut(HELP.gate), 0;
    if (v.calibrate) return await calibrateCommand(v);
    if (v.paired) {
      const str = (x: unknown) => (typeof x === "string" ? x : undefined);
      return await gatePairedCommand({
        ab: str(v.ab),
        baselineRef: str(v["baseline-ref"]),
        scenario: str(v.scenario),
        out: str(v.out),
        threshold: parsePct("threshold", v.threshold, 100),
        json: !!v.json,
        markdown: str(v.markdown),
      });
    }
    const paths = {
      baseline: requireOption(v, "baseline", HELP.gate),
      current: requireOption(v, "current", HELP.gate),
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
