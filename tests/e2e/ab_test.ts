/**
 * End-to-end: `deno task ab` in a child process on two small model sets written here (the
 * candidate is the same MobileOne-style network with one more conv branch per block), tiny
 * sampling. Asserts on exit codes, the document and its intervals, never on time.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "./_cli.ts";
import { buildMobileOneTrain, type ExampleModelOptions } from "../../scripts/make_example_model.ts";
import { encodeModel } from "../../src/onnx/encode.ts";
import { pairedRatio, parseAbResults } from "../../src/ab/results.ts";
import type { AbCompletedCase } from "../../src/ab/results.ts";
import { FORM_NAMES } from "../../src/results/schema.ts";
import { AB_PERMISSIONS as AB } from "../../src/ab/process.ts";

const write = (path: string, options: ExampleModelOptions) =>
  Deno.writeFile(path, encodeModel(buildMobileOneTrain({ resolution: 32, width: 8, ...options })));

/**
 * A temp folder with the candidate's models beside `scenario.json` and the baseline's in
 * `base/`: `net.onnx` with 2 branches (baseline) and 3 (candidate); with `mismatch`, also
 * `head.onnx` with 10 classes (baseline) and 12 (candidate), whose outputs differ.
 */
async function abDir(mismatch = false): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "repstem-ab-" });
  await Deno.mkdir(join(dir, "base"));
  await write(join(dir, "base", "net.onnx"), { branches: 2 });
  await write(join(dir, "net.onnx"), { branches: 3 });
  const models = [{ path: "net.onnx" }];
  if (mismatch) {
    await write(join(dir, "base", "head.onnx"), { classes: 10 });
    await write(join(dir, "head.onnx"), { classes: 12 });
    models.push({ path: "head.onnx" });
  }
  await Deno.writeTextFile(
    join(dir, "scenario.json"),
    JSON.stringify({
      name: "ab e2e",
      description: "two model sets, interleaved",
      models,
      seed: 1,
      warmup: { minRuns: 2, maxRuns: 5, stableWithin: 1 },
      sampling: { minSamples: 5, minTimeMs: 0, maxTimeMs: 1000 },
    }),
  );
  return dir;
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("ab runs models:DIR against the working tree into ab.json with paired ratios", async () => {
  const dir = await abDir();
  const out = join(dir, "out");
  const ran = await cli([
    "ab",
    "--scenario",
    join(dir, "scenario.json"),
    "--baseline",
    `models:${join(dir, "base")}`,
    "--out",
    out,
  ]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.doesNotMatch(ran.stderr, /Uncaught|failed unexpectedly/);
  const path = join(out, "ab.json");
  const ab = parseAbResults(await Deno.readTextFile(path), path);
  assert.equal(ab.schemaVersion, 1);
  assert.equal(ab.kind, "ab");
  assert.equal(ab.sides.baseline.spec, `models:${join(dir, "base")}`);
  assert.equal(ab.sides.baseline.dir, join(dir, "base"));
  assert.deepEqual(ab.sides.baseline.models, [
    {
      name: "net",
      path: join(dir, "base", "net.onnx"),
      sha256: await sha256(join(dir, "base", "net.onnx")),
    },
  ]);
  assert.equal(ab.sides.candidate.spec, "working tree");
  assert.deepEqual(ab.sides.candidate.models, [
    { name: "net", path: join(dir, "net.onnx"), sha256: await sha256(join(dir, "net.onnx")) },
  ]);
  assert.ok(ab.context.ortVersion && ab.context.finishedAt && !ab.context.interrupted);
  assert.deepEqual(ab.cases.map((c) => c.id), ["cpu-all-t1-n1-model-net-r32"]);
  const c = ab.cases[0] as AbCompletedCase;
  assert.equal(c.state, "completed", JSON.stringify(c));
  for (const form of FORM_NAMES) {
    const r = c.forms[form];
    assert.ok(r.ci95[0] <= r.ratio && r.ratio <= r.ci95[1], `${form}: ${r.ratio} ${r.ci95}`);
    assert.ok(r.baseline.samples >= 5);
    assert.equal(r.baseline.samplesMs.length, r.candidate.samplesMs.length); // one measurement
  }
  for (const side of ["baseline", "candidate"] as const) {
    assert.ok(c.equivalence[side].withinTolerance, side);
    const s = c.speedup[side];
    assert.ok(s.ci95[0] <= s.ratio && s.ratio <= s.ci95[1]);
  }
  assert.match(ran.stdout, /ratio \[ci95\]/);
  assert.match(ran.stdout, /reparameterized .* (slower|faster|same)/);
  assert.match(ran.stderr, /\[1\/1\] cpu-all-t1-n1-model-net-r32/);
});

Deno.test("ab keeps a case whose sides' outputs differ as errored, runs the others, exits 1", async () => {
  const dir = await abDir(true);
  const out = join(dir, "out");
  const ran = await cli([
    "ab",
    "--scenario",
    join(dir, "scenario.json"),
    "--baseline",
    `models:${join(dir, "base")}`,
    "--out",
    out,
  ]);
  assert.equal(ran.code, 1, ran.stderr);
  const ab = parseAbResults(await Deno.readTextFile(join(out, "ab.json")), "ab.json");
  assert.deepEqual(ab.cases.map((c) => [c.id, c.state]), [
    ["cpu-all-t1-n1-model-net-r32", "completed"],
    ["cpu-all-t1-n1-model-head-r32", "errored"],
  ]);
  const errored = ab.cases[1];
  assert.ok(errored.state === "errored" && /sides' models differ/.test(errored.error));
});

Deno.test("ab refuses a DIR missing a file, models: without models, two equal sides, with exit 2", async () => {
  const dir = await abDir();
  const scenario = join(dir, "scenario.json");
  const empty = await Deno.makeTempDir();
  const stemsOnly = join(dir, "stems.json");
  await Deno.writeTextFile(
    stemsOnly,
    JSON.stringify({ name: "stems", description: "", resolutions: [32], widths: [8] }),
  );
  for (
    const [args, message] of [
      [["--baseline", `models:${empty}`], /'--baseline' "models:.*" as it has no "net\.onnx"/],
      [
        ["--scenario", stemsOnly, "--baseline", `models:${empty}`],
        /'--baseline' "models:.*" as scenario ".*stems\.json" has no 'models'/,
      ],
      [
        ["--scenario", stemsOnly, "--baseline", "working tree"],
        /as the scenario has no models and the sides differ only in model files/,
      ],
      [["--baseline", "models:"], /'--baseline' as 'models:' must be followed by a folder/],
    ] as const
  ) {
    const ran = await cli(["ab", "--scenario", scenario, ...args, "--out", join(dir, "x")], AB);
    assert.equal(ran.code, 2, `${args}: ${ran.stderr}`);
    assert.match(ran.stderr, message);
    assert.doesNotMatch(ran.stderr, /Uncaught|failed unexpectedly/);
  }
});

Deno.test("gate --paired gates a saved ab.json: exit 1 on a planted 10% slowdown, 0 when equal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "repstem-ab-gate-" });
  const baseline = Array.from({ length: 30 }, (_, i) => 1 + ((i * 7) % 30) / 30);
  const write = async (name: string, factor: number) => {
    const form = pairedRatio(baseline, baseline.map((x) => x * factor), 1);
    const doc = {
      schemaVersion: 1,
      kind: "ab",
      context: {},
      sides: {},
      cases: [{ id: "c", state: "completed", forms: { multiBranch: form, reparameterized: form } }],
    };
    await Deno.writeTextFile(join(dir, name), JSON.stringify(doc));
    return join(dir, name);
  };
  const flags = ["--allow-read", "--allow-write", "--allow-run"]; // deno task gate's
  const slow = await cli(["gate", "--paired", "--ab", await write("slow.json", 1.1)], flags);
  assert.equal(slow.code, 1, slow.stderr);
  assert.match(slow.stdout, /FAIL {2}c multiBranch: candidate \/ baseline 1\.100/);
  const same = await cli(["gate", "--paired", "--ab", await write("same.json", 1)], flags);
  assert.equal(same.code, 0, same.stderr);
  const loose = await cli(
    ["gate", "--paired", "--ab", join(dir, "slow.json"), "--threshold", "15"],
    flags,
  );
  assert.equal(loose.code, 0, loose.stderr);
  const bad = await cli(["gate", "--paired", "--ab", join(dir, "missing.json")], flags);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Cannot read A\/B results ".*missing\.json"/);
});
