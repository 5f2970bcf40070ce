/**
 * Structural reparameterization of a MobileOne block: all train-time branches into one conv.
 *
 * @module
 */
import { type BatchNormParams, foldBatchNorm, type FusedConv } from "./fold_bn.ts";
import { identityKernel, padKernel } from "./pad_kernel.ts";

/** A bias-free conv + BN branch; `shape` is [out, in/groups, k, k]. */
export interface ConvBnBranch {
  /** The conv's kernels, `shape` flattened. */
  readonly weight: Float32Array;
  /** The kernels' shape: [out, in/groups, k, k] (k = 1 for the scale branch). */
  readonly shape: readonly [number, number, number, number];
  /** The BatchNorm after the conv, `out` values per array. */
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
  /** Kernel size k of the fused conv (square; odd when there is a skip branch). */
  readonly kernel: number;
  /** Conv groups: 1 for a dense conv, the channel count for a depthwise one. */
  readonly groups: number;
}

/**
 * Sums fused kernels and biases element-wise (in float64, rounded once).
 *
 * @param parts Convs of one size, at least one.
 * @returns Their sum.
 * @throws {TypeError} When the parts differ in size or none is given.
 * @example
 * ```ts
 * import { sumConvs } from "./reparameterize.ts";
 * const a = { weight: new Float32Array([1, 2]), bias: new Float32Array([0.5]) };
 * const b = { weight: new Float32Array([3, 4]), bias: new Float32Array([0.25]) };
 * const { weight, bias } = sumConvs([a, b]);
 * if (weight.join() !== "4,6" || bias[0] !== 0.75) throw new Error();
 * ```
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
 * @example
 * ```ts
 * import { reparameterizeBlock } from "./reparameterize.ts";
 * // One channel, 3x3. Every BN is the identity (gamma 1, var 1, eps 0) except the scale
 * // branch's beta of 0.5: the 3x3 ones, the 1x1 kernel 2 and the skip's 1 add at the centre.
 * const bn = (beta: number) => ({
 *   gamma: new Float32Array([1]), beta: new Float32Array([beta]),
 *   mean: new Float32Array([0]), variance: new Float32Array([1]), epsilon: 0,
 * });
 * const { weight, bias } = reparameterizeBlock({
 *   conv: [{ weight: new Float32Array(9).fill(1), shape: [1, 1, 3, 3], bn: bn(0) }],
 *   scale: { weight: new Float32Array([2]), shape: [1, 1, 1, 1], bn: bn(0.5) },
 *   skip: bn(0),
 * }, { kernel: 3, groups: 1 });
 * if (weight.join() !== "1,1,1,1,4,1,1,1,1" || bias[0] !== 0.5) throw new Error();
 * ```
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
