/**
 * Renders a gate verdict three ways: a plain-text table for CI logs, Markdown for a CI step
 * summary or a pull-request comment, and JSON for tools.
 *
 * @module
 */
import { FORM_LABELS } from "../results/schema.ts";
import {
  formatInterval,
  formatPercent,
  formatRatio,
  formatSignedPercent,
  formatTable,
} from "../text_format.ts";
import type { Check, GateRun, RunInfo, Verdict } from "./verdict.ts";

/** Options of the verdict formatters. */
export interface VerdictTextOptions {
  /** Paths shown beside the two runs. */
  readonly paths?: { readonly baseline: string; readonly current: string };
}

const STATUS: Record<Check["status"], string> = {
  pass: "ok",
  fail: "FAIL",
  skip: "skip",
  note: "note",
};
const HEADER = [
  "status",
  "case",
  "gate",
  "form",
  "metric",
  "baseline",
  "current",
  "change [ci95]",
  "limit",
];

/** A time in ms, or any other number, as the verdict table shows it. */
function num(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) < 1e-3 ? x.toExponential(1) : x.toPrecision(3);
}

function value(check: Check, v: Check["baseline"]): string {
  if (v === undefined) return "";
  if (v === null) return "NaN";
  if (typeof v === "string") return v;
  if (check.gate === "time") return `${num(v)} ms`;
  if (check.gate === "speedup") return formatRatio(v, 3);
  if (check.gate === "equivalence") return v.toExponential(1);
  if (check.gate === "int8") return `${v.toFixed(2)} dB`;
  return String(v);
}

function change(check: Check): string {
  const ci = check.ci95;
  if (check.gate === "time" && check.ratio !== undefined && ci) {
    return `${formatSignedPercent(check.ratio - 1)} [${formatSignedPercent(ci[0] - 1)}, ${
      formatSignedPercent(ci[1] - 1)
    }]`;
  }
  if (check.gate === "speedup" && ci) return formatInterval(ci, 3);
  const [b, c] = [check.baseline, check.current];
  if (check.gate === "int8") {
    // dB are already logarithmic: the change is a difference, not a ratio
    return typeof b === "number" && typeof c === "number"
      ? `${c >= b ? "+" : ""}${(c - b).toFixed(2)} dB`
      : "";
  }
  if (typeof b === "number" && typeof c === "number" && b !== 0 && b !== c) {
    return check.gate === "equivalence" ? "" : formatSignedPercent(c / b - 1);
  }
  return "";
}

function limit(check: Check): string {
  if (check.limit === undefined) return "";
  if (check.gate === "time") return `lo <= ${formatSignedPercent(check.limit - 1)}`;
  if (check.gate === "speedup") return `hi >= ${formatRatio(check.limit, 3)}`;
  if (check.gate === "int8") return `>= ${check.limit.toFixed(2)} dB`;
  return `<= ${check.limit.toExponential(0)}`;
}

/**
 * One row per check, in the columns of {@linkcode formatVerdictText}'s table.
 *
 * @param verdict A verdict.
 * @returns Rows of cells: status, case, gate, form, metric, baseline, current, change, limit.
 */
export function verdictRows(verdict: Verdict): string[][] {
  return verdict.cases.flatMap((c) =>
    c.checks.map((check) => [
      STATUS[check.status],
      c.id,
      check.gate,
      check.form ? FORM_LABELS[check.form].short : "",
      check.metric,
      value(check, check.baseline),
      value(check, check.current),
      change(check),
      limit(check),
    ])
  );
}

function headline(v: Verdict): string {
  const failedCases = v.cases.filter((c) => c.status === "fail" || c.status === "missing").length;
  const what = v.outcome === "pass"
    ? `PASS (${v.cases.length} case(s), ${v.tally.pass} checks passed)`
    : v.outcome === "regressed"
    ? `REGRESSED (${v.tally.fail} check(s) failed in ${failedCases} of ${v.cases.length} case(s))`
    : "CANNOT COMPARE";
  const sqnr = v.gates.some((g) => g.gate === "int8") && v.sqnrThresholdDb !== undefined
    ? `, int8 SQNR ${v.sqnrThresholdDb} dB`
    : "";
  return `RepStem gate: ${what}; thresholds: time ${formatPercent(v.timeThreshold)}, speedup ${
    formatPercent(v.threshold)
  }${sqnr}`;
}

function runLine(info: RunInfo, path: string | undefined): string {
  const commit = info.gitCommit ? `, ${info.gitCommit.slice(0, 12)}` : "";
  return `${path ? `${path}: ` : ""}scenario ${info.scenario}, ${info.startedAt}${commit}, ` +
    `ORT ${info.ortVersion}, ${info.cpu}, ${info.cases} case(s)`;
}

function contextLines(v: Verdict): string[] {
  if (v.context.differences.length === 0) return ["same machine, ORT build and scenario"];
  return v.context.differences.map((d) =>
    `${d.field}: "${d.baseline}" -> "${d.current}"${
      d.blocking ? " (absolute times not comparable)" : " (noted)"
    }`
  );
}

function gateLine(g: GateRun): [string, string, string] {
  return [g.gate, g.ran ? "yes" : "no", g.reason];
}

function notable(v: Verdict): Check[] {
  return v.cases.flatMap((c) => c.checks.filter((k) => k.status !== "pass"));
}

/**
 * Renders a verdict as plain text for a terminal or CI log: headline, the two runs, context
 * differences, which gates ran and why, a table of every check, then failures, skips and notes
 * as sentences.
 *
 * @param verdict A verdict.
 * @param options Paths of the two files.
 * @returns Text without a trailing newline.
 */
export function formatVerdictText(verdict: Verdict, options: VerdictTextOptions = {}): string {
  const out = [
    headline(verdict),
    `baseline  ${runLine(verdict.baseline, options.paths?.baseline)}`,
    `current   ${runLine(verdict.current, options.paths?.current)}`,
    ...contextLines(verdict).map((l, i) => `${i === 0 ? "context" : "       "}   ${l}`),
  ];
  for (const p of verdict.problems) out.push(`cannot compare: ${p}`);
  out.push("", formatTable(["gate", "ran", "why"], verdict.gates.map(gateLine)));
  out.push("", formatTable(HEADER, verdictRows(verdict)));
  const rest = notable(verdict);
  if (rest.length > 0) {
    out.push("", ...rest.map((k) => `${STATUS[k.status].padEnd(4)}  ${k.caseId}: ${k.message}`));
  }
  return out.join("\n");
}

function mdCell(s: string): string {
  return s.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.map(mdCell).join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`),
  ].join("\n");
}

/**
 * Renders a verdict as GitHub-flavoured Markdown: headline, problems, failures and notes first,
 * then the two runs, the gates and every check in a collapsed section.
 *
 * @param verdict A verdict.
 * @param options Paths of the two files.
 * @returns Markdown ending in a newline.
 */
export function formatVerdictMarkdown(verdict: Verdict, options: VerdictTextOptions = {}): string {
  const out = [`### ${headline(verdict)}`, ""];
  for (const p of verdict.problems) out.push(`> **Cannot compare:** ${mdCell(p)}`, "");
  const rest = notable(verdict);
  if (rest.length > 0) {
    out.push(
      mdTable(
        ["status", "case", "finding"],
        rest.map((k) => [`**${STATUS[k.status]}**`, `\`${k.caseId}\``, k.message]),
      ),
      "",
    );
  }
  out.push(
    `- baseline: ${mdCell(runLine(verdict.baseline, options.paths?.baseline))}`,
    `- current: ${mdCell(runLine(verdict.current, options.paths?.current))}`,
    ...contextLines(verdict).map((l) => `- context: ${mdCell(l)}`),
    "",
    mdTable(["gate", "ran", "why"], verdict.gates.map(gateLine)),
    "",
    "<details><summary>All checks</summary>",
    "",
    mdTable(HEADER, verdictRows(verdict)),
    "",
    "</details>",
    "",
  );
  return out.join("\n");
}

/**
 * Renders a verdict as indented JSON (the {@linkcode Verdict} object itself).
 *
 * @param verdict A verdict.
 * @returns JSON text ending in a newline.
 */
export function formatVerdictJson(verdict: Verdict): string {
  return JSON.stringify(verdict, null, 2) + "\n";
}
