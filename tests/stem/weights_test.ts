/** Tests for randomStemWeights: determinism, shapes and BN statistics far from identity. */
import assert from "node:assert/strict";
import { type BatchNorm, stemBlocks } from "../../src/stem/spec.ts";
import { randomInput, randomStemWeights } from "../../src/stem/weights.ts";
import { createRandom } from "../../src/stats/random.ts";
import { spec } from "../_helpers.ts";

function allBatchNorms(s = spec({ width: 48, branches: 2 }), seed = 1): BatchNorm[] {
  return randomStemWeights(s, seed).flatMap((w) => [
    ...w.conv.map((c) => c.bn),
    ...(w.scale ? [w.scale.bn] : []),
    ...(w.skip ? [w.skip] : []),
  ]);
}

Deno.test("randomStemWeights() is deterministic for a seed", () => {
  const s = spec({ width: 8, branches: 2, se: true });
  assert.deepEqual(randomStemWeights(s, 123), randomStemWeights(s, 123));
});

Deno.test("randomStemWeights() differs across seeds", () => {
  const s = spec({ width: 8 });
  const [a, b] = [randomStemWeights(s, 1), randomStemWeights(s, 2)];
  for (let i = 0; i < 3; i++) assert.notDeepEqual(a[i].conv[0].weight, b[i].conv[0].weight);
  assert.notDeepEqual(a[2].skip, b[2].skip);
});

Deno.test("randomStemWeights() has one branch set per block with the spec's shapes", () => {
  const s = spec({ width: 8, branches: 3, se: true });
  const w = randomStemWeights(s, 5);
  stemBlocks(s).forEach((b, i) => {
    const ig = b.inChannels / b.groups;
    assert.equal(w[i].conv.length, 3);
    for (const c of w[i].conv) {
      assert.deepEqual(c.shape, [8, ig, b.kernel, b.kernel]);
      assert.equal(c.weight.length, 8 * ig * b.kernel * b.kernel);
      assert.equal(c.bn.gamma.length, 8);
    }
    assert.equal(!!w[i].scale, b.hasScale);
    assert.equal(!!w[i].skip, b.hasSkip);
    assert.equal(w[i].se?.reducedChannels, 1);
  });
});

Deno.test("randomStemWeights() BN variances span far from 1 and gamma has both signs", () => {
  const bns = allBatchNorms();
  const variances = bns.flatMap((b) => [...b.variance]);
  const gammas = bns.flatMap((b) => [...b.gamma]);
  assert.ok(variances.every((v) => v > 0 && Number.isFinite(v)));
  assert.ok(variances.some((v) => v < 0.5), `min variance ${Math.min(...variances)}`);
  assert.ok(variances.some((v) => v > 2), `max variance ${Math.max(...variances)}`);
  assert.ok(gammas.some((g) => g < 0) && gammas.some((g) => g > 0));
  assert.ok(bns.flatMap((b) => [...b.beta]).some((v) => v !== 0));
  assert.ok(bns.every((b) => b.epsilon === 1e-5));
});

Deno.test("createRandom() and randomInput() are seeded and in range", () => {
  const r = createRandom(9);
  const s = createRandom(9);
  const xs = Array.from({ length: 100 }, () => r());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => s()));
  assert.ok(xs.every((v) => v >= 0 && v < 1));
  const x = randomInput(1000, 4);
  assert.deepEqual(x, randomInput(1000, 4));
  assert.notDeepEqual(x, randomInput(1000, 5));
  assert.ok(x.every((v) => v >= -1 && v < 1));
});
