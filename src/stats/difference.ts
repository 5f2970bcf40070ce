/**
 * The difference of two output tensors, as the equivalence checks measure it.
 *
 * @module
 */

/** Max absolute and normwise difference of one tensor. */
export interface Difference {
  /** max |reference - other| over the elements; NaN when any element is NaN. */
  readonly maxAbs: number;
  /** maxAbs / max |reference| (maxAbs itself when the reference is all zeros). */
  readonly normwise: number;
}

/**
 * Max absolute and normwise (divided by max |reference|) difference; a NaN anywhere gives NaN,
 * so it fails any tolerance.
 *
 * @param reference The tensor compared against.
 * @param other The tensor compared.
 * @returns Both measures.
 * @throws {TypeError} When the lengths differ.
 * @example
 * ```ts
 * import { difference } from "./difference.ts";
 * const d = difference(new Float32Array([2, -4]), new Float32Array([2, -3]));
 * if (d.maxAbs !== 1 || d.normwise !== 0.25) throw new Error();
 * ```
 */
export function difference(reference: Float32Array, other: Float32Array): Difference {
  if (reference.length !== other.length) {
    throw new TypeError(
      `Cannot compare outputs of ${reference.length} and ${other.length} elements`,
    );
  }
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = Math.abs(reference[i] - other[i]);
    if (!(d <= maxAbs) && !Number.isNaN(maxAbs)) maxAbs = d; // once NaN, it stays NaN
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return { maxAbs, normwise: scale > 0 ? maxAbs / scale : maxAbs };
}
