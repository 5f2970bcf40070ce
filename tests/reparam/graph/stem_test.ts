/**
 * Agreement with the harness's own block fusion: fusing the multi-branch stem graph gives the
 * deploy weights of buildReparamStem (within 1e-6 of each kernel's largest magnitude: both round
 * float64 sums to float32, in different orders) and the same node histogram.
 */
import assert from "node:assert/strict";
import type { Graph, Node } from "../../../src/onnx/ir.ts";
import { fuseGraph, opHistogram } from "../../../src/reparam/graph/fuse.ts";
import { buildMultiBranchStem } from "../../../src/stem/multi_branch.ts";
import { buildReparamStem } from "../../../src/stem/reparameterized.ts";
import { randomStemWeights } from "../../../src/stem/weights.ts";
import { maxAbs, maxAbsDiff, spec } from "../../_helpers.ts";
import { assertSameFunction, assertValidFusion } from "./_nets.ts";

const VARIANTS = [
  { branches: 1, scaleBranch: true, se: false, activation: "gelu" as const },
  { branches: 4, scaleBranch: true, se: false, activation: "gelu" as const },
  { branches: 1, scaleBranch: false, se: false, activation: "relu" as const },
  { branches: 4, scaleBranch: false, se: true, activation: "relu" as const },
  { branches: 4, scaleBranch: true, se: true, activation: "gelu" as const },
  { branches: 1, scaleBranch: true, se: true, activation: "relu" as const },
];

function convOf(graph: Graph, block: number): Node {
  const convs = graph.nodes.filter((n) =>
    n.opType === "Conv" && n.tag?.block === block && n.tag.branch === "conv"
  );
  assert.equal(convs.length, 1, `one fused conv in block ${block}`);
  return convs[0];
}

function tensor(graph: Graph, name: string): Float32Array {
  const t = graph.initializers.find((i) => i.name === name);
  assert.ok(t, `initializer ${name}`);
  return t.data;
}

for (const v of VARIANTS) {
  const name =
    `B=${v.branches}, scale ${v.scaleBranch ? "on" : "off"}, SE ${v.se ? "on" : "off"}, ` +
    v.activation;
  Deno.test(`fuseGraph() of the multi-branch stem equals buildReparamStem: ${name}`, async () => {
    const s = spec({ ...v, width: 16 });
    const weights = randomStemWeights(s, 42 + v.branches);
    const input = { batchSize: 1, resolution: 16 };
    const multi = buildMultiBranchStem(s, weights, input);
    const deploy = buildReparamStem(s, weights, input);
    const { graph: fused, merges } = fuseGraph(multi);
    assert.deepEqual(opHistogram(fused), opHistogram(deploy));
    assert.equal(merges.length, 3);
    for (const block of [1, 2, 3]) {
      const [a, b] = [convOf(fused, block), convOf(deploy, block)];
      for (const key of ["kernel_shape", "strides", "pads", "group"]) {
        assert.deepEqual(a.attributes[key], b.attributes[key], `block ${block} ${key}`);
      }
      for (const i of [1, 2]) {
        const [x, y] = [tensor(fused, a.inputs[i]), tensor(deploy, b.inputs[i])];
        assert.ok(maxAbsDiff(x, y) <= 1e-6 * maxAbs(y), `block ${block} input ${i}`);
      }
    }
    assertValidFusion(multi, fused);
    await assertSameFunction(multi, fused, [1, 3, 16, 16]);
  });
}
