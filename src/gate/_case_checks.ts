/**
 * The checks of one case: presence and state here, the hard gates from _hard_gates.ts, the int8
 * gate from _int8_checks.ts, then time and speedup. Private to src/gate; gate.ts documents the rules.
 *
 * @module
 */
import {
  type CaseResult,
  type CompletedCase,
  FORM_LABELS,
  FORM_NAMES,
  type FormName,
  type FormResult,
} from "../results/schema.ts";
import { compareMedians } from "../stats/compare.ts";
import { median, sortSamples } from "../stats/summarize.ts";
import { formatMs, formatPercent, formatRatio, formatSignedPercent } from "../text_format.ts";
import { countChecks, equivalenceChecks, optimizerChecks } from "./_hard_gates.ts";
import { int8Checks } from "./_int8_checks.ts";
import type { Check } from "./verdict.ts";

/** How the gate treats one case. */
export interface CaseSettings {
  /** Allowed relative loss of speedup, as a fraction. */
  readonly threshold: number;
  /** Allowed relative slowdown of a median, as a fraction. */
  readonly timeThreshold: number;
  /** Allowed drop of an int8 form's output SQNR below the baseline's, dB. */
  readonly sqnrThresholdDb: number;
  readonly seed: number;
  readonly resamples: number;
  /** Whether the absolute-time gate runs; `reason` (when set) is reported on this case. */
  readonly time: { readonly run: boolean; readonly reason?: string };
  /** Whether the optimizer-histogram gate runs. */
  readonly optimizer: boolean;
}

function timeCheck(
  id: string,
  form: FormName,
  b: FormResult,
  c: FormResult,
  s: CaseSettings,
): Check {
  const [bs, cs] = [b.latencyMs!.samplesMs, c.latencyMs!.samplesMs];
  const [bm, cm] = [median(sortSamples(bs)), median(sortSamples(cs))];
  const base = {
    caseId: id,
    gate: "time" as const,
    form,
    metric: "median",
    baseline: bm,
    current: cm,
  };
  if (!(bm > 0)) {
    return {
      ...base,
      status: "skip",
      message: `${FORM_LABELS[form].short} baseline median is 0 ms: no ratio`,
    };
  }
  const { ratio, ci95 } = compareMedians(cs, bs, { seed: s.seed, resamples: s.resamples });
  const [lo, hi] = ci95;
  const t = s.timeThreshold;
  const limit = 1 + t;
  const what =
    `${FORM_LABELS[form].short} median ${formatMs(bm)} -> ${formatMs(cm)} ms, ${
      formatSignedPercent(ratio - 1)
    } ` +
    `[ci95 ${formatSignedPercent(lo - 1)}, ${formatSignedPercent(hi - 1)}]`;
  const message = lo > limit
    ? `${what}: slower beyond the ${formatPercent(t)} threshold and the noise`
    : ratio > limit
    ? `${what}: slower than the threshold but within the noise`
    : hi < 1 / limit
    ? `${what}: faster beyond the threshold (consider recording a new baseline)`
    : `${what}: within the ${formatPercent(t)} threshold`;
  return { ...base, status: lo > limit ? "fail" : "pass", ratio, ci95: [lo, hi], limit, message };
}

function speedupCheck(id: string, b: CompletedCase, c: CompletedCase, s: CaseSettings): Check {
  const floor = b.speedup.ratio * (1 - s.threshold);
  const [lo, hi] = c.speedup.ci95;
  const what = `speedup ${formatRatio(b.speedup.ratio, 3)} -> ${formatRatio(c.speedup.ratio, 3)} ` +
    `[ci95 ${lo.toFixed(3)}, ${hi.toFixed(3)}]`;
  const fail = hi < floor;
  return {
    caseId: id,
    gate: "speedup",
    metric: "speedup",
    status: fail ? "fail" : "pass",
    baseline: b.speedup.ratio,
    current: c.speedup.ratio,
    ratio: c.speedup.ratio,
    ci95: [lo, hi],
    limit: floor,
    message: fail
      ? `${what}: upper bound below ${formatRatio(floor, 3)} (baseline less ${
        formatPercent(s.threshold)
      })`
      : `${what}: not below ${formatRatio(floor, 3)} (baseline less ${formatPercent(s.threshold)})`,
  };
}

function stateChecks(id: string, b: CaseResult | undefined, c: CaseResult): Check[] {
  const check = (status: Check["status"], message: string): Check[] => [
    {
      caseId: id,
      gate: "state",
      metric: "state",
      status,
      baseline: b?.state,
      current: c.state,
      message,
    },
  ];
  if (c.state === "errored") return check("fail", `errored in the current run: ${c.error}`);
  if (c.state === "skipped") {
    return b?.state === "completed"
      ? check("fail", `skipped in the current run (${c.reason}) but completed in the baseline`)
      : check("note", `skipped: ${c.reason}`);
  }
  if (b && b.state !== "completed") {
    return check("note", `the baseline case ${b.state}: its times are not compared`);
  }
  return [];
}

/**
 * Runs every check of one case.
 *
 * @param id The case id.
 * @param b The baseline case, or undefined when the case is new.
 * @param c The current case, or undefined when it is missing.
 * @param s Threshold, bootstrap settings and which gates run.
 * @returns The checks, in gate order.
 */
export function checkCase(
  id: string,
  b: CaseResult | undefined,
  c: CaseResult | undefined,
  s: CaseSettings,
): Check[] {
  if (!c) {
    return [{
      caseId: id,
      gate: "presence",
      metric: "case",
      status: "fail",
      baseline: b!.state,
      message: `missing from the current run (${b!.state} in the baseline)`,
    }];
  }
  const checks = stateChecks(id, b, c);
  if (!b) {
    checks.unshift({
      caseId: id,
      gate: "presence",
      metric: "case",
      status: "note",
      current: c.state,
      message:
        "new in the current run: not in the baseline, so only its state and equivalence are gated",
    });
  } else {
    checks.push(...countChecks(id, b, c));
    if (s.optimizer) checks.push(...optimizerChecks(id, b, c));
  }
  if (c.state === "completed") checks.push(...equivalenceChecks(id, b, c));
  if (b?.state !== "completed" || c.state !== "completed") return checks;
  checks.push(...int8Checks(id, b, c, s.sqnrThresholdDb));
  if (s.time.run) {
    for (const form of FORM_NAMES) {
      checks.push(timeCheck(id, form, b.forms[form], c.forms[form], s));
    }
  } else if (s.time.reason) {
    checks.push({
      caseId: id,
      gate: "time",
      metric: "median",
      status: "skip",
      message: s.time.reason,
    });
  }
  checks.push(speedupCheck(id, b, c, s));
  return checks;
}
