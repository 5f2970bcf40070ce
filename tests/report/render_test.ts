import assert from "node:assert/strict";
import { renderReport } from "../../src/report/render.ts";
import { parseResults } from "../../src/results/io.ts";
import {
  CHART_JS_STUB,
  chartSpecs,
  editCases,
  fixturePath,
  readFixture,
  tableRows,
} from "./_fixtures.ts";

const options = { chartJs: CHART_JS_STUB, generatedAt: "2026-01-01T00:00:00Z" };

Deno.test("renderReport() escapes the scenario name, case ids and errors as text", async () => {
  const results = editCases(
    await readFixture("before"),
    (c) =>
      c.state === "errored"
        ? {
          ...c,
          id: `${c.id}-"><img src=x onerror=alert(2)>`,
          error: "</td><script>alert(3)</script>",
        }
        : c,
  );
  const page = renderReport([{ label: "<i>run</i>", results }], options);
  assert.equal(results.context.scenario.name, "<script>alert(1)</script> tiny");
  assert.ok(page.includes("RepStem Bench: &lt;script&gt;alert(1)&lt;/script&gt; tiny</h1>"));
  assert.ok(page.includes("&lt;/td&gt;&lt;script&gt;alert(3)&lt;/script&gt;"));
  assert.ok(page.includes("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
  assert.ok(page.includes("&lt;i&gt;run&lt;/i&gt;"));
  for (const bad of ["<script>alert", "<img", "<i>run"]) assert.ok(!page.includes(bad), bad);
  // Exactly the three scripts of the page: chart data, chart.js and the client script.
  assert.equal(page.match(/<script/g)?.length, 3);
});

Deno.test("renderReport() keeps chart data JSON free of '<' and parseable back", async () => {
  const results = editCases(
    await readFixture("after"),
    (c) =>
      c.state === "completed" ? { ...c, id: c.id.replace("cpu-all", "cpu-</script><!--all") } : c,
  );
  const page = renderReport([{ label: "after", results }], options);
  const data = /<script type="application\/json" id="chart-data">(.*?)<\/script>/s.exec(page)![1];
  assert.ok(!/[<>&]/.test(data));
  const titles = chartSpecs(page).map((s) => s.title);
  assert.ok(titles.some((t) => t.includes("cpu · </script><!")), titles.join("\n"));
});

Deno.test("renderReport() has every section, a canvas per chart and tables beneath", async () => {
  const results = await readFixture("after");
  const page = renderReport([{ label: "after", results }], options);
  for (
    const id of [
      "headline",
      "resolutions",
      "cost",
      "roofline",
      "time",
      "optimizer",
      "providers",
      "problems",
      "conventions",
    ]
  ) {
    assert.ok(page.includes(`<section id="${id}">`), id);
  }
  assert.ok(!page.includes(`<section id="compare">`));
  const specs = chartSpecs(page);
  assert.ok(specs.length >= 6);
  for (const spec of specs) {
    const n = (spec.config as { data: { datasets: unknown[] } }).data.datasets.length;
    assert.ok(page.includes(`<canvas id="${spec.id}" data-datasets="${n}"`), spec.id);
    // The figure holds the chart's table right after its canvas.
    const after = page.slice(page.indexOf(`<canvas id="${spec.id}"`));
    assert.match(after.slice(0, 400), /<figcaption><div class="table-wrap"><table/);
  }
  const completed = results.cases.filter((c) => c.state === "completed");
  assert.equal(tableRows(page, "cases").length, completed.length);
  assert.equal(tableRows(page, "context").length, 14);
  assert.equal(
    tableRows(page, "conventions").length,
    Object.keys(results.context.conventions).length,
  );
});

Deno.test("renderReport() lists errored and skipped cases with their reasons", async () => {
  const results = await readFixture("after");
  const page = renderReport([{ label: "after", results }], options);
  const rows = tableRows(page, "problems");
  const failed = results.cases.filter((c) => c.state !== "completed");
  assert.equal(rows.length, failed.length);
  assert.ok(rows.some((r) => r.includes("errored") && r.includes("No supported adapters")));
  assert.ok(rows.some((r) => r.includes("skipped") && r.includes("libonnxruntime_providers_cuda")));
});

Deno.test("renderReport() leaves out providers with one device and says when all is well", async () => {
  const results = editCases(
    await readFixture("after"),
    (c) => (c.config.device === "cpu" ? c : undefined),
  );
  const page = renderReport([{ label: "cpu only", results }], options);
  assert.ok(!page.includes(`<section id="providers">`));
  assert.ok(page.includes("Every case completed and both forms agreed within tolerance."));
});

Deno.test("renderReport() flags a case whose forms are not equivalent", async () => {
  const results = editCases(
    await readFixture("after"),
    (c) =>
      c.state === "completed" && c.id.endsWith("w16-r32")
        ? { ...c, equivalence: { ...c.equivalence, maxAbsError: 0.5, withinTolerance: false } }
        : c,
  );
  const page = renderReport([{ label: "after", results }], options);
  assert.ok(tableRows(page, "problems").some((r) => r.includes("not equivalent")));
  assert.ok(tableRows(page, "cases").some((r) => r.includes("5.0e-1 FAIL")));
});

Deno.test("renderReport() compares runs: deltas table and cases missing on either side", async () => {
  const before = await readFixture("before");
  const after = await readFixture("after");
  const page = renderReport([{ label: "before", results: before }, {
    label: "after",
    results: after,
  }], options);
  assert.ok(page.includes(`<section id="compare">`));
  const both = after.cases.filter((c) =>
    c.state === "completed" && before.cases.some((b) => b.id === c.id && b.state === "completed")
  );
  assert.equal(tableRows(page, "deltas").length, both.length);
  const missing = tableRows(page, "missing");
  assert.ok(
    missing.some((r) =>
      r.includes("cpu-all-t1-n1-gelu-b1-scale-w24-r128") && r.includes("only in before")
    ),
  );
  assert.ok(
    missing.some((r) =>
      r.includes("cuda-all-t1-n1-gelu-b1-scale-w24-r32") && r.includes("only in after")
    ),
  );
  assert.ok(missing.some((r) => r.includes("errored in before, errored in after")));
  assert.equal(tableRows(page, "context")[0].split("<td").length - 1, 3);
});

Deno.test("renderReport() copes with a run without profile, roofs or timings", async () => {
  const full = await readFixture("after");
  const bare = editCases(full, (c) => {
    if (!c.forms) return c;
    const strip = ({ profile: _p, roofline: _r, ...f }: typeof c.forms.multiBranch) => f;
    const forms = {
      multiBranch: strip(c.forms.multiBranch),
      reparameterized: strip(c.forms.reparameterized),
    };
    return { ...c, forms };
  });
  const results = { ...bare, context: { ...bare.context, roofline: undefined, interrupted: true } };
  const page = renderReport([{ label: "bare", results }], options);
  assert.ok(page.includes("No case was profiled."));
  assert.ok(page.includes("No roofs were measured or no case was profiled."));
  assert.ok(page.includes("The run was interrupted"));
  const none = { ...full, cases: [] };
  const empty = renderReport([{ label: "empty", results: none }], options);
  assert.ok(empty.includes("No case completed: there is no speedup to show."));
  assert.ok(empty.includes("No case has counts."));
});

Deno.test("renderReport() refuses no runs and a chart.js source that would end its script", async () => {
  const results = await readFixture("before");
  assert.throws(() => renderReport([], options), RangeError);
  assert.throws(
    () => renderReport([{ label: "x", results }], { chartJs: "var a = '</script>';" }),
    SyntaxError,
  );
});

Deno.test("parseResults() refuses a results file of another schemaVersion", async () => {
  const text = (await Deno.readTextFile(fixturePath("before"))).replace(
    `"schemaVersion": 1`,
    `"schemaVersion": 2`,
  );
  assert.throws(
    () => parseResults(text, "old.json"),
    (e: Error) =>
      e instanceof RangeError && e.message.includes(`"old.json"`) &&
      e.message.includes("'schemaVersion' must be 1: current value is 2"),
  );
});

Deno.test("renderReport() shows '-' for values a results file holds as null (NaN, Infinity)", async () => {
  // JSON writes NaN and Infinity as null: a profile coverage with no kernel time left after the
  // binding overhead, a roofline point with no bound. Written and read back as a real run would be
  const full = await readFixture("after");
  const nulls = editCases(full, (c) => {
    if (c.state !== "completed") return c;
    const f = c.forms.multiBranch;
    const roofline = f.roofline &&
      { ...f.roofline, total: { ...f.roofline.total, overBound: NaN } };
    const multiBranch = { ...f, profile: f.profile && { ...f.profile, coverage: NaN }, roofline };
    return { ...c, forms: { ...c.forms, multiBranch } };
  });
  const results = parseResults(JSON.stringify(nulls), "run.json");
  const page = renderReport([{ label: "run", results }], options);
  assert.ok(!page.includes("NaN") && !page.includes("null"));
  const cells = ["time-blocks", "cost", "providers"].flatMap((t) => tableRows(page, t));
  assert.ok(cells.some((r) => r.includes("<td>-</td>") || r.includes('class="num">-<')));
});
