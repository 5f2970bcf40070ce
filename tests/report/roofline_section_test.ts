/** Tests for the report's roofline section: per-level roofs, the sweep, and model errors. */
import assert from "node:assert/strict";
import { renderReport } from "../../src/report/render.ts";
import { placeInHierarchy } from "../../src/profile/roofline.ts";
import type { CaseResult, Results, Roofs } from "../../src/results/schema.ts";
import { CHART_JS_STUB, chartSpecs, editCases, readFixture, tableRows } from "./_fixtures.ts";

const options = { chartJs: CHART_JS_STUB, generatedAt: "2026-01-01T00:00:00Z" };

const level = (name: string, capacityBytes: number | null, bandwidthGBs: number) => ({
  name,
  capacityBytes,
  bandwidthGBs,
  medianGBs: bandwidthGBs,
  sweepBytes: [8192, 8192] as const,
  noise: 0.02,
});

/** 100 GFLOP/s, 80 GB/s up to 1 MiB, then 20 GB/s: two roofs and a three-point sweep. */
const roofs: Roofs = {
  peakGflops: 100,
  bandwidthGBs: 20,
  peakNoise: 0.01,
  levels: [level("<= 1 MiB", 2 ** 20, 80), level("DRAM", null, 20)],
  sweep: [1, 2, 4].map((mib) => ({
    workingSetBytes: mib * 2 ** 19,
    bytes: 16e6,
    bestUs: 200 * mib,
    medianUs: 210 * mib,
    bandwidthGBs: 80 / mib,
  })),
};

/** The fixture with per-level roofs, every point re-placed, one made 3x faster than its bound. */
function withLevels(results: Results): Results {
  let planted = false;
  const edited = editCases(results, (c: CaseResult) => {
    if (!c.forms?.multiBranch.roofline) return c;
    const forms = Object.fromEntries(
      Object.entries(c.forms).map(([name, f]) => {
        const r = f.roofline!;
        const place = (p: typeof r.total) => {
          const bound = placeInHierarchy(p.flops, p.bytes, roofs).boundMs;
          const ms = planted ? p.measuredMs : bound / 3;
          planted = true;
          return placeInHierarchy(p.flops, p.bytes, roofs, ms);
        };
        const blocks = r.blocks.map((b) => ({ block: b.block, ...place(b) }));
        return [name, { ...f, roofline: { total: place(r.total), blocks } }];
      }),
    );
    return { ...c, forms } as unknown as CaseResult;
  });
  return { ...edited, context: { ...edited.context, roofline: { "cpu/t1": roofs } } };
}

Deno.test("renderReport() draws every measured roof and the sweep, and lists model errors", async () => {
  const page = renderReport([{ label: "run", results: withLevels(await readFixture("after")) }], {
    ...options,
  });
  const charts = chartSpecs(page);
  const roofline = charts.find((c) => c.id.startsWith("chart-roofline"))!;
  const labels = (roofline.config as { data: { datasets: { label: string }[] } }).data.datasets
    .map((d) => d.label);
  assert.ok(labels.includes("roof <= 1 MiB (80 GB/s)"));
  assert.ok(labels.includes("roof DRAM (20 GB/s)"));
  assert.ok(labels.includes("model error: faster than its bound"));
  assert.ok(charts.some((c) => c.id.startsWith("chart-sweep")));
  assert.equal(tableRows(page, "bandwidth-sweep-cpu/t1").length, 3);
  const errors = tableRows(page, "roofline-model-errors-cpu/t1");
  assert.equal(errors.length, 1);
  assert.match(errors[0], /0\.33x/);
  assert.ok(page.includes("ran faster than their bound beyond the noise"));
  assert.ok(tableRows(page, "roofline-cpu/t1").some((r) => r.includes("MODEL ERROR")));
});

Deno.test("renderReport() renders results written before the per-level roofs", async () => {
  const results = await readFixture("after");
  assert.equal(results.context.roofline?.["cpu/t1"]?.levels, undefined);
  const page = renderReport([{ label: "run", results }], options);
  assert.ok(page.includes("one bandwidth roof from a 64 MiB copy"));
  assert.ok(!chartSpecs(page).some((c) => c.id.startsWith("chart-sweep")));
  assert.ok(tableRows(page, "roofline-cpu/t1").length > 0);
});
