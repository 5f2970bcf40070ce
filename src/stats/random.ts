/**
 * A small seeded pseudo-random generator (mulberry32) for bootstrap resampling and run-order
 * shuffling, so every statistic and every measured order is reproducible from a seed.
 *
 * @module
 */

/** The seed used when a caller gives none. */
export const DEFAULT_SEED = 0x5eed;

/**
 * Creates a mulberry32 generator: 32 bits of state, period 2^32, uniform floats in [0, 1).
 * Good enough for resampling and shuffling; not for cryptography.
 *
 * @param seed Any finite number; it is reduced to an unsigned 32-bit integer.
 * @returns A function returning the next float in [0, 1) on each call.
 * @throws {RangeError} When `seed` is not finite.
 * @example
 * ```ts
 * import { createRandom } from "./random.ts";
 * const a = createRandom(42), b = createRandom(42);
 * if (a() !== b()) throw new Error("same seed, same sequence");
 * ```
 */
export function createRandom(seed: number = DEFAULT_SEED): () => number {
  if (!Number.isFinite(seed)) {
    throw new RangeError(
      `Cannot create random generator as 'seed' must be finite: current value is ${seed}`,
    );
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Draws an integer uniformly from [0, n) with `random`, clamped so that a generator returning
 * exactly 1 still stays in range.
 *
 * @param random A generator of floats in [0, 1).
 * @param n The exclusive upper bound, a positive integer.
 * @returns An integer in [0, n).
 */
export function randomIndex(random: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/**
 * Shuffles `items` in place with Fisher-Yates, drawing from `random`.
 *
 * @param items The array to shuffle.
 * @param random A generator of floats in [0, 1).
 * @returns The same array, shuffled.
 */
export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomIndex(random, i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * Draws one bootstrap resample of `counts.length` indices with replacement, as counts per index:
 * `counts[i]` becomes how many times index `i` was drawn. Counts replace an index list so that a
 * resample's order statistics can be read in O(n) from data sorted once.
 *
 * @param random A generator of floats in [0, 1).
 * @param counts Filled in place; its length is the sample size.
 * @returns The same `counts` array.
 */
export function drawResample(random: () => number, counts: Uint32Array): Uint32Array {
  const n = counts.length;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[randomIndex(random, n)]++;
  return counts;
}
