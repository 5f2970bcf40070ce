/**
 * The gate against real slowdowns on this machine: not a test (its outcome depends on the load
 * and the machine), a benchmark that prints what the gate decided and the measured ratios.
 *
 * 1. A short case run quietly, then while two processes stream through memory on both cores: the
 *    counts, optimizer, equivalence and within-run speedup gates should pass.
 * 2. A case whose calls last tens of milliseconds, pinned to core 0 with `taskset`, run quietly,
 *    then with two busy neighbours on each core: the time gate (50%) should fail while the
 *    speedup gate (20%) holds. Needs `taskset` (util-linux); skipped with a note without it.
 *
 * Every load process stops by itself (20 s / 60 s) and is killed as soon as a run ends.
 *
 * Run: `deno run --allow-read --allow-write --allow-env --allow-ffi --allow-sys --allow-run
 * benchmarks/gate_under_load.ts`
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gateResults, type Verdict } from "../src/gate/gate.ts";
import { BENCH_PERMISSIONS, runBenchProcess } from "../src/runner/bench_process.ts";
import { readResults } from "../src/results/io.ts";
import type { Results } from "../src/results/schema.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SHORT = here("./scenarios/gate_measured.json");
const LONG = here("./scenarios/gate_measured_long.json");
const CLI = here("../src/cli.ts");

// Streams through 64 MiB (past the last-level cache) until its deadline.
const STREAM = `const end = Date.now() + Number(Deno.args[0]);
const a = new Float64Array(8 * 1024 * 1024);
let s = 0;
while (Date.now() < end) for (let j = 0; j < a.length; j += 8) s += ++a[j];
if (s < 0) console.log(s);`;
const SPIN = "const end = Date.now() + Number(Deno.args[0]); while (Date.now() < end);";

function spawn(cmd: string[]): Deno.ChildProcess {
  return new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function stop(load: Deno.ChildProcess[]): Promise<void> {
  for (const child of load.splice(0)) {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await child.status;
  }
}

function print(title: string, before: Results, after: Results, verdict: Verdict): void {
  console.log(`\n## ${title}: ${verdict.outcome}`);
  for (const c of verdict.cases) {
    for (const k of c.checks) console.log(`  ${k.status.padEnd(4)} ${k.gate}: ${k.message}`);
  }
  for (const [i, c] of after.cases.entries()) {
    const b = before.cases[i];
    if (c.state !== "completed" || b?.state !== "completed") continue;
    const r = (name: "multiBranch" | "reparameterized") =>
      (c.forms[name].latencyMs!.median / b.forms[name].latencyMs!.median).toFixed(2);
    console.log(
      `  ${c.id}: median ratio loaded/quiet ${r("multiBranch")} (multi-branch), ${
        r("reparameterized")
      } (reparameterized); speedup ${b.speedup.ratio.toFixed(3)} -> ${c.speedup.ratio.toFixed(3)}`,
    );
  }
}

async function shortUnderStreams(dir: string): Promise<void> {
  const load: Deno.ChildProcess[] = [];
  try {
    const quiet = await runBenchProcess(SHORT, join(dir, "quiet"));
    for (let i = 0; i < 2; i++) load.push(spawn([Deno.execPath(), "eval", STREAM, "20000"]));
    await new Promise((r) => setTimeout(r, 500));
    const loaded = await runBenchProcess(SHORT, join(dir, "loaded"));
    await stop(load);
    const verdict = gateResults(quiet.results, loaded.results, { threshold: 0.2 });
    print(
      "short case, two streaming neighbours (speedup 20%)",
      quiet.results,
      loaded.results,
      verdict,
    );
  } finally {
    await stop(load);
  }
}

async function hasTaskset(): Promise<boolean> {
  try {
    return (await new Deno.Command("taskset", { args: ["-V"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

async function longPinnedBusy(dir: string): Promise<void> {
  if (!await hasTaskset()) {
    console.log(
      "\n## long case, pinned: skipped, `taskset` is missing (apt-get install util-linux)",
    );
    return;
  }
  const bench = async (name: string) => {
    const out = join(dir, name);
    const args = ["taskset", "-c", "0", Deno.execPath(), "run", "--quiet", ...BENCH_PERMISSIONS];
    const ran = await new Deno.Command(args[0], {
      args: [...args.slice(1), CLI, "bench", "--scenario", LONG, "--out", out],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (ran.code !== 0) throw new Error(new TextDecoder().decode(ran.stderr));
    return readResults(join(out, "results.json"));
  };
  const load: Deno.ChildProcess[] = [];
  try {
    const quiet = await bench("quiet");
    for (const core of [0, 0, 1, 1]) {
      load.push(spawn(["taskset", "-c", String(core), Deno.execPath(), "eval", SPIN, "60000"]));
    }
    await new Promise((r) => setTimeout(r, 300));
    const busy = await bench("busy");
    await stop(load);
    const verdict = gateResults(quiet, busy, { threshold: 0.2, timeThreshold: 0.5 });
    print(
      "long case pinned to core 0, four busy neighbours (time 50%, speedup 20%)",
      quiet,
      busy,
      verdict,
    );
  } finally {
    await stop(load);
  }
}

if (import.meta.main) {
  const dir = await Deno.makeTempDir({ prefix: "repstem-gate-load-" });
  try {
    await shortUnderStreams(dir);
    await longPinnedBusy(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
