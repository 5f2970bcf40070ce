/**
 * Report sections that summarize runs: the headline (context fingerprint, speedup per device and
 * per case) and latency and speedup across resolutions. Private to src/report/.
 *
 * @module
 */
import type { CaseResult, CompletedCase, Results } from "../results/schema.ts";
import { formatCpu, formatFixed } from "../text_format.ts";
import {
  axisType,
  barChart,
  color,
  FORM_COLORS,
  lineChart,
  type LineSeries,
  paddedRange,
} from "./charts.ts";
import {
  type Cell,
  chart,
  completed,
  geomean,
  groupBy,
  groupLabel,
  labeler,
  ms,
  num,
  para,
  ratio,
  ratioCi,
  type RenderContext,
  section,
  subjectCell,
  subjectLabel,
  table,
} from "./_html.ts";

/** A labelled results file, as the report receives it. */
export interface Run {
  readonly label: string;
  readonly results: Results;
}

function states(cases: readonly CaseResult[]): string {
  const n = (s: CaseResult["state"]) => cases.filter((c) => c.state === s).length;
  return `${n("completed")} completed, ${n("errored")} errored, ${n("skipped")} skipped`;
}

function fingerprint(runs: readonly Run[]): string {
  const rows: [string, (r: Results) => Cell][] = [
    ["scenario", (r) => r.context.scenario.name],
    ["description", (r) => r.context.scenario.description],
    ["scenario file", (r) => r.context.scenario.path],
    ["scenario SHA-256", (r) => r.context.scenario.hash],
    ["git commit", (r) => r.context.gitCommit ?? "-"],
    [
      "started / finished",
      (r) =>
        `${r.context.startedAt} / ${r.context.finishedAt ?? "-"}${
          r.context.interrupted ? " (interrupted)" : ""
        }`,
    ],
    ["tool", (r) => `${r.context.tool.name} ${r.context.tool.version}`],
    ["onnxruntime-node", (r) => r.context.ortVersion],
    ["Deno (V8)", (r) => `${r.context.denoVersion} (${r.context.v8Version})`],
    ["OS / arch", (r) => `${r.context.os} / ${r.context.arch}`],
    [
      "CPU",
      (r) => formatCpu(r.context.cpu),
    ],
    [
      "roofs (measured)",
      (r) =>
        Object.entries(r.context.roofline ?? {}).map(([key, roofs]) =>
          `${key}: ${num(roofs.peakGflops)} GFLOP/s, ${num(roofs.bandwidthGBs)} GB/s`
        ).join("; ") || "-",
    ],
    ["cache (traffic estimate)", (r) => `${num(r.context.cacheBytes / 2 ** 20)} MiB`],
    ["cases", (r) => states(r.cases)],
  ];
  return table(
    "context",
    ["", ...runs.map((r) => r.label)],
    rows.map(([name, get]) => [name, ...runs.map((r) => get(r.results))]),
  );
}

function deviceSpeedups(results: Results): string {
  const byDevice = groupBy(results.cases, (c) => c.config.device);
  const rows = [...byDevice].map(([device, cases]) => {
    const done = cases.filter((c): c is CompletedCase => c.state === "completed");
    if (done.length === 0) return [device, states(cases), "-", "-", "-", "-"];
    const sorted = done.toSorted((a, b) => a.speedup.ratio - b.speedup.ratio);
    const lo = sorted[0];
    const hi = sorted[sorted.length - 1];
    return [
      device,
      states(cases),
      ratio(geomean(done.map((c) => c.speedup.ratio))),
      `${ratioCi(lo.speedup.ratio, lo.speedup.ci95)} to ${
        ratioCi(hi.speedup.ratio, hi.speedup.ci95)
      }`,
      `${done.filter((c) => c.speedup.ci95[0] > 1).length} of ${done.length}`,
      `${done.filter((c) => c.speedup.ci95[1] < 1).length} of ${done.length}`,
    ];
  });
  return table("device-speedup", [
    "device",
    "cases",
    "speedup (geometric mean)",
    "lowest to highest case [ci95]",
    "reparameterized faster (ci95 > 1)",
    "slower (ci95 < 1)",
  ], rows);
}

function caseSpeedups(ctx: RenderContext, results: Results): string {
  const done = completed(results);
  if (done.length === 0) return para("No case completed: there is no speedup to show.");
  const label = labeler(done);
  const config = barChart(
    done.map(label),
    [{
      label: "speedup, multi-branch / reparameterized (bar from 1x), ci95",
      values: done.map((c) => [1, c.speedup.ratio] as const),
      errorBars: done.map((c) => c.speedup.ci95),
      color: FORM_COLORS.reparameterized,
    }],
    { title: "case" },
    { title: "speedup (x)", ...paddedRange([1, ...done.flatMap((c) => c.speedup.ci95)]) },
    { horizontal: true },
  );
  const rows = done.map((c) => {
    const mb = c.forms.multiBranch.latencyMs!;
    const rp = c.forms.reparameterized.latencyMs!;
    return [
      c.id,
      `${ms(mb.median)} (${ms(mb.p10)}-${ms(mb.p90)})`,
      `${ms(rp.median)} (${ms(rp.p10)}-${ms(rp.p90)})`,
      ratioCi(c.speedup.ratio, c.speedup.ci95),
      `${c.equivalence.maxAbsError.toExponential(1)}${
        c.equivalence.withinTolerance ? "" : " FAIL"
      }`,
      `${ms(mb.firstRunMs)} / ${ms(rp.firstRunMs)}`,
      ms(c.overheadMs.median),
      `${mb.samples} / ${rp.samples}`,
    ];
  });
  const numbers = table("cases", [
    "case",
    "multi-branch ms median (p10-p90)",
    "reparameterized ms median (p10-p90)",
    "speedup [ci95]",
    "max abs error",
    "first run ms mb / rp",
    "binding overhead ms",
    "samples mb / rp",
  ], rows);
  const height = 90 + 26 * done.length;
  return chart(ctx, "speedup-cases", "Speedup per case", height, config, numbers);
}

/** The headline: who ran what where, and what reparameterization bought on each device. */
export function headlineSection(ctx: RenderContext, runs: readonly Run[]): string {
  const current = runs[runs.length - 1];
  return section("headline", "Headline", [
    fingerprint(runs),
    "<h3>Speedup per device</h3>",
    deviceSpeedups(current.results),
    caseSpeedups(ctx, current.results),
  ]);
}

function resolutionGroup(
  ctx: RenderContext,
  title: string,
  cases: readonly CompletedCase[],
): string {
  // One line per stem width or per model, in width order, models after the stems
  const sorted = cases.toSorted((a, b) =>
    (a.config.width ?? Infinity) - (b.config.width ?? Infinity) ||
    subjectLabel(a.config).localeCompare(subjectLabel(b.config)) ||
    a.config.resolution - b.config.resolution
  );
  const subjects = [...new Set(sorted.map((c) => subjectLabel(c.config)))];
  const of = (s: string) => sorted.filter((c) => subjectLabel(c.config) === s);
  const points = (s: string, form: "multiBranch" | "reparameterized") =>
    of(s).map((c) => {
      const l = c.forms[form].latencyMs!;
      return { x: c.config.resolution, y: l.median, low: l.p10, high: l.p90 };
    });
  const series: LineSeries[] = subjects.flatMap((s, i) => [
    {
      label: `${s} multi-branch`,
      points: points(s, "multiBranch"),
      color: color(i),
      dashed: true,
    },
    { label: `${s} reparameterized`, points: points(s, "reparameterized"), color: color(i) },
  ]);
  const ys = series.flatMap((s) => s.points.flatMap((p) => [p.low ?? p.y, p.high ?? p.y]));
  const xs = cases.map((c) => c.config.resolution);
  const latency = lineChart(
    series,
    { title: "resolution (px)", type: axisType(xs) },
    { title: "latency ms (median, p10-p90 bars)", type: axisType(ys) },
  );
  const latencyRows = sorted.map((c) => {
    const [mb, rp] = [c.forms.multiBranch.latencyMs!, c.forms.reparameterized.latencyMs!];
    return [
      subjectCell(c.config),
      c.config.resolution,
      ...[mb, rp].flatMap((l) => [l.median, l.p10, l.p90].map(ms)),
    ];
  });
  const speedSeries: LineSeries[] = subjects.map((s, i) => ({
    label: s,
    color: color(i),
    points: of(s).map((c) => ({
      x: c.config.resolution,
      y: c.speedup.ratio,
      low: c.speedup.ci95[0],
      high: c.speedup.ci95[1],
    })),
  }));
  const speedup = lineChart(speedSeries, { title: "resolution (px)", type: axisType(xs) }, {
    title: "speedup (x, ci95 bars)",
  });
  const speedRows = sorted.map((c) => [
    subjectCell(c.config),
    c.config.resolution,
    ratio(c.speedup.ratio),
    formatFixed(c.speedup.ci95[0], 3),
    formatFixed(c.speedup.ci95[1], 3),
  ]);
  // groupLabel keeps models and stems apart: a group is all stems or all models
  const subject = cases.some((c) => c.config.model) ? "model" : "width";
  return `<div class="pair">${
    chart(
      ctx,
      "latency",
      `Latency vs resolution: ${title}`,
      320,
      latency,
      table("latency-resolution", [
        subject,
        "resolution",
        "mb median ms",
        "mb p10",
        "mb p90",
        "rp median ms",
        "rp p10",
        "rp p90",
      ], latencyRows),
    )
  }${
    chart(
      ctx,
      "speedup-res",
      `Speedup vs resolution: ${title}`,
      320,
      speedup,
      table("speedup-resolution", [
        subject,
        "resolution",
        "speedup",
        "ci95 low",
        "ci95 high",
      ], speedRows),
    )
  }</div>`;
}

/** Most configuration groups charted against resolution; the rest are in the per-case table. */
const MAX_RESOLUTION_GROUPS = 6;

/** Latency and speedup against resolution, one pair of charts per configuration group. */
export function resolutionSection(ctx: RenderContext, results: Results): string {
  const groups = [...groupBy(completed(results), groupLabel)]
    .filter(([, cases]) => new Set(cases.map((c) => c.config.resolution)).size > 1);
  const body = groups.slice(0, MAX_RESOLUTION_GROUPS).map(([title, cases]) =>
    resolutionGroup(ctx, title, cases)
  );
  if (groups.length === 0) {
    body.push(para("No configuration ran at more than one resolution: see the speedup per case."));
  } else if (groups.length > MAX_RESOLUTION_GROUPS) {
    body.push(
      para(
        `${
          groups.length - MAX_RESOLUTION_GROUPS
        } more configuration groups are left out of the charts; the per-case table above holds them.`,
      ),
    );
  }
  return section("resolutions", "Across resolutions", body);
}
