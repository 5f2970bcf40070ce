import assert from "node:assert/strict";
import { checkInlineScript, escapeHtml, jsonForScript } from "../../src/report/escape.ts";
import { axisType, paddedRange, rooflineChart } from "../../src/report/charts.ts";
import { findChartJs, loadChartJs } from "../../src/report/chartjs.ts";

Deno.test("escapeHtml() replaces the five HTML-special characters", () => {
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
  assert.equal(escapeHtml(42), "42");
});

Deno.test("jsonForScript() round-trips and cannot close a script element", () => {
  const value = { a: "</script><!-- & >", b: "\u2028\u2029", c: [1, null] };
  const text = jsonForScript(value);
  assert.ok(!/[<>&\u2028\u2029]/.test(text));
  assert.deepEqual(JSON.parse(text), value);
});

Deno.test("checkInlineScript() refuses '</script' and '<!--'", () => {
  assert.equal(checkInlineScript("var a = 1 < 2;", "x"), "var a = 1 < 2;");
  assert.throws(() => checkInlineScript("'</SCRIPT>'", "x"), SyntaxError);
  assert.throws(() => checkInlineScript("a <!-- b", "x"), SyntaxError);
});

Deno.test("axisType() asks for a log axis when positive values span a decade", () => {
  assert.equal(axisType([0.05, 0.5]), "logarithmic");
  assert.equal(axisType([0.05, 0.4]), "linear");
  assert.equal(axisType([0, 100]), "linear"); // zero cannot sit on a log axis
  assert.equal(axisType([]), "linear");
});

Deno.test("paddedRange() widens the range by 5% of the span", () => {
  assert.deepEqual(paddedRange([2, 4]), { suggestedMin: 1.9, suggestedMax: 4.1 });
  const one = paddedRange([1]);
  assert.ok(one.suggestedMin < 1 && one.suggestedMax > 1);
});

Deno.test("rooflineChart() draws each roof as min(peak, bandwidth x intensity)", () => {
  const config = rooflineChart(
    [{ label: "roof", peakGflops: 100, bandwidthGBs: 10 }],
    [{ label: "p", points: [{ x: 2, y: 5 }, { x: 50, y: 60 }], color: "#000" }],
  );
  const roof = config.data.datasets[0].data as { x: number; y: number }[];
  assert.deepEqual(roof.map((p) => p.x), [0.2, 10, 500]);
  assert.deepEqual(roof.map((p) => p.y), [2, 100, 100]);
  assert.equal(config.data.datasets.length, 2);
  const scales = config.options.scales as Record<string, { type: string }>;
  assert.equal(scales.x.type, "logarithmic");
  assert.equal(scales.y.type, "logarithmic");
});

Deno.test("loadChartJs() reads chart.js's UMD build from the npm cache", async () => {
  assert.match(findChartJs(), /chart\.js[\\/].*dist[\\/]chart\.umd(\.min)?\.js$/);
  const source = await loadChartJs();
  assert.match(source.slice(0, 200), /Chart\.js v4\./);
  assert.ok(source.length > 100_000);
});
