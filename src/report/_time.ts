/**
 * Report sections from onnxruntime itself: where the kernel time goes per branch (its profiler)
 * and what its graph optimizer folds at each level. Private to src/report/.
 *
 * @module
 */
import {
  type CompletedCase,
  FORM_LABELS,
  FORM_NAMES,
  type FormName,
  type OptimizationAudit,
  type ProfileRow,
  type Results,
} from "../results/schema.ts";
import { OPTIMIZATION_LEVELS } from "../scenario/schema.ts";
import { formatFixed } from "../text_format.ts";
import { barChart, color } from "./charts.ts";
import { escapeHtml } from "./escape.ts";
import {
  type Cell,
  chart,
  completed,
  groupBy,
  groupLabel,
  labeler,
  ms,
  para,
  type RenderContext,
  section,
  table,
} from "./_html.ts";

/** A form as the time tables abbreviate it: `mb`, `rp`. */
const abbreviation = (f: FormName) => FORM_LABELS[f].abbreviation;

/** Branch kind of a profile row: branch numbers dropped (`kxk0+add` -> `kxk+add`). */
function branchKind(row: ProfileRow): string {
  return row.branch === null ? "unattributed" : row.branch.replace(/\d+/g, "");
}

/** Stacking order of branch kinds: convs of the branches first, then what follows them. */
const KIND_ORDER = [
  "kxk",
  "kxk+add",
  "scale",
  "scale+add",
  "skip",
  "skip+add",
  "conv",
  "conv+add",
  "add",
  "se",
  "act",
  "layout",
];

function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}

function sumMs(rows: readonly ProfileRow[]): number {
  return rows.reduce((a, r) => a + r.medianUs, 0) / 1000;
}

/** Most cases in the stacked chart (two bars each); the tables hold every case. */
const MAX_TIME_CASES = 16;

function providers(rows: readonly ProfileRow[]): string {
  return [...groupBy(rows, (r) => r.provider)].map(([p, rs]) => `${p} x${rs.length}`).join(", ");
}

/** Per-branch kernel time stacked per form, from onnxruntime's profiler rows. */
export function timeSection(ctx: RenderContext, results: Results): string {
  const cases = completed(results).filter((c) =>
    c.forms.multiBranch.profile && c.forms.reparameterized.profile
  );
  if (cases.length === 0) {
    return section("time", "Where the time goes", [para("No case was profiled.")]);
  }
  const label = labeler(cases);
  const allRows = (c: CompletedCase, f: FormName) => c.forms[f].profile!.rows;
  const kinds = [
    ...new Set(cases.flatMap((c) => FORM_NAMES.flatMap((f) => allRows(c, f).map(branchKind)))),
  ].sort((a, b) => kindRank(a) - kindRank(b) || a.localeCompare(b));
  const shown = cases.slice(0, MAX_TIME_CASES);
  const bars = shown.flatMap((c) =>
    FORM_NAMES.map((f) => ({ c, f, name: `${label(c)} ${abbreviation(f)}` }))
  );
  const config = barChart(
    bars.map((b) => b.name),
    kinds.map((kind, i) => ({
      label: kind,
      values: bars.map((b) => sumMs(allRows(b.c, b.f).filter((r) => branchKind(r) === kind))),
      color: color(i),
      stack: "kernel",
    })),
    { title: "case, form" },
    { title: "kernel time ms (median per node, summed)" },
    { stacked: true, horizontal: true },
  );
  const byCase = cases.flatMap((c) =>
    FORM_NAMES.map((f): Cell[] => {
      const p = c.forms[f].profile!;
      return [
        label(c),
        abbreviation(f),
        ...kinds.map((k) => ms(sumMs(p.rows.filter((r) => branchKind(r) === k)))),
        ms(p.totalMs),
        ms(c.forms[f].latencyMs?.median),
        formatFixed(p.coverage, 2),
        providers(p.rows),
      ];
    })
  );
  const numbers = table("time-chart", [
    "case",
    "form",
    ...kinds.map((k) => `${k} ms`),
    "kernel total ms",
    "measured median ms",
    "coverage",
    "providers (nodes)",
  ], byCase);
  const byBlock = cases.flatMap((c) =>
    FORM_NAMES.flatMap((f) =>
      [...groupBy(allRows(c, f), (r) => String(r.block ?? "-"))].map(([block, rows]): Cell[] => [
        label(c),
        abbreviation(f),
        block,
        ...kinds.map((k) => ms(sumMs(rows.filter((r) => branchKind(r) === k)))),
        ms(sumMs(rows)),
      ])
    )
  );
  return section("time", "Where the time goes", [
    para(
      "Kernel times from onnxruntime's profiler (separate runs from the timing), attributed to " +
        "the branch of the stem each executed node came from (mb multi-branch, rp reparameterized); " +
        "'kxk+add' is a conv that absorbed " +
        "the branch sum, 'layout' a layout conversion. Coverage is kernel time over measured " +
        "time less the binding's overhead (1 is full agreement).",
    ),
    chart(ctx, "time", "Kernel time per branch", 90 + 22 * bars.length, config, numbers),
    cases.length > shown.length
      ? para(`The chart shows the first ${shown.length} of ${cases.length} profiled cases.`)
      : "",
    coverageNote(cases, label),
    "<h3>Per block</h3>",
    table(
      "time-blocks",
      ["case", "form", "block", ...kinds.map((k) => `${k} ms`), "total ms"],
      byBlock,
    ),
  ]);
}

/**
 * Says which profiles do not add up to the measured time (outside 0.85..1.15) and why, and lists
 * nodes that ran on another provider than the one asked for.
 */
function coverageNote(
  cases: readonly CompletedCase[],
  label: (c: CompletedCase) => string,
): string {
  const off: string[] = [];
  const fallbacks: string[] = [];
  for (const c of cases) {
    for (const f of FORM_NAMES) {
      const short = abbreviation(f);
      const p = c.forms[f].profile!;
      if (!(p.coverage >= 0.85 && p.coverage <= 1.15)) {
        off.push(`${label(c)} ${short} (${formatFixed(p.coverage, 2)})`);
      }
      if (p.fallbackNodes?.length) {
        fallbacks.push(`${label(c)} ${short}: ${p.fallbackNodes.join(", ")}`);
      }
    }
  }
  const parts: string[] = [];
  if (off.length > 0) {
    parts.push(para(
      `Kernel time is not within 15% of the measured time for ${off.join("; ")}. On a CPU ` +
        "this is noise between the separate profiling runs and the timing runs on a shared " +
        "machine, and in calls under about 0.2 ms the binding's overhead is most of the call, so " +
        "the difference it leaves is small and noisy; on a GPU provider a call also waits for " +
        "submission, synchronization and the input and output copies, which no kernel row " +
        "includes.",
    ));
  }
  parts.push(
    fallbacks.length > 0
      ? para(`Nodes that fell back to another provider: ${fallbacks.join("; ")}.`, "warn")
      : para("Every profiled node ran on the provider that was asked for."),
  );
  return parts.join("\n");
}

function histogramTable(
  name: string,
  mb: Readonly<Record<string, OptimizationAudit>>,
  rp: Readonly<Record<string, OptimizationAudit>>,
): string {
  const levels = OPTIMIZATION_LEVELS.filter((l) => mb[l] !== undefined && rp[l] !== undefined);
  const columns = (audit: Readonly<Record<string, OptimizationAudit>>) => [
    audit[levels[0]]?.nodesBefore ?? {},
    ...levels.map((l) => audit[l].nodesAfter),
  ];
  const [mbCols, rpCols] = [columns(mb), columns(rp)];
  const ops = [...new Set([...mbCols, ...rpCols].flatMap(Object.keys))];
  const total = (h: Record<string, number>) => Object.values(h).reduce((a, b) => a + b, 0);
  const pair = (i: number, get: (h: Record<string, number>) => number) =>
    `${get(mbCols[i])} / ${get(rpCols[i])}`;
  const rows: Cell[][] = ops.map((op) => [op, ...mbCols.map((_, i) => pair(i, (h) => h[op] ?? 0))]);
  rows.push(["all nodes", ...mbCols.map((_, i) => pair(i, total))]);
  return table(name, ["op type", "graph", ...levels], rows);
}

/** Node histograms before and after onnxruntime's optimizer, per level, for groups of cases. */
export function optimizerSection(results: Results): string {
  const audited = results.cases.filter((c) =>
    c.forms?.multiBranch.optimization && c.forms.reparameterized.optimization
  );
  if (audited.length === 0) {
    return section("optimizer", "What onnxruntime already folds", [para("No optimizer audit.")]);
  }
  const groups = groupBy(
    audited,
    (c) =>
      JSON.stringify([c.forms!.multiBranch.optimization, c.forms!.reparameterized.optimization]),
  );
  const body = [
    para(
      "Nodes per op type, multi-branch / reparameterized, in each form's graph as built " +
        "('graph') and in the graph onnxruntime executes after optimizing at each level " +
        "(columns named by level; saved with optimizedModelFilePath). Cases with identical " +
        "histograms share a table.",
    ),
  ];
  let i = 0;
  for (const cases of groups.values()) {
    const { multiBranch, reparameterized } = cases[0].forms!;
    const names = [...new Set(cases.map(groupLabel))].join("; ");
    body.push(
      `<h3>${cases.length} case${cases.length === 1 ? "" : "s"}: ${escapeHtml(names)}</h3>`,
      histogramTable(
        `optimizer-${++i}`,
        multiBranch.optimization!,
        reparameterized.optimization!,
      ),
    );
  }
  return section("optimizer", "What onnxruntime already folds", body);
}
