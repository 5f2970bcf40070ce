/**
 * Real runs, not hand-made results: a small scenario run quietly, then again while two
 * background processes stream through memory on both cores. The deterministic gates must pass
 * across the two processes and the within-run speedup gate must not false-alarm. Bounded: two
 * short bench runs (a few seconds each) and load processes that stop by themselves after 20 s.
 *
 * The first test does not assert that the absolute-time gate fails: on this shared 2-core VM the
 * median of a 0.2 ms call is not moved reliably by neighbours (the scheduler gives the bench whole
 * slices; loaded/quiet ratios ranged from 0.55x to 1.9x). The second test makes the slowdown
 * certain instead: calls of tens of milliseconds, far longer than a scheduler slice, with the
 * bench pinned to one core and two busy neighbours on each core, so every call shares its core
 * three ways (measured here: 2.2x to 3.7x slower, against a 50% threshold).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gateResults } from "../../src/gate/gate.ts";
import { BENCH_PERMISSIONS, runBenchProcess } from "../../src/gate/run_bench.ts";
import { readResults } from "../../src/results/io.ts";

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

/** Kills the load processes (they may have exited already) and removes the scratch folder. */
async function cleanUp(load: readonly Deno.ChildProcess[], dir: string): Promise<void> {
  for (const child of load) {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await child.status;
  }
  await Deno.remove(dir, { recursive: true });
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
    await cleanUp(load, dir);
  }
});

const LONG_SCENARIO = fileURLToPath(
  new URL("../testdata/gate/measured_long.json", import.meta.url),
);
const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const SPIN = "const end = Date.now() + Number(Deno.args[0]); while (Date.now() < end);";
const hasTaskset = new Deno.Command("taskset", { args: ["-V"], stdout: "null", stderr: "null" })
  .outputSync().success;

/** Runs `cmd` pinned to one CPU core with taskset. */
function pinned(core: number, cmd: string[]): Deno.Command {
  return new Deno.Command("taskset", {
    args: ["-c", String(core), ...cmd],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  });
}

Deno.test({
  name: "gateResults() fails on time, not on the speedup, for a run with both cores kept busy",
  ignore: !hasTaskset,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "repstem-gate-busy-" });
    const bench = async (name: string) => {
      const out = join(dir, name);
      const args = [Deno.execPath(), "run", "--quiet", ...BENCH_PERMISSIONS, CLI, "bench"];
      const ran = await pinned(0, [...args, "--scenario", LONG_SCENARIO, "--out", out]).output();
      assert.equal(ran.code, 0, new TextDecoder().decode(ran.stderr));
      return readResults(join(out, "results.json"));
    };
    const load: Deno.ChildProcess[] = [];
    try {
      const quiet = await bench("quiet");
      // Bounded: each neighbour stops by itself after 60 s, and is killed as soon as we are done.
      for (const core of [0, 0, 1, 1]) {
        load.push(pinned(core, [Deno.execPath(), "eval", SPIN, "60000"]).spawn());
      }
      await new Promise((resolve) => setTimeout(resolve, 300)); // let them reach their loop
      const busy = await bench("busy");
      // 50%: the three-way share of the bench's core makes calls about 3x slower (2.2x to 3.7x
      // measured), far beyond this; 20%: the default speedup threshold.
      const verdict = gateResults(quiet, busy, { threshold: 0.2, timeThreshold: 0.5 });
      const checks = verdict.cases.flatMap((c) => c.checks);
      const report = checks.map((k) => `${k.status} ${k.gate}: ${k.message}`).join("\n");
      const time = checks.filter((k) => k.gate === "time");
      assert.equal(time.length, 2, report);
      assert.ok(time.every((k) => k.status === "fail"), report);
      assert.ok(
        checks.filter((k) => k.gate !== "time").every((k) => k.status === "pass"),
        report,
      );
      assert.equal(verdict.outcome, "regressed");
    } finally {
      await cleanUp(load, dir);
    }
  },
});
