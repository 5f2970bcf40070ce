/**
 * The deploy (reparameterized) RepStem as an ONNX graph: per block one kxk conv with bias,
 * fused by the harness's own code (src/reparam), then SE and the activation.
 *
 * @module
 */
import type { Graph } from "../onnx/ir.ts";
import type { FusedConv } from "../reparam/fold_bn.ts";
import { reparameterizeBlock } from "../reparam/reparameterize.ts";
import { GraphBuilder, INPUT_NAME } from "./_builder.ts";
import {
  checkBuildInputs,
  checkGeometry,
  checkWeights,
  type InputGeometry,
  stemOutputShape,
} from "./multi_branch.ts";
import { type SeWeights, stemBlocks, type StemSpec, type StemWeights } from "./spec.ts";

/**
 * Fuses every block of a stem's train-time weights into its deploy conv.
 *
 * @returns One fused conv per block, in block order.
 */
export function reparameterizeStem(spec: StemSpec, weights: StemWeights): FusedConv[] {
  return stemBlocks(spec).map((b, i) =>
    reparameterizeBlock(weights[i], { kernel: b.kernel, groups: b.groups })
  );
}

/** The deploy weights of one block: its fused conv, and the SE unit it keeps unchanged. */
export interface DeployBlockWeights {
  /** Weight [out, in / groups, k, k] flattened, and bias [out]. */
  readonly conv: FusedConv;
  /** The block's SE unit, copied from the train-time weights; absent when the block has none. */
  readonly se?: SeWeights;
}

/** The deploy weights of a stem, one entry per block: all the reparameterized graph holds. */
export type DeployWeights = readonly DeployBlockWeights[];

/**
 * Fuses a stem's train-time weights into its deploy weights (once per spec: every batch size
 * and resolution of a spec shares them).
 *
 * @param spec The stem.
 * @param weights Train-time weights for the spec.
 * @returns Per block the fused conv and the SE unit.
 * @throws {RangeError} For an invalid spec.
 * @throws {TypeError} When the weights do not fit the spec.
 */
export function deployWeights(spec: StemSpec, weights: StemWeights): DeployWeights {
  checkWeights(spec, weights);
  return reparameterizeStem(spec, weights).map((conv, i) => {
    const se = weights[i].se;
    return se ? { conv, se } : { conv };
  });
}

/**
 * Builds the reparameterized stem graph from train-time weights.
 *
 * @param spec The stem.
 * @param weights Train-time weights for the spec (fused here).
 * @param input Batch size and resolution.
 * @returns The graph: per block Conv (with bias), SE nodes when asked, activation nodes.
 * @throws {RangeError} For an invalid spec or geometry.
 * @throws {TypeError} When the weights do not fit the spec.
 */
export function buildReparamStem(
  spec: StemSpec,
  weights: StemWeights,
  input: InputGeometry,
): Graph {
  checkBuildInputs(spec, weights, input);
  return buildDeployStem(spec, deployWeights(spec, weights), input);
}

/**
 * Builds the reparameterized stem graph from deploy weights already fused (see
 * {@linkcode deployWeights}): the same graph as {@linkcode buildReparamStem} gives for the
 * train-time weights they were fused from.
 *
 * @param spec The stem.
 * @param deploy Deploy weights for the spec.
 * @param input Batch size and resolution.
 * @returns The graph: per block Conv (with bias), SE nodes when asked, activation nodes.
 * @throws {RangeError} For an invalid spec or geometry.
 * @throws {TypeError} When the deploy weights do not fit the spec.
 */
export function buildDeployStem(
  spec: StemSpec,
  deploy: DeployWeights,
  input: InputGeometry,
): Graph {
  const blocks = stemBlocks(spec);
  checkGeometry(input);
  if (deploy.length !== blocks.length) {
    throw new TypeError(
      `Cannot build stem as deploy weights have ${deploy.length} blocks, expected ${blocks.length}`,
    );
  }
  const g = new GraphBuilder();
  let x = INPUT_NAME;
  for (const [i, block] of blocks.entries()) {
    const p = `block${block.index}`;
    const dims = [block.outChannels, block.inChannels / block.groups, block.kernel, block.kernel];
    const { conv: fused, se } = deploy[i];
    if (
      fused.weight.length !== dims.reduce((a, b) => a * b, 1) ||
      fused.bias.length !== block.outChannels || !!se !== block.se
    ) {
      throw new TypeError(
        `Cannot build stem as the deploy weights of block ${block.index} do not match it`,
      );
    }
    const geometry = { stride: block.stride, pad: block.pad, groups: block.groups };
    const tag = { block: block.index, branch: "conv" };
    const conv = g.conv(`${p}.conv`, x, { data: fused.weight, dims }, fused.bias, geometry, tag);
    x = g.tail(p, conv, block, se);
  }
  const inputShape = [input.batchSize, spec.inChannels, input.resolution, input.resolution];
  return g.finish("repstem_reparameterized", inputShape, x, stemOutputShape(spec, input));
}
