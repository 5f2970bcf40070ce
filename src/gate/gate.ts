/**
 * The regression gate: a current results file against a baseline, to a {@linkcode Verdict}.
 * Pure and deterministic (the bootstrap is seeded); a failed gate is a returned value.
 *
 * Hard gates are exact: params, buffers, constants, MACs, FLOPs (conv, elementwise, total),
 * memory traffic (naive, minimum, cached) and the node histogram of each form must equal the
 * baseline's, onnxruntime's optimized histograms too when ORT and CPU match, and the current
 * equivalence error must stay within its tolerance.
 *
 * Time gates use the raw samples of both runs. A form's time regresses when the 95% bootstrap
 * interval of `median(current) / median(baseline)` (unpaired {@linkcode compareMedians}: the runs
 * are independent) lies entirely above `1 + timeThreshold`: the slowdown is beyond the threshold
 * and beyond the sampling noise at once, on the same scale as the threshold. A Mann-Whitney test was
 * not chosen: with hundreds of samples it calls a 1% shift significant, answers "different?"
 * rather than "slower by more than X?", and reacts to the tail of the distribution where medians
 * do not. The interval holds only the within-run sampling noise; run-to-run drift on a shared
 * machine is larger, and the threshold is what absorbs it, which is why `--calibrate` measures
 * it with A/A runs.
 *
 * The speedup gate compares the within-run ratio `median(multiBranch) / median(reparameterized)`
 * (paired bootstrap, measured interleaved, so a slower or busier machine cancels out): it
 * regresses when the current interval's upper bound is below `baseline ratio * (1 - threshold)`.
 * It runs even when the contexts differ, where absolute times mean nothing.
 *
 * The int8 gate compares an int8 case's quantization error per form: it fails when the current
 * output SQNR is below the baseline's less `sqnrThresholdDb` (the SQNR is deterministic for one
 * scenario, so the threshold absorbs ORT kernel and platform rounding, not noise), and when a
 * form that ran as integer kernels in the baseline now runs a Conv in float. Only the output
 * SQNR of each form is gated; the per-block SQNRs explain it in the report. A baseline written
 * before int8 results existed has nothing to compare: its int8 cases get a skip, not a failure.
 *
 * @module
 */
import type { CaseResult, Context, Results } from "../results/schema.ts";
import { DEFAULT_SEED } from "../stats/random.ts";
import { formatPercent } from "../text_format.ts";
import { checkCase } from "./_case_checks.ts";
import { compareCaseContexts, compareContexts } from "./_context_diff.ts";
import { checkResultsShape } from "./_validate.ts";
import type { CaseVerdict, Check, CheckStatus, GateRun, RunInfo, Verdict } from "./verdict.ts";

export * from "./verdict.ts";

/**
 * Default speedup threshold: 20%. In 60 A/A runs of scenarios/ci.json on this project's shared
 * 2-core machine, no choice of baseline run would have needed more than 10.8% (`--calibrate`).
 */
export const DEFAULT_THRESHOLD = 0.2;

/**
 * Default time threshold: 160% (fail only when a median is, beyond the noise, more than 2.6x the
 * baseline's). Absolute times on a shared machine move with its neighbours and its own state: in
 * the same 60 A/A runs one run's median was up to 2.36x another's (ci95 lower bound 2.26x), and
 * 160% is that 126% times 1.25, as `--calibrate` suggests. On a quiet, dedicated runner, measure
 * with `gate --calibrate` and pass `--time-threshold`.
 */
export const DEFAULT_TIME_THRESHOLD = 1.6;

/**
 * Default SQNR threshold of int8 cases: 1 dB, about a sixth of a bit (6.02 dB per bit). The SQNR
 * is deterministic for one scenario and ORT build; 1 dB leaves room for another CPU's integer
 * kernels rounding differently while catching a calibration or quantizer change that costs
 * accuracy.
 */
export const DEFAULT_SQNR_THRESHOLD_DB = 1;

/** Options of {@linkcode gateResults}. */
export interface GateOptions {
  /**
   * Allowed relative loss of the within-run speedup, as a fraction in (0, 1). It sets the speedup
   * gate only: each option sets one gate.
   * @default {DEFAULT_THRESHOLD}
   */
  readonly threshold?: number;
  /**
   * Allowed relative slowdown of a form's median between the runs, as a fraction > 0.
   * @default {DEFAULT_TIME_THRESHOLD}
   */
  readonly timeThreshold?: number;
  /**
   * Allowed drop of an int8 case's output SQNR below the baseline's, per form, in dB (>= 0).
   * @default {DEFAULT_SQNR_THRESHOLD_DB}
   */
  readonly sqnrThresholdDb?: number;
  /**
   * Gate runs whose contexts differ (ORT version, CPU model or cores, arch, GPU adapter, or a
   * case's config, provider or provider options): the absolute-time gate is skipped and the others run. Without it such runs are
   * `incomparable`.
   * @default {false}
   */
  readonly allowDifferentContext?: boolean;
  /**
   * Seed of the bootstrap of the time gate.
   * @default {DEFAULT_SEED}
   */
  readonly seed?: number;
  /**
   * Bootstrap resamples of the time gate.
   * @default {2000}
   */
  readonly resamples?: number;
  /**
   * Names of the two inputs in error messages.
   * @default {{ baseline: "baseline", current: "current" }}
   */
  readonly sources?: { readonly baseline: string; readonly current: string };
}

function runInfo(context: Context, cases: number): RunInfo {
  return {
    startedAt: String(context.startedAt),
    ...(context.gitCommit ? { gitCommit: context.gitCommit } : {}),
    scenario: String(context.scenario?.name ?? "(unnamed)"),
    ortVersion: String(context.ortVersion),
    cpu: `${context.cpu?.model ?? "unknown CPU"} (${context.cpu?.cores ?? "?"} cores)`,
    cases,
  };
}

/**
 * The int8 gate's row: absent when no case of either run has int8 results, not run when no case
 * has them in both (an older baseline).
 */
function int8Gate(
  base: ReadonlyMap<string, CaseResult>,
  cur: ReadonlyMap<string, CaseResult>,
  common: readonly string[],
  thresholdDb: number,
): GateRun[] {
  const has = (c: CaseResult | undefined) => c?.state === "completed" && c.int8 !== undefined;
  if (![...base.values(), ...cur.values()].some(has)) return [];
  return common.some((id) => has(base.get(id)) && has(cur.get(id)))
    ? [{
      gate: "int8",
      ran: true,
      reason:
        `output SQNR per form (not per block): fails below the baseline's less ${thresholdDb} ` +
        "dB; a form that lost its integer kernels fails",
    }]
    : [{ gate: "int8", ran: false, reason: "no int8 case has int8 results in both runs" }];
}

function caseStatus(checks: readonly Check[], inBaseline: boolean, inCurrent: boolean) {
  if (!inCurrent) return "missing";
  if (checks.some((c) => c.status === "fail")) return "fail";
  return inBaseline ? "pass" : "new";
}

/**
 * Gates a current results object against a baseline. `threshold` sets the speedup gate,
 * `timeThreshold` the time gate and `sqnrThresholdDb` the int8 gate, each independently of the
 * others.
 *
 * @param baseline The accepted run.
 * @param current The run to judge.
 * @param options Threshold, context policy and bootstrap settings.
 * @returns The verdict: `pass`, `regressed` (a check failed: a changed count, an equivalence
 * error over tolerance, an int8 SQNR drop or lost integer kernels, a time or speedup
 * regression, a missing, errored or newly skipped case)
 * or `incomparable` (contexts differ without `allowDifferentContext`, or no case in common).
 * @throws {RangeError} When `threshold` is not in (0, 1), `timeThreshold` is not > 0 or
 * `sqnrThresholdDb` is not a finite number >= 0.
 * @throws {SyntaxError} When a results object lacks a field the gate reads, or repeats a case id.
 * @example
 * ```ts
 * import { exitCodeOf, gateResults } from "./gate.ts";
 * import { readResults } from "../results/io.ts";
 * // The current run lacks a case the baseline completed: the presence gate fails.
 * const verdict = gateResults(
 *   await readResults("tests/testdata/results/before.json"),
 *   await readResults("tests/testdata/results/after.json"),
 *   { threshold: 0.2 },
 * );
 * const missing = verdict.cases.filter((c) => c.status === "missing").map((c) => c.id);
 * if (verdict.outcome !== "regressed" || exitCodeOf(verdict) !== 1) throw new Error();
 * if (missing.join() !== "cpu-all-t1-n1-gelu-b1-scale-w24-r128") throw new Error();
 * ```
 */
export function gateResults(
  baseline: Results,
  current: Results,
  options: GateOptions = {},
): Verdict {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const timeThreshold = options.timeThreshold ?? DEFAULT_TIME_THRESHOLD;
  if (!(threshold > 0 && threshold < 1)) {
    throw new RangeError(
      `Cannot gate as 'threshold' must be in (0, 1): current value is ${threshold}`,
    );
  }
  if (!(timeThreshold > 0 && Number.isFinite(timeThreshold))) {
    throw new RangeError(
      `Cannot gate as 'timeThreshold' must be > 0: current value is ${timeThreshold}`,
    );
  }
  const sqnrThresholdDb = options.sqnrThresholdDb ?? DEFAULT_SQNR_THRESHOLD_DB;
  if (!(sqnrThresholdDb >= 0 && Number.isFinite(sqnrThresholdDb))) {
    throw new RangeError(
      `Cannot gate as 'sqnrThresholdDb' must be a finite number >= 0: current value is ${sqnrThresholdDb}`,
    );
  }
  const sources = options.sources ?? { baseline: "baseline", current: "current" };
  checkResultsShape(baseline, sources.baseline);
  checkResultsShape(current, sources.current);
  const allow = options.allowDifferentContext ?? false;
  const differences = compareContexts(baseline.context, current.context);
  const globalBlocking = differences.filter((d) => d.blocking);
  const byId = (cases: readonly CaseResult[]) => new Map(cases.map((c) => [c.id, c]));
  const [base, cur] = [byId(baseline.cases), byId(current.cases)];
  const ids = [...base.keys(), ...[...cur.keys()].filter((id) => !base.has(id))];
  const problems: string[] = [];
  const common = ids.filter((id) => base.has(id) && cur.has(id));
  if (common.length === 0) {
    problems.push(
      `no case of the baseline (${base.size}) is in the current run (${cur.size}): ` +
        "were they made from the same scenario?",
    );
  }
  const caseBlocking = common.flatMap((id) =>
    compareCaseContexts(base.get(id)!, cur.get(id)!).map((d) => ({ id, ...d }))
  );
  // Contexts matter for what was timed; two counts-only runs (no completed case) compare anywhere
  const timed = [baseline, current].some((r) => r.cases.some((c) => c.state === "completed"));
  if ((globalBlocking.length > 0 || caseBlocking.length > 0) && !allow && timed) {
    const shown = [...globalBlocking, ...caseBlocking].slice(0, 4)
      .map((d) => `${"id" in d ? `${d.id} ` : ""}${d.field} "${d.baseline}" -> "${d.current}"`);
    problems.push(
      `the runs' contexts differ (${shown.join(", ")}), so absolute times are not comparable: ` +
        "pass --allow-different-context to run the count, equivalence and speedup gates only",
    );
  }
  const timeRuns = globalBlocking.length === 0;
  const settings = {
    threshold,
    timeThreshold,
    sqnrThresholdDb,
    seed: options.seed ?? DEFAULT_SEED,
    resamples: options.resamples ?? 2000,
    optimizer: timeRuns,
  };
  const cases: CaseVerdict[] = ids.map((id) => {
    const configDiffs = caseBlocking.filter((d) => d.id === id);
    const time = !timeRuns ? { run: false } : configDiffs.length === 0 ? { run: true } : {
      run: false,
      reason: `not compared: how the case ran differs (${
        configDiffs.map((d) => `${d.field} ${d.baseline} -> ${d.current}`).join(", ")
      })`,
    };
    const checks = checkCase(id, base.get(id), cur.get(id), { ...settings, time });
    return { id, status: caseStatus(checks, base.has(id), cur.has(id)), checks };
  });
  const tally: Record<CheckStatus, number> = { pass: 0, fail: 0, skip: 0, note: 0 };
  for (const c of cases) for (const check of c.checks) tally[check.status]++;
  const blockedBy = globalBlocking.map((d) => d.field).join(", ");
  const gates: GateRun[] = [
    { gate: "presence", ran: true, reason: "every baseline case must be in the current run" },
    { gate: "state", ran: true, reason: "current cases must complete (errored fails)" },
    { gate: "counts", ran: true, reason: "deterministic: must equal the baseline exactly" },
    timeRuns
      ? { gate: "optimizer", ran: true, reason: "same ORT build and CPU: histograms must match" }
      : { gate: "optimizer", ran: false, reason: `context differs (${blockedBy})` },
    { gate: "equivalence", ran: true, reason: "max abs error must stay within tolerance" },
    ...int8Gate(base, cur, common, sqnrThresholdDb),
    timeRuns
      ? {
        gate: "time",
        ran: true,
        reason: `fails when the ci95 of median(current)/median(baseline) lies above ${
          (1 + timeThreshold).toFixed(2)
        } (+${formatPercent(timeThreshold)})`,
      }
      : {
        gate: "time",
        ran: false,
        reason:
          `context differs (${blockedBy}): absolute times from different machines or builds are not comparable`,
      },
    {
      gate: "speedup",
      ran: true,
      reason: `within-run ratio: fails when the current ci95 upper bound < baseline ratio x ${
        (1 - threshold).toFixed(2)
      }`,
    },
  ];
  const outcome = problems.length > 0 ? "incomparable" : tally.fail > 0 ? "regressed" : "pass";
  return {
    outcome,
    problems,
    threshold,
    timeThreshold,
    sqnrThresholdDb,
    baseline: runInfo(baseline.context, baseline.cases.length),
    current: runInfo(current.context, current.cases.length),
    context: { differences, allowDifferentContext: allow },
    gates,
    cases,
    tally,
  };
}
