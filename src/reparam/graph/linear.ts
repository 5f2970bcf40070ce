/**
 * The linear-expression algebra of graph-level reparameterization: a tensor that is linear in one
 * source tensor `x` is `conv(x; W, b, stride, dilation, group, pads)`, kept here with `W` and `b`
 * in float64 while expressions are composed (rounded to float32 once, when a Conv is emitted).
 *
 * Expressions are built from a Conv ({@linkcode convLin}), the source itself
 * ({@linkcode identityLin}), per-channel affine maps such as BatchNorm or a Mul by a constant
 * ({@linkcode affineLin}), sums of aligned branches (`_align.ts`) and conv-of-conv sequences
 * (`_compose.ts`). Weights are computed lazily (a memoized thunk) so that planning, which only
 * needs geometry, biases and costs, does not pay for kernels it throws away.
 *
 * @module
 */

/** A per-axis pair of integers: `[height, width]`. */
export type Pair = readonly [number, number];

/** What a branch of a merged expression was in the original graph. */
export type BranchKind = "identity" | "bn-skip" | "scale" | "sequence" | `conv ${number}x${number}`;

/** One branch of a merged expression, for reports. */
export interface Branch {
  /** What the branch was: a conv of its kernel shape, the input, a BN or scale of it, a sequence. */
  readonly kind: BranchKind;
  /** The branch's own kernel shape `[kh, kw]` (`[1, 1]` for identity, bn-skip and scale). */
  readonly kernel: Pair;
  /** The original nodes of the branch, each by its output tensor, in graph order. */
  readonly nodes: readonly string[];
}

/**
 * A tensor as a conv of its source: `conv(src; W, b)` with `W` laid out
 * `[cout, cin / group, kh, kw]`. `diag` marks a diagonal map (the identity, a per-channel scale):
 * a 1x1 stride-1 unpadded depthwise kernel that fits any group, so it adopts the group of what
 * it is summed with.
 */
export interface Lin {
  /** The tensor the expression reads. */
  readonly src: string;
  /** Channels of the source. */
  readonly cin: number;
  /** Channels of the tensor. */
  readonly cout: number;
  /** Conv groups of the kernel layout. */
  readonly group: number;
  /** A diagonal map: adopts the group of what it is summed with. */
  readonly diag: boolean;
  /** Kernel `[kh, kw]`. */
  readonly kernel: Pair;
  /** Strides `[sh, sw]`. */
  readonly stride: Pair;
  /** Dilations `[dh, dw]`. */
  readonly dilation: Pair;
  /** Zero padding before the first row / column (ONNX `pads[0]`, `pads[1]`). */
  readonly padBegin: Pair;
  /** Zero padding after the last row / column (ONNX `pads[2]`, `pads[3]`). */
  readonly padEnd: Pair;
  /** Bias, one per output channel, float64. */
  readonly bias: Float64Array;
  /** The kernel in float64, computed on first call and then kept. */
  readonly weight: () => Float64Array;
  /**
   * The original nodes the expression composes, each once, each by its output tensor (unique in
   * a graph, unlike node names).
   */
  readonly nodes: readonly string[];
  /** The Add / Sub nodes (by output tensor) that merged two expressions. */
  readonly sums: readonly string[];
  /** The branches summed into the expression, for reports. */
  readonly branches: readonly Branch[];
}

/** Conv parameters as read from a graph, the input of {@linkcode convLin}. */
export interface ConvParams {
  /** Kernel `[cout, cin / group, kh, kw]`, float32 as stored. */
  readonly weight: Float32Array;
  /** Kernel dims `[cout, cin / group, kh, kw]`. */
  readonly dims: readonly [number, number, number, number];
  /** Bias, one per output channel, when the conv has one. */
  readonly bias?: Float32Array;
  /** Conv groups. */
  readonly group: number;
  /** Strides `[sh, sw]`. */
  readonly stride: Pair;
  /** Dilations `[dh, dw]`. */
  readonly dilation: Pair;
  /** Pads before `[top, left]`. */
  readonly padBegin: Pair;
  /** Pads after `[bottom, right]`. */
  readonly padEnd: Pair;
}

/**
 * Wraps a computation so that it runs at most once.
 *
 * @param f The computation.
 * @returns A function returning `f()`'s result, computed on the first call.
 */
export function memo<T>(f: () => T): () => T {
  let value: T | undefined;
  let done = false;
  return () => {
    if (!done) (value = f(), done = true);
    return value as T;
  };
}

/** Union of two name lists, keeping first-seen order. */
export function union(a: readonly string[], b: readonly string[]): string[] {
  const seen = new Set(a);
  return [...a, ...b.filter((n) => !seen.has(n))];
}

const ONE: Pair = [1, 1];
const ZERO: Pair = [0, 0];

/**
 * The identity map of a source tensor: a diagonal 1x1 kernel of ones, zero bias.
 *
 * @param src The source tensor's name.
 * @param channels Its channel count.
 * @returns The expression `src` itself.
 * @throws {RangeError} When `channels` is not a positive integer.
 * @example
 * ```ts
 * import { identityLin } from "./linear.ts";
 * const id = identityLin("x", 2);
 * if (!id.diag || id.group !== 2 || id.weight().join() !== "1,1") throw new Error();
 * ```
 */
export function identityLin(src: string, channels: number): Lin {
  if (!Number.isInteger(channels) || channels < 1) {
    throw new RangeError(`Cannot build identity of "${src}" with ${channels} channels`);
  }
  return {
    src,
    cin: channels,
    cout: channels,
    group: channels,
    diag: true,
    kernel: ONE,
    stride: ONE,
    dilation: ONE,
    padBegin: ZERO,
    padEnd: ZERO,
    bias: new Float64Array(channels),
    weight: () => new Float64Array(channels).fill(1),
    nodes: [],
    sums: [],
    branches: [{ kind: "identity", kernel: ONE, nodes: [] }],
  };
}

/** Whether a conv geometry is a diagonal map: 1x1, stride 1, unpadded, depthwise, cin = cout. */
function isDiagonal(p: ConvParams): boolean {
  const [cout, ipg, kh, kw] = p.dims;
  return kh === 1 && kw === 1 && ipg === 1 && cout === p.group && p.stride.every((s) => s === 1) &&
    [...p.padBegin, ...p.padEnd].every((v) => v === 0);
}

/**
 * A Conv node of a source tensor as an expression.
 *
 * @param src The conv's input tensor.
 * @param p The conv's weights and geometry.
 * @param node The conv node, by its output tensor.
 * @returns The expression, with one `conv KxK` branch.
 * @example
 * ```ts
 * import { convLin } from "./linear.ts";
 * const lin = convLin("x", {
 *   weight: new Float32Array(9).fill(1), dims: [1, 1, 3, 3], group: 1,
 *   stride: [1, 1], dilation: [1, 1], padBegin: [1, 1], padEnd: [1, 1],
 * }, "c");
 * if (lin.branches[0].kind !== "conv 3x3" || lin.bias[0] !== 0) throw new Error();
 * ```
 */
export function convLin(src: string, p: ConvParams, node: string): Lin {
  const [cout, ipg, kh, kw] = p.dims;
  const kernel: Pair = [kh, kw];
  return {
    src,
    cin: ipg * p.group,
    cout,
    group: p.group,
    diag: isDiagonal(p),
    kernel,
    stride: p.stride,
    dilation: p.dilation,
    padBegin: p.padBegin,
    padEnd: p.padEnd,
    bias: p.bias ? Float64Array.from(p.bias) : new Float64Array(cout),
    weight: memo(() => Float64Array.from(p.weight)),
    nodes: [node],
    sums: [],
    branches: [{ kind: `conv ${kh}x${kw}`, kernel, nodes: [node] }],
  };
}

/** Whether an expression is the bare identity of its source (no node applied yet). */
function isBareIdentity(lin: Lin): boolean {
  return lin.branches.length === 1 && lin.branches[0].kind === "identity" &&
    lin.branches[0].nodes.length === 0;
}

/** The branches after appending a node that acts on the whole expression. */
function appendNode(lin: Lin, node: string, kind?: BranchKind): readonly Branch[] {
  if (lin.branches.length !== 1) return lin.branches;
  const [b] = lin.branches;
  const relabel = kind !== undefined && isBareIdentity(lin);
  return [{ kind: relabel ? kind : b.kind, kernel: b.kernel, nodes: [...b.nodes, node] }];
}

/**
 * A node that does not change the value (Identity, Add of zero) applied to an expression.
 *
 * @param lin The expression.
 * @param node The node, by its output tensor.
 * @returns The same expression, with the node recorded.
 */
export function withNode(lin: Lin, node: string): Lin {
  return { ...lin, nodes: union(lin.nodes, [node]), branches: appendNode(lin, node) };
}

/**
 * A per-channel affine map applied to an expression: `y[c] = scale[c] * t[c] + shift[c]`
 * (BatchNorm, Mul / Div by a constant, Add / Sub of a constant). Kernel geometry and group stay.
 *
 * @param lin The expression `t`.
 * @param scale Per-channel factors (length `cout`), or undefined for 1.
 * @param shift Per-channel offsets (length `cout`), or undefined for 0.
 * @param node The node, by its output tensor.
 * @param kind How to name the branch when `lin` is the bare source (`bn-skip`, `scale`).
 * @returns The new expression.
 * @throws {RangeError} When a vector's length is not `cout`.
 * @example
 * ```ts
 * import { affineLin, identityLin } from "./linear.ts";
 * const y = affineLin(identityLin("x", 1), new Float64Array([2]), new Float64Array([3]), "bn");
 * if (y.weight()[0] !== 2 || y.bias[0] !== 3 || y.branches[0].kind !== "bn-skip") {
 *   throw new Error();
 * }
 * ```
 */
export function affineLin(
  lin: Lin,
  scale: Float64Array | undefined,
  shift: Float64Array | undefined,
  node: string,
  kind: BranchKind = "bn-skip",
): Lin {
  for (const v of [scale, shift]) {
    if (v && v.length !== lin.cout) {
      throw new RangeError(`Cannot apply ${v.length} channel values to ${lin.cout} channels`);
    }
  }
  const bias = Float64Array.from(lin.bias, (b, c) => b * (scale?.[c] ?? 1) + (shift?.[c] ?? 0));
  const weight = scale
    ? memo(() => {
      const w = Float64Array.from(lin.weight());
      const per = w.length / lin.cout;
      for (let c = 0; c < lin.cout; c++) {
        for (let j = 0; j < per; j++) w[c * per + j] *= scale[c];
      }
      return w;
    })
    : lin.weight;
  return {
    ...lin,
    bias,
    weight,
    nodes: union(lin.nodes, [node]),
    branches: appendNode(lin, node, kind),
  };
}

/**
 * Multiply-accumulates per output element of the conv that computes an expression:
 * `cin / group * kh * kw` (1 for a diagonal map).
 *
 * @param lin The expression.
 * @returns MACs per output element.
 */
export function macsPerOutput(lin: Lin): number {
  return (lin.cin / lin.group) * lin.kernel[0] * lin.kernel[1];
}
