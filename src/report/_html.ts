/**
 * HTML building blocks of the report: escaped tables, sections, chart figures, number formats
 * and short case labels. Private to src/report/.
 *
 * @module
 */
import type { CaseConfig } from "../scenario/expand.ts";
import type { CaseResult, CompletedCase, Results } from "../results/schema.ts";
import type { ChartSpec } from "./charts.ts";
import { escapeHtml } from "./escape.ts";
import { formatCount, formatInterval, formatMs, formatRatio } from "../text_format.ts";

/** Markup that is already safe; anything else put into a table or section is escaped. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Wraps trusted markup. */
export function html(value: string): Html {
  return new Html(value);
}

/** A table cell: text (escaped), a number (printed as is) or trusted markup. */
export type Cell = string | number | Html;

function cell(c: Cell, tag: "td" | "th"): string {
  const num = typeof c === "number" || (typeof c === "string" && /^[-+]?[\d.,]+[x%kMG]?$/.test(c));
  const text = c instanceof Html ? c.value : escapeHtml(c);
  const cls = tag === "th"
    ? ""
    : num
    ? "num"
    : typeof c === "string" && c.length > 60
    ? "long"
    : "";
  return `<${tag}${cls ? ` class="${cls}"` : ""}>${text}</${tag}>`;
}

/**
 * A table with a header row; `name` becomes `data-table` so tests and readers can find it.
 * Tables are plain HTML, readable and copyable without JavaScript.
 */
export function table(
  name: string,
  header: readonly Cell[],
  rows: readonly (readonly Cell[])[],
): string {
  const head = `<thead><tr>${header.map((h) => cell(h, "th")).join("")}</tr></thead>`;
  const body = rows.map((r) => `<tr>${r.map((c) => cell(c, "td")).join("")}</tr>`).join("\n");
  return `<div class="table-wrap"><table data-table="${
    escapeHtml(name)
  }">${head}<tbody>\n${body}\n` +
    `</tbody></table></div>`;
}

/** A section with an id (for the table of contents), a heading and body markup. */
export function section(id: string, title: string, body: readonly string[]): string {
  return `<section id="${escapeHtml(id)}"><h2>${escapeHtml(title)}</h2>\n${
    body.join("\n")
  }\n</section>`;
}

/** A paragraph of escaped text. */
export function para(text: string, className = "note"): string {
  return `<p class="${className}">${escapeHtml(text)}</p>`;
}

/**
 * A chart figure: heading, canvas (with the dataset count as `data-datasets`) and the table of
 * the chart's numbers beneath it.
 */
export function figure(spec: ChartSpec, numbers: string): string {
  const n = spec.config.data.datasets.length;
  return `<figure class="chart"><h3>${escapeHtml(spec.title)}</h3>` +
    `<div class="canvas-box" style="height:${Math.round(spec.height)}px">` +
    `<canvas id="${escapeHtml(spec.id)}" data-datasets="${n}" role="img" aria-label="${
      escapeHtml(spec.title)
    }"></canvas></div>\n<figcaption>${numbers}</figcaption></figure>`;
}

/** A count as {@linkcode formatCount} writes it (`24.8M`); `-` when missing or not finite. */
export function num(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? "-" : formatCount(n);
}

/** Milliseconds as {@linkcode formatMs} writes them (`1.23`); `-` when missing or not finite. */
export function ms(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? "-" : formatMs(n);
}

/** A ratio as `1.16x`; `-` when not finite. */
export function ratio(r: number): string {
  return Number.isFinite(r) ? formatRatio(r) : "-";
}

/** A ratio with its interval: `1.16x [1.14, 1.18]`. */
export function ratioCi(r: number, ci: readonly [number, number]): string {
  return `${ratio(r)} ${formatInterval(ci)}`;
}

/** Completed cases of a results file. */
export function completed(results: Results): CompletedCase[] {
  return results.cases.filter((c): c is CompletedCase => c.state === "completed");
}

/** Label parts per config field; "" where the field does not apply (a stem knob of a model). */
const LABEL_PARTS: ReadonlyArray<[keyof CaseConfig, (c: CaseConfig) => string]> = [
  ["device", (c) => c.device],
  ["optimizationLevel", (c) => c.optimizationLevel],
  ["threads", (c) => `t${c.threads}`],
  ["batchSize", (c) => `n${c.batchSize}`],
  ["activation", (c) => c.activation ?? ""],
  ["branches", (c) => (c.branches === undefined ? "" : `b${c.branches}`)],
  ["scaleBranch", (c) => (c.scaleBranch === undefined ? "" : c.scaleBranch ? "scale" : "noscale")],
  ["se", (c) => (c.se === undefined ? "" : c.se ? "se" : "nose")],
  ["model", (c) => c.model?.name ?? ""],
  ["width", (c) => (c.width === undefined ? "" : `w${c.width}`)],
  ["resolution", (c) => resolutionLabel(c)],
  ["inChannels", (c) => `c${c.inChannels}`],
];

/** `r224`, or `r224x320` for a model whose input is not square. */
function resolutionLabel(c: CaseConfig): string {
  const [, , h, w] = c.inputShape ?? [];
  return c.model && h !== w ? `r${h}x${w}` : `r${c.resolution}`;
}

/**
 * What a case runs, where the stem shows its width: the model's name for a user's model, the
 * width `w48` for a stem.
 */
export function subjectLabel(c: CaseConfig): string {
  return c.model ? c.model.name : `w${c.width}`;
}

/**
 * The subject of a case as a table cell: the width (a number) for a stem, the model's name for a
 * user's model.
 */
export function subjectCell(c: CaseConfig): string | number {
  return c.model ? c.model.name : c.width;
}

/**
 * Short labels for a set of cases: only the config fields that differ among them, in case id
 * order (`w16 r32`), a user's model always named (`mynet r224`); the full id when none differ.
 */
export function labeler(cases: readonly CaseResult[]): (c: CaseResult) => string {
  const varying = LABEL_PARTS.filter(([key]) =>
    key === "model" || new Set(cases.map((c) => JSON.stringify(c.config[key] ?? null))).size > 1
  );
  return (c) => {
    const parts = varying.map(([, part]) => part(c.config)).filter((p) => p !== "");
    // a lone model part says only what the id says better
    return parts.length === 0 || (parts.length === 1 && c.config.model) ? c.id : parts.join(" ");
  };
}

/** Geometric mean of positive numbers (NaN for none). */
export function geomean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  return Math.exp(values.reduce((a, v) => a + Math.log(v), 0) / values.length);
}

/** Groups items by a key, keeping first-seen order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Charts collected while rendering, with unique canvas ids. */
export interface RenderContext {
  readonly charts: ChartSpec[];
  /** A new canvas id starting with `prefix`. */
  id(prefix: string): string;
}

/** A fresh render context. */
export function createRenderContext(): RenderContext {
  let n = 0;
  const charts: ChartSpec[] = [];
  return { charts, id: (prefix) => `chart-${prefix}-${++n}` };
}

/** Registers a chart and returns its figure, with the table of its numbers beneath. */
export function chart(
  ctx: RenderContext,
  prefix: string,
  title: string,
  height: number,
  config: ChartSpec["config"],
  numbers: string,
): string {
  const spec = { id: ctx.id(prefix), title, height, config };
  ctx.charts.push(spec);
  return figure(spec, numbers);
}

/**
 * A case id without its width (or model name) and resolution parts, joined by dots: the rest of
 * its config. Cases of several models share a group, as stems of several widths do.
 */
export function groupLabel(c: CaseResult): string {
  const parts = c.id.split("-");
  if (c.config.model) {
    // `...-model-<name>-r224`: the name may hold '-' itself
    const at = parts.indexOf("model");
    return parts.slice(0, at + 1).join(" · ");
  }
  return parts.filter((t) => !/^[wr]\d+$/.test(t)).join(" · ");
}
