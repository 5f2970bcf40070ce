/**
 * The A/B timing core on a fake clock: four fake tasks whose durations are planted, one
 * interleaved measurement, paired ratios candidate / baseline. No real time is measured.
 */
import assert from "node:assert/strict";
import { measureSides, poolTrials } from "../../src/ab/interleave.ts";
import { pairedRatio, parseAbResults, verdictOf } from "../../src/ab/results.ts";
import { createRandom } from "../../src/stats/random.ts";

const OPTIONS = {
  warmup: { minRuns: 2, maxRuns: 5, stableWithin: 1 },
  sampling: { minSamples: 60, minTimeMs: 0, maxTimeMs: 1e9 },
  seed: 3,
};

/**
 * Fake tasks on a fake clock: each advances it by its base time times `factor` (the candidate's
 * planted slowdown), times a per-round drift every task of the round shares (neighbours on a
 * shared machine), times its own 1% jitter.
 */
function fakeSides(candidateFactor: number) {
  let now = 0;
  let calls = 0;
  let drift = 1;
  const random = createRandom(11);
  const task = (baseMs: number, factor: number) => () => {
    if (calls++ % 4 === 0) drift = 1 + random(); // a new round: up to 2x slower, all alike
    now += baseMs * factor * drift * (1 + 0.01 * (random() - 0.5));
  };
  return {
    clock: () => now,
    tasks: {
      baseline: { multiBranch: task(2, 1), reparameterized: task(1.5, 1) },
      candidate: {
        multiBranch: task(2, candidateFactor),
        reparameterized: task(1.5, candidateFactor),
      },
    },
  };
}

Deno.test("measureSides() finds a planted 10% slowdown of the candidate: ratio 1.1, ci95 above 1.05", async () => {
  const { clock, tasks } = fakeSides(1.1);
  const m = await measureSides(tasks, { ...OPTIONS, clock });
  for (const form of ["multiBranch", "reparameterized"] as const) {
    const r = m.forms[form];
    // 0.01: the planted jitter is +-0.5% per task; pairing removes the shared 2x drift
    assert.ok(Math.abs(r.ratio - 1.1) < 0.01, `${form}: ${r.ratio}`);
    assert.ok(r.ci95[0] > 1.05 && r.ci95[0] <= r.ratio && r.ratio <= r.ci95[1], `${r.ci95}`);
    assert.equal(verdictOf(r.ci95), "slower");
    assert.equal(r.baseline.samplesMs.length, r.candidate.samplesMs.length);
    assert.equal(r.baseline.samples, 60);
  }
  // each side's own speedup: 2 / 1.5
  for (const side of ["baseline", "candidate"] as const) {
    assert.ok(Math.abs(m.speedup[side].ratio - 2 / 1.5) < 0.02, `${m.speedup[side].ratio}`);
  }
});

Deno.test("measureSides() gives ratio 1 and verdict same for identical sides", async () => {
  const { clock, tasks } = fakeSides(1);
  const m = await measureSides(tasks, { ...OPTIONS, clock });
  for (const form of ["multiBranch", "reparameterized"] as const) {
    const r = m.forms[form];
    assert.ok(Math.abs(r.ratio - 1) < 0.01, `${r.ratio}`);
    assert.ok(r.ci95[0] <= 1.05, `${r.ci95}`);
  }
});

Deno.test("pairedRatio() is median(candidate) / median(baseline): above 1 when the candidate is slower", () => {
  const baseline = [1, 2, 3, 4, 5];
  const r = pairedRatio(baseline, baseline.map((x) => x * 1.1), 0);
  assert.ok(Math.abs(r.ratio - 1.1) < 1e-12);
  assert.ok(r.ci95[0] <= r.ratio && r.ratio <= r.ci95[1]);
  const same = pairedRatio(baseline, baseline, 0);
  assert.deepEqual([same.ratio, ...same.ci95], [1, 1, 1]);
  assert.throws(() => pairedRatio([1, 2], [1], 0), RangeError);
});

Deno.test("parseAbResults() reads an ab document and refuses a bench results file", () => {
  const ok = '{"schemaVersion": 1, "kind": "ab", "context": {}, "sides": {}, "cases": []}';
  assert.equal(parseAbResults(ok, "ab.json").kind, "ab");
  assert.throws(
    () => parseAbResults('{"schemaVersion": 1, "context": {}, "cases": []}', "results.json"),
    /'kind' must be "ab"/,
  );
  assert.throws(
    () => parseAbResults(ok.replace('"schemaVersion": 1', '"schemaVersion": 2'), "ab.json"),
    RangeError,
  );
  assert.throws(() => parseAbResults("not json", "ab.json"), SyntaxError);
});

Deno.test("poolTrials() pools three A/A trials whose processes differ by +-8%: verdict same, not faster or slower", async () => {
  // Each trial is an A/A pair of processes whose candidate lands 8% slower, equal, or 8% faster
  // (memory placement): one trial alone gives a confident, wrong verdict; pooled, it does not.
  const trials = [];
  for (const bias of [1.08, 1, 0.92]) {
    const { clock, tasks } = fakeSides(bias);
    trials.push(await measureSides(tasks, { ...OPTIONS, clock }));
  }
  assert.equal(verdictOf(trials[0].forms.multiBranch.ci95), "slower");
  assert.equal(verdictOf(trials[2].forms.multiBranch.ci95), "faster");
  const pooled = poolTrials(trials, OPTIONS.seed);
  assert.equal(pooled.trials, 3);
  for (const form of ["multiBranch", "reparameterized"] as const) {
    const r = pooled.forms[form];
    assert.equal(verdictOf(r.ci95), "same", `${form}: ${r.ratio} ${r.ci95}`);
    assert.equal(r.baseline.samplesMs.length, 3 * 60);
    assert.deepEqual(
      r.candidate.samplesMs,
      trials.flatMap((t) => t.forms[form].candidate.samplesMs),
    );
    assert.equal(r.baseline.firstRunMs, trials[0].forms[form].baseline.firstRunMs);
  }
  // each side's speedup is unchanged by a bias both of its forms share
  assert.ok(Math.abs(pooled.speedup.candidate.ratio - 2 / 1.5) < 0.02);
  // one trial comes back as it is
  assert.deepEqual(poolTrials([trials[1]], 0), { ...trials[1], trials: 1 });
  assert.throws(() => poolTrials([], 0), /there are none/);
});
