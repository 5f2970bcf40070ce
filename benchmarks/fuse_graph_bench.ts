/**
 * How long fuseGraph() takes on a MobileOne-style network of 50 convs (k = 4 branches, 1x1 scale
 * branches, BN skips, width 64, 56x56 input): planning, float64 composition and emission.
 *
 * Run: deno bench --allow-read --allow-env benchmarks/fuse_graph_bench.ts
 *
 * @module
 */
import type { Graph, Initializer, Node } from "../src/onnx/ir.ts";
import { float, int, ints } from "../src/onnx/ir.ts";
import { fuseGraph, opHistogram } from "../src/reparam/graph/fuse.ts";
import { createRandom } from "../src/stats/random.ts";

const WIDTH = 64;
const BRANCHES = 4;

/** Builds the train-time network: a stem block, then 5 stages of (dw 3x3 block, pw 1x1 block). */
function mobileOneNetwork(): Graph {
  const random = createRandom(2024);
  const nodes: Node[] = [];
  const initializers: Initializer[] = [];
  let n = 0;
  const constant = (dims: number[], f: () => number) => {
    const name = `c${n++}`;
    const size = dims.reduce((a, b) => a * b, 1);
    initializers.push({ name, dims, data: Float32Array.from({ length: size }, f) });
    return name;
  };
  const node = (opType: string, inputs: string[], attributes: Node["attributes"] = {}) => {
    const out = `t${n++}`;
    nodes.push({ name: `${opType}_${out}`, opType, inputs, outputs: [out], attributes });
    return out;
  };
  const bn = (x: string, c: number) =>
    node("BatchNormalization", [
      x,
      constant([c], () => random() + 0.5),
      constant([c], () => random() - 0.5),
      constant([c], () => random() - 0.5),
      constant([c], () => 0.01 + 2 * random()),
    ], { epsilon: float(1e-5) });
  const conv = (x: string, cin: number, cout: number, k: number, s: number, g: number) =>
    bn(
      node("Conv", [x, constant([cout, cin / g, k, k], () => random() - 0.5)], {
        kernel_shape: ints([k, k]),
        strides: ints([s, s]),
        pads: ints(Array(4).fill(k >> 1)),
        group: int(g),
      }),
      cout,
    );
  const block = (x: string, cin: number, cout: number, k: number, s: number, g: number) => {
    const outs = Array.from({ length: BRANCHES }, () => conv(x, cin, cout, k, s, g));
    if (k > 1) outs.push(conv(x, cin, cout, 1, s, g));
    if (cin === cout && s === 1) outs.push(bn(x, cin));
    return node("Relu", [outs.slice(1).reduce((a, b) => node("Add", [a, b]), outs[0])]);
  };
  let x = block("input", 3, WIDTH, 3, 2, 1);
  for (let stage = 0; stage < 5; stage++) {
    x = block(x, WIDTH, WIDTH, 3, stage === 0 ? 2 : 1, WIDTH);
    x = block(x, WIDTH, WIDTH, 1, 1, 1);
  }
  return {
    name: "mobileone_50",
    opset: 17,
    inputs: [{ name: "input", shape: [1, 3, 56, 56] }],
    outputs: [{ name: x, shape: [1, WIDTH, 14, 14] }],
    initializers,
    nodes,
  };
}

const graph = mobileOneNetwork();
const convs = opHistogram(graph).Conv;
if (convs !== 50) throw new Error(`expected 50 convs, built ${convs}`);

Deno.bench(`fuseGraph(): MobileOne-style, ${convs} convs, width ${WIDTH}`, () => {
  fuseGraph(graph);
});
