/**
 * MobileOne block and RepStem specifications: the exact structure of FastViT's stem, and the
 * types of the train-time weights each block holds (weights.ts makes them, reference.ts and the
 * graph builders read them).
 *
 * @module
 */

/** Activation after the summed branches: exact (erf) GELU as in FastViT, ReLU as in MobileOne. */
export type Activation = "gelu" | "relu" | "none";

/** The knobs of a RepStem. */
export interface StemSpec {
  /** Input channels, 3 for images. */
  readonly inChannels: number;
  /** Stem width C (FastViT uses 48, 64, 76, 80, 96, 128). */
  readonly width: number;
  /** Number of kxk conv branches B per block (1 in FastViT, up to 4+ in MobileOne), 1..8. */
  readonly branches: number;
  /** Whether blocks with k > 1 have the 1x1 scale branch. @default true */
  readonly scaleBranch: boolean;
  /** Whether each block has a squeeze-excitation unit after the sum. @default false */
  readonly se: boolean;
  /** Activation after each block. */
  readonly activation: Activation;
}

/** One MobileOne block, with the branches that exist for it. */
export interface BlockSpec {
  /** 1-based block number. */
  readonly index: number;
  /** Channels the block reads: the spec's `inChannels` for block 1, the width C after it. */
  readonly inChannels: number;
  /** Channels the block writes: always the stem width C. */
  readonly outChannels: number;
  /** Side k of the square kxk kernel, in pixels: 3 for blocks 1 and 2, 1 for block 3. */
  readonly kernel: number;
  /** Stride of all the block's convs in pixels, along both axes: 2 for blocks 1 and 2, 1 for 3. */
  readonly stride: number;
  /** Zero padding of the kxk conv, in pixels on each of the four sides (the scale conv has 0). */
  readonly pad: number;
  /** Conv groups: 1 for a dense conv, C for block 2's depthwise conv (in / groups per kernel). */
  readonly groups: number;
  /** Number B of kxk conv + BN branches, the spec's `branches` (the same for every block). */
  readonly branches: number;
  /** 1x1 conv + BN branch: only when kernel > 1 and the spec asks for it. */
  readonly hasScale: boolean;
  /** BN-only identity branch: only when in == out channels and stride 1. */
  readonly hasSkip: boolean;
  /** Whether a squeeze-excitation unit gates the summed branches (the spec's `se`). */
  readonly se: boolean;
  /** Activation applied last, after the sum and the SE unit (the spec's `activation`). */
  readonly activation: Activation;
}

/** Inference-mode BatchNorm parameters (gamma, beta learnable; mean, variance buffers). */
export interface BatchNorm {
  /** Learned scale (ONNX `scale`), one value per channel; a learnable parameter. */
  readonly gamma: Float32Array;
  /** Learned shift (ONNX `B`), one value per channel; a learnable parameter. */
  readonly beta: Float32Array;
  /** Running mean (ONNX `input_mean`), one value per channel; a buffer, not a parameter. */
  readonly mean: Float32Array;
  /** Running variance (ONNX `input_var`), one value per channel; a buffer, not a parameter. */
  readonly variance: Float32Array;
  /** Added to the variance before its square root; {@linkcode BN_EPSILON} for generated weights. */
  readonly epsilon: number;
}

/** A bias-free conv followed by BatchNorm. `shape` is [out, in / groups, k, k]. */
export interface ConvBn {
  /** The conv's kernels, `shape` flattened row-major; the conv has no bias. */
  readonly weight: Float32Array;
  /** [out, in / groups, k, k]: k is the block's kernel for a kxk branch, 1 for the scale branch. */
  readonly shape: readonly [number, number, number, number];
  /** The BatchNorm after the conv, with `out` values per array. */
  readonly bn: BatchNorm;
}

/** Squeeze-excitation weights: two 1x1 convs with bias. */
export interface SeWeights {
  /** Kernels of the first 1x1 conv (C to R channels), [R, C, 1, 1] flattened. */
  readonly reduceWeight: Float32Array;
  /** Bias of the first 1x1 conv, R values (before the ReLU). */
  readonly reduceBias: Float32Array;
  /** Kernels of the second 1x1 conv (R to C channels), [C, R, 1, 1] flattened. */
  readonly expandWeight: Float32Array;
  /** Bias of the second 1x1 conv, C values (before the sigmoid). */
  readonly expandBias: Float32Array;
  /** Channels R inside the unit: {@linkcode seChannels} of the block's width. */
  readonly reducedChannels: number;
}

/** Train-time weights of one MobileOne block. */
export interface BlockWeights {
  /** The kxk conv + BN branches, one per branch B of the block, in branch order. */
  readonly conv: readonly ConvBn[];
  /** The 1x1 conv + BN scale branch; absent when the block has none (`hasScale` false). */
  readonly scale?: ConvBn;
  /** The BN-only identity branch; absent when the block has none (`hasSkip` false). */
  readonly skip?: BatchNorm;
  /** The SE unit after the sum; absent when the block has none (`se` false). */
  readonly se?: SeWeights;
}

/** Train-time weights of the stem, one entry per block. */
export type StemWeights = readonly BlockWeights[];

/** BatchNorm epsilon used throughout (PyTorch's default). */
export const BN_EPSILON = 1e-5;

/** Largest number of conv branches a spec may ask for. */
export const MAX_BRANCHES = 8;

/** SE reduction ratio of MobileOne's SEBlock (rd_ratio = 0.0625). */
export const SE_RATIO = 0.0625;

/** Channels inside the SE unit for a given width. */
export function seChannels(channels: number): number {
  return Math.max(1, Math.floor(channels * SE_RATIO));
}

function checkInt(name: string, value: number, min: number, max = Infinity): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `an integer >= ${min}` : `an integer in ${min}..${max}`;
    throw new RangeError(
      `Cannot build stem as '${name}' must be ${range}: current value is ${value}`,
    );
  }
}

/**
 * Checks a stem spec and returns it.
 *
 * @throws {RangeError} When a count is not a positive integer or branches is outside 1..8.
 */
export function validateStemSpec(spec: StemSpec): StemSpec {
  checkInt("inChannels", spec.inChannels, 1);
  checkInt("width", spec.width, 1);
  checkInt("branches", spec.branches, 1, MAX_BRANCHES);
  if (!["gelu", "relu", "none"].includes(spec.activation)) {
    throw new RangeError(
      `Cannot build stem as 'activation' must be gelu, relu or none: current value is "${spec.activation}"`,
    );
  }
  return spec;
}

/**
 * Expands a stem spec into its three MobileOne blocks (the table in the README's "The RepStem, exactly").
 *
 * @example
 * ```ts
 * import { stemBlocks } from "./spec.ts";
 * const blocks = stemBlocks({
 *   inChannels: 3, width: 64, branches: 1, scaleBranch: true, se: false, activation: "gelu",
 * });
 * if (!blocks[2].hasSkip || blocks[0].hasSkip) throw new Error();
 * ```
 * @throws {RangeError} When the spec is invalid.
 */
export function stemBlocks(spec: StemSpec): readonly BlockSpec[] {
  validateStemSpec(spec);
  const { inChannels: i, width: c } = spec;
  const raw = [
    { inChannels: i, outChannels: c, kernel: 3, stride: 2, pad: 1, groups: 1 },
    { inChannels: c, outChannels: c, kernel: 3, stride: 2, pad: 1, groups: c },
    { inChannels: c, outChannels: c, kernel: 1, stride: 1, pad: 0, groups: 1 },
  ];
  return raw.map((b, n) => ({
    ...b,
    index: n + 1,
    branches: spec.branches,
    hasScale: spec.scaleBranch && b.kernel > 1,
    hasSkip: b.inChannels === b.outChannels && b.stride === 1,
    se: spec.se,
    activation: spec.activation,
  }));
}

/** Spatial output size of a block for an input size. */
export function blockOutputSize(block: BlockSpec, size: number): number {
  return Math.floor((size + 2 * block.pad - block.kernel) / block.stride) + 1;
}
