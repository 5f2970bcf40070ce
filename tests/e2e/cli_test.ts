/** End-to-end tests of the command line: real runs of src/cli.ts in a child process. */
import assert from "node:assert/strict";
import { CLI, cli, ROOT } from "./_cli.ts";
import { join } from "node:path";
import { parseResults } from "../../src/results/io.ts";
import { formatCount } from "../../src/text_format.ts";
import type { CompletedCase } from "../../src/results/schema.ts";
import { BENCH_PERMISSIONS } from "../../src/runner/bench_process.ts";

const TESTDATA = join(ROOT, "tests/testdata/scenarios");
const FLAGS = BENCH_PERMISSIONS;

Deno.test("bench runs a tiny scenario end to end, keeps going past an errored case", async () => {
  const out = await Deno.makeTempDir();
  // The r40 cases fail on purpose after their counts, as a failing onnxruntime run would
  const ran = await cli(
    ["bench", "--scenario", join(TESTDATA, "e2e_tiny.json"), "--out", out],
    FLAGS,
    { REPSTEM_FAIL_CASES: "r40" },
  );
  assert.equal(ran.code, 1, ran.stderr); // 1: some cases errored, as planted
  const results = parseResults(await Deno.readTextFile(join(out, "results.json")), "results");
  assert.deepEqual(results.cases.map((c) => c.state), [
    "completed",
    "errored",
    "completed",
    "errored",
  ]);
  const errored = results.cases[1];
  assert.ok(
    errored.state === "errored" && /failure was injected/.test(errored.error),
    errored.state,
  );
  assert.ok(errored.forms, "counts computed before the failure are kept");
  assert.ok(results.context.finishedAt && !results.context.interrupted);
  for (const c of results.cases.filter((c): c is CompletedCase => c.state === "completed")) {
    // 1e-4: the bound; fp32 rounding of order-1 activations gives about 1e-6 here
    assert.ok(c.equivalence.maxAbsError <= 1e-4, `${c.id}: ${c.equivalence.maxAbsError}`);
    assert.deepEqual(c.outputShape, [1, 8, 8, 8]); // 32 -> 16 -> 8 -> 8
    for (const form of [c.forms.multiBranch, c.forms.reparameterized]) {
      const lat = form.latencyMs!;
      assert.ok(lat.samples >= 5 && lat.samplesMs.length === lat.samples);
      assert.ok(lat.min <= lat.p10 && lat.p10 <= lat.median && lat.median <= lat.p90);
      assert.deepEqual(Object.keys(form.optimization!), [
        "disabled",
        "basic",
        "extended",
        "layout",
        "all",
      ]);
      assert.ok(form.profile!.rows.length > 0);
      for (const row of form.profile!.rows) {
        assert.ok(row.block !== null && row.branch !== null, `unattributed node ${row.node}`);
        assert.equal(row.provider, "CPUExecutionProvider");
      }
      assert.equal(form.roofline!.blocks.length, 3);
    }
    assert.ok(c.speedup.ci95[0] <= c.speedup.ratio && c.speedup.ratio <= c.speedup.ci95[1]);
  }
  const rp = (results.cases[0] as CompletedCase).forms.reparameterized;
  // Deploy params with SE at C = 8, I = 3: conv 8*3*9+8 + 8*9+8 + 8*8+8 = 376, SE r = 1 per
  // block: (8*1+1) + (1*8+8) = 25, three blocks: 75
  assert.equal(rp.params, 376 + 75);
  assert.ok(results.context.roofline?.["cpu/t1"]?.peakGflops! > 0);
  // Everything printed before the exit arrives: the table on stdout, the summary on stderr
  assert.match(ran.stdout, /speedup/);
  assert.match(ran.stdout, /cpu-all-t1-n1-relu-b4-noscale-se-w8-r32/);
  assert.match(ran.stderr, /\[4\/4\]/);
  assert.match(ran.stderr, /Wrote .*results\.json/);
  assert.match(ran.stderr, /2 case\(s\) errored or were not equivalent/);
  assert.doesNotMatch(ran.stderr, /Uncaught|failed unexpectedly/);
});

for (
  const [file, field, value] of [
    ["bad_unknown_key.json", "'batchSize'", "[1]"],
    ["bad_negative_width.json", "'widths[1]'", "-64"],
    ["bad_string_resolution.json", "'resolutions[1]'", '"256"'],
    ["bad_device.json", "'devices[1]'", '"tpu"'],
  ]
) {
  Deno.test(`bench exits 2 on ${file} naming the file, the field and the value`, async () => {
    const out = await Deno.makeTempDir();
    const ran = await cli(["bench", "--scenario", join(TESTDATA, file), "--out", out]);
    assert.equal(ran.code, 2);
    assert.ok(
      ran.stderr.includes(file) && ran.stderr.includes(field) && ran.stderr.includes(value),
      ran.stderr,
    );
    await assert.rejects(Deno.stat(join(out, "results.json")), Deno.errors.NotFound);
  });
}

Deno.test("bench on a missing scenario file exits 2 and names it", async () => {
  const ran = await cli(["bench", "--scenario", "no/such.json"]);
  assert.equal(ran.code, 2);
  assert.match(ran.stderr, /no\/such\.json/);
});

Deno.test("count --json runs without onnxruntime and gives the deploy stem's C^2 + 39C", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "s.json");
  await Deno.writeTextFile(
    path,
    JSON.stringify({ name: "c", description: "", resolutions: [224], widths: [64] }),
  );
  const ran = await cli(["count", "--scenario", path, "--json"], ["--allow-read", "--allow-env"]);
  assert.equal(ran.code, 0, ran.stderr);
  const out = JSON.parse(ran.stdout);
  assert.equal(out.cases[0].forms.reparameterized.params, 64 * 64 + 39 * 64);
  assert.equal(out.cases[0].forms.reparameterized.latencyMs, undefined);
});

const COUNT_FLAGS = ["--allow-read", "--allow-env"];
const REPORT_FLAGS = ["--allow-read", "--allow-write"];
const GATE_FLAGS = ["--allow-read", "--allow-write", "--allow-run"];

/** `count --json` of a small scenario (with `fields`), written to DIR/NAME. */
async function countTo(
  dir: string,
  name: string,
  fields: Record<string, unknown>,
  more: string[] = [],
) {
  const scenario = join(dir, `${name}.scenario.json`);
  const base = {
    name: "c",
    description: "",
    resolutions: [32, 64],
    widths: [16],
    branches: [1, 2],
  };
  await Deno.writeTextFile(scenario, JSON.stringify({ ...base, ...fields }));
  const ran = await cli(["count", "--scenario", scenario, "--json", ...more], COUNT_FLAGS);
  assert.equal(ran.code, 0, ran.stderr);
  const path = join(dir, name);
  await Deno.writeTextFile(path, ran.stdout);
  return { path, text: ran.stdout };
}

Deno.test("count --json writes results (skipped, counts only) that report renders", async () => {
  const dir = await Deno.makeTempDir();
  const { path, text } = await countTo(dir, "counts.json", {});
  const results = parseResults(text, path);
  assert.equal(results.cases.length, 4);
  for (const c of results.cases) {
    assert.equal(c.state, "skipped");
    assert.equal(c.state === "skipped" && c.reason, "counts only");
    assert.deepEqual(c.forms!.multiBranch.perNode, [], "perNode only with --per-node");
    assert.ok(c.forms!.multiBranch.macs > c.forms!.reparameterized.macs);
  }
  assert.equal(results.context.ortVersion, "none (counts only)");
  const perNode = parseResults((await countTo(dir, "nodes.json", {}, ["--per-node"])).text, "n");
  assert.ok(perNode.cases[0].forms!.reparameterized.perNode.length > 0);
  const html = join(dir, "report.html");
  const report = await cli(["report", path, "--out", html], REPORT_FLAGS);
  assert.equal(report.code, 0, report.stderr);
  const page = await Deno.readTextFile(html);
  const rp = results.cases[0].forms!.reparameterized;
  assert.match(page, /Parameters and conv MACs per stem/);
  assert.ok(page.includes(`<td class="num">${formatCount(rp.macs)}</td>`), "the counts are shown");
  assert.match(page, /none \(counts only\)/);
  assert.doesNotMatch(page, /0 cores/, "a counts-only run records no cores, and says none");
});

Deno.test("gate passes count --json against itself, fails it on changed counts", async () => {
  const dir = await Deno.makeTempDir();
  const { path } = await countTo(dir, "current.json", {});
  const self = await cli(["gate", "--baseline", path, "--current", path], GATE_FLAGS);
  assert.equal(self.code, 0, self.stdout + self.stderr);
  assert.match(self.stdout, /skipped: counts only/);
  // the same cases counted with a 64 KiB cache: every cached-bytes count changes
  const cache = (await countTo(dir, "cache.json", { cacheMiB: 0.0625 })).path;
  const changed = await cli(["gate", "--baseline", cache, "--current", path], GATE_FLAGS);
  assert.equal(changed.code, 1, changed.stdout + changed.stderr);
  assert.match(changed.stdout, /bytes\.cached changed from/);
  // another width makes other cases: nothing in common to gate
  const width = (await countTo(dir, "width.json", { widths: [24] })).path;
  const other = await cli(["gate", "--baseline", width, "--current", path], GATE_FLAGS);
  assert.equal(other.code, 2, other.stdout + other.stderr);
  assert.match(other.stdout + other.stderr, /no case of the baseline/);
});

Deno.test("export writes both forms and onnxruntime loads them", async () => {
  const out = await Deno.makeTempDir();
  const ran = await cli([
    "export",
    "--width",
    "16",
    "--resolution",
    "64",
    "--branches",
    "2",
    "--se",
    "--out",
    out,
  ]);
  assert.equal(ran.code, 0, ran.stderr);
  const ort = await import("onnxruntime-node");
  for (const f of ["multi_branch.onnx", "reparameterized.onnx"]) {
    const session = await ort.InferenceSession.create(join(out, f));
    assert.deepEqual(session.inputNames, ["input"]);
    await session.release();
  }
  const bad = await cli(["export", "--width=-3", "--resolution", "64"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /'--width' must be a positive integer: current value is "-3"/);
});

Deno.test("--help works for every command and an unknown option exits 2", async () => {
  for (
    const cmd of ["bench", "reparam", "count", "export", "schema", "report", "gate", "baseline"]
  ) {
    const ran = await cli([cmd, "--help"]);
    assert.equal(ran.code, 0);
    assert.match(ran.stdout, /Usage: deno task/);
  }
  const bad = await cli(["bench", "--bogus"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bogus/);
});

Deno.test("Ctrl-C during bench saves finished cases, marked interrupted, exit 130", async () => {
  const out = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...FLAGS,
      CLI,
      "bench",
      "--scenario",
      join(TESTDATA, "e2e_long.json"),
      "--out",
      out,
    ],
    cwd: ROOT,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const resultsPath = join(out, "results.json");
  // Wait for the first saved case however slow the machine is, unless the run ends first
  let ended = false;
  child.status.then(() => (ended = true));
  while (!ended && !(await Deno.stat(resultsPath).then(() => true, () => false))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(!ended, "the run ended before it could be interrupted");
  child.kill("SIGINT");
  const status = await child.status;
  assert.equal(status.code, 130);
  const results = parseResults(await Deno.readTextFile(resultsPath), "results");
  assert.equal(results.context.interrupted, true);
  assert.ok(results.cases.length >= 1 && results.cases.length < 8, `${results.cases.length} cases`);
  assert.ok(results.cases.every((c) => c.state === "completed"));
});
