// Tests of the seeded generator and helpers in src/stats/random.ts.
import assert from "node:assert/strict";
import { createRandom, drawResample, randomIndex, shuffleInPlace } from "../../src/stats/random.ts";

Deno.test("createRandom() repeats a sequence for a seed and stays in [0, 1)", () => {
  const a = createRandom(123);
  const b = createRandom(123);
  const c = createRandom(124);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
  assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, () => c()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  // 1000 uniform draws: mean within 0.05 of 0.5 (about 5 standard errors of 0.009).
  assert.ok(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5) < 0.05);
});

Deno.test("createRandom() rejects a non-finite seed", () => {
  assert.throws(() => createRandom(NaN), /'seed'/);
});

Deno.test("randomIndex() stays in range even when random() returns 1", () => {
  assert.equal(randomIndex(() => 1, 5), 4);
  assert.equal(randomIndex(() => 0, 5), 0);
});

Deno.test("shuffleInPlace() permutes and reaches every order", () => {
  const random = createRandom(9);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const items = shuffleInPlace([1, 2, 3], random);
    assert.deepEqual([...items].sort(), [1, 2, 3]);
    seen.add(items.join());
  }
  assert.equal(seen.size, 6);
});

Deno.test("drawResample() counts sum to the sample size", () => {
  const counts = drawResample(createRandom(1), new Uint32Array(17));
  assert.equal(counts.reduce((s, c) => s + c, 0), 17);
});
