/**
 * The worker protocol and the lock-step timing with fake workers (tests/ab/_fake_worker.ts: the
 * real protocol loop, fake sessions on a fake clock), so every reported duration is planted and
 * no onnxruntime loads. Also: a worker that dies or hangs errors the case in one line naming its
 * side, and no worker process is left.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { measureInWorkers, type PerSide, workerSpec } from "../../src/ab/workers.ts";
import { liveWorkerPids, startWorker, type WorkerSpec } from "../../src/runner/worker_client.ts";
import { serve } from "../../src/runner/worker_protocol.ts";
import type { SideName } from "../../src/ab/interleave.ts";
import { isRunning } from "../_helpers.ts";

async function anyRunning(pids: number[]): Promise<boolean> {
  for (const pid of pids) if (await isRunning(pid)) return true;
  return false;
}

async function allRunning(pids: number[]): Promise<boolean> {
  for (const pid of pids) if (!(await isRunning(pid))) return false;
  return true;
}

const FAKE = new URL("./_fake_worker.ts", import.meta.url).pathname;
const DURATIONS: PerSide<Record<string, number>> = {
  baseline: { multiBranch: 2, reparameterized: 1 },
  candidate: { multiBranch: 2.5, reparameterized: 1.25 },
};
const OPTIONS = {
  warmup: { minRuns: 1, maxRuns: 2, stableWithin: 1 },
  sampling: { minSamples: 8, minTimeMs: 0, maxTimeMs: 60_000 },
  seed: 1,
};
const FILES = {
  models: {
    baseline: { multiBranch: "b.mb", reparameterized: "b.rp" },
    candidate: { multiBranch: "c.mb", reparameterized: "c.rp" },
  },
  input: "",
  dims: [1, 3, 4, 4],
  options: { device: "cpu" as const, threads: 1, optimizationLevel: "all" as const },
};

function fake(side: SideName, plan: Record<string, unknown> = {}, callTimeoutMs = 20_000) {
  return {
    label: `${side} worker (fake)`,
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-write",
      FAKE,
      JSON.stringify({
        version: side === "baseline" ? "1.29.0" : "1.30.0",
        side,
        durations: DURATIONS[side],
        ...plan,
      }),
    ],
    callTimeoutMs,
    startTimeoutMs: 30_000,
  } satisfies WorkerSpec;
}

/** Files the fake worker "loads": empty files are enough, it never parses them. */
async function files() {
  const dir = await Deno.makeTempDir({ prefix: "repstem-fake-worker-" });
  const f = (n: string) => join(dir, n);
  for (const n of ["b.mb", "b.rp", "c.mb", "c.rp", "input.bin"]) {
    await Deno.writeFile(f(n), new Uint8Array(192));
  }
  return {
    dir,
    files: {
      ...FILES,
      input: f("input.bin"),
      models: {
        baseline: { multiBranch: f("b.mb"), reparameterized: f("b.rp") },
        candidate: { multiBranch: f("c.mb"), reparameterized: f("c.rp") },
      },
    },
  };
}

Deno.test("serve() greets with its version, answers by id, times runs on its clock, exits on 'exit'", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(join(dir, "m"), new Uint8Array(1));
  await Deno.writeFile(join(dir, "x"), new Uint8Array(new Float32Array([1, 2]).buffer));
  let now = 0;
  const lines: string[] = [];
  const seen: number[][] = [];
  const requests = [
    {
      id: 0,
      op: "load",
      name: "a",
      model: join(dir, "m"),
      input: join(dir, "x"),
      dims: [2],
      options: {},
    },
    { id: 1, op: "run", name: "a" },
    { id: 2, op: "run", name: "nope" },
    { id: 3, op: "release", name: "a" },
    { id: 4, op: "exit" },
    { id: 5, op: "run", name: "a" }, // after exit: never answered
  ];
  await serve({
    ortVersion: "9.9.9",
    clock: () => now,
    input: ReadableStream.from([
      new TextEncoder().encode(requests.map((r) => JSON.stringify(r)).join("\n")),
    ]),
    write: (line) => lines.push(line),
    open: (_m, input, dims) => {
      seen.push([...input, ...dims]);
      return Promise.resolve({
        run: () => Promise.resolve(void (now += 7)),
        release: () => Promise.resolve(),
      });
    },
  });
  assert.deepEqual(seen, [[1, 2, 2]]);
  assert.deepEqual(lines.map((l) => JSON.parse(l)), [
    { type: "hello", ortVersion: "9.9.9" },
    { id: 0, ok: true, firstMs: 7 },
    { id: 1, ok: true, durationMs: 7 },
    { id: 2, ok: false, error: 'no session "nope"' },
    { id: 3, ok: true },
    { id: 4, ok: true },
  ]);
});

Deno.test("measureInWorkers() runs lock-step rounds, records self-reported durations and versions", async () => {
  const { dir, files: f } = await files();
  const log = join(dir, "runs.log");
  const pids: number[] = [];
  const m = await measureInWorkers(
    { baseline: fake("baseline", { log }), candidate: fake("candidate", { log }) },
    { baseline: "1.29.0", candidate: "1.30.0" },
    f,
    { ...OPTIONS, onStarted: (_s, w) => pids.push(w.pid) },
  );
  assert.deepEqual(m.ortVersions, { baseline: "1.29.0", candidate: "1.30.0" });
  // exactly the planted durations: the pipe round trip is not in the samples
  for (const side of ["baseline", "candidate"] as const) {
    for (const form of ["multiBranch", "reparameterized"] as const) {
      const lat = m.forms[form][side];
      assert.ok(lat.samplesMs.every((x) => x === DURATIONS[side][form]), `${side} ${form}`);
      assert.equal(lat.firstRunMs, 10 * DURATIONS[side][form]);
    }
  }
  assert.equal(m.forms.multiBranch.ratio, 1.25);
  assert.equal(m.forms.reparameterized.ratio, 1.25);
  // lock-step: never two calls at once; each round all four once, in varying orders
  const runs = (await Deno.readTextFile(log)).trim().split("\n").map((l) => {
    const [side, name, start, end] = l.split(" ");
    return { task: `${side}.${name}`, start: Number(start), end: Number(end) };
  }).sort((a, b) => a.start - b.start);
  for (let i = 1; i < runs.length; i++) {
    assert.ok(runs[i].start >= runs[i - 1].end, `overlap at ${i}`);
  }
  assert.equal(runs.length % 4, 0);
  const orders = new Set<string>();
  for (let i = 0; i < runs.length; i += 4) {
    const round = runs.slice(i, i + 4).map((r) => r.task);
    assert.equal(new Set(round).size, 4, `round ${i / 4}: ${round}`);
    orders.add(round.join());
  }
  assert.ok(orders.size > 1, "rounds are shuffled");
  assert.equal(pids.length, 2);
  assert.ok(!(await anyRunning(pids)), "no worker left running");
  assert.deepEqual(liveWorkerPids(), []);
});

Deno.test("measureInWorkers() errors in one line naming the side when a worker exits mid-run, leaving none running", async () => {
  const { files: f } = await files();
  const pids: number[] = [];
  await assert.rejects(
    measureInWorkers(
      { baseline: fake("baseline", { dieOnRun: 5 }), candidate: fake("candidate") },
      { baseline: "1.29.0", candidate: "1.30.0" },
      f,
      { ...OPTIONS, onStarted: (_s, w) => pids.push(w.pid) },
    ),
    (e: Error) => {
      assert.match(
        e.message,
        /^baseline worker \(fake\) exited \(code 3\): planted crash on run 5$/,
      );
      return true;
    },
  );
  assert.equal(pids.length, 2);
  assert.ok(!(await anyRunning(pids)), "no worker left running");
  assert.deepEqual(liveWorkerPids(), []);
});

Deno.test("measureInWorkers() times out a hung worker, naming its side, and kills both", async () => {
  const { files: f } = await files();
  const pids: number[] = [];
  await assert.rejects(
    measureInWorkers(
      { baseline: fake("baseline"), candidate: fake("candidate", { hangOnRun: 3 }, 1_000) },
      { baseline: "1.29.0", candidate: "1.30.0" },
      f,
      { ...OPTIONS, onStarted: (_s, w) => pids.push(w.pid) },
    ),
    /^WorkerError: candidate worker \(fake\) did not answer 'run (multiBranch|reparameterized)' within 1000 ms$/,
  );
  assert.ok(!(await anyRunning(pids)), "no worker left running");
  assert.deepEqual(liveWorkerPids(), []);
});

Deno.test("measureInWorkers() refuses a worker that loaded another version, and one that never greets", async () => {
  const { files: f } = await files();
  await assert.rejects(
    measureInWorkers(
      { baseline: fake("baseline"), candidate: fake("candidate") },
      { baseline: "1.28.0", candidate: "1.30.0" },
      f,
      OPTIONS,
    ),
    /Cannot time the baseline side as its worker loaded onnxruntime-node 1\.29\.0, not 1\.28\.0/,
  );
  const w = await startWorker(fake("baseline"));
  assert.ok(await allRunning([w.pid]), "the check sees a running worker");
  await w.close();
  assert.ok(!(await anyRunning([w.pid])), "close() ends it");
  const silent = { ...fake("candidate", { noHello: true }), startTimeoutMs: 1_500 };
  await assert.rejects(
    startWorker(silent),
    /candidate worker \(fake\) did not answer its start .* within 1500 ms/,
  );
  assert.deepEqual(liveWorkerPids(), []);
});

Deno.test("workerSpec() runs the worker with a config whose onnxruntime-node is the side's version", async () => {
  const dir = await Deno.makeTempDir();
  const spec = await workerSpec("baseline", "1.29.0", dir);
  assert.equal(spec.label, "baseline worker (onnxruntime-node 1.29.0)");
  const config = spec.args[spec.args.indexOf("--config") + 1];
  const written = JSON.parse(await Deno.readTextFile(config));
  assert.equal(written.imports["onnxruntime-node"], "npm:onnxruntime-node@1.29.0");
  assert.ok(written.imports.zod.startsWith("npm:zod@"), "the other imports are kept");
  assert.ok(spec.args.includes("--no-lock"));
  assert.match(spec.args.at(-1)!, /src\/runner\/ab_worker\.ts$/);
  const own = await workerSpec("candidate", undefined, dir);
  assert.match(own.label, /^candidate worker \(onnxruntime-node \d+\.\d+\.\d+\)$/);
  assert.match(own.args[own.args.indexOf("--config") + 1], /\/deno\.json$/);
  assert.ok(!own.args.includes("--no-lock"));
});
