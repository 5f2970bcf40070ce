import assert from "node:assert/strict";
import {
  compareRuns,
  delta,
  RUN_TO_RUN_SPEEDUP_SPREAD,
  SEPARATE_RUNS_NOTE,
} from "../../src/report/run_comparison.ts";
import { renderReport } from "../../src/report/render.ts";
import { escapeHtml } from "../../src/report/escape.ts";
import type { CaseResult, CompletedCase, LatencyMs, Results } from "../../src/results/schema.ts";
import { CHART_JS_STUB, editCases, readFixture, tableRows } from "./_fixtures.ts";

/** `v` with a tight interval, ±0.5% (tighter than any A/A drift). */
function tight(v: number): [number, number] {
  return [v * 0.995, v * 1.005];
}

function tightLatency(l: LatencyMs, k: number): LatencyMs {
  return { ...l, median: l.median * k, ci95: tight(l.median * k) };
}

/**
 * A completed case whose medians are `time` times the given ones and whose speedup is `speedup`
 * times it, every interval tight (±0.5%).
 */
function tightCase(c: CaseResult, time: number, speedup = 1): CaseResult {
  if (c.state !== "completed") return c;
  const { multiBranch: mb, reparameterized: rp } = c.forms;
  const ratio = c.speedup.ratio * speedup;
  return {
    ...c,
    forms: {
      multiBranch: { ...mb, latencyMs: tightLatency(mb.latencyMs!, time * speedup) },
      reparameterized: { ...rp, latencyMs: tightLatency(rp.latencyMs!, time) },
    },
    speedup: { ratio, ci95: tight(ratio) },
  } satisfies CompletedCase;
}

/** The baseline fixture with every interval tight, and a copy of it edited case by case. */
async function pair(
  edit: (c: CaseResult) => CaseResult,
): Promise<{ before: Results; after: Results }> {
  const before = editCases(await readFixture("before"), (c) => tightCase(c, 1));
  return { before, after: editCases(before, edit) };
}

function page(before: Results, after: Results): string {
  return renderReport(
    [{ label: "base", results: before }, { label: "next", results: after }],
    { chartJs: CHART_JS_STUB },
  );
}

const MARKS = /▲|▼|class="worse"|class="better"/;

Deno.test("delta() marks a change only beyond both intervals and the run-to-run spread", () => {
  // With a spread of 1, the intervals alone decide (right only within one run).
  assert.equal(delta(1, [0.9, 1.1], 1.05, [0.95, 1.15], "slower", 1).change, "within-noise");
  assert.equal(delta(1, [0.9, 1.1], 1.5, [1.4, 1.6], "slower", 1).change, "slower");
  assert.equal(delta(1, [0.9, 1.1], 0.5, [0.4, 0.6], "slower", 1).change, "faster");
  assert.equal(delta(1.1, [1.05, 1.15], 1.5, [1.4, 1.6], "faster", 1).change, "faster");
  // Touching intervals overlap.
  assert.equal(delta(1, [0.9, 1.1], 1.2, [1.1, 1.3], "slower", 1).change, "within-noise");
  assert.equal(delta(2, [1.9, 2.1], 1, [0.9, 1.1], "slower", 1).relative, -0.5);
  // Disjoint intervals, but the larger value within `spread` times the smaller's upper bound.
  const s = RUN_TO_RUN_SPEEDUP_SPREAD;
  const small = delta(1, tight(1), 1.1, tight(1.1), "faster", s);
  assert.equal(small.intervalsOverlap, false);
  assert.equal(small.change, "within-noise");
  assert.equal(delta(1, tight(1), 1.2, tight(1.2), "faster", s).change, "faster");
  assert.equal(delta(1.2, tight(1.2), 1, tight(1), "faster", s).change, "slower");
  // The speedup noise is the README's A/A figure: no baseline needed more than 10.8%.
  assert.ok(Math.abs(s - 1 / 0.892) < 1e-12);
});

Deno.test("two runs of the same code (the fixtures, 3.1x apart in one median) mark nothing", async () => {
  const before = await readFixture("before");
  const after = await readFixture("after");
  const cmp = compareRuns(before, after);
  const w16r64 = cmp.deltas.find((d) => d.id === "cpu-all-t1-n1-gelu-b1-scale-w16-r64")!;
  assert.ok(w16r64.multiBranchMs.relative < -0.67);
  assert.ok(cmp.deltas.every((d) => d.speedup.change === "within-noise"));
  assert.deepEqual(cmp.countChanges, []);
  const html = page(before, after);
  assert.ok(tableRows(html, "deltas").every((r) => !MARKS.test(r)));
  assert.ok(html.includes("next against base: 0 of 7 cases changed"));
});

Deno.test("medians 20% apart with tight intervals and the same speedup: not marked", async () => {
  const { before, after } = await pair((c) => tightCase(c, 1.2));
  const cmp = compareRuns(before, after);
  assert.equal(cmp.deltas.length, 6);
  for (const d of cmp.deltas) {
    assert.ok(Math.abs(d.multiBranchMs.relative - 0.2) < 1e-9);
    assert.ok(Math.abs(d.reparameterizedMs.relative - 0.2) < 1e-9);
    assert.equal(d.speedup.change, "within-noise");
    // The within-run intervals do not overlap: they said "changed" before this fix.
    const [b, a] = [d.before.forms.multiBranch.latencyMs!, d.after.forms.multiBranch.latencyMs!];
    assert.ok(b.ci95[1] < a.ci95[0]);
  }
  const html = page(before, after);
  const rows = tableRows(html, "deltas");
  assert.equal(rows.length, 6);
  assert.ok(rows.every((r) => r.includes("(+20.0%)") && !MARKS.test(r)));
  assert.ok(html.includes("next against base: 0 of 8 cases changed"));
  assert.ok(html.includes("Absolute medians are shown, not marked."));
});

Deno.test("a speedup that moved beyond the A/A noise with disjoint intervals is marked", async () => {
  const target = "cpu-all-t1-n1-gelu-b1-scale-w24-r32";
  const smaller = "cpu-all-t1-n1-gelu-b1-scale-w16-r128";
  const { before, after } = await pair((c) =>
    c.id === target ? tightCase(c, 1, 1.2) : c.id === smaller ? tightCase(c, 1, 0.8) : c
  );
  const cmp = compareRuns(before, after);
  const marked = cmp.deltas.filter((d) => d.speedup.change !== "within-noise");
  assert.deepEqual(marked.map((d) => [d.id, d.speedup.change]), [
    [smaller, "slower"],
    [target, "faster"],
  ]);
  const rows = tableRows(page(before, after), "deltas");
  const row = (id: string) => rows.find((r) => r.includes(id))!;
  assert.ok(row(target).includes("(+20.0%) <strong>▲ larger</strong>"));
  assert.ok(row(target).includes('class="better"'));
  assert.ok(row(smaller).includes("(-20.0%) <strong>▼ smaller</strong>"));
  assert.ok(row(smaller).includes('class="worse"'));
  // The multi-branch median moved 20% with it, and is still not marked.
  assert.ok(!/▲ slower|▼ faster/.test(rows.join("")));
  assert.ok(page(before, after).includes("next against base: 2 of 8 cases changed: 0 in counts"));
});

Deno.test("a speedup that moved 10%, disjoint intervals, is within the A/A noise: not marked", async () => {
  // Separate A/A runs of scenarios/ci.json here differed by up to 9.3% with disjoint ci95.
  const target = "cpu-all-t1-n1-gelu-b1-scale-w24-r32";
  const { before, after } = await pair((c) => c.id === target ? tightCase(c, 1, 1.1) : c);
  const d = compareRuns(before, after).deltas.find((d) => d.id === target)!;
  assert.equal(d.speedup.intervalsOverlap, false);
  assert.ok(Math.abs(d.speedup.relative - 0.1) < 1e-9);
  assert.equal(d.speedup.change, "within-noise");
});

Deno.test("any counts change is marked, on completed and skipped cases alike", async () => {
  const completedId = "cpu-all-t1-n1-gelu-b1-scale-w16-r32";
  const skippedId = "cuda-all-t1-n1-gelu-b1-scale-w16-r32";
  const { before, after } = await pair((c) => {
    if ((c.id !== completedId && c.id !== skippedId) || !c.forms) return c;
    const rp = c.forms.reparameterized;
    const reparameterized = c.id === completedId
      ? { ...rp, params: rp.params + 1 }
      : { ...rp, nodes: { ...rp.nodes, Conv: rp.nodes.Conv + 1 } };
    return { ...c, forms: { ...c.forms, reparameterized } } as CaseResult;
  });
  const cmp = compareRuns(before, after);
  assert.equal(cmp.counted.length, 8);
  assert.deepEqual(
    cmp.countChanges.map((c) => `${c.id} ${c.form} ${c.metric} ${c.before}->${c.after}`),
    [
      `${completedId} reparameterized params 880->881`,
      `${skippedId} reparameterized nodes.Conv 3->4`,
    ],
  );
  const html = page(before, after);
  const rows = tableRows(html, "count-changes");
  assert.equal(rows.length, 2);
  assert.ok(rows[0].includes("880 → 881 (+0.1%) <strong>changed</strong>"));
  assert.ok(html.includes("next against base: 2 of 8 cases changed: 2 in counts"));
});

Deno.test("the comparison says why absolute times of separate runs are not marked", async () => {
  const before = await readFixture("before");
  const html = page(before, await readFixture("after"));
  assert.ok(html.includes(escapeHtml(SEPARATE_RUNS_NOTE)));
  assert.ok(
    SEPARATE_RUNS_NOTE.includes(
      "Separate runs: absolute times drift up to 2x between runs on a shared machine",
    ),
  );
  assert.ok(SEPARATE_RUNS_NOTE.includes("compare the within-run speedup"));
  assert.ok(SEPARATE_RUNS_NOTE.includes("or use an interleaved A/B run"));
  assert.ok(SEPARATE_RUNS_NOTE.includes("12.1% above the other run's ci95 upper bound"));
  assert.ok(html.includes("Counts: identical in all 7 cases counted in both runs."));
  // One run alone has nothing to compare, and no note.
  const alone = renderReport([{ label: "base", results: before }], { chartJs: CHART_JS_STUB });
  assert.ok(!alone.includes("Separate runs:"));
});

Deno.test("compareRuns() finds the unmatched and the not compared cases", async () => {
  const before = await readFixture("before");
  const after = editCases(
    before,
    (c) => c.id === "cpu-all-t1-n1-gelu-b1-scale-w24-r128" ? undefined : c,
  );
  const cmp = compareRuns(before, after);
  assert.equal(cmp.deltas.length, 5);
  assert.deepEqual(cmp.onlyBefore, ["cpu-all-t1-n1-gelu-b1-scale-w24-r128"]);
  assert.deepEqual(cmp.onlyAfter, []);
  assert.deepEqual(cmp.notCompared.map((n) => `${n.before}/${n.after}`), [
    "errored/errored",
    "skipped/skipped",
  ]);
});
