/**
 * A/B results (`ab.json`, written by `deno task ab`) to one self-contained HTML page, in the main
 * report's shell: chart.js inlined, styles inline, chart configurations as JSON data, a table of
 * numbers beneath every chart. Pure: no file or network access.
 *
 * @module
 */
import type { AbResults } from "../ab/results.ts";
import { createRenderContext, para } from "./_html.ts";
import { conventionsSection } from "./_conventions.ts";
import { pageFrame } from "./_page.ts";
import { ratioSection, speedupSection, summarySection } from "./_ab_ratios.ts";
import { contextSection, sidesSection } from "./_ab_sides.ts";
import { checkInlineScript, escapeHtml } from "./escape.ts";

/** Options of {@linkcode renderAbReport}. */
export interface AbRenderOptions {
  /** chart.js's UMD source, inlined as is (see `loadChartJs()` in chartjs.ts). */
  readonly chartJs: string;
  /** When the report was made, shown in the header. @default {new Date().toISOString()} */
  readonly generatedAt?: string;
  /** How the report names the file it shows (its path, say). @default no name */
  readonly label?: string;
}

const SECTIONS = [
  ["summary", "Verdict"],
  ["ratios", "Paired ratios"],
  ["speedup", "Within-run speedup"],
  ["sides", "What was compared"],
  ["context", "Machine and run"],
  ["conventions", "Conventions"],
] as const;

/** How the ratio is read when the results do not say (files written before they did). */
const DEFAULT_RATIO_READING = "median(candidate) / median(baseline) per form, above 1 when the " +
  "candidate is slower; ci95 by paired bootstrap over rounds";

function headerNotes(results: AbResults): string {
  const notes = [
    para(
      `Ratio: ${results.context.conventions?.abRatio ?? DEFAULT_RATIO_READING}. Verdict: ` +
        "'slower' or 'faster' when the 95% interval lies entirely above or below 1, else 'same'.",
    ),
  ];
  if (results.context.interrupted) {
    notes.push(para(
      `The run was interrupted (Ctrl-C) before every case ran: the ${results.cases.length} ` +
        "case(s) below are those measured before it stopped.",
      "warn",
    ));
  }
  return notes.join("\n");
}

/**
 * Renders A/B results as a self-contained HTML report: what each side was, the verdict per case
 * and form in words, the paired ratio candidate / baseline with its 95% interval as a chart and
 * a table (errored cases and equivalence failures included), each side's within-run speedup, the
 * machine and the conventions. Verdicts come from `verdictOf` (src/ab/results.ts), as the `ab`
 * command's table and the paired gate take them. Every string from the results is HTML-escaped,
 * and chart data is JSON that cannot end its `<script>` element.
 *
 * @param results The A/B results, as `parseAbResults` reads them.
 * @param options chart.js's source, the generation time and the file's label.
 * @returns The HTML document.
 * @throws {SyntaxError} When `options.chartJs` contains `</script` or `<!--`.
 * @throws {TypeError} When the results lack fields a written A/B file has (a file cut by hand).
 * @example
 * ```ts
 * import { renderAbReport } from "./ab.ts";
 * import { parseAbResults } from "../ab/results.ts";
 * const results = parseAbResults(
 *   '{"schemaVersion": 1, "kind": "ab", "context": {"scenario": {"name": "<b>x</b>"}},' +
 *     ' "sides": {"baseline": {"spec": "ort:1.29.0", "kind": "ort", "models": []},' +
 *     ' "candidate": {"spec": "working tree", "kind": "working tree", "models": []}},' +
 *     ' "cases": []}',
 *   "ab.json",
 * );
 * const page = renderAbReport(results, { chartJs: "void 0" });
 * if (!page.includes("A/B: &lt;b&gt;x&lt;/b&gt;")) throw new Error();
 * ```
 */
export function renderAbReport(results: AbResults, options: AbRenderOptions): string {
  const chartJs = checkInlineScript(options.chartJs, "chart.js");
  const ctx = createRenderContext();
  const sections = [
    summarySection(results),
    ratioSection(ctx, results),
    speedupSection(ctx, results),
    sidesSection(results),
    contextSection(results),
    conventionsSection({
      schemaVersion: results.schemaVersion,
      context: results.context,
      cases: [],
    }),
  ];
  const nav = SECTIONS.map(([id, name]) => `<a href="#${id}">${escapeHtml(name)}</a>`).join("");
  const name = results.context.scenario?.name ?? "";
  const generatedAt = options.generatedAt ?? new Date().toISOString();
  const { baseline, candidate } = results.sides;
  const compared = `Baseline "${baseline.spec}" against candidate "${candidate.spec}"` +
    (options.label ? ` (${options.label}).` : ".");
  return pageFrame({
    title: `RepStem Bench A/B: ${name}`,
    header: `<p>${escapeHtml(results.context.scenario?.description ?? "")}</p>
<p>${escapeHtml(compared)} Report made ${escapeHtml(generatedAt)}.</p>
${headerNotes(results)}`,
    nav,
    sections,
    charts: ctx.charts,
    chartJs,
  });
}
