/**
 * End-to-end: `deno task ab --baseline ref:REF` and `gate --paired --baseline-ref` in a git
 * repository made here (a copy of this harness's code, committed), so the tests depend neither
 * on this checkout's history nor on its state. Tiny sampling; asserts on exit codes, the
 * document, the messages and what is left on disk, never on time.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type AbFormResult, parseAbResults } from "../../src/ab/results.ts";
import { AB_PERMISSIONS } from "../../src/ab/process.ts";
import { CLI, ROOT } from "./_cli.ts";

const SCENARIO = {
  name: "ref e2e",
  description: "one tiny stem",
  resolutions: [32],
  widths: [8],
  seed: 1,
  warmup: { minRuns: 2, maxRuns: 5, stableWithin: 1 },
  sampling: { minSamples: 5, minTimeMs: 0, maxTimeMs: 1000 },
};

async function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, cwd, env, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function git(repo: string, ...args: string[]): Promise<string> {
  const r = await run("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], repo);
  assert.equal(r.code, 0, `git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * A repository holding this harness's deno.json, deno.lock and src/ and a scenario, committed
 * and tagged `v1`; a `tmp/` folder (ignored) is the runs' TMPDIR, to see what they leave.
 */
async function repo(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "repstem-ref-e2e-" });
  for (const f of ["deno.json", "deno.lock"]) await Deno.copyFile(join(ROOT, f), join(dir, f));
  const cp = await run("cp", ["-r", join(ROOT, "src"), join(dir, "src")], dir);
  assert.equal(cp.code, 0, cp.stderr);
  await Deno.mkdir(join(dir, "scenarios"));
  await Deno.writeTextFile(join(dir, "scenarios", "tiny.json"), JSON.stringify(SCENARIO));
  await Deno.mkdir(join(dir, "tmp"));
  await Deno.writeTextFile(join(dir, ".gitignore"), "tmp/\nout/\n");
  await git(dir, "init", "-q");
  await git(dir, "add", ".");
  await git(dir, "commit", "-qm", "v1");
  await git(dir, "tag", "v1");
  return dir;
}

/** Runs this checkout's CLI in `repo` (its working directory, so refs are looked up there). */
function cli(repo: string, args: string[], permissions: readonly string[] = AB_PERMISSIONS) {
  return run(Deno.execPath(), ["run", ...permissions, CLI, ...args], repo, {
    TMPDIR: join(repo, "tmp"),
  });
}

/** What the harness left in TMPDIR (its temporary folders are all named `repstem-...`). */
async function leftovers(repo: string): Promise<string[]> {
  const names = (await Array.fromAsync(Deno.readDir(join(repo, "tmp")))).map((e) => e.name);
  return names.filter((n) => n.startsWith("repstem-"));
}

Deno.test("ab --baseline ref:v1 builds the baseline with the ref's own export and times both", async () => {
  const dir = await repo();
  const ran = await cli(dir, [
    "ab",
    "--scenario",
    "scenarios/tiny.json",
    "--baseline",
    "v1",
    "--out",
    "out",
  ]);
  assert.equal(ran.code, 0, ran.stderr);
  const path = join(dir, "out", "ab.json");
  const ab = parseAbResults(await Deno.readTextFile(path), path);
  assert.deepEqual(
    { ...ab.sides.baseline, ortVersion: undefined },
    {
      spec: "ref:v1",
      kind: "ref",
      ref: "v1",
      commit: await git(dir, "rev-parse", "v1"),
      models: [],
      process: "in process",
      ortVersion: undefined,
    },
  );
  assert.equal(ab.sides.candidate.kind, "working tree");
  // A stem scenario: the ref's code builds the stems, so its stem cases are compared
  assert.deepEqual(ab.cases.map((c) => [c.id, c.state]), [
    ["cpu-all-t1-n1-gelu-b1-scale-w8-r32", "completed"],
  ]);
  const c = ab.cases[0];
  if (c.state !== "completed") throw new Error(`not completed: ${JSON.stringify(c)}`);
  assert.ok(c.equivalence.baseline.withinTolerance && c.equivalence.candidate.withinTolerance);
  for (const f of ["multiBranch", "reparameterized"] as const) {
    const r: AbFormResult = c.forms[f];
    assert.equal(r.baseline.samplesMs.length, r.candidate.samplesMs.length);
    assert.ok(r.ci95[0] <= r.ratio && r.ratio <= r.ci95[1], `${f}: ${r.ratio} ${r.ci95}`);
  }
  assert.deepEqual(await leftovers(dir), [], "the ref's extraction is removed");
});

Deno.test("ab refuses an unknown ref, a ref without the scenario, one that predates export --scenario, different cases", async () => {
  const dir = await repo();
  // v0: the harness's export without --scenario, as before the A/B contract
  const exportTs = join(dir, "src", "commands", "export.ts");
  const current = await Deno.readTextFile(exportTs);
  await Deno.writeTextFile(
    exportTs,
    `export function exportModels(): Promise<number> {\n  console.error("error: Unknown option '--scenario'");\n  return Promise.resolve(2);\n}\n`,
  );
  await git(dir, "commit", "-qam", "v0");
  await git(dir, "tag", "v0");
  await Deno.writeTextFile(exportTs, current);
  await git(dir, "commit", "-qam", "back");
  await Deno.writeTextFile(join(dir, "scenarios", "new.json"), JSON.stringify(SCENARIO));
  const wider = join(dir, "scenarios", "wider.json");
  await Deno.writeTextFile(wider, JSON.stringify({ ...SCENARIO, widths: [8] }));
  await git(dir, "add", "scenarios/wider.json");
  await git(dir, "commit", "-qm", "wider");
  await Deno.writeTextFile(wider, JSON.stringify({ ...SCENARIO, widths: [8, 12] }));
  for (
    const [scenario, side, message] of [
      ["tiny.json", "ref:nosuch", /'--baseline' "ref:nosuch" as git knows no commit "nosuch"/],
      [
        "new.json",
        "HEAD",
        /'--baseline' "ref:HEAD" as commit [0-9a-f]{12} has no scenario "scenarios\/new\.json"/,
      ],
      [
        "tiny.json",
        "v0",
        /'--baseline' "ref:v0" as the harness at [0-9a-f]{12} predates 'export --scenario'/,
      ],
      [
        "wider.json",
        "HEAD",
        /scenarios yield different cases: only in baseline none; only in candidate cpu-all-t1-n1-gelu-b1-scale-w12-r32/,
      ],
    ] as const
  ) {
    const ran = await cli(dir, [
      "ab",
      "--scenario",
      `scenarios/${scenario}`,
      "--baseline",
      side,
      "--out",
      "out",
    ]);
    assert.equal(ran.code, 2, `${side}: ${ran.stderr}`);
    const errors = ran.stderr.split("\n").filter((l) => l.startsWith("error: "));
    assert.equal(errors.length, 1, ran.stderr);
    assert.match(errors[0], message);
    assert.doesNotMatch(ran.stderr, /Uncaught|failed unexpectedly/);
    assert.deepEqual(await leftovers(dir), [], `${side}: nothing left in TMPDIR`);
  }
});

Deno.test("gate --paired --baseline-ref runs the A/B against the ref and gates it; an unknown ref is exit 2", async () => {
  const dir = await repo();
  const gate = ["--allow-read", "--allow-write", "--allow-run"]; // deno task gate's
  const ok = await cli(dir, [
    "gate",
    "--paired",
    "--baseline-ref",
    "v1",
    "--scenario",
    "scenarios/tiny.json",
    "--out",
    "out",
    "--threshold",
    "99", // the gate's verdict on time is not what this test checks
    "--markdown",
    "out/gate.md",
    "--json",
  ], gate);
  assert.equal(ok.code, 0, ok.stderr);
  // stdout is the verdict alone (the A/B run's table and progress go to stderr)
  const verdict = JSON.parse(ok.stdout);
  assert.equal(verdict.failed, false);
  assert.deepEqual(verdict.checks.map((c: { form?: string }) => c.form), [
    "multiBranch",
    "reparameterized",
  ]);
  assert.match(ok.stderr, /Paired gate of out\/ab\.json: all 2 check\(s\) passed/);
  const md = await Deno.readTextFile(join(dir, "out", "gate.md"));
  assert.match(md, /### Paired gate: working tree against ref:v1/);
  assert.match(md, /\| pass \| cpu-all-t1-n1-gelu-b1-scale-w8-r32 \| multiBranch \|/);
  const bad = await cli(dir, [
    "gate",
    "--paired",
    "--baseline-ref",
    "nosuch",
    "--scenario",
    "scenarios/tiny.json",
    "--out",
    "out",
  ], gate);
  assert.equal(bad.code, 2, bad.stderr);
  assert.equal(bad.stderr.split("\n").filter((l) => l.startsWith("error: ")).length, 1);
  assert.match(bad.stderr, /git knows no commit "nosuch"/);
  const neither = await cli(dir, ["gate", "--paired", "--scenario", "x.json"], gate);
  assert.equal(neither.code, 2, neither.stderr);
  assert.match(
    neither.stderr,
    /needs either '--ab FILE' .* or '--baseline-ref REF --scenario FILE'/,
  );
});
