/**
 * countScenario (what `deno task count --json` prints): a results file whose cases are skipped
 * ("counts only") with their counts, in the scenario's order, that the gate reads and passes.
 */
import assert from "node:assert/strict";
import { countCase } from "../../src/case.ts";
import {
  COUNTS_ONLY,
  COUNTS_ONLY_REASON,
  countScenario,
  countsOnlyContext,
  resultsJsonLines,
} from "../../src/commands/count.ts";
import { gateResults } from "../../src/gate/gate.ts";
import { parseResults } from "../../src/results/io.ts";
import { RESULTS_SCHEMA_VERSION } from "../../src/results/schema.ts";
import { expandScenario } from "../../src/scenario/expand.ts";
import { parseScenario } from "../../src/scenario/parse.ts";
import type { Scenario } from "../../src/scenario/schema.ts";
import { stemCountSource } from "../../src/source/stem.ts";

function scenarioOf(fields: Record<string, unknown>): Scenario {
  return parseScenario(JSON.stringify({ name: "t", description: "d", ...fields }), "t.json");
}

function inputOf(scenario: Scenario) {
  return {
    scenario: { name: "t", description: "d", path: "t.json", hash: "h", resolved: scenario },
    cacheBytes: scenario.cacheMiB * 1024 * 1024,
    conventions: { flop: "one" },
  };
}

const AXES = {
  widths: [8, 16],
  resolutions: [32, 48],
  batchSizes: [2, 1],
  branches: [1, 2],
  se: [false, true],
  devices: ["cpu", "webgpu"],
  threads: [1, 2],
};

Deno.test("countScenario() counts every case as countCase() does, in the scenario's order", async () => {
  const scenario = scenarioOf(AXES);
  const results = await countScenario(scenario, [], inputOf(scenario));
  const cases = expandScenario(scenario);
  assert.equal(results.schemaVersion, RESULTS_SCHEMA_VERSION);
  assert.deepEqual(results.cases.map((c) => c.id), cases.map((c) => c.id));
  const source = stemCountSource();
  for (const [i, c] of cases.entries()) {
    const alone = await countCase(c, scenario, source, { perNode: false });
    assert.deepEqual(results.cases[i], alone.result, c.id);
    assert.equal(results.cases[i].state, "skipped");
    assert.equal(
      results.cases[i].state === "skipped" && results.cases[i].reason,
      COUNTS_ONLY_REASON,
    );
  }
  // a case on another device or thread count has its twin's counts
  const byId = new Map(results.cases.map((c) => [c.id, c]));
  const cpu = byId.get("cpu-all-t1-n2-gelu-b2-scale-se-w16-r48")!;
  assert.equal(byId.get("webgpu-all-t2-n2-gelu-b2-scale-se-w16-r48")!.forms, cpu.forms);
  assert.equal(cpu.forms?.multiBranch.latencyMs, undefined);
});

Deno.test("countScenario() keeps every node's counts only when asked", async () => {
  const scenario = scenarioOf({ widths: [8], resolutions: [32], se: [true] });
  const input = inputOf(scenario);
  const [sums, all] = await Promise.all([
    countScenario(scenario, [], input),
    countScenario(scenario, [], input, { perNode: true }),
  ]);
  const [s, a] = [sums.cases[0].forms!, all.cases[0].forms!];
  assert.deepEqual(s.multiBranch.perNode, []);
  assert.ok(a.multiBranch.perNode.length > 20 && a.reparameterized.perNode.length > 10);
  assert.deepEqual(
    { ...a.multiBranch, perNode: [] },
    s.multiBranch,
    "the same counts either way",
  );
});

Deno.test("countScenario() writes a results file the gate passes against itself", async () => {
  const scenario = scenarioOf(AXES);
  const results = await countScenario(scenario, [], inputOf(scenario));
  const context = results.context;
  assert.equal(context.ortVersion, COUNTS_ONLY);
  assert.deepEqual(context.cpu, { model: COUNTS_ONLY, cores: 0 });
  assert.equal(context.tool.name, "repstem-bench");
  assert.equal(context.cacheBytes, 4 * 1024 * 1024);
  assert.ok(context.finishedAt! >= context.startedAt);
  const read = parseResults(JSON.stringify(results), "counts.json");
  const verdict = gateResults(read, read);
  assert.equal(verdict.outcome, "pass");
  assert.ok(verdict.cases.every((c) => c.checks.some((k) => k.gate === "counts")));
  assert.ok(verdict.cases.every((c) => !c.checks.some((k) => k.gate === "time")));
  // counted with a smaller cache, the cached bytes differ and the counts gate fails
  const small = scenarioOf({ ...AXES, cacheMiB: 0.0625 });
  const other = await countScenario(small, [], inputOf(small));
  const changed = gateResults(other, read);
  assert.equal(changed.outcome, "regressed");
  assert.ok(
    changed.cases.some((c) =>
      c.checks.some((k) => k.status === "fail" && k.metric === "bytes.cached")
    ),
  );
});

Deno.test("countsOnlyContext() names no machine: counts depend on none", () => {
  const scenario = scenarioOf({ widths: [8], resolutions: [32] });
  const context = countsOnlyContext(inputOf(scenario), "2026-01-01T00:00:00.000Z");
  assert.equal(context.startedAt, "2026-01-01T00:00:00.000Z");
  assert.equal(context.ortVersion, COUNTS_ONLY);
  assert.equal(context.cpu.model, COUNTS_ONLY);
  assert.equal(context.denoVersion, Deno.version.deno);
  assert.deepEqual(context.conventions, { flop: "one" });
});

Deno.test("resultsJsonLines() prints what JSON.stringify(results, null, 2) would, in pieces", async () => {
  const scenario = scenarioOf({ widths: [8, 16], resolutions: [32], se: [false, true] });
  const results = await countScenario(scenario, [], inputOf(scenario), { perNode: true });
  for (
    const r of [results, { ...results, cases: [] }, {
      ...results,
      cases: results.cases.slice(0, 1),
    }]
  ) {
    const pieces: string[] = [];
    resultsJsonLines(r, (text) => pieces.push(text));
    assert.ok(pieces.every((p) => p.endsWith("\n")));
    assert.equal(pieces.join(""), JSON.stringify(r, null, 2) + "\n");
  }
});
