/**
 * Results to one self-contained HTML page: chart.js inlined, styles inline, chart configurations
 * as JSON data, and a table of numbers beneath every chart. Pure: no file or network access.
 *
 * @module
 */
import type { Results } from "../results/schema.ts";
import { costSection } from "./_cost.ts";
import { rooflineSection } from "./_roofline.ts";
import { createRenderContext } from "./_html.ts";
import { int8Section } from "./_int8.ts";
import { conventionsSection } from "./_conventions.ts";
import { headlineSection, resolutionSection } from "./_overview.ts";
import { pageFrame } from "./_page.ts";
import { problemsSection } from "./_problems.ts";
import { hasSeveralDevices, providerSection } from "./_providers.ts";
import { optimizerSection, timeSection } from "./_time.ts";
import { comparisonSection } from "./run_comparison.ts";
import { checkInlineScript, escapeHtml } from "./escape.ts";

/** One results file and the label it goes by in the report (its path, say). */
export interface ReportRun {
  /** How the report names the run: in its subtitle, context table, comparisons and legends. */
  readonly label: string;
  /** The run's results. */
  readonly results: Results;
}

/** Options of {@linkcode renderReport}. */
export interface RenderOptions {
  /** chart.js's UMD source, inlined as is (see `loadChartJs()` in chartjs.ts). */
  readonly chartJs: string;
  /** When the report was made, shown in the header. @default {new Date().toISOString()} */
  readonly generatedAt?: string;
}

const SECTIONS = [
  ["headline", "Headline"],
  ["compare", "Compared runs"],
  ["resolutions", "Resolutions"],
  ["cost", "Cost"],
  ["roofline", "Roofline"],
  ["time", "Where the time goes"],
  ["optimizer", "Optimizer"],
  ["int8", "Int8"],
  ["providers", "Providers"],
  ["problems", "Errored and skipped"],
  ["conventions", "Conventions"],
] as const;

/**
 * Renders one or more results files as a self-contained HTML report. The last run is shown in
 * full; with several runs, the context of each is shown side by side and every run after the
 * first is compared case by case with the first (the baseline). Every string from the results is
 * HTML-escaped, and chart data is JSON that cannot end its `<script>` element.
 *
 * @param runs Results with their labels, baseline first; at least one.
 * @param options chart.js's source and the generation time.
 * @returns The HTML document.
 * @throws {RangeError} When `runs` is empty.
 * @throws {SyntaxError} When `options.chartJs` contains `</script` or `<!--`.
 * @example
 * ```ts
 * import { renderReport } from "./render.ts";
 * import { parseResults } from "../results/io.ts";
 * const results = parseResults(
 *   await Deno.readTextFile("tests/testdata/results/before.json"), "before.json");
 * const page = renderReport([{ label: "before", results }], { chartJs: "void 0" });
 * if (!page.includes("&lt;script&gt;alert(1)&lt;/script&gt;")) throw new Error();
 * ```
 */
export function renderReport(runs: readonly ReportRun[], options: RenderOptions): string {
  if (runs.length === 0) {
    throw new RangeError("Cannot render a report of no results: give at least one");
  }
  const chartJs = checkInlineScript(options.chartJs, "chart.js");
  const current = runs[runs.length - 1];
  const { results } = current;
  const ctx = createRenderContext();
  const several = hasSeveralDevices(results);
  const sections = [
    headlineSection(ctx, runs),
    runs.length > 1 ? comparisonSection(ctx, runs) : "",
    resolutionSection(ctx, results),
    costSection(ctx, results),
    rooflineSection(ctx, results),
    timeSection(ctx, results),
    optimizerSection(results),
    int8Section(ctx, results),
    several ? providerSection(ctx, results) : "",
    problemsSection(results),
    conventionsSection(results),
  ].filter((s) => s !== "");
  const nav = SECTIONS.filter(([id]) => sections.some((s) => s.startsWith(`<section id="${id}"`)))
    .map(([id, name]) => `<a href="#${id}">${escapeHtml(name)}</a>`).join("");
  const name = results.context.scenario.name;
  const generatedAt = options.generatedAt ?? new Date().toISOString();
  const subtitle = runs.length > 1
    ? `${runs.length} runs: ${
      runs.map((r) => r.label).join(", ")
    }. Details below are of ${current.label}.`
    : current.label;
  return pageFrame({
    title: `RepStem Bench: ${name}`,
    header: `<p>${escapeHtml(results.context.scenario.description)}</p>
<p>${escapeHtml(subtitle)} Report made ${escapeHtml(generatedAt)}. Speedup is median multi-branch
latency over median reparameterized latency (above 1: the reparameterized stem is faster).</p>`,
    nav,
    sections,
    charts: ctx.charts,
    chartJs,
  });
}
