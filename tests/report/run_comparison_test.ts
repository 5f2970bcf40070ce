import assert from "node:assert/strict";
import { compareRuns, delta } from "../../src/report/run_comparison.ts";
import { renderReport } from "../../src/report/render.ts";
import type { CompletedCase, LatencyMs } from "../../src/results/schema.ts";
import { CHART_JS_STUB, editCases, readFixture, tableRows } from "./_fixtures.ts";

function scaled(l: LatencyMs, k: number): LatencyMs {
  return { ...l, median: l.median * k, ci95: [l.ci95[0] * k, l.ci95[1] * k] };
}

/** A case whose multi-branch form got `k` times slower (intervals scaled alike). */
function slowerMultiBranch(c: CompletedCase, k: number): CompletedCase {
  const mb = c.forms.multiBranch;
  const speedup = {
    ratio: c.speedup.ratio * k,
    ci95: [c.speedup.ci95[0] * k, c.speedup.ci95[1] * k] as [number, number],
  };
  return {
    ...c,
    forms: { ...c.forms, multiBranch: { ...mb, latencyMs: scaled(mb.latencyMs!, k) } },
    speedup,
  };
}

Deno.test("delta() marks a change only when the two intervals do not overlap", () => {
  assert.equal(delta(1, [0.9, 1.1], 1.05, [0.95, 1.15], "slower").change, "within-ci");
  assert.equal(delta(1, [0.9, 1.1], 1.5, [1.4, 1.6], "slower").change, "slower");
  assert.equal(delta(1, [0.9, 1.1], 0.5, [0.4, 0.6], "slower").change, "faster");
  // For speedups a larger value is better.
  assert.equal(delta(1.1, [1.05, 1.15], 1.5, [1.4, 1.6], "faster").change, "faster");
  // Touching intervals overlap.
  assert.equal(delta(1, [0.9, 1.1], 1.2, [1.1, 1.3], "slower").change, "within-ci");
  assert.equal(delta(2, [1.9, 2.1], 1, [0.9, 1.1], "slower").relative, -0.5);
});

Deno.test("compareRuns() finds per-case changes beyond ci95 and the unmatched cases", async () => {
  const before = await readFixture("before");
  const target = "cpu-all-t1-n1-gelu-b1-scale-w16-r64";
  const after = editCases(
    before,
    (c) =>
      c.id === "cpu-all-t1-n1-gelu-b1-scale-w24-r128"
        ? undefined
        : c.state === "completed" && c.id === target
        ? slowerMultiBranch(c, 3)
        : c,
  );
  const cmp = compareRuns(before, after);
  const changed = cmp.deltas.filter((d) => d.multiBranchMs.change !== "within-ci");
  assert.deepEqual(changed.map((d) => d.id), [target]);
  assert.equal(changed[0].multiBranchMs.change, "slower");
  assert.equal(changed[0].speedup.change, "faster");
  assert.equal(changed[0].reparameterizedMs.change, "within-ci");
  assert.ok(Math.abs(changed[0].multiBranchMs.relative - 2) < 1e-12);
  assert.deepEqual(cmp.onlyBefore, ["cpu-all-t1-n1-gelu-b1-scale-w24-r128"]);
  assert.deepEqual(cmp.onlyAfter, []);
  assert.deepEqual(cmp.notCompared.map((n) => `${n.before}/${n.after}`), [
    "errored/errored",
    "skipped/skipped",
  ]);
});

Deno.test("renderReport() marks the changed case in the deltas table", async () => {
  const before = await readFixture("before");
  const after = editCases(
    before,
    (c) => c.state === "completed" && c.id.endsWith("w24-r32") ? slowerMultiBranch(c, 2) : c,
  );
  const page = renderReport(
    [{ label: "base", results: before }, { label: "slow", results: after }],
    { chartJs: CHART_JS_STUB },
  );
  const rows = tableRows(page, "deltas");
  const marked = rows.filter((r) => r.includes("▲ slower"));
  assert.equal(marked.length, 1);
  assert.ok(marked[0].includes("w24-r32") && marked[0].includes("(+100.0%)"));
  assert.ok(marked[0].includes('class="worse"') && marked[0].includes("▲ larger"));
  assert.ok(page.includes("1 with a change beyond the confidence intervals"));
  assert.ok(tableRows(page, "missing").every((r) => !r.includes("only in")));
});
