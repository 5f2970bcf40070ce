/**
 * The int8 gate of one case: per form, the output SQNR must not drop more than the threshold
 * (in dB) below the baseline's, and a form that ran as integer kernels in the baseline must
 * still do. Only the output SQNR is gated: the per-block SQNRs are reported, not gated (their
 * error accumulates into the output's). Private to src/gate; gate.ts documents the rules.
 *
 * @module
 */
import {
  type CompletedCase,
  FORM_LABELS,
  FORM_NAMES,
  type FormName,
  type Int8Form,
} from "../results/schema.ts";
import type { Check } from "./verdict.ts";

/** A dB value as the messages write it: `41.23 dB`, `NaN` when there is none. */
function db(x: number | null | undefined): string {
  return typeof x === "number" && Number.isFinite(x) ? `${x.toFixed(2)} dB` : "NaN";
}

/** What ran: `QLinearConv x3`, or `2 Conv in float` (with the kernels that did run). */
function describeKernels(f: Int8Form): string {
  const kernels = Object.entries(f.integerKernels ?? {}).sort(([a], [b]) => a.localeCompare(b))
    .map(([op, n]) => `${op} x${n}`).join(", ");
  if (f.integer) return kernels || "integer";
  const float = `${f.floatConvs} Conv in float`;
  return kernels ? `${float} (${kernels})` : float;
}

function sqnrCheck(
  id: string,
  form: FormName,
  b: Int8Form,
  c: Int8Form,
  thresholdDb: number,
): Check {
  const [bs, cs] = [b.error?.sqnrDb, c.error?.sqnrDb];
  const name = FORM_LABELS[form].short;
  const base = {
    caseId: id,
    gate: "int8" as const,
    form,
    metric: "sqnrDb",
    baseline: typeof bs === "number" ? bs : null,
    current: typeof cs === "number" ? cs : null,
  };
  if (typeof bs !== "number" || !Number.isFinite(bs)) {
    return { ...base, status: "skip", message: `${name} baseline output SQNR is not a number` };
  }
  const limit = bs - thresholdDb;
  const what = `${name} output SQNR ${db(bs)} -> ${db(cs)}`;
  const ok = typeof cs === "number" && cs >= limit;
  return {
    ...base,
    status: ok ? "pass" : "fail",
    limit,
    message: ok
      ? `${what}: not below ${db(limit)} (baseline less ${thresholdDb} dB)`
      : `${what}: below ${db(limit)} (baseline less ${thresholdDb} dB): int8 lost accuracy`,
  };
}

function integerCheck(id: string, form: FormName, b: Int8Form, c: Int8Form): Check {
  const name = FORM_LABELS[form].short;
  const base = {
    caseId: id,
    gate: "int8" as const,
    form,
    metric: "integer",
    baseline: describeKernels(b),
    current: describeKernels(c),
  };
  const why = c.note ? `: ${c.note}` : "";
  if (b.integer && !c.integer) {
    return {
      ...base,
      status: "fail",
      message: `${name} lost its integer kernels (${base.baseline} -> ${base.current})${why}`,
    };
  }
  if (!c.integer) {
    return {
      ...base,
      status: "note",
      message: `${name} ran in float in both runs (${base.current})${why}`,
    };
  }
  return {
    ...base,
    status: "pass",
    message: b.integer
      ? `${name} runs as integer kernels (${base.current})`
      : `${name} now runs as integer kernels (${base.current}); the baseline ran in float`,
  };
}

/**
 * The int8 checks of a case completed in both runs: per form, the output SQNR against the
 * baseline's less `thresholdDb`, and the integer kernels against the baseline's. A baseline
 * without int8 results (written before int8 existed) gives one `skip` check, a current run that
 * lost them one failing check; no check when neither has them.
 *
 * @param id The case id.
 * @param b The baseline case.
 * @param c The current case.
 * @param thresholdDb Allowed SQNR drop, dB.
 * @returns The checks, multi-branch form first.
 */
export function int8Checks(
  id: string,
  b: CompletedCase,
  c: CompletedCase,
  thresholdDb: number,
): Check[] {
  if (!b.int8 && !c.int8) return [];
  const whole = { caseId: id, gate: "int8" as const, metric: "int8" };
  if (!b.int8) {
    return [{
      ...whole,
      status: "skip",
      message: "the baseline has no int8 results (an older run): SQNR and kernels not compared",
    }];
  }
  if (!c.int8) {
    return [{
      ...whole,
      status: "fail",
      message: "the current run has no int8 results while the baseline has",
    }];
  }
  const [bi, ci] = [b.int8, c.int8];
  return FORM_NAMES.flatMap((form) => [
    sqnrCheck(id, form, bi.forms[form], ci.forms[form], thresholdDb),
    integerCheck(id, form, bi.forms[form], ci.forms[form]),
  ]);
}
