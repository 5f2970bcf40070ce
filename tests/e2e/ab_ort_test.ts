/**
 * End-to-end: `deno task ab --baseline ort:1.29.0` really runs two onnxruntime-node versions, in
 * one worker process each, on a tiny models scenario written here. Skipped, with a printed note,
 * when `npm:onnxruntime-node@1.29.0` cannot be loaded (no network to the npm registry and not
 * cached). Asserts on exit codes, versions and the document, never on time.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CLI, cli, ROOT } from "./_cli.ts";
import { buildMobileOneTrain } from "../../scripts/make_example_model.ts";
import { encodeModel } from "../../src/onnx/encode.ts";
import { parseAbResults } from "../../src/ab/results.ts";
import type { AbCompletedCase } from "../../src/ab/results.ts";
import { FORM_NAMES } from "../../src/results/schema.ts";
import { isRunning } from "../_helpers.ts";
import { AB_PERMISSIONS } from "../../src/ab/process.ts";

async function anyRunning(pids: number[]): Promise<boolean> {
  for (const pid of pids) if (await isRunning(pid)) return true;
  return false;
}

async function allRunning(pids: number[]): Promise<boolean> {
  for (const pid of pids) if (!(await isRunning(pid))) return false;
  return true;
}

const OTHER = "1.29.0";
/** `deno task ab`'s permissions (deno.json): it spawns the workers with this Deno. */
const AB_FLAGS = AB_PERMISSIONS;

async function canLoad(version: string): Promise<boolean> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--quiet",
      "--no-config",
      "--no-lock",
      `import * as ort from "npm:onnxruntime-node@${version}"; console.log(ort.env.versions.common)`,
    ],
    cwd: await Deno.makeTempDir(),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return out.code === 0 && new TextDecoder().decode(out.stdout).trim() === version;
}

const available = await canLoad(OTHER);
if (!available) {
  console.log(
    `NOTE: skipping the ort:${OTHER} e2e tests: npm:onnxruntime-node@${OTHER} cannot be loaded ` +
      "here (no network to the npm registry, and not in Deno's cache)",
  );
}

async function scenarioDir(sampling: object): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "repstem-ab-ort-" });
  const model = buildMobileOneTrain({ resolution: 32, width: 8, branches: 2 });
  await Deno.writeFile(join(dir, "net.onnx"), encodeModel(model));
  await Deno.writeTextFile(
    join(dir, "scenario.json"),
    JSON.stringify({
      name: "ab ort e2e",
      description: "one model, two onnxruntime-node versions",
      models: [{ path: "net.onnx" }],
      seed: 1,
      warmup: { minRuns: 2, maxRuns: 5, stableWithin: 1 },
      sampling,
    }),
  );
  return dir;
}

Deno.test({
  name: `ab --baseline ort:${OTHER} runs both versions in workers and records them`,
  ignore: !available,
  fn: async () => {
    const dir = await scenarioDir({ minSamples: 5, minTimeMs: 0, maxTimeMs: 1000 });
    const out = join(dir, "out");
    const ran = await cli(
      ["ab", "--scenario", join(dir, "scenario.json"), "--baseline", `ort:${OTHER}`, "--out", out],
      AB_FLAGS,
    );
    assert.equal(ran.code, 0, ran.stderr);
    assert.doesNotMatch(ran.stderr, /Uncaught|failed unexpectedly/);
    const ab = parseAbResults(await Deno.readTextFile(join(out, "ab.json")), "ab.json");
    const own = ab.context.ortVersion as string;
    assert.notEqual(own, OTHER);
    assert.equal(ab.sides.baseline.spec, `ort:${OTHER}`);
    assert.equal(ab.sides.baseline.kind, "ort");
    assert.equal(ab.sides.baseline.ortVersion, OTHER);
    assert.equal(ab.sides.candidate.ortVersion, own);
    assert.equal(ab.sides.baseline.process, "worker");
    assert.equal(ab.sides.candidate.process, "worker");
    assert.deepEqual(ab.sides.baseline.models, ab.sides.candidate.models); // the same files
    assert.match(String(ab.context.conventions?.abWorkers), /worker processes/);
    const c = ab.cases[0] as AbCompletedCase;
    assert.equal(c.state, "completed", JSON.stringify(c));
    for (const form of FORM_NAMES) {
      const r = c.forms[form];
      assert.ok(r.ratio > 0 && r.ci95[0] <= r.ratio && r.ratio <= r.ci95[1], `${form} ${r.ci95}`);
      assert.ok(r.baseline.samples >= 5 && r.candidate.samples >= 5);
      assert.equal(r.baseline.samplesMs.length, r.candidate.samplesMs.length);
      assert.ok(r.baseline.firstRunMs > 0 && r.candidate.firstRunMs > 0);
    }
    assert.match(
      ran.stderr,
      new RegExp(`baseline worker \\(onnxruntime-node ${OTHER}\\): pid \\d+`),
    );
  },
});

Deno.test({
  name: "ab with workers: Ctrl-C twice exits 130 and leaves no worker running",
  ignore: !available,
  fn: async () => {
    // sampling that would take a minute, so the case is mid-measurement when interrupted
    const dir = await scenarioDir({ minSamples: 5, minTimeMs: 60_000, maxTimeMs: 60_000 });
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...AB_FLAGS,
        CLI,
        "ab",
        "--scenario",
        join(dir, "scenario.json"),
        "--baseline",
        `ort:${OTHER}`,
        "--out",
        join(dir, "out"),
      ],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let stderr = "";
    const pids: number[] = [];
    const reader = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        stderr += chunk;
      }
    })();
    const deadline = Date.now() + 120_000;
    while (pids.length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      pids.splice(
        0,
        pids.length,
        ...[...stderr.matchAll(/: pid (\d+), loaded/g)].map((m) => +m[1]),
      );
    }
    assert.equal(pids.length, 2, stderr);
    await new Promise((r) => setTimeout(r, 1500)); // into the timing loop
    assert.ok(await allRunning(pids), `both workers run before Ctrl-C: ${stderr}`);
    child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(await allRunning(pids), "the first Ctrl-C lets the current case finish");
    child.kill("SIGINT");
    const status = await child.status;
    await reader;
    assert.equal(status.code, 130, stderr);
    const gone = Date.now() + 5_000;
    while ((await anyRunning(pids)) && Date.now() < gone) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(!(await anyRunning(pids)), "no worker left running");
  },
});
