/**
 * Real runs, not hand-made results: a small scenario run quietly, then again while two
 * background processes stream through memory on both cores. The deterministic gates must pass
 * across the two processes and the within-run speedup gate must not false-alarm. Bounded: two
 * short bench runs (a few seconds each) and load processes that stop by themselves after 20 s.
 *
 * What is not asserted, and why: that the absolute-time gate fails under this load. On this
 * shared 2-core VM the median of a 0.2 ms run is not moved reliably by CPU- or memory-bound
 * neighbours (the scheduler gives the bench whole slices; measured loaded/quiet ratios ranged from
 * 0.55x to 1.9x), while the machine's own state moves it up to 2.4x between quiet runs. An
 * assertion on it would be flaky; the planted slowdowns of gate_test.ts cover that gate.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gateResults } from "../../src/gate/gate.ts";
import { runBenchProcess } from "../../src/gate/run_bench.ts";

const SCENARIO = fileURLToPath(new URL("../testdata/gate/measured.json", import.meta.url));

// Streams through 64 MiB (past the last-level cache) until its deadline: a neighbour that takes
// a core and evicts the stem's working set.
const LOAD = `const end = Date.now() + Number(Deno.args[0]);
const a = new Float64Array(8 * 1024 * 1024);
let s = 0;
while (Date.now() < end) for (let j = 0; j < a.length; j += 8) s += ++a[j];
if (s < 0) console.log(s);`;

function startLoad(ms: number): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", LOAD, String(ms)],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test("gateResults() on real runs, one under load: counts equal, speedup holds", async () => {
  const dir = await Deno.makeTempDir({ prefix: "repstem-gate-measured-" });
  const load: Deno.ChildProcess[] = [];
  try {
    const quiet = await runBenchProcess(SCENARIO, join(dir, "quiet"));
    load.push(startLoad(20_000), startLoad(20_000));
    await new Promise((resolve) => setTimeout(resolve, 500)); // let both reach their loop
    const loaded = await runBenchProcess(SCENARIO, join(dir, "loaded"));
    // 20%, the default: the interleaved ratio moved by at most about 11% in 60 A/A runs.
    const verdict = gateResults(quiet.results, loaded.results, { threshold: 0.2 });
    const checks = verdict.cases.flatMap((c) => c.checks);
    const report = checks.map((k) => `${k.status} ${k.gate}: ${k.message}`).join("\n");
    const passed = (gate: string) => checks.filter((k) => k.gate === gate && k.status === "pass");
    assert.equal(quiet.code, 0, report);
    assert.equal(loaded.code, 0, report);
    for (const gate of ["counts", "optimizer", "equivalence", "speedup"]) {
      assert.equal(passed(gate).length, 1, `${gate}\n${report}`);
    }
    assert.equal(checks.filter((k) => k.gate === "time").length, 2, report);
    assert.ok(checks.every((k) => k.gate === "time" || k.status === "pass"), report);
  } finally {
    for (const child of load) {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await child.status;
    }
    await Deno.remove(dir, { recursive: true });
  }
});
