/**
 * chart.js configurations built as plain data (no functions), serialized into the report and
 * handed to `new Chart()` by its small inline script. Error bars are a `errorBars` array on a
 * dataset (`[low, high]` per point, or null), drawn by the report's own chart.js plugin.
 *
 * @module
 */

/** A point of a line or scatter chart. */
export interface XY {
  readonly x: number;
  readonly y: number;
}

/** One chart.js dataset: a label, its data, and style properties. */
export interface Dataset {
  readonly label: string;
  readonly data: ReadonlyArray<number | XY | readonly [number, number] | null>;
  /** `[low, high]` per data point (null for none), drawn as a bar with caps. */
  readonly errorBars?: ReadonlyArray<readonly [number, number] | null>;
  readonly [style: string]: unknown;
}

/** A chart.js configuration that JSON can carry. */
export interface ChartConfig {
  readonly type: "line" | "bar" | "scatter";
  readonly data: { readonly labels?: readonly string[]; readonly datasets: readonly Dataset[] };
  readonly options: Readonly<Record<string, unknown>>;
}

/** A chart of the report: its canvas id, heading, height in CSS pixels and configuration. */
export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly height: number;
  readonly config: ChartConfig;
}

/**
 * Okabe-Ito colours (distinguishable with colour-blindness) with black at index 7, then four more
 * (grey, brown, olive, purple) for charts with many series.
 */
const PALETTE = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#CC79A7",
  "#56B4E9",
  "#D55E00",
  "#F0E442",
  "#000000",
  "#999999",
  "#8C564B",
  "#9A9A2A",
  "#6A3D9A",
] as const;

/** Colours of the two forms: multi-branch vermillion, reparameterized blue. */
export const FORM_COLORS = { multiBranch: "#D55E00", reparameterized: "#0072B2" } as const;

/** The colour of series `i`, cycling through the palette above. */
export function color(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/**
 * Picks a logarithmic axis when every value is positive and they span at least `ratio` (max over
 * min), else a linear one.
 *
 * @example
 * ```ts
 * import { axisType } from "./charts.ts";
 * if (axisType([0.05, 0.4, 2]) !== "logarithmic" || axisType([1, 2]) !== "linear") throw new Error();
 * ```
 */
export function axisType(values: readonly number[], ratio = 10): "linear" | "logarithmic" {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0 || finite.some((v) => v <= 0)) return "linear";
  return Math.max(...finite) / Math.min(...finite) >= ratio ? "logarithmic" : "linear";
}

/** Axis options of one scale. */
export interface AxisOptions {
  readonly title: string;
  readonly type?: "linear" | "logarithmic" | "category";
  readonly stacked?: boolean;
  /** Axis bounds; left out, chart.js fits the data (bar value axes start at zero). */
  readonly min?: number;
  readonly max?: number;
  /** The axis grows to include these values at least. */
  readonly suggestedMin?: number;
  readonly suggestedMax?: number;
}

function scale(axis: AxisOptions): Record<string, unknown> {
  const type = axis.type ?? "linear";
  const bounds = Object.fromEntries(
    (["min", "max", "suggestedMin", "suggestedMax"] as const)
      .filter((k) => axis[k] !== undefined && Number.isFinite(axis[k]))
      .map((k) => [k, axis[k]]),
  );
  return {
    type,
    title: { display: true, text: axis.title },
    ...(axis.stacked ? { stacked: true } : {}),
    ...bounds,
    // Bars start at zero unless bounds say otherwise (floating speedup bars start at 1).
    ...(axis.min !== undefined || axis.suggestedMin !== undefined ? { beginAtZero: false } : {}),
    ticks: type === "category"
      // Every category label shown: charts size themselves so that they fit.
      ? { autoSkip: false }
      // Compact numbers (2M, 300k, 0.05): short labels that do not collide on log axes.
      : {
        maxRotation: 0,
        autoSkipPadding: 10,
        format: { notation: "compact", maximumFractionDigits: 3 },
      },
  };
}

/**
 * Suggested bounds of a linear axis that show every value with 5% of the span to spare on both
 * sides (chart.js rounds them out to its ticks).
 *
 * @example
 * ```ts
 * import { paddedRange } from "./charts.ts";
 * const r = paddedRange([1, 1.2]);
 * if (Math.abs(r.suggestedMin - 0.99) > 1e-9 || Math.abs(r.suggestedMax - 1.21) > 1e-9) {
 *   throw new Error();
 * }
 * ```
 */
export function paddedRange(
  values: readonly number[],
): { suggestedMin: number; suggestedMax: number } {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { suggestedMin: 0, suggestedMax: 1 };
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
  return { suggestedMin: lo - pad, suggestedMax: hi + pad };
}

/** Options shared by every chart: no animation (stable screenshots and printing), legend below. */
function baseOptions(x: AxisOptions, y: AxisOptions): Record<string, unknown> {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } } },
    scales: { x: scale(x), y: scale(y) },
  };
}

/** A series of a line chart: points with optional error bars. */
export interface LineSeries {
  readonly label: string;
  readonly points: ReadonlyArray<XY & { readonly low?: number; readonly high?: number }>;
  readonly color: string;
  readonly dashed?: boolean;
}

/**
 * A line chart over numeric x with error bars where points carry `low` and `high`; the y axis
 * grows to include every error bar.
 */
export function lineChart(
  series: readonly LineSeries[],
  x: AxisOptions,
  y: AxisOptions,
): ChartConfig {
  const ends = series.flatMap((s) => s.points.flatMap((p) => [p.low ?? p.y, p.high ?? p.y, p.y]));
  const yAxis = { suggestedMin: Math.min(...ends), suggestedMax: Math.max(...ends), ...y };
  return {
    type: "line",
    data: {
      datasets: series.map((s) => ({
        label: s.label,
        data: s.points.map((p) => ({ x: p.x, y: p.y })),
        errorBars: s.points.map((p) =>
          p.low !== undefined && p.high !== undefined ? [p.low, p.high] as const : null
        ),
        borderColor: s.color,
        backgroundColor: s.color,
        borderDash: s.dashed ? [6, 4] : [],
        pointRadius: 3,
        borderWidth: 2,
      })),
    },
    options: baseOptions(x, yAxis),
  };
}

/** A bar series: one value per category, with optional error bars. */
export interface BarSeries {
  readonly label: string;
  readonly values: ReadonlyArray<number | readonly [number, number] | null>;
  readonly color: string;
  readonly errorBars?: ReadonlyArray<readonly [number, number] | null>;
  /** Bars of the same stack id are stacked (with `stacked` axes). */
  readonly stack?: string;
}

/** Options of {@linkcode barChart}. */
export interface BarChartOptions {
  /** Bars run along y (categories on the y axis). @default false */
  readonly horizontal?: boolean;
  /** Stack the series. @default false */
  readonly stacked?: boolean;
}

/**
 * A bar chart over categories. With `horizontal`, the value axis is x; floating bars are
 * `[start, end]` values.
 */
export function barChart(
  labels: readonly string[],
  series: readonly BarSeries[],
  category: AxisOptions,
  value: AxisOptions,
  options: BarChartOptions = {},
): ChartConfig {
  const cat = { ...category, type: "category" as const, stacked: options.stacked };
  const val = { ...value, stacked: options.stacked };
  const base = options.horizontal ? baseOptions(val, cat) : baseOptions(cat, val);
  return {
    type: "bar",
    data: {
      labels,
      datasets: series.map((s) => ({
        label: s.label,
        data: s.values,
        ...(s.errorBars ? { errorBars: s.errorBars } : {}),
        ...(s.stack ? { stack: s.stack } : {}),
        backgroundColor: s.color,
        borderColor: s.color,
        borderWidth: 1,
      })),
    },
    options: options.horizontal ? { ...base, indexAxis: "y" } : base,
  };
}

/** Scatter points of one group on a roofline chart. */
export interface RooflineGroup {
  readonly label: string;
  readonly points: readonly XY[];
  readonly color: string;
  readonly pointStyle?: string;
  /** Marker radius in pixels; default 5. */
  readonly pointRadius?: number;
}

/** Colours of the roofs, fastest level first: black, brown, purple, grey (apart from the points'). */
const ROOF_COLORS = [7, 9, 11, 8].map((i) => PALETTE[i]);

/** One measured roof (a level of the memory hierarchy with the peak), as plotted. */
export interface RoofLine {
  readonly label: string;
  readonly peakGflops: number;
  readonly bandwidthGBs: number;
}

/** Options of {@linkcode rooflineChart}. */
export interface RooflineChartOptions {
  /** Title of the intensity axis; default: FLOP/byte of the cache-aware bytes (older results). */
  readonly xTitle?: string;
}

/**
 * A log-log roofline: each roof (one per measured level) is min(peak, bandwidth * intensity)
 * drawn across the intensity range of the points (one decade either side), then one scatter
 * dataset per group.
 */
export function rooflineChart(
  roofs: readonly RoofLine[],
  groups: readonly RooflineGroup[],
  chartOptions: RooflineChartOptions = {},
): ChartConfig {
  const xs = groups.flatMap((g) => g.points.map((p) => p.x)).filter((x) => x > 0);
  const ridges = roofs.map((r) => r.peakGflops / r.bandwidthGBs);
  const lo = Math.min(...xs, ...ridges) / 10;
  const hi = Math.max(...xs, ...ridges) * 10;
  const roofData = (r: RoofLine) =>
    [lo, r.peakGflops / r.bandwidthGBs, hi].map((x) => ({
      x,
      y: Math.min(r.peakGflops, r.bandwidthGBs * x),
    }));
  const roofSets: Dataset[] = roofs.map((r, i) => ({
    label: r.label,
    data: roofData(r),
    type: "line",
    showLine: true,
    borderColor: ROOF_COLORS[i % ROOF_COLORS.length],
    backgroundColor: ROOF_COLORS[i % ROOF_COLORS.length],
    borderWidth: 2,
    pointRadius: 0,
    borderDash: i === 0 ? [] : [4 + 2 * i, 3],
  }));
  const pointSets: Dataset[] = groups.map((g) => ({
    label: g.label,
    data: g.points,
    borderColor: g.color,
    backgroundColor: g.color,
    pointStyle: g.pointStyle ?? "circle",
    pointRadius: g.pointRadius ?? 5,
  }));
  const options = baseOptions(
    {
      title: chartOptions.xTitle ?? "arithmetic intensity (FLOP/byte, cache-aware bytes)",
      type: "logarithmic",
    },
    { title: "GFLOP/s", type: "logarithmic" },
  );
  return {
    type: "scatter",
    data: { datasets: [...roofSets, ...pointSets] },
    options: {
      ...options,
      plugins: { legend: { position: "bottom", labels: { usePointStyle: true, boxWidth: 10 } } },
    },
  };
}

/** A plateau of the bandwidth sweep, as plotted: its roof across the sizes it covers. */
export interface SweepLevel {
  readonly label: string;
  readonly bandwidthGBs: number;
  /** Working sets the roof is drawn across, KiB. */
  readonly fromKiB: number;
  readonly toKiB: number;
}

/**
 * The bandwidth sweep: best and median bandwidth by working set (log-log), and each level's roof
 * as a flat segment over the sizes it holds.
 */
export function bandwidthSweepChart(
  best: readonly XY[],
  median: readonly XY[],
  levels: readonly SweepLevel[],
): ChartConfig {
  const line = (label: string, data: readonly XY[], c: string, dash: number[] = []): Dataset => ({
    label,
    data,
    type: "line",
    showLine: true,
    borderColor: c,
    backgroundColor: c,
    borderWidth: 2,
    pointRadius: dash.length > 0 ? 0 : 3,
    borderDash: dash,
  });
  const roofSets = levels.map((l, i) =>
    line(
      l.label,
      [{ x: l.fromKiB, y: l.bandwidthGBs }, { x: l.toKiB, y: l.bandwidthGBs }],
      ROOF_COLORS[i % ROOF_COLORS.length],
      [6, 3],
    )
  );
  const options = baseOptions(
    { title: "working set (KiB)", type: "logarithmic" },
    { title: "GB/s", type: "linear", min: 0 },
  );
  return {
    type: "scatter",
    data: {
      datasets: [
        line("best kernel time", best, color(0)),
        line("median kernel time", median, color(1)),
        ...roofSets,
      ],
    },
    options: {
      ...options,
      plugins: { legend: { position: "bottom", labels: { usePointStyle: true, boxWidth: 10 } } },
    },
  };
}

/**
 * The per-channel weight ranges of one conv: a bar of max |w| per output channel (left axis, up
 * to the tensor's max |w|), and a point per channel at the share of the int8 range it uses under
 * one per-tensor scale (right axis, 0 to 100%). The share is the channel's max |w| over the
 * tensor's, so each point sits on its bar's top: read a bar against the right axis for its share.
 *
 * @param labels One label per channel.
 * @param maxAbs max |w| per channel.
 * @param rangeSharePct Share of the int8 range per channel, in percent.
 * @returns A bar chart with a second, point-only dataset on the right axis.
 */
export function channelRangeChart(
  labels: readonly string[],
  maxAbs: readonly (number | null)[],
  rangeSharePct: readonly (number | null)[],
): ChartConfig {
  const top = Math.max(0, ...maxAbs.filter((v): v is number => Number.isFinite(v)));
  const base = baseOptions(
    { title: "output channel", type: "category" },
    { title: "max |w|", min: 0, ...(top > 0 ? { max: top } : {}) },
  );
  const right = {
    ...scale({ title: "share of the int8 range, % (per-tensor scale)", min: 0, max: 100 }),
    position: "right",
    grid: { drawOnChartArea: false },
  };
  return {
    type: "bar",
    data: {
      labels,
      datasets: [
        {
          label: "max |w|",
          data: maxAbs,
          backgroundColor: color(0),
          borderColor: color(0),
          borderWidth: 1,
          yAxisID: "y",
        },
        {
          label: "share of the int8 range under one per-tensor scale (%)",
          data: rangeSharePct,
          type: "line",
          showLine: false,
          yAxisID: "y1",
          backgroundColor: color(5),
          borderColor: color(5),
          pointRadius: 3,
        },
      ],
    },
    options: { ...base, scales: { ...(base.scales as Record<string, unknown>), y1: right } },
  };
}
