/**
 * Structural reparameterization of a MobileOne block: all train-time branches into one conv.
 *
 * @module
 */
import { type BatchNormParams, foldBatchNorm, type FusedConv } from "./fold_bn.ts";
import { identityKernel, padKernel } from "./pad_kernel.ts";

/** A bias-free conv + BN branch; `shape` is [out, in/groups, k, k]. */
export interface ConvBnBranch {
  readonly weight: Float32Array;
  readonly shape: readonly [number, number, number, number];
  readonly bn: BatchNormParams;
}

/** The train-time branches of one block. */
export interface BranchWeights {
  /** The kxk conv + BN branches (at least one). */
  readonly conv: readonly ConvBnBranch[];
  /** The 1x1 conv + BN scale branch, when present. */
  readonly scale?: ConvBnBranch;
  /** The BN-only skip branch, when present. */
  readonly skip?: BatchNormParams;
}

/** Conv geometry needed to fuse: kernel size and groups. */
export interface FuseGeometry {
  readonly kernel: number;
  readonly groups: number;
}

/**
 * Sums fused kernels and biases element-wise (in float64, rounded once).
 *
 * @throws {TypeError} When the parts differ in size or none is given.
 */
export function sumConvs(parts: readonly FusedConv[]): FusedConv {
  if (parts.length === 0) throw new TypeError("Cannot sum an empty list of convs");
  const [first] = parts;
  for (const p of parts) {
    if (p.weight.length !== first.weight.length || p.bias.length !== first.bias.length) {
      throw new TypeError(
        `Cannot sum convs of ${first.weight.length} and ${p.weight.length} weight elements`,
      );
    }
  }
  const weight = new Float64Array(first.weight.length);
  const bias = new Float64Array(first.bias.length);
  for (const p of parts) {
    p.weight.forEach((v, i) => (weight[i] += v));
    p.bias.forEach((v, i) => (bias[i] += v));
  }
  return { weight: Float32Array.from(weight), bias: Float32Array.from(bias) };
}

/**
 * Fuses a block's branches into one kxk conv with bias: each BN folded into its conv, the 1x1
 * scale kernel padded to kxk, the skip BN applied to a group-aware identity kernel, then summed.
 *
 * @param branches The train-time weights.
 * @param geometry The block's kernel size and groups.
 * @returns The deploy conv's weight [out, in/groups, k, k] and bias [out].
 * @throws {TypeError} When branch shapes do not agree with the geometry.
 */
export function reparameterizeBlock(branches: BranchWeights, geometry: FuseGeometry): FusedConv {
  const { kernel: k, groups } = geometry;
  const parts: FusedConv[] = [];
  for (const b of branches.conv) {
    if (b.shape[2] !== k || b.shape[3] !== k) {
      throw new TypeError(`Cannot fuse a ${b.shape[2]}x${b.shape[3]} branch into a ${k}x${k} conv`);
    }
    parts.push(foldBatchNorm(b.weight, b.bn));
  }
  if (branches.scale) {
    const { weight, bias } = foldBatchNorm(branches.scale.weight, branches.scale.bn);
    parts.push({ weight: padKernel(weight, branches.scale.shape[2], k), bias });
  }
  if (branches.skip) {
    const channels = branches.skip.gamma.length;
    parts.push(foldBatchNorm(identityKernel(channels, groups, k), branches.skip));
  }
  return sumConvs(parts);
}
