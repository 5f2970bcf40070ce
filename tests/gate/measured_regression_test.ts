/**
 * A measured regression, not a planted one: a small scenario run quietly, then again while two
 * background processes stream through memory on both cores. The absolute-time gate must fail;
 * the within-run speedup (both forms slowed alike, interleaved) must not. Bounded: two short bench
 * runs (a few seconds each) and load processes that stop by themselves after 20 s at most.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gateResults } from "../../src/gate/gate.ts";
import { runBenchProcess } from "../../src/gate/run_bench.ts";

const SCENARIO = fileURLToPath(new URL("../testdata/gate/measured.json", import.meta.url));

// Streams through 64 MiB (past the last-level cache) until its deadline: a neighbour that takes
// a core and evicts the stem's working set. A pure spin loop does not move the median here (the
// scheduler hands the bench whole slices); memory traffic does, about 1.5-2x on this machine.
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

Deno.test("gateResults() fails a measured slowdown under load, not the within-run speedup", async () => {
  const dir = await Deno.makeTempDir({ prefix: "repstem-gate-measured-" });
  const load: Deno.ChildProcess[] = [];
  try {
    const quiet = await runBenchProcess(SCENARIO, join(dir, "quiet"));
    load.push(startLoad(20_000), startLoad(20_000));
    await new Promise((resolve) => setTimeout(resolve, 500)); // let both reach their loop
    const loaded = await runBenchProcess(SCENARIO, join(dir, "loaded"));
    // 10%: the loaded medians are 1.5-2x the quiet ones, far past it; 20% for the speedup, the
    // default, which the interleaved ratio stays well inside of.
    const verdict = gateResults(quiet.results, loaded.results, {
      threshold: 0.2,
      timeThreshold: 0.1,
    });
    const checks = verdict.cases.flatMap((c) => c.checks);
    const time = checks.filter((k) => k.gate === "time");
    const speedup = checks.filter((k) => k.gate === "speedup");
    const report = checks.map((k) => `${k.status} ${k.gate}: ${k.message}`).join("\n");
    assert.equal(time.length, 2, report);
    assert.ok(time.every((k) => k.status === "fail"), report);
    assert.equal(speedup.length, 1, report);
    assert.equal(speedup[0].status, "pass", report);
    assert.equal(verdict.outcome, "regressed");
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
