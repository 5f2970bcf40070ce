/**
 * The report page's frame (shared by the report and the A/B report), its inline style sheet and
 * its small client script (chart creation and the error-bar plugin). Private to src/report/.
 *
 * @module
 */
import type { ChartSpec } from "./charts.ts";
import { para } from "./_html.ts";
import { escapeHtml, jsonForScript } from "./escape.ts";

/** Inline CSS: readable on screen, clean on paper (`@media print`). */
export const STYLE = `
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #d0d4d9; --bg-alt: #f6f7f9; --worse: #b3261e; --better: #146c2e; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  margin: 0 auto; max-width: 1240px; padding: 16px 24px 48px; }
header h1 { font-size: 22px; margin: 8px 0 4px; overflow-wrap: anywhere; }
header p { margin: 0 0 8px; color: var(--muted); overflow-wrap: anywhere; }
nav { position: sticky; top: 0; background: #fff; border-bottom: 1px solid var(--line); padding: 6px 0;
  z-index: 1; font-size: 13px; }
nav a { margin-right: 14px; color: #0b57d0; text-decoration: none; white-space: nowrap; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-top: 8px; border-top: 2px solid var(--line); }
h3 { font-size: 15px; margin: 16px 0 6px; overflow-wrap: anywhere; }
h4 { font-size: 14px; margin: 8px 0 4px; }
.note { color: var(--muted); margin: 6px 0; max-width: 100ch; }
.warn { color: var(--worse); font-weight: 600; }
.table-wrap { overflow-x: auto; margin: 6px 0 12px; }
table { border-collapse: collapse; font-size: 12.5px; }
th, td { border: 1px solid var(--line); padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: var(--bg-alt); font-weight: 600; }
td { overflow-wrap: break-word; }
td.long { overflow-wrap: anywhere; min-width: 30ch; max-width: 80ch; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fbfbfc; }
.worse { color: var(--worse); }
.better { color: var(--better); }
figure.chart { margin: 10px 0 18px; min-width: 0; }
figure.chart h3 { margin-top: 6px; }
.canvas-box { position: relative; width: 100%; }
figcaption { margin-top: 6px; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 8px 28px; }
.pair > * { min-width: 0; }
.stack { display: flex; flex-wrap: wrap; gap: 0 28px; }
#no-charts { display: none; color: var(--worse); }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  nav { display: none; }
  h2 { break-after: avoid; }
  figure.chart, .canvas-box, tr { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  .pair { display: block; }
  table { font-size: 10px; }
  a { color: inherit; text-decoration: none; }
}
`;

/**
 * Client script: reads the chart configurations from the JSON data element, registers the
 * error-bar plugin and creates every chart. Charts re-layout for printing.
 */
export const CLIENT_SCRIPT = `
(function () {
  "use strict";
  if (typeof Chart === "undefined") {
    document.getElementById("no-charts").style.display = "block";
    return;
  }
  var errorBars = {
    id: "errorBars",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var horizontal = chart.options.indexAxis === "y";
      chart.data.datasets.forEach(function (ds, i) {
        if (!ds.errorBars || !chart.isDatasetVisible(i)) return;
        var meta = chart.getDatasetMeta(i);
        var scale = chart.scales[horizontal ? meta.xAxisID : meta.yAxisID];
        var area = chart.chartArea;
        ctx.save();
        ctx.beginPath();
        ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
        ctx.clip();
        // Bars take their dataset's colour; on line charts each dataset's bars shift a little
        // sideways so that bars of several series at one x stay apart.
        ctx.strokeStyle = chart.config.type === "line" ? ds.borderColor : "#222";
        ctx.lineWidth = 1.25;
        var shift = chart.config.type === "line" ? (i - (chart.data.datasets.length - 1) / 2) * 3 : 0;
        meta.data.forEach(function (el, j) {
          var e = ds.errorBars[j];
          if (!e || el.skip) return;
          var a = scale.getPixelForValue(e[0]), b = scale.getPixelForValue(e[1]);
          var c = (horizontal ? el.y : el.x) + shift, cap = 4;
          ctx.beginPath();
          if (horizontal) {
            ctx.moveTo(a, c); ctx.lineTo(b, c);
            ctx.moveTo(a, c - cap); ctx.lineTo(a, c + cap);
            ctx.moveTo(b, c - cap); ctx.lineTo(b, c + cap);
          } else {
            ctx.moveTo(c, a); ctx.lineTo(c, b);
            ctx.moveTo(c - cap, a); ctx.lineTo(c + cap, a);
            ctx.moveTo(c - cap, b); ctx.lineTo(c + cap, b);
          }
          ctx.stroke();
        });
        ctx.restore();
      });
    }
  };
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#333";
  // Log axes: label only 1x and 3x each power of ten, so neighbouring labels never collide.
  var compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 3 });
  function logTick(value) {
    var mantissa = value / Math.pow(10, Math.floor(Math.log10(value) + 1e-9));
    return Math.abs(mantissa - 1) < 1e-6 || Math.abs(mantissa - 3) < 1e-6 ? compact.format(value) : "";
  }
  var specs = JSON.parse(document.getElementById("chart-data").textContent);
  specs.forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    var scales = (spec.config.options && spec.config.options.scales) || {};
    Object.keys(scales).forEach(function (k) {
      if (scales[k].type === "logarithmic") scales[k].ticks = Object.assign({}, scales[k].ticks, { callback: logTick });
    });
    if (canvas) new Chart(canvas, Object.assign({}, spec.config, { plugins: [errorBars] }));
  });
  function resizeAll() {
    Object.values(Chart.instances).forEach(function (c) { c.resize(); });
  }
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();
`;

/** What {@linkcode pageFrame} wraps. */
export interface PageParts {
  /** The page's title (text, escaped here), also its heading. */
  readonly title: string;
  /** The header's paragraphs under the heading, HTML (already escaped). */
  readonly header: string;
  /** The navigation links, HTML. */
  readonly nav: string;
  /** The sections, HTML, in order. */
  readonly sections: readonly string[];
  /** The charts the sections registered (drawn by the client script). */
  readonly charts: readonly ChartSpec[];
  /** chart.js's UMD build, already checked for inlining (`checkInlineScript`). */
  readonly chartJs: string;
}

/**
 * The self-contained page every report shares: a strict content security policy (no network,
 * inline scripts and styles only), the style, the header, navigation, sections, the charts' data
 * and chart.js inlined, and the client script that draws them.
 *
 * @param parts The page's parts.
 * @returns The whole HTML document.
 */
export function pageFrame(parts: PageParts): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>${escapeHtml(parts.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(parts.title)}</h1>
${parts.header}
<p id="no-charts">chart.js did not load: the charts are missing, the tables below hold every number.</p>
</header>
<nav>${parts.nav}</nav>
<main>
${parts.sections.join("\n")}
</main>
${parts.charts.length === 0 ? para("This report has no charts.") : ""}
<script type="application/json" id="chart-data">${jsonForScript(parts.charts)}</script>
<script>${parts.chartJs}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
