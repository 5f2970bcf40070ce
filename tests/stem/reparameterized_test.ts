/** Tests for buildReparamStem: deploy structure, and equivalence through onnxruntime. */
import assert from "node:assert/strict";
import type { Graph } from "../../src/onnx/ir.ts";
import { numel } from "../../src/onnx/ir.ts";
import { buildMultiBranchStem } from "../../src/stem/multi_branch.ts";
import { buildReparamStem, reparameterizeStem } from "../../src/stem/reparameterized.ts";
import type { StemSpec } from "../../src/stem/spec.ts";
import { randomInput, randomStemWeights } from "../../src/stem/weights.ts";
import { histogram, maxAbs, maxAbsDiff, referenceStem, runModel, spec } from "../_helpers.ts";

// 1e-4: the README's stem section asks for fp32 rounding (about 1e-5) between the forms; outputs reach ~20 here
// and both forms round through three blocks, observed <= 5e-6, so 1e-4 leaves a 20x margin
const FORMS_TOLERANCE = 1e-4;
// 5e-5: the float64 reference has no rounding of its own (its erf is within 1.5e-7 * |x| / 2),
// so this bounds ORT's fp32 rounding alone; observed <= 5e-6 at these sizes
const REFERENCE_TOLERANCE = 5e-5;

const geo = { batchSize: 2, resolution: 32 };

Deno.test("buildReparamStem() has one Conv per block plus the tail", () => {
  const cases: [Partial<StemSpec>, Record<string, number>][] = [
    [{}, { Conv: 3, Div: 3, Erf: 3, Add: 3, Mul: 6 }],
    [{ branches: 4, activation: "relu" }, { Conv: 3, Relu: 3 }],
    [{ activation: "none", scaleBranch: false }, { Conv: 3 }],
    [{ se: true, activation: "relu" }, {
      Conv: 3 + 6,
      GlobalAveragePool: 3,
      Relu: 3 + 3,
      Sigmoid: 3,
      Mul: 3,
    }],
  ];
  for (const [o, expected] of cases) {
    const s = spec(o);
    const g = buildReparamStem(s, randomStemWeights(s, 1), geo);
    assert.deepEqual(histogram(g.nodes), expected, JSON.stringify(o));
    for (const n of g.nodes) assert.ok(n.tag && [1, 2, 3].includes(n.tag.block), n.name);
  }
});

Deno.test("buildReparamStem() convs carry a bias and the fused kernel shapes", () => {
  const s = spec({ width: 8, branches: 3 });
  const g = buildReparamStem(s, randomStemWeights(s, 1), geo);
  const convs = g.nodes.filter((n) => n.opType === "Conv");
  assert.deepEqual(convs.map((n) => n.tag), [1, 2, 3].map((block) => ({ block, branch: "conv" })));
  const dims = (name: string) => g.initializers.find((t) => t.name === name)?.dims;
  assert.deepEqual(convs.map((n) => [dims(n.inputs[1]), dims(n.inputs[2])]), [
    [[8, 3, 3, 3], [8]],
    [[8, 1, 3, 3], [8]],
    [[8, 8, 1, 1], [8]],
  ]);
});

Deno.test("buildReparamStem() at C=64, B=1 holds C^2 + 39C = 6,592 parameters, for any B", () => {
  for (const branches of [1, 4]) {
    const s = spec({ width: 64, branches, activation: "relu" }); // relu: no scalar constants
    const g = buildReparamStem(s, randomStemWeights(s, 1), geo);
    assert.equal(g.initializers.reduce((a, t) => a + numel(t.dims), 0), 64 * 64 + 39 * 64);
  }
});

Deno.test("reparameterizeStem() fuses each block into [C, in/groups, k, k] plus [C]", () => {
  const s = spec({ width: 8, branches: 2 });
  const fused = reparameterizeStem(s, randomStemWeights(s, 3));
  assert.deepEqual(fused.map((f) => [f.weight.length, f.bias.length]), [[216, 8], [72, 8], [
    64,
    8,
  ]]);
});

/** Runs both forms and the float64 reference on one seeded batch. */
function buildAll(s: StemSpec, batchSize = 2, resolution = 32) {
  const w = randomStemWeights(s, 7);
  const input = randomInput(batchSize * s.inChannels * resolution * resolution, 11);
  const g = { batchSize, resolution };
  return {
    weights: w,
    input,
    multi: buildMultiBranchStem(s, w, g),
    deploy: buildReparamStem(s, w, g),
    reference: referenceStem(s, w, input, batchSize, resolution),
  };
}

const variants: [string, Partial<StemSpec>][] = [
  ["B=1", {}],
  ["B=4", { branches: 4 }],
  ["scale off", { scaleBranch: false }],
  ["SE on", { se: true }],
];

for (const width of [8, 48]) {
  for (const activation of ["gelu", "relu", "none"] as const) {
    for (const [name, o] of variants) {
      Deno.test(`buildReparamStem() matches multi-branch through ORT: C=${width}, ${activation}, ${name}`, async () => {
        const s = spec({ width, activation, ...o });
        const { multi, deploy, input, reference } = buildAll(s);
        const a = await runModel(multi, input);
        const b = await runModel(deploy, input);
        assert.deepEqual(a.dims, [2, width, 8, 8]);
        assert.ok(
          maxAbs(reference) > 1,
          "outputs are of order 1, so absolute tolerances mean something",
        );
        const forms = maxAbsDiff(a.data, b.data);
        assert.ok(forms <= FORMS_TOLERANCE, `multi-branch vs deploy ${forms}`);
        const ref = maxAbsDiff(a.data, reference);
        assert.ok(ref <= REFERENCE_TOLERANCE, `multi-branch vs float64 reference ${ref}`);
        const refDeploy = maxAbsDiff(b.data, reference);
        assert.ok(refDeploy <= REFERENCE_TOLERANCE, `deploy vs float64 reference ${refDeploy}`);
      });
    }
  }
}

/** A copy of the graph with one initializer's data changed. */
function mutate(g: Graph, name: string, f: (data: Float32Array) => void): Graph {
  assert.ok(g.initializers.some((t) => t.name === name), name);
  return {
    ...g,
    initializers: g.initializers.map((t) => {
      if (t.name !== name) return t;
      const data = Float32Array.from(t.data);
      f(data);
      return { ...t, data };
    }),
  };
}

Deno.test("buildReparamStem() check fails far beyond tolerance for deliberately wrong fusions", async () => {
  const c = 8;
  const s = spec({ width: c, activation: "gelu" });
  const { multi, deploy, input, weights } = buildAll(s);
  const want = (await runModel(multi, input)).data;
  const skip = weights[2].skip!;
  const noEps = weights.map((b) => ({
    ...b,
    conv: b.conv.map((c) => ({ ...c, bn: { ...c.bn, epsilon: 0 } })),
    ...(b.scale ? { scale: { ...b.scale, bn: { ...b.scale.bn, epsilon: 0 } } } : {}),
    ...(b.skip ? { skip: { ...b.skip, epsilon: 0 } } : {}),
  }));
  const skipScale = (i: number) => skip.gamma[i] / Math.sqrt(skip.variance[i] + skip.epsilon);
  const wrong: [string, Graph][] = [
    // skip identity laid out as for a depthwise conv ([c, 0]) in the dense 1x1 block 3
    [
      "group-unaware identity",
      mutate(deploy, "block3.conv.weight", (w) => {
        for (let i = 1; i < c; i++) (w[i * c + i] -= skipScale(i), w[i * c] += skipScale(i));
      }),
    ],
    // block 1's folded 1x1 scale kernel placed at the corner tap instead of the centre
    [
      "scale at the corner tap",
      mutate(deploy, "block1.conv.weight", (w) => {
        const scale = weights[0].scale!;
        for (let o = 0; o < c; o++) {
          const g = scale.bn.gamma[o] / Math.sqrt(scale.bn.variance[o] + scale.bn.epsilon);
          for (let i = 0; i < 3; i++) {
            const v = scale.weight[o * 3 + i] * g;
            (w[(o * 3 + i) * 9 + 4] -= v, w[(o * 3 + i) * 9] += v);
          }
        }
      }),
    ],
    // the skip branch dropped from block 3's bias (its BN shift beta - mean * scale)
    // every BN folded with eps = 0 (variances down to ~0.1 make this visible)
    ["BN epsilon ignored", buildReparamStem(s, noEps, geo)],
    [
      "skip bias dropped",
      mutate(deploy, "block3.conv.bias", (b) => {
        for (let i = 0; i < c; i++) b[i] -= skip.beta[i] - skip.mean[i] * skipScale(i);
      }),
    ],
  ];
  for (const [name, g] of wrong) {
    const err = maxAbsDiff((await runModel(g, input)).data, want);
    // 50x the tolerance: a real fusion bug must not hide in the tolerance's margin
    assert.ok(err > 50 * FORMS_TOLERANCE, `${name}: ${err}`);
  }
});
