/**
 * Stems built once per spec: weights without values that have every shape right, deploy weights
 * fused once and built from, and a built graph given another batch size and resolution.
 */
import assert from "node:assert/strict";
import type { Graph } from "../../src/onnx/ir.ts";
import { buildMultiBranchStem, checkGeometry, reshapeStem } from "../../src/stem/multi_branch.ts";
import {
  buildDeployStem,
  buildReparamStem,
  deployWeights,
} from "../../src/stem/reparameterized.ts";
import { zeroDeployWeights, zeroStemWeights } from "../../src/stem/shape_only.ts";
import type { StemSpec } from "../../src/stem/spec.ts";
import { randomStemWeights } from "../../src/stem/weights.ts";

const spec = (overrides: Partial<StemSpec> = {}): StemSpec => ({
  inChannels: 3,
  width: 8,
  branches: 1,
  scaleBranch: true,
  se: false,
  activation: "gelu",
  ...overrides,
});

const VARIANTS: StemSpec[] = [
  spec(),
  spec({ branches: 4, se: true }),
  spec({ scaleBranch: false, activation: "relu", width: 12 }),
  spec({ activation: "none", inChannels: 1, se: true }),
];

/** A graph's every initializer as name and dims, and its nodes: what counting reads. */
function structure(g: Graph) {
  return {
    initializers: g.initializers.map((t) => ({ name: t.name, dims: t.dims, n: t.data.length })),
    nodes: g.nodes,
    inputs: g.inputs,
    outputs: g.outputs,
  };
}

Deno.test("zeroStemWeights() has randomStemWeights()' every shape, and holds zeros", () => {
  for (const s of VARIANTS) {
    const zero = zeroStemWeights(s);
    const random = randomStemWeights(s, 1);
    const geometry = { batchSize: 2, resolution: 20 };
    assert.deepEqual(
      structure(buildMultiBranchStem(s, zero, geometry)),
      structure(buildMultiBranchStem(s, random, geometry)),
    );
    for (const b of zero) {
      for (const c of b.conv) assert.ok(c.weight.every((x) => x === 0) && c.bn.gamma[0] === 0);
    }
  }
});

Deno.test("zeroDeployWeights() has the fused weights' every shape", () => {
  for (const s of VARIANTS) {
    const geometry = { batchSize: 1, resolution: 16 };
    const fused = buildDeployStem(s, deployWeights(s, randomStemWeights(s, 2)), geometry);
    assert.deepEqual(
      structure(buildDeployStem(s, zeroDeployWeights(s), geometry)),
      structure(fused),
    );
  }
});

Deno.test("buildDeployStem() of deployWeights() is buildReparamStem(), values included", () => {
  for (const s of VARIANTS) {
    const weights = randomStemWeights(s, 3);
    const deploy = deployWeights(s, weights);
    assert.equal(deploy.length, 3);
    assert.equal(!!deploy[0].se, s.se);
    for (const geometry of [{ batchSize: 1, resolution: 32 }, { batchSize: 3, resolution: 17 }]) {
      assert.deepEqual(
        buildDeployStem(s, deploy, geometry),
        buildReparamStem(s, weights, geometry),
      );
    }
  }
});

Deno.test("buildDeployStem() and deployWeights() reject weights that do not fit the spec", () => {
  const s = spec({ se: true });
  const deploy = deployWeights(s, randomStemWeights(s, 4));
  const at = { batchSize: 1, resolution: 32 };
  assert.throws(() => buildDeployStem(s, deploy.slice(1), at), /have 2 blocks, expected 3/);
  assert.throws(
    () => buildDeployStem(spec({ se: false }), deploy, at),
    /deploy weights of block 1 do not match it/,
  );
  assert.throws(
    () => buildDeployStem({ ...s, width: 16 }, deploy, at),
    /deploy weights of block 1 do not match it/,
  );
  assert.throws(() => buildDeployStem(s, deploy, { batchSize: 0, resolution: 32 }), RangeError);
  assert.throws(
    () => deployWeights(spec({ branches: 2 }), randomStemWeights(s, 4)),
    /weights of block 1 do not match its branches/,
  );
});

Deno.test("reshapeStem() gives the graph built at the other geometry, sharing its nodes", () => {
  for (const s of VARIANTS) {
    const weights = randomStemWeights(s, 5);
    const first = { batchSize: 1, resolution: 32 };
    const mb = buildMultiBranchStem(s, weights, first);
    const rp = buildReparamStem(s, weights, first);
    for (const other of [{ batchSize: 3, resolution: 224 }, { batchSize: 2, resolution: 9 }]) {
      const reshaped = reshapeStem(mb, s, other);
      assert.deepEqual(reshaped, buildMultiBranchStem(s, weights, other));
      assert.deepEqual(reshapeStem(rp, s, other), buildReparamStem(s, weights, other));
      assert.equal(reshaped.nodes, mb.nodes);
      assert.equal(reshaped.initializers, mb.initializers);
    }
  }
});

Deno.test("reshapeStem() and checkGeometry() reject what a build rejects, with its message", () => {
  const s = spec();
  const g = buildMultiBranchStem(s, zeroStemWeights(s), { batchSize: 1, resolution: 32 });
  for (const bad of [{ batchSize: 0, resolution: 32 }, { batchSize: 1, resolution: 2.5 }]) {
    const built = (() => {
      try {
        buildMultiBranchStem(s, zeroStemWeights(s), bad);
      } catch (e) {
        return (e as Error).message;
      }
    })();
    assert.throws(() => reshapeStem(g, s, bad), { name: "RangeError", message: built });
    assert.throws(() => checkGeometry(bad), { name: "RangeError", message: built });
  }
});
