/** calibrate(): the A/A noise floor and the thresholds it implies, on hand-made runs. */
import assert from "node:assert/strict";
import { calibrate, formatCalibration } from "../../src/gate/calibrate.ts";
import type { CompletedCase, Results } from "../../src/results/schema.ts";
import { completed, config, results, samples } from "./_helpers.ts";

/** One run whose medians are `factor` times the usual, with a speedup of about `speedup`. */
function run(factor: number, speedup = 1.4, seed = 1): Results {
  return results([
    completed(config(), {
      mb: samples(0.14 * factor, 60, seed),
      rp: samples((0.14 / speedup) * factor, 60, seed + 1),
    }),
  ]);
}

Deno.test("calibrate() measures the spread against the first run and over every pair", () => {
  const c = calibrate([run(1), run(1.2, 1.4, 3), run(0.8, 1.3, 5)], { threshold: 0.5 });
  assert.equal(c.runs, 3);
  assert.deepEqual(c.outcomes, ["pass", "pass"]); // 1.2x and 0.8x against the first: within 50%
  const [k] = c.cases;
  assert.equal(k.runs, 3);
  assert.equal(k.alarms, 0);
  // Against the first: 1.2x and 0.8x, so 20% either way (sample noise moves it a little).
  assert.ok(Math.abs(k.worstTimeDeviation - 0.2) < 0.03, String(k.worstTimeDeviation));
  // Over every pair: slowest over fastest is 1.2 / 0.8 = 1.5.
  assert.ok(Math.abs(k.timeSpread - 0.5) < 0.05, String(k.timeSpread));
  assert.ok(k.timeThresholdNeeded > 0.35 && k.timeThresholdNeeded < k.timeSpread);
  assert.ok(Math.abs(k.speedupSpread - (1 - 1.3 / 1.4)) < 0.03, String(k.speedupSpread));
  assert.ok(k.speedupThresholdNeeded < k.speedupSpread + 0.01);
  assert.equal(c.timeThresholdNeeded, k.timeThresholdNeeded);
  // 1.25 x needed, rounded up to 5%.
  const expected = Math.ceil((k.timeThresholdNeeded * 1.25) / 0.05) * 0.05;
  assert.ok(Math.abs(c.suggested.timeThreshold - expected) < 1e-9);
  assert.equal(c.suggested.threshold, 0.1);
  assert.deepEqual(c.hardFailures, []);
});

Deno.test("calibrate() counts alarms at a tight threshold and reports hard failures", () => {
  const second = run(1.5, 1.4, 3);
  const c0 = second.cases[0] as CompletedCase;
  const broken = {
    ...second,
    cases: [{ ...c0, forms: { ...c0.forms, multiBranch: { ...c0.forms.multiBranch, macs: 1 } } }],
  };
  const c = calibrate([run(1), broken], { threshold: 0.2 });
  assert.deepEqual(c.outcomes, ["regressed"]);
  assert.equal(c.cases[0].alarms, 1);
  assert.equal(c.hardFailures.length, 1);
  assert.match(c.hardFailures[0], /run 2, .*: multi-branch macs changed/);
  const text = formatCalibration(c);
  assert.match(text, /1 of 1 comparison\(s\) alarmed \(too tight for this machine\)/);
  assert.match(text, /hard check failed \(not noise, a bug\)/);
});

Deno.test("calibrate() needs two runs", () => {
  assert.throws(() => calibrate([run(1)]), RangeError);
});
