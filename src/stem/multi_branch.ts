/**
 * The train-time (multi-branch) RepStem as an ONNX graph: per block, B kxk conv + BN branches,
 * the 1x1 scale conv + BN branch, the BN-only skip branch, summed by a chain of Adds, then SE and
 * the activation.
 *
 * @module
 */
import type { Graph } from "../onnx/ir.ts";
import { GraphBuilder, INPUT_NAME, OUTPUT_NAME } from "./_builder.ts";
import {
  blockOutputSize,
  type BlockSpec,
  stemBlocks,
  type StemSpec,
  type StemWeights,
} from "./spec.ts";

/** Input geometry of a built stem. */
export interface InputGeometry {
  /** Batch size N. */
  readonly batchSize: number;
  /** Square input resolution R (height = width = R). */
  readonly resolution: number;
}

/**
 * Checks an input geometry: batch size and resolution must be positive integers.
 *
 * @throws {RangeError} Naming the field that is not.
 */
export function checkGeometry(input: InputGeometry): void {
  for (
    const [name, v] of [["batchSize", input.batchSize], ["resolution", input.resolution]] as const
  ) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(
        `Cannot build stem as '${name}' must be a positive integer: current value is ${v}`,
      );
    }
  }
}

/** Checks the input geometry and the weights against the spec; returns the blocks. */
export function checkBuildInputs(
  spec: StemSpec,
  weights: StemWeights,
  input: InputGeometry,
): readonly BlockSpec[] {
  stemBlocks(spec); // the spec first, then the geometry, then the weights
  checkGeometry(input);
  return checkWeights(spec, weights);
}

/**
 * Checks train-time weights against the spec: one entry per block, each with the branches the
 * block has.
 *
 * @returns The blocks.
 * @throws {RangeError} For an invalid spec.
 * @throws {TypeError} When the weights do not fit the spec.
 */
export function checkWeights(spec: StemSpec, weights: StemWeights): readonly BlockSpec[] {
  const blocks = stemBlocks(spec);
  if (weights.length !== blocks.length) {
    throw new TypeError(
      `Cannot build stem as weights have ${weights.length} blocks, expected ${blocks.length}`,
    );
  }
  blocks.forEach((b, i) => {
    const w = weights[i];
    if (
      w.conv.length !== b.branches || !!w.scale !== b.hasScale || !!w.skip !== b.hasSkip ||
      !!w.se !== b.se
    ) {
      throw new TypeError(
        `Cannot build stem as the weights of block ${b.index} do not match its branches`,
      );
    }
  });
  return blocks;
}

/** Output shape [N, C, H, W] of the stem for an input geometry. */
export function stemOutputShape(spec: StemSpec, input: InputGeometry): number[] {
  const size = stemBlocks(spec).reduce((s, b) => blockOutputSize(b, s), input.resolution);
  return [input.batchSize, spec.width, size, size];
}

/**
 * A stem graph (either form, built by this module or reparameterized.ts) at another input
 * geometry: the same nodes and initializers, which do not depend on it, with the input and
 * output shapes of `input`. Equal to the graph built at `input`, without building it again.
 *
 * @param graph A stem graph built for `spec`.
 * @param spec The stem it was built for.
 * @param input The batch size and resolution to give it.
 * @returns The graph at `input`; it shares its nodes and initializers with `graph`.
 * @throws {RangeError} For an invalid spec or geometry.
 */
export function reshapeStem(graph: Graph, spec: StemSpec, input: InputGeometry): Graph {
  const outputShape = stemOutputShape(spec, input); // checks the spec first, as a build does
  checkGeometry(input);
  return {
    ...graph,
    inputs: [{
      name: INPUT_NAME,
      shape: [input.batchSize, spec.inChannels, input.resolution, input.resolution],
    }],
    outputs: [{ name: OUTPUT_NAME, shape: outputShape }],
  };
}

/**
 * Builds the multi-branch (train-time structure, inference-mode BN) stem graph.
 *
 * @param spec The stem.
 * @param weights Train-time weights for the spec.
 * @param input Batch size and resolution (static shapes: onnxruntime fuses more with them).
 * @returns The graph, every node tagged with its block and branch.
 * @throws {RangeError} For an invalid spec or geometry.
 * @throws {TypeError} When the weights do not fit the spec.
 */
export function buildMultiBranchStem(
  spec: StemSpec,
  weights: StemWeights,
  input: InputGeometry,
): Graph {
  const blocks = checkBuildInputs(spec, weights, input);
  const g = new GraphBuilder();
  let x = INPUT_NAME;
  for (const [i, block] of blocks.entries()) {
    const w = weights[i];
    const p = `block${block.index}`;
    const geometry = { stride: block.stride, pad: block.pad, groups: block.groups };
    const outs: string[] = [];
    w.conv.forEach((b, n) => {
      const tag = { block: block.index, branch: `kxk${n}` };
      const c = g.conv(
        `${p}.kxk${n}.conv`,
        x,
        { data: b.weight, dims: b.shape },
        undefined,
        geometry,
        tag,
      );
      outs.push(g.batchNorm(`${p}.kxk${n}.bn`, c, b.bn, tag));
    });
    if (w.scale) {
      const tag = { block: block.index, branch: "scale" };
      const geo1 = { ...geometry, pad: 0 };
      const c = g.conv(
        `${p}.scale.conv`,
        x,
        { data: w.scale.weight, dims: w.scale.shape },
        undefined,
        geo1,
        tag,
      );
      outs.push(g.batchNorm(`${p}.scale.bn`, c, w.scale.bn, tag));
    }
    if (w.skip) {
      outs.push(g.batchNorm(`${p}.skip.bn`, x, w.skip, { block: block.index, branch: "skip" }));
    }
    let sum = outs[0];
    for (let n = 1; n < outs.length; n++) {
      sum = g.node("Add", `${p}.add${n}`, [sum, outs[n]], { block: block.index, branch: "add" });
    }
    x = g.tail(p, sum, block, w.se);
  }
  const inputShape = [input.batchSize, spec.inChannels, input.resolution, input.resolution];
  return g.finish("repstem_multi_branch", inputShape, x, stemOutputShape(spec, input));
}
