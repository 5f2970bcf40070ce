/**
 * End-to-end: a scenario naming a user's model file (a tiny MobileOne-style train-form export
 * written with the IR) runs through `bench` in a child process into results and a report, and
 * gates against itself; a bad model path exits 2. No assertion on time.
 */
import assert from "node:assert/strict";
import { cli } from "./_cli.ts";
import { join } from "node:path";
import { buildMobileOneTrain } from "../../scripts/make_example_model.ts";
import { encodeModel } from "../../src/onnx/encode.ts";
import { parseResults } from "../../src/results/io.ts";
import type { CompletedCase } from "../../src/results/schema.ts";

/** A temp folder with `net.onnx` (32x32, dynamic batch) and `scenario.json` beside it. */
async function scenarioDir(extra: Record<string, unknown>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "repstem-models-" });
  await Deno.writeFile(
    join(dir, "net.onnx"),
    encodeModel(buildMobileOneTrain({ resolution: 32, width: 8 })),
  );
  await Deno.writeTextFile(
    join(dir, "scenario.json"),
    JSON.stringify({
      name: "models e2e",
      description: "a user's model end to end",
      models: [{ path: "net.onnx" }],
      batchSizes: [1, 2],
      seed: 1,
      warmup: { minRuns: 2, maxRuns: 5, stableWithin: 1 },
      sampling: { minSamples: 5, minTimeMs: 0, maxTimeMs: 1000 },
      ...extra,
    }),
  );
  return dir;
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("bench runs a user's model end to end into results, a report and a passing gate", async () => {
  const dir = await scenarioDir({});
  const out = join(dir, "out");
  const ran = await cli(["bench", "--scenario", join(dir, "scenario.json"), "--out", out]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.doesNotMatch(ran.stderr, /Uncaught|failed unexpectedly/);
  const resultsPath = join(out, "results.json");
  const results = parseResults(await Deno.readTextFile(resultsPath), resultsPath);
  assert.deepEqual(results.cases.map((c) => c.id), [
    "cpu-all-t1-n1-model-net-r32",
    "cpu-all-t1-n2-model-net-r32",
  ]);
  const digest = await sha256(join(dir, "net.onnx"));
  for (const c of results.cases) {
    assert.equal(c.state, "completed", c.state === "errored" ? c.error : c.state);
    const done = c as CompletedCase;
    assert.deepEqual(done.config.model, {
      name: "net",
      path: join(dir, "net.onnx"),
      sha256: digest,
    });
    assert.equal(done.config.width, undefined);
    assert.deepEqual(done.outputShape, [done.config.batchSize, 10]);
    const { multiBranch: mb, reparameterized: rp } = done.forms;
    assert.ok(rp.nodes.Conv < mb.nodes.Conv, JSON.stringify([mb.nodes, rp.nodes]));
    assert.equal(rp.nodes.BatchNormalization, undefined);
    assert.ok(mb.nodes.BatchNormalization > 0);
    assert.ok(rp.params < mb.params && rp.macs < mb.macs);
    // one block per merge group; the head is in none
    assert.deepEqual(rp.blocks.map((b) => b.block), [1, 2, 3, 4, 5]);
    assert.ok(rp.perNode.some((n) => n.block === null && n.opType === "Gemm"));
    const eq = done.equivalence;
    assert.equal(eq.method, "noise-floor");
    assert.ok(eq.withinTolerance && eq.maxRelError <= eq.relTolerance!, JSON.stringify(eq));
    assert.ok(eq.maxAbsError <= eq.tolerance && eq.floor!.normwise >= 0);
    // profiles attribute the fused convs to their blocks, the head to none
    for (const form of [mb, rp]) {
      const blocks = new Set(form.profile!.rows.map((r) => r.block));
      for (const b of [1, 2, 3, 4, 5]) assert.ok(blocks.has(b), `block ${b} has no kernel time`);
      assert.ok(blocks.has(null));
      assert.equal(form.roofline!.blocks.length, 5);
    }
  }
  const report = await Deno.readTextFile(join(out, "report.html"));
  assert.match(report, /cpu-all-t1-n1-model-net-r32/);
  assert.doesNotMatch(report, /wundefined|NaN x/);
  const gate = await cli(["gate", "--baseline", resultsPath, "--current", resultsPath]);
  assert.equal(gate.code, 0, gate.stdout + gate.stderr);
});

Deno.test("bench exits 2 on a scenario whose model file is missing, naming the field and file", async () => {
  const dir = await scenarioDir({ models: [{ path: "nets/missing.onnx" }] });
  const out = join(dir, "out");
  const ran = await cli(["bench", "--scenario", join(dir, "scenario.json"), "--out", out]);
  assert.equal(ran.code, 2, ran.stderr);
  assert.ok(ran.stderr.includes("'models[0].path'"), ran.stderr);
  assert.ok(ran.stderr.includes(join(dir, "nets/missing.onnx")), ran.stderr);
  assert.ok(ran.stderr.includes(join(dir, "scenario.json")), ran.stderr);
  await assert.rejects(Deno.stat(join(out, "results.json")), Deno.errors.NotFound);
});
