/**
 * A/B report sections on time: the verdict in words per case and form, the paired ratio
 * candidate / baseline as a chart and a table, and each side's within-run speedup. Verdicts come
 * from `verdictOf`, as the `ab` table and the paired gate take them. Private to src/report/.
 *
 * @module
 */
import {
  type AbCaseResult,
  type AbCompletedCase,
  type AbFormResult,
  type AbResults,
  type AbVerdict,
  verdictOf,
} from "../ab/results.ts";
import {
  type CaseResult,
  type Equivalence,
  FORM_LABELS,
  FORM_NAMES,
  type FormName,
} from "../results/schema.ts";
import { formatFixed, formatInterval, formatRatio } from "../text_format.ts";
import { barChart, type ChartConfig, type Dataset, FORM_COLORS, paddedRange } from "./charts.ts";
import { escapeHtml } from "./escape.ts";
import {
  type Cell,
  chart,
  html,
  labeler,
  ms,
  para,
  ratioCi,
  type RenderContext,
  section,
  table,
} from "./_html.ts";
import { sideWords } from "./_ab_sides.ts";

/** Colours of the two sides in the speedup chart: baseline grey, candidate blue. */
const SIDE_COLORS = { baseline: "#999999", candidate: "#0072B2" } as const;

/** A fraction as a percentage with one decimal: 0.042 -> `4.2%`. */
function percent(fraction: number): string {
  return `${formatFixed(Math.abs(fraction) * 100, 1)}%`;
}

/** What a ratio candidate / baseline says alone: `4.2% faster`, `1.5% slower`, `no change`. */
function changeWords(ratio: number): string {
  if (ratio < 1) return `${percent(1 - ratio)} faster`;
  if (ratio > 1) return `${percent(ratio - 1)} slower`;
  return "no change";
}

/**
 * One form's result in words, the verdict decided by `verdictOf`:
 * `reparameterized: candidate (onnxruntime-node 1.30.0) is 4.2% faster than baseline
 * (onnxruntime-node 1.29.0), ci95 [2.1%, 6.0%]`.
 */
export function verdictSentence(
  form: FormName,
  r: AbFormResult,
  words: { readonly baseline: string; readonly candidate: string },
): string {
  const [lo, hi] = r.ci95;
  const who = `candidate (${words.candidate})`;
  const than = `baseline (${words.baseline})`;
  const head = `${FORM_LABELS[form].full}: `;
  switch (verdictOf(r.ci95)) {
    case "faster":
      return `${head}${who} is ${percent(1 - r.ratio)} faster than ${than}, ` +
        `ci95 [${percent(1 - hi)}, ${percent(1 - lo)}]`;
    case "slower":
      return `${head}${who} is ${percent(r.ratio - 1)} slower than ${than}, ` +
        `ci95 [${percent(lo - 1)}, ${percent(hi - 1)}]`;
    case "same":
      return `${head}no difference beyond the interval between ${who} and ${than}: ` +
        `ratio ${formatRatio(r.ratio, 3)}, ci95 ${formatInterval(r.ci95, 3)} ` +
        `(from ${changeWords(lo)} to ${changeWords(hi)})`;
  }
}

/** The equivalence problems of a case's sides, as sentences (none when both agree). */
function equivalenceProblems(c: AbCompletedCase): string[] {
  return (["baseline", "candidate"] as const)
    .filter((side) => !c.equivalence[side].withinTolerance)
    .map((side) =>
      `the ${side}'s two forms are not equivalent (${equivalenceText(c.equivalence[side])})`
    );
}

function equivalenceText(e: Equivalence): string {
  const rel = e.relTolerance !== undefined
    ? `, normwise ${e.maxRelError.toExponential(1)} > ${e.relTolerance.toExponential(1)}`
    : "";
  return `max abs error ${e.maxAbsError.toExponential(1)}, tolerance ${
    e.tolerance.toExponential(1)
  }${rel}`;
}

function completedCases(results: AbResults): AbCompletedCase[] {
  return results.cases.filter((c): c is AbCompletedCase => c.state === "completed");
}

/** Short chart labels. `labeler` reads only `id` and `config`, which A/B cases carry alike. */
function abLabeler(cases: readonly AbCaseResult[]): (c: AbCaseResult) => string {
  const label = labeler(cases as unknown as readonly CaseResult[]);
  return (c) => label(c as unknown as CaseResult);
}

/** The verdict in words: a count, then per case one sentence per form. */
export function summarySection(results: AbResults): string {
  const words = {
    baseline: sideWords(results.sides.baseline, results.sides.candidate),
    candidate: sideWords(results.sides.candidate, results.sides.baseline),
  };
  const done = completedCases(results);
  const verdicts = done.flatMap((c) => FORM_NAMES.map((f) => verdictOf(c.forms[f].ci95)));
  const count = (v: AbVerdict) => verdicts.filter((x) => x === v).length;
  const errored = results.cases.length - done.length;
  const body = [
    para(
      `${verdicts.length} forms compared in ${done.length} case${done.length === 1 ? "" : "s"}: ` +
        `candidate slower in ${count("slower")}, faster in ${count("faster")}, no difference ` +
        `beyond the interval in ${count("same")}` +
        (errored > 0 ? `; ${errored} case${errored === 1 ? "" : "s"} errored.` : "."),
    ),
  ];
  if (results.cases.length === 0) body.push(para("The run holds no case."));
  for (const c of results.cases) {
    const items = c.state === "completed"
      ? [
        ...FORM_NAMES.map((f) => {
          const v = verdictOf(c.forms[f].ci95);
          const cls = v === "slower" ? "worse" : v === "faster" ? "better" : "";
          return `<li${cls ? ` class="${cls}"` : ""} data-verdict="${v}">${
            escapeHtml(verdictSentence(f, c.forms[f], words))
          }</li>`;
        }),
        ...equivalenceProblems(c).map((p) => `<li class="warn">${escapeHtml(p)}</li>`),
      ]
      : [`<li class="warn">not compared: ${escapeHtml(c.error)}</li>`];
    body.push(
      `<h3>${escapeHtml(c.id)}</h3>\n<ul data-case="${escapeHtml(c.id)}">${items.join("")}</ul>`,
    );
  }
  return section("summary", "Verdict", body);
}

function verdictCell(v: AbVerdict): Cell {
  const cls = v === "slower" ? "worse" : v === "faster" ? "better" : "";
  return html(cls ? `<span class="${cls}">${v}</span>` : v);
}

function equivalenceCell(c: AbCompletedCase): Cell {
  const side = (e: Equivalence) =>
    e.withinTolerance
      ? "ok"
      : `<span class="warn" title="${escapeHtml(equivalenceText(e))}">NOT EQUIVALENT</span>`;
  return html(`${side(c.equivalence.baseline)} / ${side(c.equivalence.candidate)}`);
}

/** One row per case and form: both medians, the ratio, its verdict, both sides' equivalence. */
function ratioRows(results: AbResults): Cell[][] {
  return results.cases.flatMap((c): Cell[][] => {
    if (c.state !== "completed") {
      return [[c.id, "-", "-", "-", "-", html(`<span class="warn">errored</span>`), c.error]];
    }
    return FORM_NAMES.map((f) => {
      const r = c.forms[f];
      return [
        c.id,
        FORM_LABELS[f].full,
        ms(r.baseline.median),
        ms(r.candidate.median),
        `${formatRatio(r.ratio, 3)} ${formatInterval(r.ci95, 3)}`,
        verdictCell(verdictOf(r.ci95)),
        equivalenceCell(c),
      ];
    });
  });
}

/**
 * The paired ratio per case as horizontal bars from 1 to the ratio with the ci95 as error bars,
 * one dataset per form, and a dashed reference line at 1 (a line dataset: no plugin needed).
 */
export function ratioChart(
  labels: readonly string[],
  cases: readonly AbCompletedCase[],
): ChartConfig {
  const ends = cases.flatMap((c) => FORM_NAMES.flatMap((f) => [...c.forms[f].ci95]));
  const config = barChart(
    labels,
    FORM_NAMES.map((f) => ({
      label: `${FORM_LABELS[f].full}: candidate / baseline (bar from 1), ci95`,
      values: cases.map((c) => [1, c.forms[f].ratio] as const),
      errorBars: cases.map((c) => c.forms[f].ci95),
      color: FORM_COLORS[f],
    })),
    { title: "case" },
    {
      title: "ratio candidate / baseline (above 1: candidate slower)",
      ...paddedRange([1, ...ends]),
    },
    { horizontal: true },
  );
  const reference: Dataset = {
    label: "1 = no difference",
    type: "line",
    indexAxis: "y",
    data: labels.map(() => 1),
    borderColor: "#000000",
    backgroundColor: "#000000",
    borderWidth: 1,
    borderDash: [4, 3],
    // each point a short vertical tick, so a single case still shows where 1 is
    pointStyle: "line",
    rotation: 90,
    pointRadius: 9,
    pointHoverRadius: 9,
  };
  return { ...config, data: { ...config.data, datasets: [...config.data.datasets, reference] } };
}

/** The paired ratios: chart (completed cases) and table (every case) beneath it. */
export function ratioSection(ctx: RenderContext, results: AbResults): string {
  const done = completedCases(results);
  const numbers = table("ab", [
    "case",
    "form",
    "baseline median ms",
    "candidate median ms",
    "ratio [ci95]",
    "verdict",
    "equivalence baseline / candidate, or error",
  ], ratioRows(results));
  if (done.length === 0) {
    return section("ratios", "Paired ratios", [para("No case was compared."), numbers]);
  }
  const label = abLabeler(done);
  const height = 110 + 40 * done.length;
  return section("ratios", "Paired ratios", [
    para(
      "Bars run from 1 to median(candidate) / median(baseline) of the paired samples, whiskers " +
        "show its 95% paired-bootstrap interval; a bar to the right of the dashed line at 1 is " +
        "the candidate being slower. The verdict is 'slower' or 'faster' only when the whole " +
        "interval lies on one side of 1.",
    ),
    chart(
      ctx,
      "ab-ratio",
      "Paired ratio candidate / baseline per case",
      height,
      ratioChart(done.map(label), done),
      numbers,
    ),
  ]);
}

/** Each side's within-run speedup (multi-branch / reparameterized) per case, chart and table. */
export function speedupSection(ctx: RenderContext, results: AbResults): string {
  const done = completedCases(results);
  if (done.length === 0) {
    return section("speedup", "Within-run speedup", [para("No case was compared.")]);
  }
  const label = abLabeler(done);
  const sides = ["baseline", "candidate"] as const;
  const ends = done.flatMap((c) => sides.flatMap((s) => [...c.speedup[s].ci95]));
  const config = barChart(
    done.map(label),
    sides.map((s) => ({
      label: `${s}: multi-branch / reparameterized (bar from 1), ci95`,
      values: done.map((c) => [1, c.speedup[s].ratio] as const),
      errorBars: done.map((c) => c.speedup[s].ci95),
      color: SIDE_COLORS[s],
    })),
    { title: "case" },
    { title: "speedup (x, above 1: reparameterized faster)", ...paddedRange([1, ...ends]) },
    { horizontal: true },
  );
  const rows = done.map((c): Cell[] => [
    c.id,
    ratioCi(c.speedup.baseline.ratio, c.speedup.baseline.ci95),
    ratioCi(c.speedup.candidate.ratio, c.speedup.candidate.ci95),
  ]);
  const numbers = table("ab-speedup", [
    "case",
    "baseline speedup [ci95]",
    "candidate speedup [ci95]",
  ], rows);
  return section("speedup", "Within-run speedup", [
    para(
      "What reparameterization buys on each side: median multi-branch latency over median " +
        "reparameterized latency, with its 95% paired-bootstrap interval (above 1: the " +
        "reparameterized form is faster).",
    ),
    chart(ctx, "ab-speedup", "Speedup per case and side", 110 + 40 * done.length, config, numbers),
  ]);
}
