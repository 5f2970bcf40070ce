/**
 * The hard gates of one case, deterministic and exact: counts and node histograms (`counts`),
 * onnxruntime's optimized histograms and fallback nodes (`optimizer`), and output equivalence
 * (`equivalence`). Any change fails. Private to src/gate.
 *
 * @module
 */
import {
  type CaseResult,
  type CompletedCase,
  COUNT_METRICS,
  FORM_LABELS,
  FORM_NAMES,
  type FormName,
} from "../results/schema.ts";
import { formatSignedPercent } from "../text_format.ts";
import type { Check, GateName } from "./verdict.ts";

function histogramDiffs(
  base: Readonly<Record<string, number>>,
  cur: Readonly<Record<string, number>>,
): Array<[string, number, number]> {
  const ops = [...new Set([...Object.keys(base), ...Object.keys(cur)])].sort();
  return ops.flatMap((op) =>
    (base[op] ?? 0) === (cur[op] ?? 0) ? [] : [[op, base[op] ?? 0, cur[op] ?? 0]]
  );
}

function changed(id: string, gate: GateName, form: FormName, metric: string, b: number, c: number) {
  const change = b === 0 ? "" : ` (${formatSignedPercent(c / b - 1)})`;
  return {
    caseId: id,
    gate,
    form,
    metric,
    status: "fail",
    baseline: b,
    current: c,
    message: `${FORM_LABELS[form].short} ${metric} changed from ${b} to ${c}${change}`,
  } satisfies Check;
}

function allPass(id: string, gate: GateName, message: string): Check {
  return { caseId: id, gate, metric: "all", status: "pass", message };
}

/**
 * Counts and node histograms of both forms against the baseline's: one failing check per
 * changed metric, or one passing check.
 */
export function countChecks(id: string, b: CaseResult, c: CaseResult): Check[] {
  if (!b.forms || !c.forms) {
    const which = b.forms ? "current" : "baseline";
    return [{
      caseId: id,
      gate: "counts",
      metric: "all",
      status: "skip",
      message: `no counts in the ${which} run`,
    }];
  }
  const fails = FORM_NAMES.flatMap((form) => {
    const [fb, fc] = [b.forms![form], c.forms![form]];
    return [
      ...COUNT_METRICS.flatMap(([metric, read]) =>
        read(fb) === read(fc) ? [] : [changed(id, "counts", form, metric, read(fb), read(fc))]
      ),
      ...histogramDiffs(fb.nodes, fc.nodes).map(([op, x, y]) =>
        changed(id, "counts", form, `nodes.${op}`, x, y)
      ),
    ];
  });
  const n = COUNT_METRICS.length;
  return fails.length > 0 ? fails : [
    allPass(id, "counts", `${n} counts and the node histogram of both forms equal the baseline`),
  ];
}

/**
 * onnxruntime's node histogram after each optimization level, and the nodes that fell back to
 * the CPU, against the baseline's (meaningful only for the same ORT build and machine).
 */
export function optimizerChecks(id: string, b: CaseResult, c: CaseResult): Check[] {
  const fails: Check[] = [];
  let levels = 0;
  for (const form of FORM_NAMES) {
    const [ob, oc] = [b.forms?.[form].optimization, c.forms?.[form].optimization];
    for (const level of [...new Set([...Object.keys(ob ?? {}), ...Object.keys(oc ?? {})])].sort()) {
      const [hb, hc] = [ob?.[level]?.nodesAfter, oc?.[level]?.nodesAfter];
      if (!hb || !hc) continue;
      levels++;
      for (const [op, x, y] of histogramDiffs(hb, hc)) {
        fails.push(changed(id, "optimizer", form, `${level}.${op}`, x, y));
      }
    }
    const [fb, fc] = [
      b.forms?.[form].profile?.fallbackNodes,
      c.forms?.[form].profile?.fallbackNodes,
    ];
    const added = fb && fc ? fc.filter((n) => !fb.includes(n)) : [];
    if (added.length > 0) {
      fails.push({
        ...changed(id, "optimizer", form, "fallbackNodes", fb!.length, fc!.length),
        message: `${FORM_LABELS[form].short} nodes now fall back to the CPU: ${added.join(", ")}`,
      });
    }
  }
  if (levels === 0 && fails.length === 0) return [];
  return fails.length > 0 ? fails : [
    allPass(id, "optimizer", `onnxruntime's node histograms at every level equal the baseline`),
  ];
}

/**
 * The current max abs error between the forms within its tolerance (NaN, written as null,
 * fails), and for GPU providers the outputs against the CPU provider's within theirs.
 */
export function equivalenceChecks(
  id: string,
  b: CaseResult | undefined,
  c: CompletedCase,
): Check[] {
  const check = (
    metric: string,
    err: number | null,
    tol: number,
    before: number | undefined,
    what: string,
  ): Check => {
    const ok = typeof err === "number" && err <= tol;
    const was = typeof before === "number" ? ` (baseline ${before.toExponential(1)})` : "";
    const shown = typeof err === "number" ? err.toExponential(1) : "NaN";
    return {
      caseId: id,
      gate: "equivalence",
      metric,
      status: ok ? "pass" : "fail",
      ...(before !== undefined ? { baseline: before } : {}),
      current: err,
      limit: tol,
      message: ok
        ? `${metric} ${shown} within tolerance ${tol.toExponential(0)}${was}`
        : `${metric} ${shown} exceeds tolerance ${tol.toExponential(0)}${was}: ${what}`,
    };
  };
  const base = b?.state === "completed" ? b.equivalence : undefined;
  const eq = c.equivalence;
  const main = check(
    "maxAbsError",
    eq.maxAbsError as number | null,
    eq.tolerance,
    base?.maxAbsError,
    "the reparameterized form no longer computes the multi-branch function",
  );
  // A user's model: the tolerance is a multiple of its own fp32 noise floor (see results/schema.ts)
  const floor = eq.method === "noise-floor" && typeof eq.relTolerance === "number"
    ? ` (normwise ${
      typeof eq.maxRelError === "number" ? eq.maxRelError.toExponential(1) : "NaN"
    } against ${eq.relTolerance.toExponential(1)} = ${eq.floorMultiple ?? "?"} x the model's ` +
      "fp32 noise floor, or 1e-5)"
    : "";
  const checks = [{ ...main, message: main.message + floor }];
  if (eq.crossProvider) {
    checks.push(check(
      "crossProvider.maxAbsError",
      eq.crossProvider.maxAbsError as number | null,
      eq.crossProvider.tolerance,
      base?.crossProvider?.maxAbsError,
      `the ${c.provider?.name ?? "GPU"} provider's outputs differ from the CPU provider's`,
    ));
  }
  return checks;
}
