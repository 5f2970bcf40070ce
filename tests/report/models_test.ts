/** The report with users' model cases beside stem cases: names where stems show widths. */
import assert from "node:assert/strict";
import { renderReport } from "../../src/report/render.ts";
import type { CaseResult, CompletedCase } from "../../src/results/schema.ts";
import { caseId, type ModelCaseConfig } from "../../src/scenario/expand.ts";
import { CHART_JS_STUB, editCases, readFixture, tableRows } from "./_fixtures.ts";

const options = { chartJs: CHART_JS_STUB, generatedAt: "2026-01-01T00:00:00Z" };

/** The fixture's w24 cases made into cases of a model "mynet" with a head outside its blocks. */
function asModel(c: CaseResult): CaseResult {
  if (c.config.width !== 24) return c;
  const r = c.config.resolution;
  const config: ModelCaseConfig = {
    model: { name: "mynet", path: "models/mynet.onnx", sha256: "0".repeat(64) },
    inputShape: [1, 3, r, r],
    inChannels: 3,
    resolution: r,
    batchSize: 1,
    device: c.config.device,
    threads: c.config.threads,
    optimizationLevel: c.config.optimizationLevel,
  };
  // a classifier head outside every block, in the per-node counts and in the totals alike
  const head = {
    node: "head.fc",
    opType: "Gemm",
    block: null,
    branch: null,
    params: 330,
    buffers: 0,
    macs: 320,
    flops: { conv: 640, elementwise: 10, total: 650 },
    bytes: { read: 1448, written: 40, naive: 1488, cached: 40 },
    outputShape: [1, 10],
    arithmeticIntensity: 650 / 1488,
  };
  const untag = (f: NonNullable<CaseResult["forms"]>["multiBranch"]) => ({
    ...f,
    params: f.params + head.params,
    macs: f.macs + head.macs,
    flops: {
      conv: f.flops.conv + head.flops.conv,
      elementwise: f.flops.elementwise + head.flops.elementwise,
      total: f.flops.total + head.flops.total,
    },
    bytes: { ...f.bytes, naive: f.bytes.naive + head.bytes.naive },
    nodes: { ...f.nodes, Gemm: (f.nodes.Gemm ?? 0) + 1 },
    perNode: [...f.perNode, head],
  });
  const forms = c.forms &&
    { multiBranch: untag(c.forms.multiBranch), reparameterized: untag(c.forms.reparameterized) };
  const eq = c.state === "completed"
    ? {
      equivalence: {
        ...c.equivalence,
        method: "noise-floor" as const,
        floor: { maxAbs: 1e-6, normwise: 2e-7 },
        floorMultiple: 10,
        relTolerance: 1e-5,
      },
    }
    : {};
  return { ...c, ...eq, id: caseId(config), config, ...(forms ? { forms } : {}) } as CaseResult;
}

Deno.test("renderReport() shows model cases by name beside stems, without undefined widths", async () => {
  const results = editCases(await readFixture("after"), asModel);
  const page = renderReport([{ label: "mixed", results }], options);
  // the page's own scripts say "undefined"; the content must not
  const body = page.slice(0, page.indexOf('<script type="application/json"'));
  for (const bad of ["undefined", "NaN"]) {
    const at = body.indexOf(bad);
    assert.equal(at, -1, body.slice(at - 200, at + 50));
  }
  const ids = tableRows(page, "cases").join("\n");
  assert.match(ids, /cpu-all-t1-n1-model-mynet-r32/);
  // the resolution charts: one line per stem width and one per model, named
  assert.match(page, /Latency vs resolution: cpu · all · t1 · n1 · model</);
  assert.match(page, /<thead><tr><th>model<\/th><th>resolution<\/th>/);
  assert.match(page, /<tr><td>mynet<\/td><td class="num">64<\/td>/);
  assert.match(page, /<tr><td class="num">16<\/td><td class="num">128<\/td>/);
  // cost: nodes outside every block get their own row
  const cost = tableRows(page, "cost");
  assert.ok(cost.some((r) => r.includes("mynet") && r.includes("outside blocks")), cost[0]);
  assert.ok(!cost.some((r) => r.includes("w16") && r.includes("outside blocks")));
  assert.match(page, /one block per fused group/);
});

Deno.test("renderReport() explains a model case that is not equivalent by its noise floor", async () => {
  const results = editCases(
    await readFixture("after"),
    (c) => {
      const m = asModel(c);
      if (m.state !== "completed" || !m.config.model || m.config.resolution !== 32) return m;
      const done = m as CompletedCase;
      return {
        ...done,
        equivalence: { ...done.equivalence, maxRelError: 3e-4, withinTolerance: false },
      };
    },
  );
  const page = renderReport([{ label: "bad", results }], options);
  const problems = tableRows(page, "problems");
  assert.ok(
    problems.some((r) =>
      r.includes("model-mynet-r32") && r.includes("normwise error 3.00e-4") &&
      r.includes("fp32 noise floor 2.00e-7")
    ),
    problems.join("\n"),
  );
});
