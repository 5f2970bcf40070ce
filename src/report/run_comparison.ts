/**
 * Comparing runs case by case: median latency of each form and speedup, before and after, marked
 * where the change is beyond the confidence intervals, and the cases found on one side only.
 *
 * @module
 */
import type { CaseResult, CompletedCase, Results } from "../results/schema.ts";
import { barChart, color, paddedRange } from "./charts.ts";
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
import type { Run } from "./_overview.ts";
import { escapeHtml } from "./escape.ts";
import { formatFixed, formatSignedPercent } from "../text_format.ts";

/** Direction of a change: beyond both confidence intervals, or within them. */
export type Change = "slower" | "faster" | "within-ci";

/** A change of one value between two runs. */
export interface Delta {
  readonly before: number;
  readonly after: number;
  /** (after - before) / before. */
  readonly relative: number;
  /** `slower`/`faster` when the two ci95 intervals do not overlap, else `within-ci`. */
  readonly change: Change;
}

/** Changes of one case present and completed in both runs. */
export interface CaseDelta {
  readonly id: string;
  readonly multiBranchMs: Delta;
  readonly reparameterizedMs: Delta;
  /** Speedup before and after; `faster` means the speedup grew. */
  readonly speedup: Delta;
  readonly before: CompletedCase;
  readonly after: CompletedCase;
}

/** What changed between a baseline run and another. */
export interface RunComparison {
  readonly deltas: readonly CaseDelta[];
  /** Ids of cases in the baseline only. */
  readonly onlyBefore: readonly string[];
  /** Ids of cases in the other run only. */
  readonly onlyAfter: readonly string[];
  /** Cases on both sides that did not complete on one or both, with the states. */
  readonly notCompared: ReadonlyArray<
    { readonly id: string; readonly before: string; readonly after: string }
  >;
}

function overlap(a: readonly [number, number], b: readonly [number, number]): boolean {
  return a[0] <= b[1] && b[0] <= a[1];
}

/**
 * The change of a value whose larger side is `upIs` (for latency, larger is slower).
 *
 * @example
 * ```ts
 * import { delta } from "./run_comparison.ts";
 * const d = delta(2, [1.9, 2.1], 3, [2.9, 3.1], "slower");
 * if (d.change !== "slower" || d.relative !== 0.5) throw new Error();
 * ```
 */
export function delta(
  before: number,
  beforeCi: readonly [number, number],
  after: number,
  afterCi: readonly [number, number],
  upIs: "slower" | "faster",
): Delta {
  const relative = (after - before) / before;
  const change: Change = overlap(beforeCi, afterCi)
    ? "within-ci"
    : (after > before) === (upIs === "slower")
    ? "slower"
    : "faster";
  return { before, after, relative, change };
}

function formDelta(
  b: CompletedCase,
  a: CompletedCase,
  form: "multiBranch" | "reparameterized",
): Delta {
  const lb = b.forms[form].latencyMs!;
  const la = a.forms[form].latencyMs!;
  return delta(lb.median, lb.ci95, la.median, la.ci95, "slower");
}

/**
 * Compares two runs case by case (matched by case id). Medians change beyond their confidence
 * intervals when the ci95 of the two medians do not overlap; the speedup likewise.
 *
 * @param before The baseline run.
 * @param after The run compared with it.
 * @returns Per-case deltas, in the order of `after`, and the cases not compared.
 */
export function compareRuns(before: Results, after: Results): RunComparison {
  const byId = (cases: readonly CaseResult[]) => new Map(cases.map((c) => [c.id, c]));
  const b = byId(before.cases);
  const a = byId(after.cases);
  const deltas: CaseDelta[] = [];
  const notCompared: { id: string; before: string; after: string }[] = [];
  for (const [id, ca] of a) {
    const cb = b.get(id);
    if (!cb) continue;
    if (cb.state !== "completed" || ca.state !== "completed") {
      notCompared.push({ id, before: cb.state, after: ca.state });
      continue;
    }
    deltas.push({
      id,
      multiBranchMs: formDelta(cb, ca, "multiBranch"),
      reparameterizedMs: formDelta(cb, ca, "reparameterized"),
      speedup: delta(
        cb.speedup.ratio,
        cb.speedup.ci95,
        ca.speedup.ratio,
        ca.speedup.ci95,
        "faster",
      ),
      before: cb,
      after: ca,
    });
  }
  return {
    deltas,
    onlyBefore: [...b.keys()].filter((id) => !a.has(id)),
    onlyAfter: [...a.keys()].filter((id) => !b.has(id)),
    notCompared,
  };
}

const MARKS: Record<Change, string> = { slower: "▲ slower", faster: "▼ faster", "within-ci": "" };

function deltaCell(d: Delta, unit: (n: number) => string, speedup = false): Cell {
  const mark = speedup
    ? { slower: "▼ smaller", faster: "▲ larger", "within-ci": "" }[d.change]
    : MARKS[d.change];
  const cls = d.change === "within-ci"
    ? ""
    : ` class="${(d.change === "slower") ? "worse" : "better"}"`;
  return html(
    `<span${cls}>${
      escapeHtml(`${unit(d.before)} → ${unit(d.after)} (${formatSignedPercent(d.relative)})`)
    }` +
      `${mark ? ` <strong>${escapeHtml(mark)}</strong>` : ""}</span>`,
  );
}

function comparisonBody(ctx: RenderContext, before: Run, after: Run): string[] {
  const cmp = compareRuns(before.results, after.results);
  const marked =
    cmp.deltas.filter((d) =>
      [d.multiBranchMs, d.reparameterizedMs, d.speedup].some((x) => x.change !== "within-ci")
    ).length;
  const body = [
    para(
      `${after.label} against ${before.label}: ${cmp.deltas.length} cases compared, ${marked} with a change ` +
        "beyond the confidence intervals (the ci95 of the two medians, or of the two speedups, do not overlap).",
    ),
  ];
  if (cmp.deltas.length > 0) {
    const label = labeler(cmp.deltas.map((d) => d.after));
    const sets = [[before, (d: CaseDelta) => d.before], [
      after,
      (d: CaseDelta) => d.after,
    ]] as const;
    const config = barChart(
      cmp.deltas.map((d) => label(d.after)),
      sets.map(([run, side], i) => ({
        label: `${run.label} speedup (ci95)`,
        values: cmp.deltas.map((d) => [1, side(d).speedup.ratio] as const),
        errorBars: cmp.deltas.map((d) => side(d).speedup.ci95),
        color: color(i === 0 ? 7 : 0),
      })),
      { title: "case" },
      {
        title: "speedup (x)",
        ...paddedRange([
          1,
          ...cmp.deltas.flatMap((d) => [...d.before.speedup.ci95, ...d.after.speedup.ci95]),
        ]),
      },
      { horizontal: true },
    );
    const rows = cmp.deltas.map((d) => [
      d.id,
      deltaCell(d.multiBranchMs, ms),
      deltaCell(d.reparameterizedMs, ms),
      deltaCell(d.speedup, (r) => formatFixed(r, 2), true),
      `${ratioCi(d.before.speedup.ratio, d.before.speedup.ci95)} → ${
        ratioCi(d.after.speedup.ratio, d.after.speedup.ci95)
      }`,
    ]);
    const numbers = table("deltas", [
      "case",
      "multi-branch median ms",
      "reparameterized median ms",
      "speedup",
      "speedup [ci95] before → after",
    ], rows);
    const height = 90 + 40 * cmp.deltas.length;
    body.push(
      chart(ctx, "compare", `Speedup: ${before.label} vs ${after.label}`, height, config, numbers),
    );
  }
  const missing: Cell[][] = [
    ...cmp.onlyBefore.map((id) => [id, `only in ${before.label}`]),
    ...cmp.onlyAfter.map((id) => [id, `only in ${after.label}`]),
    ...cmp.notCompared.map((
      n,
    ) => [n.id, `${n.before} in ${before.label}, ${n.after} in ${after.label}`]),
  ];
  body.push(
    "<h3>Cases not compared</h3>",
    missing.length
      ? table("missing", ["case", "why"], missing)
      : para("None: every case completed in both runs."),
  );
  return body;
}

/** Per-case deltas of every run against the first (the baseline). */
export function comparisonSection(ctx: RenderContext, runs: readonly Run[]): string {
  return section(
    "compare",
    "Compared runs",
    runs.slice(1).flatMap((r) => comparisonBody(ctx, runs[0], r)),
  );
}
