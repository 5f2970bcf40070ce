/**
 * Counting from shapes: the counting source's graphs (weights without values, built once per
 * spec, re-shaped per case) count exactly as graphs built afresh from calibrated weights; the
 * bench's source fuses once per spec and gives the graphs a fresh build gives.
 */
import assert from "node:assert/strict";
import { buildCase, countForms } from "../../src/case.ts";
import type { StemCaseConfig } from "../../src/scenario/expand.ts";
import { caseSpec, stemCountSource, stemSource, weightsCache } from "../../src/source/stem.ts";
import { buildMultiBranchStem } from "../../src/stem/multi_branch.ts";
import { buildReparamStem } from "../../src/stem/reparameterized.ts";
import type { Activation } from "../../src/stem/spec.ts";

const config = (overrides: Partial<StemCaseConfig> = {}): StemCaseConfig => ({
  inChannels: 3,
  width: 16,
  resolution: 32,
  batchSize: 1,
  branches: 1,
  activation: "gelu",
  scaleBranch: true,
  se: false,
  device: "cpu",
  threads: 1,
  optimizationLevel: "all",
  ...overrides,
});

const CACHES = [0, 64 * 1024, 4 * 1024 * 1024, Infinity];

Deno.test("stemCountSource() counts exactly as calibrated weights do, over every variant", async () => {
  const source = stemCountSource();
  const weightsOf = weightsCache(7);
  let compared = 0;
  for (const branches of [1, 4]) {
    for (const scaleBranch of [true, false]) {
      for (const se of [false, true]) {
        for (const activation of ["gelu", "relu", "none"] as Activation[]) {
          for (const batchSize of [1, 3]) {
            for (const resolution of [32, 224, 384]) {
              const c = config({ branches, scaleBranch, se, activation, batchSize, resolution });
              const graphs = await source.build(c);
              assert.deepEqual(graphs.inputShape, [batchSize, 3, resolution, resolution]);
              for (const cacheBytes of CACHES) {
                const full = buildCase(c, weightsOf(c), cacheBytes);
                assert.deepEqual(graphs.outputShape, full.outputShape);
                // every count, per node and per block, not only the totals
                assert.deepEqual(countForms(graphs, cacheBytes), full.forms, JSON.stringify(c));
                compared++;
              }
            }
          }
        }
      }
    }
  }
  assert.equal(compared, 2 * 2 * 2 * 3 * 2 * 3 * CACHES.length);
});

Deno.test("stemCountSource() builds a spec once and gives each case its own shapes", async () => {
  const source = stemCountSource();
  const a = await source.build(config({ resolution: 64 }));
  const b = await source.build(config({ resolution: 96, batchSize: 2, device: "webgpu" }));
  assert.equal(a.multiBranch.nodes, b.multiBranch.nodes);
  assert.equal(a.reparameterized.initializers, b.reparameterized.initializers);
  assert.deepEqual(b.multiBranch.inputs, [{ name: "input", shape: [2, 3, 96, 96] }]);
  assert.deepEqual(b.reparameterized.outputs, [{ name: "output", shape: [2, 16, 24, 24] }]);
  assert.deepEqual(b.outputShape, [2, 16, 24, 24]);
  // zeros, with the right number of them
  const w = b.multiBranch.initializers.find((t) => t.name === "block1.kxk0.conv.weight")!;
  assert.deepEqual([w.dims, w.data.length, w.data.every((x) => x === 0)], [
    [16, 3, 3, 3],
    432,
    true,
  ]);
  // another spec, then the first again: kept (all by default) or rebuilt (keep: 1)
  await source.build(config({ width: 8 }));
  assert.equal((await source.build(config())).multiBranch.nodes, a.multiBranch.nodes);
  const one = stemCountSource({ keep: 1 });
  const first = await one.build(config());
  await one.build(config({ width: 8 }));
  const again = await one.build(config());
  assert.notEqual(again.multiBranch.nodes, first.multiBranch.nodes);
  assert.deepEqual(again.multiBranch, first.multiBranch);
  assert.throws(() => stemCountSource({ keep: 0 }), RangeError);
});

Deno.test("stemCountSource() rejects a model case and a bad case as errors to record", async () => {
  const source = stemCountSource();
  const model = {
    model: { name: "m", path: "m.onnx", sha256: "0" },
    inputShape: [1, 3, 8, 8],
    inChannels: 3,
    resolution: 8,
    batchSize: 1,
    device: "cpu",
    threads: 1,
    optimizationLevel: "all",
  } as const;
  await assert.rejects(() => source.build(model), /Cannot build model "m" as a generated stem/);
  await assert.rejects(() => source.build(config({ width: 0 })), RangeError);
  await assert.rejects(() => source.build(config({ resolution: 0 })), RangeError);
});

Deno.test("stemSource() calibrates and fuses once per spec, giving what a fresh build gives", async () => {
  const source = stemSource(3);
  const weights = weightsCache(3);
  const configs = [
    config({ branches: 2, se: true }),
    config({ branches: 2, se: true, resolution: 48, batchSize: 2 }),
  ];
  const [a, b] = await Promise.all(configs.map((c) => source.build(c)));
  assert.equal(a.reparameterized.initializers, b.reparameterized.initializers, "one fusion");
  for (const [i, g] of [a, b].entries()) {
    const c = configs[i];
    const geometry = { batchSize: c.batchSize, resolution: c.resolution };
    const spec = caseSpec(c);
    assert.deepEqual(g.multiBranch, buildMultiBranchStem(spec, weights(c), geometry));
    assert.deepEqual(g.reparameterized, buildReparamStem(spec, weights(c), geometry));
  }
});
