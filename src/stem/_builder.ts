/**
 * A tiny graph builder shared by the two stem forms: unique names, tagged nodes, and the
 * parts both forms have after the branch sum (SE, activation).
 *
 * @module
 */
import type { Attribute, Graph, Initializer, Node, NodeTag } from "../onnx/ir.ts";
import { float, int, ints } from "../onnx/ir.ts";
import type { Activation, BatchNorm, BlockSpec, SeWeights } from "./spec.ts";

/** ONNX opset of every built graph: 17, the newest that Debian's python3-onnx 1.12 checks. */
export const OPSET = 17;

/** Name of the graph input. */
export const INPUT_NAME = "input";

/** Name of the graph output. */
export const OUTPUT_NAME = "output";

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Initializer[] = [];
  #constants = new Map<number, string>();

  constant(name: string, dims: readonly number[], data: Float32Array): string {
    this.initializers.push({ name, dims, data });
    return name;
  }

  /** A scalar float constant, shared by every use of the same value. */
  scalar(value: number): string {
    const existing = this.#constants.get(value);
    if (existing) return existing;
    const name = `const_${this.#constants.size}`;
    this.#constants.set(value, name);
    return this.constant(name, [], new Float32Array([value]));
  }

  node(
    opType: string,
    name: string,
    inputs: readonly string[],
    tag: NodeTag,
    attributes: Record<string, Attribute> = {},
  ): string {
    const output = `${name}_out`;
    this.nodes.push({ name, opType, inputs, outputs: [output], attributes, tag });
    return output;
  }

  conv(
    name: string,
    x: string,
    weight: { data: Float32Array; dims: readonly number[] },
    bias: Float32Array | undefined,
    geometry: { stride: number; pad: number; groups: number },
    tag: NodeTag,
  ): string {
    const w = this.constant(`${name}.weight`, weight.dims, weight.data);
    const inputs = [x, w];
    if (bias) inputs.push(this.constant(`${name}.bias`, [bias.length], bias));
    const k = weight.dims[2];
    const { stride: s, pad: p } = geometry;
    return this.node("Conv", name, inputs, tag, {
      kernel_shape: ints([k, k]),
      strides: ints([s, s]),
      pads: ints([p, p, p, p]),
      group: int(geometry.groups),
    });
  }

  batchNorm(name: string, x: string, bn: BatchNorm, tag: NodeTag): string {
    const c = [bn.gamma.length];
    return this.node(
      "BatchNormalization",
      name,
      [
        x,
        this.constant(`${name}.scale`, c, bn.gamma),
        this.constant(`${name}.bias`, c, bn.beta),
        this.constant(`${name}.mean`, c, bn.mean),
        this.constant(`${name}.var`, c, bn.variance),
      ],
      tag,
      { epsilon: float(bn.epsilon) },
    );
  }

  /** Squeeze-excitation: mean -> 1x1 conv -> ReLU -> 1x1 conv -> sigmoid -> x * gate. */
  squeezeExcite(prefix: string, x: string, c: number, se: SeWeights, block: number): string {
    const tag = { block, branch: "se" };
    const r = se.reducedChannels;
    const one = { stride: 1, pad: 0, groups: 1 };
    const pooled = this.node("GlobalAveragePool", `${prefix}.se.pool`, [x], tag);
    const reduced = this.conv(
      `${prefix}.se.reduce`,
      pooled,
      { data: se.reduceWeight, dims: [r, c, 1, 1] },
      se.reduceBias,
      one,
      tag,
    );
    const relu = this.node("Relu", `${prefix}.se.relu`, [reduced], tag);
    const expanded = this.conv(
      `${prefix}.se.expand`,
      relu,
      { data: se.expandWeight, dims: [c, r, 1, 1] },
      se.expandBias,
      one,
      tag,
    );
    const gate = this.node("Sigmoid", `${prefix}.se.sigmoid`, [expanded], tag);
    return this.node("Mul", `${prefix}.se.mul`, [x, gate], tag);
  }

  /** Exact GELU as opset 17 spells it: x * 0.5 * (1 + erf(x / sqrt(2))), the pattern ORT fuses. */
  activation(prefix: string, x: string, activation: Activation, block: number): string {
    const tag = { block, branch: "act" };
    switch (activation) {
      case "none":
        return x;
      case "relu":
        return this.node("Relu", `${prefix}.act.relu`, [x], tag);
      case "gelu": {
        const div = this.node("Div", `${prefix}.act.div`, [x, this.scalar(Math.SQRT2)], tag);
        const erf = this.node("Erf", `${prefix}.act.erf`, [div], tag);
        const add = this.node("Add", `${prefix}.act.add`, [erf, this.scalar(1)], tag);
        const mul = this.node("Mul", `${prefix}.act.mul`, [x, add], tag);
        return this.node("Mul", `${prefix}.act.half`, [mul, this.scalar(0.5)], tag);
      }
    }
  }

  /** SE (when present) then the activation: the tail both forms share. */
  tail(prefix: string, x: string, block: BlockSpec, se: SeWeights | undefined): string {
    const gated = se ? this.squeezeExcite(prefix, x, block.outChannels, se, block.index) : x;
    return this.activation(prefix, gated, block.activation, block.index);
  }

  /** Finishes the graph, renaming the last tensor to the graph output. */
  finish(
    name: string,
    inputShape: readonly number[],
    last: string,
    outputShape: readonly number[],
  ): Graph {
    const nodes = this.nodes.map((n) =>
      n.outputs[0] === last ? { ...n, outputs: [OUTPUT_NAME] } : n
    );
    return {
      name,
      opset: OPSET,
      inputs: [{ name: INPUT_NAME, shape: inputShape }],
      outputs: [{ name: OUTPUT_NAME, shape: outputShape }],
      initializers: this.initializers,
      nodes: nodes.map((n) => ({
        ...n,
        inputs: n.inputs.map((i) => (i === last ? OUTPUT_NAME : i)),
      })),
    };
  }
}
