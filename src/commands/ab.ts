/**
 * `deno task ab`: a baseline and a candidate timed interleaved in one run (see src/ab/); saves
 * DIR/ab.json after every case and on Ctrl-C, prints the table of paired ratios.
 *
 * @module
 */
import { interruptOnCtrlC } from "./_interrupt.ts";
import { failedCasesExit } from "./_failed_cases.ts";
import { dirname, join } from "node:path";
import { printErr, printOut } from "../output.ts";
import { parseOptions, requireOption, UsageError } from "../args.ts";
import { loadScenario } from "../scenario/load.ts";
import { type LoadedSide, parseSide, type Side, WORKING_TREE } from "../ab/side.ts";
import { loadSideModels } from "../ab/side_models.ts";
import { loadRefSide } from "../ab/side_ref.ts";
import type { Scenario } from "../scenario/schema.ts";
import { type AbResults, verdictOf } from "../ab/results.ts";
import type { AbEvent } from "../ab/run.ts";
import { FORM_NAMES } from "../results/schema.ts";
import { writeJsonAtomic } from "../results/io.ts";
import { writeAbReport } from "../report/write.ts";
import { formatInterval, formatMs, formatRatio, formatTable } from "../text_format.ts";
import { COUNTING_CONVENTIONS } from "../profile/counts.ts";
import { MEASURING_CONVENTIONS } from "../case.ts";
import { DEFAULT_AB_OUT, HELP } from "./help.ts";

/** How the A/B ratio is read, written into the context's conventions. */
const AB_CONVENTIONS = {
  abRatio: "median(candidate) / median(baseline) per form, above 1 when the candidate is slower; " +
    "ci95 by paired bootstrap over rounds; all four sessions (two sides x two forms) interleaved " +
    "in one measurement, each round in a fresh random order",
};

/** How a run with an `ort:` side times, written into the context's conventions. */
const AB_WORKER_CONVENTIONS = {
  abWorkers: "with an ort: side both sides run in worker processes, one per side with its own " +
    "onnxruntime-node (the project's version too, so both pay the same overhead), in lock-step: " +
    "one timed call at a time, the other worker idle; each duration is measured inside its worker " +
    "around session.run, so the pipe round trip is outside the samples; fusion and each side's " +
    "equivalence check run in the coordinator with the project's onnxruntime-node; each case is " +
    "timed by several fresh worker pairs (trials), their rounds pooled, and the ratio's ci95 is a " +
    "two-level bootstrap (trials, then rounds), because two processes of the same version differ " +
    "beyond one pair's within-run interval",
};

function progressPrinter() {
  const started = performance.now();
  return (event: AbEvent) => {
    if (event.kind === "case-start") return;
    const r = event.result;
    const what = r.state === "completed"
      ? FORM_NAMES.map((f) =>
        `${f} ${formatRatio(r.forms[f].ratio, 3)} ${formatInterval(r.forms[f].ci95, 3)}`
      ).join(", ")
      : `errored: ${r.error}`;
    const elapsed = ((performance.now() - started) / 1000).toFixed(0);
    printErr(`[${event.index + 1}/${event.total}] ${r.id}: ${what} (${elapsed} s)`);
  };
}

/**
 * The table printed at the end: one row per case and form with both medians, the paired ratio
 * candidate / baseline and its verdict.
 */
function formatAbTable(results: AbResults): string {
  const rows: string[][] = [];
  for (const c of results.cases) {
    if (c.state !== "completed") {
      rows.push([c.id, "-", "-", "-", "-", `errored: ${c.error}`]);
      continue;
    }
    for (const f of FORM_NAMES) {
      const r = c.forms[f];
      rows.push([
        c.id,
        f,
        formatMs(r.baseline.median),
        formatMs(r.candidate.median),
        `${formatRatio(r.ratio, 3)} ${formatInterval(r.ci95, 3)}`,
        verdictOf(r.ci95),
      ]);
    }
  }
  const header = ["case", "form", "baseline ms", "candidate ms", "ratio [ci95]", "verdict"];
  return formatTable(header, rows);
}

/** Loads a side: a git ref through its own export, any other with this harness. */
function loadSide(
  side: Side,
  flag: string,
  scenario: Scenario,
  scenarioPath: string,
  signal: AbortSignal,
): Promise<LoadedSide> {
  if (side.kind === "ref") {
    printErr(`${flag} ${side.ref}: exporting the scenario's cases with the harness at that ref`);
    return loadRefSide(side, flag, scenarioPath, { signal });
  }
  return loadSideModels(side, flag, scenario, scenarioPath);
}

/** Runs `ab` and returns its exit code (0, 1 a case failed, 2 bad input, 130 interrupted). */
export async function ab(args: string[]): Promise<number> {
  const v = parseOptions(args, {
    scenario: { type: "string" },
    baseline: { type: "string" },
    candidate: { type: "string" },
    out: { type: "string" },
    trials: { type: "string" },
  }, HELP.ab);
  if (v.help) return printOut(HELP.ab), 0;
  const baselineSide = parseSide(requireOption(v, "baseline", HELP.ab), "--baseline");
  const candidateSide = parseSide(
    (v.candidate as string | undefined) ?? WORKING_TREE,
    "--candidate",
  );
  const trials = v.trials === undefined ? undefined : Number(v.trials);
  if (trials !== undefined && !(Number.isInteger(trials) && trials >= 1 && trials <= 100)) {
    throw new UsageError(
      `Cannot run ab as '--trials' must be an integer in [1, 100]: current value is ${
        JSON.stringify(v.trials)
      }`,
    );
  }
  const scenarioPath = requireOption(v, "scenario", HELP.ab);
  const outPath = join((v.out as string | undefined) ?? DEFAULT_AB_OUT, "ab.json");
  const { scenario, hash } = await loadScenario(scenarioPath);
  const loaded: LoadedSide[] = [];
  // Listening from here, so that Ctrl-C while a ref exports its cases still removes its checkout
  const interrupt = interruptOnCtrlC(outPath);
  try {
    const load = async (side: Side, flag: string) => {
      const l = await loadSide(side, flag, scenario, scenarioPath, interrupt.signal);
      loaded.push(l);
      return l;
    };
    const baseline = await load(baselineSide, "--baseline");
    const candidate = await load(candidateSide, "--candidate");
    if (interrupt.signal.aborted) return printErr("Interrupted before any case ran"), 130;
    return await runLoaded(
      scenario,
      scenarioPath,
      hash,
      { baseline, candidate },
      outPath,
      trials,
      interrupt.signal,
    );
  } catch (e) {
    if (interrupt.signal.aborted) return printErr("Interrupted before any case ran"), 130;
    throw e;
  } finally {
    for (const side of loaded) await side.dispose();
    interrupt.dispose();
  }
}

/** Times both loaded sides, saves ab.json as it grows, prints the table. */
async function runLoaded(
  scenario: Scenario,
  scenarioPath: string,
  hash: string,
  sides: { baseline: LoadedSide; candidate: LoadedSide },
  outPath: string,
  trials: number | undefined,
  signal: AbortSignal,
): Promise<number> {
  // onnxruntime's native library loads only here, so `--help` and bad input never need it
  const { runAb, abCases, needsWorkers } = await import("../ab/run.ts");
  abCases(sides); // the sides' cases must match: bad input before any timing
  const { checkOrtSide } = await import("../ab/workers.ts");
  for (const s of ["baseline", "candidate"] as const) {
    const version = sides[s].ort;
    if (version === undefined) continue;
    printErr(`--${s} ort:${version}: starting a worker with onnxruntime-node ${version}`);
    await checkOrtSide(s, version, `--${s}`); // a version that cannot load is bad input
  }
  const { collectContext } = await import("../runner/context.ts");
  const context = await collectContext({
    scenario: {
      name: scenario.name,
      description: scenario.description,
      path: scenarioPath,
      hash,
      resolved: scenario,
    },
    cacheBytes: scenario.cacheMiB * 1024 * 1024,
    conventions: {
      ...COUNTING_CONVENTIONS,
      ...MEASURING_CONVENTIONS,
      ...AB_CONVENTIONS,
      ...(needsWorkers(sides) ? AB_WORKER_CONVENTIONS : {}),
    },
  });
  printErr(
    `A/B: baseline "${sides.baseline.record.spec}" against candidate ` +
      `"${sides.candidate.record.spec}" (ratio = candidate / baseline, above 1 = slower)`,
  );
  const results = await runAb(scenario, context, sides, {
    signal,
    ...(trials !== undefined ? { trials } : {}),
    onEvent: progressPrinter(),
    onResults: (r) => writeJsonAtomic(outPath, r),
    onWorker: (_side, w) => printErr(`${w.label}: pid ${w.pid}, loaded ${w.ortVersion}`),
  });
  await writeJsonAtomic(outPath, results);
  printOut(formatAbTable(results));
  const reportPath = join(dirname(outPath), "report.html");
  try {
    await writeAbReport(results, reportPath, { label: outPath });
    printErr(`\nWrote ${outPath} and ${reportPath}`);
  } catch (e) {
    // The measured results are saved; a report that cannot be drawn does not lose them
    printErr(`\nWrote ${outPath}; no report: ${(e as Error).message}`);
  }
  if (results.context.interrupted) return 130;
  const bad = results.cases.filter((c) =>
    c.state === "errored" ||
    !(c.equivalence.baseline.withinTolerance && c.equivalence.candidate.withinTolerance)
  );
  return failedCasesExit(bad.map((c) => c.id));
}
