/**
 * countGraph's work done once per graph structure: counts of re-shaped graphs, the per-node
 * option, the memo, and the cache simulation and traffic bounds against the straightforward
 * algorithm they replaced (maps of names, a Map as the LRU), on random graphs.
 */
import assert from "node:assert/strict";
import type { Graph, Initializer, Node } from "../../src/onnx/ir.ts";
import { ints, numel } from "../../src/onnx/ir.ts";
import { inferShapesPartial } from "../../src/onnx/shapes.ts";
import { withInputShape } from "../../src/onnx/input_shape.ts";
import { DataType, elementSize } from "../../src/onnx/_values.ts";
import { countGraph } from "../../src/profile/counts.ts";
import { buildMultiBranchStem, reshapeStem } from "../../src/stem/multi_branch.ts";
import { randomStemWeights } from "../../src/stem/weights.ts";
import { createRandom } from "../../src/stats/random.ts";

const SPEC = {
  inChannels: 3,
  width: 16,
  branches: 3,
  scaleBranch: true,
  se: true,
  activation: "gelu",
} as const;
const WEIGHTS = randomStemWeights(SPEC, 11);

Deno.test("countGraph() counts a re-shaped graph as the graph built at its shape", () => {
  const first = buildMultiBranchStem(SPEC, WEIGHTS, { batchSize: 1, resolution: 32 });
  countGraph(first, { cacheBytes: 1 << 20 });
  for (const geometry of [{ batchSize: 2, resolution: 64 }, { batchSize: 3, resolution: 40 }]) {
    const fresh = buildMultiBranchStem(SPEC, WEIGHTS, geometry);
    for (const cacheBytes of [0, 50_000, 1 << 20, Infinity]) {
      assert.deepEqual(
        countGraph(reshapeStem(first, SPEC, geometry), { cacheBytes }),
        countGraph(fresh, { cacheBytes }),
      );
    }
  }
});

Deno.test("countGraph() counts a graph at each inputShapes as the graph at that shape", () => {
  const g = buildMultiBranchStem(SPEC, WEIGHTS, { batchSize: 1, resolution: 32 });
  const dynamic: Graph = { ...g, inputs: [{ name: "input", shape: [-1, 3, -1, -1] }] };
  for (const shape of [[1, 3, 32, 32], [4, 3, 48, 48], [2, 3, 32, 32]]) {
    const options = { cacheBytes: 100_000, inputShapes: new Map([["input", shape]]) };
    assert.deepEqual(
      countGraph(dynamic, options),
      countGraph(withInputShape(g, "input", shape), { cacheBytes: 100_000 }),
    );
  }
});

Deno.test("countGraph() without perNode gives the same sums and no nodes", () => {
  const g = buildMultiBranchStem(SPEC, WEIGHTS, { batchSize: 2, resolution: 24 });
  for (const cacheBytes of [0, 20_000, Infinity]) {
    const all = countGraph(g, { cacheBytes });
    const sums = countGraph(g, { cacheBytes, perNode: false });
    assert.equal(all.nodes.length, g.nodes.length);
    assert.deepEqual(sums, { ...all, nodes: [] });
  }
});

Deno.test("countGraph() returns the counts it made for the same graph and options", () => {
  const g = buildMultiBranchStem(SPEC, WEIGHTS, { batchSize: 1, resolution: 16 });
  const a = countGraph(g, { cacheBytes: 4096 });
  assert.equal(countGraph(g, { cacheBytes: 4096 }), a);
  assert.equal(countGraph({ ...g }, { cacheBytes: 4096, elementBytes: 4 }), a, "same structure");
  const others = [
    countGraph(g, { cacheBytes: 8192 }),
    countGraph(g, { cacheBytes: 4096, elementBytes: 2 }),
    countGraph(g, { cacheBytes: 4096, perNode: false }),
    countGraph(reshapeStem(g, SPEC, { batchSize: 2, resolution: 16 }), { cacheBytes: 4096 }),
  ];
  for (const other of others) assert.notDeepEqual(other, a);
  // options are still checked on a repeat
  assert.throws(() => countGraph(g, { cacheBytes: -1 }), RangeError);
  assert.throws(
    () => countGraph(g, { cacheBytes: 4096, inputShapes: new Map([["nope", [1]]]) }),
    TypeError,
  );
});

// The algorithms countGraph's traffic used to run, by tensor name, as the reference.

function distinctInputs(node: Node): string[] {
  return [...new Set(node.inputs.filter((name) => name !== ""))];
}

function nodeOutputs(node: Node): string[] {
  return node.outputs.filter((name) => name !== "");
}

function referenceMinimum(
  nodes: readonly Node[],
  members: ReadonlySet<number>,
  sizeOf: (t: string) => number,
  graphOutputs: ReadonlySet<string>,
): number {
  const produced = new Set<string>();
  const read = new Set<string>();
  const readOutside = new Set<string>();
  nodes.forEach((node, i) => {
    if (members.has(i)) nodeOutputs(node).forEach((t) => produced.add(t));
  });
  nodes.forEach((node, i) => {
    for (const t of distinctInputs(node)) (members.has(i) ? read : readOutside).add(t);
  });
  let bytes = 0;
  for (const t of read) if (!produced.has(t)) bytes += sizeOf(t);
  for (const t of produced) if (graphOutputs.has(t) || readOutside.has(t)) bytes += sizeOf(t);
  return bytes;
}

function referenceCache(
  nodes: readonly Node[],
  sizeOf: (t: string) => number,
  graphOutputs: ReadonlySet<string>,
  capacity: number,
): number[] {
  const lastUse = new Map<string, number>();
  nodes.forEach((node, i) => distinctInputs(node).forEach((t) => lastUse.set(t, i)));
  const producer = new Map<string, number>();
  const cost = nodes.map(() => 0);
  const entries = new Map<string, { size: number; dirty: boolean }>();
  let used = 0;
  let current = 0;
  let pending = new Set<string>();
  const needed = (t: string) =>
    graphOutputs.has(t) || (lastUse.get(t) ?? -1) > current || pending.has(t);
  const drop = (t: string) => {
    const e = entries.get(t);
    if (!e) return;
    entries.delete(t);
    used -= e.size;
  };
  const insert = (t: string, entry: { size: number; dirty: boolean }) => {
    while (used + entry.size > capacity) {
      const [victim, e] = entries.entries().next().value!;
      drop(victim);
      if (e.dirty && needed(victim)) cost[producer.get(victim)!] += e.size;
    }
    entries.set(t, entry);
    used += entry.size;
  };
  for (const [i, node] of nodes.entries()) {
    current = i;
    const inputs = distinctInputs(node);
    pending = new Set(inputs);
    for (const t of inputs) {
      pending.delete(t);
      const e = entries.get(t);
      if (e) {
        entries.delete(t);
        entries.set(t, e);
        continue;
      }
      const size = sizeOf(t);
      cost[i] += size;
      if (size <= capacity) insert(t, { size, dirty: false });
    }
    for (const t of inputs) if (!needed(t)) drop(t);
    for (const t of nodeOutputs(node)) {
      producer.set(t, i);
      const size = sizeOf(t);
      if (!(size <= capacity)) cost[i] += size;
      else if (needed(t)) insert(t, { size, dirty: true });
    }
  }
  for (const [t, e] of entries) {
    if (e.dirty && graphOutputs.has(t)) cost[producer.get(t)!] += e.size;
  }
  return cost;
}

/** A random graph of elementwise ops, convs, splits, an unknown op; reads twice; tagged blocks. */
function randomGraph(random: () => number): Graph {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const c = pick([1, 2, 4]), h = pick([2, 4, 8]);
  const initializers: Initializer[] = [
    { name: "w", dims: [c, c, 1, 1], data: new Float32Array(c * c) },
    { name: "half", dims: [], data: new Float32Array([0.5]) },
  ];
  const tensors = ["x"];
  const nodes: Node[] = [];
  for (let i = 0; i < 2 + Math.floor(random() * 14); i++) {
    const [a, b] = [pick(tensors), pick(tensors)];
    const out = `t${i}`;
    const tag = random() < 0.8 ? { block: pick([2, 1, 3]), branch: "x" } : undefined;
    const node = (opType: string, inputs: string[], outputs = [out], attributes = {}) =>
      nodes.push({ name: `n${i}`, opType, inputs, outputs, attributes, ...(tag ? { tag } : {}) });
    const kind = pick(["Relu", "Add", "AddSelf", "Mul", "Scale", "Sum", "Conv", "Split", "Foo"]);
    if (kind === "Relu") node("Relu", [a]);
    else if (kind === "Add") node("Add", [a, b]);
    else if (kind === "AddSelf") node("Add", [a, a]);
    else if (kind === "Mul") node("Mul", [b, a]);
    else if (kind === "Scale") node("Mul", [a, "half"]);
    else if (kind === "Sum") node("Sum", [a, b, a]);
    else if (kind === "Conv") node("Conv", [a, "w"], [out], { kernel_shape: ints([1, 1]) });
    else if (kind === "Split") {
      node("Split", [a], [out, "", `${out}b`], { axis: { type: "int", value: 3 } });
      tensors.push(`${out}b`);
    } else node("com.example.Foo", [a]);
    tensors.push(out);
  }
  const outputs = new Set([nodes[nodes.length - 1].outputs[0], pick(tensors), pick(tensors)]);
  return {
    name: "random",
    opset: 17,
    inputs: [{ name: "x", shape: [1, c, h, h] }],
    outputs: [...outputs].map((name) => ({ name, shape: [-1] })),
    initializers,
    nodes,
  };
}

Deno.test("countGraph() traffic equals the name-by-name reference algorithms on random graphs", () => {
  const random = createRandom(2024);
  for (let trial = 0; trial < 400; trial++) {
    const g = randomGraph(random);
    const elementBytes = [4, 2, 2.5][trial % 3];
    const { shapes, types } = inferShapesPartial(g);
    const sizeOf = (t: string) => {
      const s = shapes.get(t);
      if (!s) return 0;
      const type = types.get(t) ?? DataType.FLOAT;
      return numel(s) * (type === DataType.FLOAT ? elementBytes : elementSize(type));
    };
    const outputs = new Set(g.outputs.map((o) => o.name));
    const unit = sizeOf("x");
    for (const cacheBytes of [0, unit, 2 * unit, 3.5 * unit, 8 * unit, Infinity]) {
      const counts = countGraph(g, { cacheBytes, elementBytes });
      const where = `trial ${trial}, cache ${cacheBytes}`;
      assert.deepEqual(
        counts.nodes.map((n) => n.bytes.cached),
        referenceCache(g.nodes, sizeOf, outputs, cacheBytes),
        where,
      );
      const all = new Set(g.nodes.map((_, i) => i));
      assert.equal(counts.total.bytes.minimum, referenceMinimum(g.nodes, all, sizeOf, outputs));
      for (const b of counts.blocks) {
        const members = new Set(g.nodes.flatMap((n, i) => (n.tag?.block === b.block ? [i] : [])));
        assert.equal(
          b.bytes.minimum,
          referenceMinimum(g.nodes, members, sizeOf, outputs),
          `${where}, block ${b.block}`,
        );
      }
    }
  }
});
