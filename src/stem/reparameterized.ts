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
import { checkBuildInputs, type InputGeometry, stemOutputShape } from "./multi_branch.ts";
import { stemBlocks, type StemSpec } from "./spec.ts";
import type { StemWeights } from "./weights.ts";

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
  const blocks = checkBuildInputs(spec, weights, input);
  const fused = reparameterizeStem(spec, weights);
  const g = new GraphBuilder();
  let x = INPUT_NAME;
  for (const [i, block] of blocks.entries()) {
    const p = `block${block.index}`;
    const dims = [block.outChannels, block.inChannels / block.groups, block.kernel, block.kernel];
    const geometry = { stride: block.stride, pad: block.pad, groups: block.groups };
    const tag = { block: block.index, branch: "conv" };
    const conv = g.conv(
      `${p}.conv`,
      x,
      { data: fused[i].weight, dims },
      fused[i].bias,
      geometry,
      tag,
    );
    x = g.tail(p, conv, block, weights[i].se);
  }
  const inputShape = [input.batchSize, spec.inChannels, input.resolution, input.resolution];
  return g.finish("repstem_reparameterized", inputShape, x, stemOutputShape(spec, input));
}
