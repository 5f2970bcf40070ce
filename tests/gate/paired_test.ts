/** The paired gate on synthetic A/B results: regressions beyond the threshold, errored cases. */
import assert from "node:assert/strict";
import { gatePaired } from "../../src/gate/paired.ts";
import { pairedRatio } from "../../src/ab/results.ts";
import type { AbCaseResult, AbResults } from "../../src/ab/results.ts";

/** Rounds of a baseline with drift between rounds (1 to 2 ms), seeded-free and fixed. */
const BASELINE = Array.from({ length: 40 }, (_, i) => 1 + ((i * 7) % 40) / 40);

function results(candidateFactor: number, extra: AbCaseResult[] = []): AbResults {
  const form = () => {
    const candidate = BASELINE.map((x, i) => x * candidateFactor * (1 + 0.002 * (i % 3)));
    return { ...pairedRatio(BASELINE, candidate, 1) };
  };
  return {
    cases: [
      { id: "c1", state: "completed", forms: { multiBranch: form(), reparameterized: form() } },
      ...extra,
    ],
  } as unknown as AbResults;
}

Deno.test("gatePaired() fails a planted 10% slowdown at the default 5% threshold", () => {
  const v = gatePaired(results(1.1));
  assert.equal(v.threshold, 0.05);
  assert.equal(v.failed, true);
  assert.equal(v.exitCode, 1);
  assert.deepEqual(v.checks.map((c) => [c.form, c.status]), [
    ["multiBranch", "fail"],
    ["reparameterized", "fail"],
  ]);
  const c = v.checks[0];
  assert.ok(Math.abs(c.ratio! - 1.1) < 0.01 && c.ci95![0] > 1.05, `${c.ratio} ${c.ci95}`);
  assert.match(c.message, /slower by more than 5\.0%/);
});

Deno.test("gatePaired() passes identical samples, and a 10% slowdown under a 15% threshold", () => {
  assert.equal(gatePaired(results(1)).failed, false);
  assert.equal(gatePaired(results(1.1), { threshold: 0.15 }).exitCode, 0);
  assert.equal(gatePaired(results(0.8)).failed, false); // faster never fails
});

Deno.test("gatePaired() fails an errored case and refuses a bad threshold", () => {
  const v = gatePaired(
    results(1, [{ id: "c2", state: "errored", error: "boom", config: {} as never }]),
  );
  assert.equal(v.failed, true);
  assert.deepEqual(v.checks.at(-1), { caseId: "c2", status: "fail", message: "c2 errored: boom" });
  assert.throws(() => gatePaired(results(1), { threshold: -1 }), RangeError);
});
