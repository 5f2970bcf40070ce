/**
 * Test networks built with the IR, the way PyTorch exports them: seeded weights, BatchNorms with
 * statistics far from identity, constants as initializers or Constant nodes, and a runner that
 * checks that two graphs compute the same function on onnxruntime.
 */
import assert from "node:assert/strict";
import type { Attribute, Graph, Initializer, Node } from "../../../src/onnx/ir.ts";
import { float, int, ints, numel } from "../../../src/onnx/ir.ts";
import { createRandom } from "../../../src/stats/random.ts";
import { randomInput } from "../../../src/stem/weights.ts";
import { maxAbs, maxAbsDiff, runModel } from "../../_helpers.ts";

/** A Conv to add: kernel `k` (or `[kh, kw]`), pads `[top, left, bottom, right]`. */
export interface ConvSpec {
  readonly cout: number;
  readonly k?: number | readonly [number, number];
  readonly stride?: number;
  /** Default: "same" padding `floor(k / 2)` on every side. */
  readonly pads?: number | readonly [number, number, number, number];
  readonly group?: number;
  readonly bias?: boolean;
  readonly dilation?: number;
}

/** How a net stores its constants. */
export interface NetOptions {
  /** Weights as `Constant` nodes instead of initializers. */
  readonly constantNodes?: boolean;
}

/** A graph under construction; every method returns the name of the tensor it wrote. */
export class Net {
  readonly nodes: Node[] = [];
  readonly initializers: Initializer[] = [];
  readonly channels = new Map<string, number>();
  readonly random: () => number;
  #count = 0;

  constructor(seed: number, readonly options: NetOptions = {}) {
    this.random = createRandom(seed);
  }

  /** Values uniform in [lo, hi). */
  uniform(n: number, lo: number, hi: number): Float32Array {
    return Float32Array.from({ length: n }, () => lo + (hi - lo) * this.random());
  }

  /** A float32 constant as an initializer or a Constant node. */
  constant(dims: readonly number[], data: Float32Array, base = "const"): string {
    const name = `${base}_${this.#count++}`;
    if (!this.options.constantNodes) {
      this.initializers.push({ name, dims, data });
      return name;
    }
    const value: Attribute = { type: "tensor", value: { name, dims, data } };
    this.nodes.push({
      name: `${name}_node`,
      opType: "Constant",
      inputs: [],
      outputs: [name],
      attributes: { value },
    });
    return name;
  }

  /** A node with one output; its channel count is `channels` or that of its first input. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, Attribute> = {},
    channels?: number,
  ): string {
    const name = `${opType.toLowerCase()}_${this.#count++}`;
    const out = `${name}_out`;
    this.nodes.push({ name, opType, inputs, outputs: [out], attributes });
    this.channels.set(out, channels ?? this.channels.get(inputs[0]) ?? 0);
    return out;
  }

  /** A conv with Kaiming-uniform weights (a random gain per output channel). */
  conv(x: string, s: ConvSpec): string {
    const cin = this.channels.get(x)!;
    const group = s.group ?? 1;
    const [kh, kw] = typeof s.k === "object" ? s.k : [s.k ?? 1, s.k ?? 1];
    const pads = s.pads === undefined
      ? [kh >> 1, kw >> 1, kh >> 1, kw >> 1]
      : typeof s.pads === "number"
      ? [s.pads, s.pads, s.pads, s.pads]
      : s.pads;
    const fanIn = (cin / group) * kh * kw;
    const w = new Float32Array(s.cout * fanIn);
    for (let o = 0; o < s.cout; o++) {
      const bound = (0.5 + this.random()) * Math.sqrt(3 / fanIn);
      w.set(this.uniform(fanIn, -bound, bound), o * fanIn);
    }
    const inputs = [x, this.constant([s.cout, cin / group, kh, kw], w, "w")];
    if (s.bias) inputs.push(this.constant([s.cout], this.uniform(s.cout, -0.5, 0.5), "b"));
    const d = s.dilation ?? 1;
    return this.op("Conv", inputs, {
      kernel_shape: ints([kh, kw]),
      strides: ints([s.stride ?? 1, s.stride ?? 1]),
      pads: ints(pads),
      dilations: ints([d, d]),
      group: int(group),
    }, s.cout);
  }

  /** Inference BatchNorm: gamma of both signs, running var 0.01..10, nonzero mean and beta. */
  bn(x: string, epsilon = 1e-5): string {
    const c = this.channels.get(x)!;
    const gamma = this.uniform(c, 0.5, 1.5).map((g) => (this.random() < 0.5 ? -g : g));
    const variance = Float32Array.from({ length: c }, () => 0.01 * 1000 ** this.random());
    const params = [gamma, this.uniform(c, -0.5, 0.5), this.uniform(c, -0.5, 0.5), variance];
    const names = params.map((p, i) => this.constant([c], p, ["gamma", "beta", "mean", "var"][i]));
    return this.op("BatchNormalization", [x, ...names], { epsilon: float(epsilon) });
  }

  add(a: string, b: string): string {
    return this.op("Add", [a, b]);
  }

  relu(x: string): string {
    return this.op("Relu", [x]);
  }

  /** Sums tensors with a left-leaning chain of Adds. */
  sum(parts: readonly string[]): string {
    return parts.slice(1).reduce((acc, p) => this.add(acc, p), parts[0]);
  }

  /** The finished graph, reading `input` and writing `output`. */
  graph(input: Input, output: string, opset = 17): Graph {
    const nodes = this.nodes.map((n) => ({
      ...n,
      outputs: n.outputs.map((o) => (o === output ? "output" : o)),
      inputs: n.inputs.map((i) => (i === output ? "output" : i)),
    }));
    return {
      name: "net",
      opset,
      inputs: [{
        name: input.name,
        shape: input.shape,
        ...(input.dimNames ? { dimNames: input.dimNames } : {}),
      }],
      outputs: [{ name: "output", shape: [], unranked: true }],
      initializers: this.initializers,
      nodes,
    };
  }

  /** Declares a graph input of `shape` (channels at index 1). */
  input(name: string, shape: readonly number[], dimNames?: readonly (string | undefined)[]): Input {
    this.channels.set(name, shape[1]);
    return { name, shape, dimNames };
  }
}

/** A graph input declared by {@linkcode Net.input}. */
export interface Input {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dimNames?: readonly (string | undefined)[];
}

/** The graph with its first input's dynamic dims set from `shape`, so that it can be run. */
function concrete(graph: Graph, shape: readonly number[]): Graph {
  return { ...graph, inputs: [{ ...graph.inputs[0], shape }, ...graph.inputs.slice(1)] };
}

/**
 * Runs both graphs on onnxruntime CPU with one seeded input of `shape` and checks that they agree.
 * Tolerance: fp32 rounding, 1e-5 relative to the largest output magnitude (1e-6 absolute floor).
 *
 * @returns The largest absolute difference and the largest output magnitude.
 */
export async function assertSameFunction(
  a: Graph,
  b: Graph,
  shape: readonly number[],
  seed = 7,
  relTol = 1e-5,
): Promise<{ err: number; scale: number }> {
  const input = randomInput(numel(shape), seed);
  const ra = await runModel(concrete(a, shape), input);
  const rb = await runModel(concrete(b, shape), input);
  assert.deepEqual(rb.dims, ra.dims);
  const err = maxAbsDiff(ra.data, rb.data);
  const scale = maxAbs(ra.data);
  assert.ok(scale > 0.1, `output is too small to compare (${scale})`);
  assert.ok(err <= relTol * scale + 1e-6, `max abs error ${err} vs output magnitude ${scale}`);
  return { err, scale };
}

/** Op counts without Constant nodes. */
export function ops(graph: Graph): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of graph.nodes) if (n.opType !== "Constant") h[n.opType] = (h[n.opType] ?? 0) + 1;
  return h;
}

/**
 * Checks that a fused graph is valid next to its original: nodes in topological order, every
 * input defined, no initializer or Constant left unused, inputs, outputs, name, opset and model
 * info unchanged.
 */
export function assertValidFusion(original: Graph, fused: Graph): void {
  assert.equal(fused.name, original.name);
  assert.equal(fused.opset, original.opset);
  assert.equal(fused.inputs, original.inputs);
  assert.equal(fused.outputs, original.outputs);
  assert.equal(fused.model, original.model);
  const defined = new Set([
    ...fused.inputs.map((i) => i.name),
    ...fused.initializers.map((t) => t.name),
  ]);
  const used = new Set(fused.outputs.map((o) => o.name));
  for (const n of fused.nodes) {
    for (const i of n.inputs) {
      assert.ok(!i || defined.has(i), `"${i}" used by "${n.name}" before defined`);
      used.add(i);
    }
    n.outputs.forEach((o) => defined.add(o));
  }
  for (const t of fused.initializers) assert.ok(used.has(t.name), `initializer "${t.name}" unused`);
  for (const n of fused.nodes) {
    assert.ok(n.outputs.some((o) => used.has(o)), `node "${n.name}" is dead`);
  }
  const names = fused.nodes.map((n) => n.name);
  assert.equal(new Set(names).size, names.length, "node names are unique");
}
