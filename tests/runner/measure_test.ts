// Tests of measureInterleaved() in src/runner/measure.ts with a fake clock: each task advances the
// clock by a scripted amount, so no test depends on this machine's speed.
import assert from "node:assert/strict";
import { measureInterleaved, type MeasureOptions, type Task } from "../../src/runner/measure.ts";

/** Tasks whose n-th call (0-based) takes `script(n)` fake milliseconds, and a log of calls. */
function fake(scripts: Record<string, (call: number) => number>) {
  let now = 0;
  const calls: string[] = [];
  const tasks: Record<string, Task> = {};
  for (const [name, script] of Object.entries(scripts)) {
    let n = 0;
    tasks[name] = () => {
      now += script(n++);
      calls.push(name);
    };
  }
  return { tasks, calls, clock: () => now };
}

const options = (over: Partial<MeasureOptions> = {}): MeasureOptions => ({
  warmup: { minRuns: 3, maxRuns: 20, stableWithin: 0.1 },
  sampling: { minSamples: 5, minTimeMs: 0, maxTimeMs: 1e9 },
  ...over,
});

Deno.test("measureInterleaved() records round 0 apart from warm-up and samples", async () => {
  const { tasks, clock } = fake({ a: (n) => (n === 0 ? 100 : 10) });
  const r = await measureInterleaved(tasks, { ...options(), clock });
  assert.equal(r.a.firstRoundMs, 100);
  assert.equal(r.a.warmupRuns, 3); // the slow first run does not count against stability
  assert.deepEqual(r.a.samplesMs, [10, 10, 10, 10, 10]);
});

Deno.test("measureInterleaved() warms up until every task is stable", async () => {
  // Warm-up calls 1.. of `slow` take 40 30 20 12 11 10 10; the window of 3 is first within 20%
  // at [12, 11, 10] (2 / 11 = 0.18), after 6 warm-up rounds. `fast` is stable at once.
  const slow = [100, 40, 30, 20, 12, 11, 10];
  const { tasks, clock } = fake({ slow: (n) => slow[n] ?? 10, fast: () => 1 });
  const warmup = { minRuns: 3, maxRuns: 20, stableWithin: 0.2 };
  const r = await measureInterleaved(tasks, { ...options({ warmup }), clock });
  assert.equal(r.slow.warmupRuns, 6);
  assert.equal(r.fast.warmupRuns, 6);
  assert.deepEqual(r.slow.samplesMs, [10, 10, 10, 10, 10]);
});

Deno.test("measureInterleaved() ends warm-up at maxRuns when never stable", async () => {
  const { tasks, clock } = fake({ a: (n) => (n % 2 ? 10 : 20) });
  const warmup = { minRuns: 2, maxRuns: 7, stableWithin: 0.1 };
  const r = await measureInterleaved(tasks, { ...options({ warmup }), clock });
  assert.equal(r.a.warmupRuns, 7);
});

Deno.test("measureInterleaved() with minRuns 0 skips warm-up after the first run", async () => {
  const { tasks, clock, calls } = fake({ a: () => 10 });
  const warmup = { minRuns: 0, maxRuns: 5, stableWithin: 0 };
  const r = await measureInterleaved(tasks, { ...options({ warmup }), clock });
  assert.equal(r.a.warmupRuns, 0);
  assert.equal(calls.length, 1 + 5);
});

Deno.test("measureInterleaved() samples until both minSamples and minTimeMs are met", async () => {
  // Two tasks of 10 ms: a round takes 20 ms of sampling wall time.
  const run = async (minSamples: number, minTimeMs: number) => {
    const { tasks, clock } = fake({ a: () => 10, b: () => 10 });
    const sampling = { minSamples, minTimeMs, maxTimeMs: 1e9 };
    return (await measureInterleaved(tasks, { ...options({ sampling }), clock })).a.samplesMs;
  };
  assert.equal((await run(5, 0)).length, 5); // count binds
  assert.equal((await run(5, 200)).length, 10); // time binds: 10 rounds * 20 ms
  assert.equal((await run(12, 200)).length, 12); // count binds again
  assert.equal((await run(1, 30)).length, 2); // 40 ms >= 30 ms after round 2
});

Deno.test("measureInterleaved() stops at maxTimeMs with at least one sample", async () => {
  const run = async (maxTimeMs: number) => {
    const { tasks, clock } = fake({ a: () => 10 });
    const sampling = { minSamples: 1000, minTimeMs: 0, maxTimeMs };
    return (await measureInterleaved(tasks, { ...options({ sampling }), clock })).a.samplesMs;
  };
  assert.equal((await run(55)).length, 6); // 60 ms is the first elapsed time above 55
  assert.equal((await run(0)).length, 1);
});

Deno.test("measureInterleaved() shuffles the order of every round", async () => {
  const { tasks, clock, calls } = fake({ a: () => 1, b: () => 1 });
  const sampling = { minSamples: 40, minTimeMs: 0, maxTimeMs: 1e9 };
  await measureInterleaved(tasks, { ...options({ sampling }), clock });
  const rounds = new Set<string>();
  for (let i = 0; i < calls.length; i += 2) rounds.add(calls[i] + calls[i + 1]);
  assert.deepEqual([...rounds].sort(), ["ab", "ba"]); // each round holds both tasks once
});

Deno.test("measureInterleaved() uses the given random source", async () => {
  // random() = 0 makes Fisher-Yates swap the two tasks every round: b a, a b, b a, ...
  const { tasks, clock, calls } = fake({ a: () => 1, b: () => 1 });
  const warmup = { minRuns: 0, maxRuns: 0, stableWithin: 0 };
  const sampling = { minSamples: 2, minTimeMs: 0, maxTimeMs: 1e9 };
  await measureInterleaved(tasks, { warmup, sampling, clock, random: () => 0 });
  assert.deepEqual(calls, ["b", "a", "a", "b", "b", "a"]);
});

Deno.test("measureInterleaved() pairs samples by round index", async () => {
  // Drift: the n-th call of either task takes 10 ms more than the one before it.
  const { tasks, clock } = fake({ a: (n) => 10 * n, b: (n) => 10 * n + 5 });
  const warmup = { minRuns: 1, maxRuns: 1, stableWithin: 0 };
  const r = await measureInterleaved(tasks, { ...options({ warmup }), clock });
  assert.deepEqual(r.a.samplesMs, [20, 30, 40, 50, 60]);
  assert.deepEqual(r.b.samplesMs.map((x, i) => x - r.a.samplesMs[i]), [5, 5, 5, 5, 5]);
});

Deno.test("measureInterleaved() awaits async tasks inside the timed span", async () => {
  let now = 0;
  const tasks = {
    a: async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      now += 7;
    },
  };
  const r = await measureInterleaved(tasks, { ...options(), clock: () => now });
  assert.equal(r.a.firstRoundMs, 7);
  assert.deepEqual(r.a.samplesMs, [7, 7, 7, 7, 7]);
});

Deno.test("measureInterleaved() propagates a task's error unchanged", async () => {
  const boom = new Error("boom");
  const { tasks, clock } = fake({ ok: () => 1 });
  let n = 0;
  tasks.bad = () => {
    if (++n === 4) throw boom;
  };
  await assert.rejects(measureInterleaved(tasks, { ...options(), clock }), (e) => e === boom);
  const rejecting = { bad: () => Promise.reject(new TypeError("async boom")) };
  await assert.rejects(measureInterleaved(rejecting, options()), TypeError);
});

Deno.test("measureInterleaved() reports progress per phase", async () => {
  const { tasks, clock } = fake({ a: () => 10 });
  const seen: string[] = [];
  await measureInterleaved(tasks, {
    ...options({ sampling: { minSamples: 2, minTimeMs: 0, maxTimeMs: 1e9 } }),
    clock,
    onProgress: (done, phase) => seen.push(`${phase}:${done}`),
  });
  assert.deepEqual(seen, ["warmup:1", "warmup:2", "warmup:3", "sampling:1", "sampling:2"]);
});

Deno.test("measureInterleaved() validates tasks and options", async () => {
  const base = options();
  const bad: [string, MeasureOptions, RegExp][] = [
    ["minRuns", { ...base, warmup: { ...base.warmup, minRuns: -1 } }, /'warmup\.minRuns'.*-1/],
    ["minRuns", { ...base, warmup: { ...base.warmup, minRuns: 1.5 } }, /'warmup\.minRuns'.*1\.5/],
    ["maxRuns", { ...base, warmup: { ...base.warmup, maxRuns: 2 } }, /'warmup\.maxRuns'.*2/],
    [
      "stable",
      { ...base, warmup: { ...base.warmup, stableWithin: NaN } },
      /'warmup\.stableWithin'/,
    ],
    [
      "minSamples",
      { ...base, sampling: { ...base.sampling, minSamples: 0 } },
      /'sampling\.minSamples'.*0/,
    ],
    [
      "minTime",
      { ...base, sampling: { ...base.sampling, minTimeMs: -5 } },
      /'sampling\.minTimeMs'.*-5/,
    ],
    ["maxTime", {
      ...base,
      sampling: { ...base.sampling, minTimeMs: 10, maxTimeMs: 5 },
    }, /'sampling\.maxTimeMs'.*5/],
  ];
  for (const [label, opts, message] of bad) {
    await assert.rejects(measureInterleaved({ a: () => {} }, opts), (e) => {
      assert.ok(e instanceof RangeError, label);
      assert.match(e.message, message, label);
      return true;
    });
  }
  await assert.rejects(measureInterleaved({}, base), /'tasks' is empty/);
});

Deno.test("measureInterleaved() records a self-timed task's durationMs, not the clock's span", async () => {
  // Each call costs 100 fake ms of "overhead" on the clock but reports 3 (or 4 in round 0);
  // a plain task beside it keeps the clock's span; the sampling budget still uses the clock.
  let now = 0;
  let n = 0;
  const tasks: Record<string, Task> = {
    self: () => {
      now += 100;
      return Promise.resolve({ durationMs: n++ === 0 ? 4 : 3 });
    },
    plain: () => void (now += 7),
    other: () => ({ output: 1 }), // an object without durationMs: timed by the clock
  };
  const r = await measureInterleaved(tasks, {
    ...options({ sampling: { minSamples: 3, minTimeMs: 0, maxTimeMs: 1e9 } }),
    clock: () => now,
  });
  assert.equal(r.self.firstRoundMs, 4);
  assert.deepEqual(r.self.samplesMs, [3, 3, 3]);
  assert.deepEqual(r.plain.samplesMs, [7, 7, 7]);
  assert.deepEqual(r.other.samplesMs, [0, 0, 0]);
  // the budget is the clock's: 100 fake ms a round, so maxTimeMs 150 stops after 2 rounds
  now = 0;
  const budget = await measureInterleaved({ self: tasks.self }, {
    ...options({ sampling: { minSamples: 50, minTimeMs: 0, maxTimeMs: 150 } }),
    clock: () => now,
  });
  assert.equal(budget.self.samplesMs.length, 2);
});

Deno.test("measureInterleaved() refuses a self-reported durationMs that is not finite or negative", async () => {
  for (const bad of [NaN, -1, Infinity]) {
    await assert.rejects(
      measureInterleaved({ w: () => ({ durationMs: bad }) }, options()),
      (e) => e instanceof RangeError && /task "w".*'durationMs'/.test(e.message),
    );
  }
});
