/**
 * The memory hierarchy read off a bandwidth sweep: plateaus of the bandwidth-by-working-set curve
 * give one roof per level, the knees between them the machine's effective cache sizes (the
 * cache-aware roofline of Ilic, Pratas and Sousa, measured as the Empirical Roofline Toolkit does).
 *
 * @module
 */
import type { MemoryLevel, SweepPoint } from "../results/schema.ts";

/** Options of {@linkcode detectMemoryLevels}. */
export interface DetectLevelsOptions {
  /**
   * Smallest relative drop between two plateaus that counts as a knee (0.25: the slower plateau
   * is at least 25% below the faster one); smaller steps are noise.
   * @default 0.25
   */
  readonly minStep?: number;
  /**
   * Fewest sweep sizes on one plateau (a single size between two plateaus is a transition).
   * @default 2
   */
  readonly minPoints?: number;
  /**
   * Cost of one more plateau, in the segmentation's units (summed absolute deviations of log2
   * bandwidth): keeps a slope from being cut into many small steps.
   * @default 0.3
   */
  readonly penalty?: number;
}

/** A byte count as a short label: `48 KiB`, `1.4 MiB`. */
export function formatBytes(bytes: number): string {
  const [value, unit] = bytes >= 2 ** 30
    ? [bytes / 2 ** 30, "GiB"]
    : bytes >= 2 ** 20
    ? [bytes / 2 ** 20, "MiB"]
    : [bytes / 2 ** 10, "KiB"];
  return `${Number(value.toPrecision(value >= 10 ? 3 : 2))} ${unit}`;
}

function median(values: readonly number[]): number {
  const s = values.toSorted((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A sweep point's noise: its own, else 1 - best / median kernel time. */
function pointNoise(p: SweepPoint): number {
  if (p.noise !== undefined) return p.noise;
  return p.medianUs > 0 ? Math.max(0, 1 - p.bestUs / p.medianUs) : 0;
}

/**
 * Cuts `y` into runs of at least `minPoints` values minimizing the summed absolute deviation from
 * each run's median plus `penalty` per run, where each run's median sits at least `minGap` below
 * the one before it. Returns the start index of every run.
 */
function segment(y: readonly number[], minPoints: number, minGap: number, penalty: number) {
  const n = y.length;
  const med = (i: number, j: number) => median(y.slice(i, j + 1));
  const cost = (i: number, j: number) => {
    const m = med(i, j);
    return y.slice(i, j + 1).reduce((a, v) => a + Math.abs(v - m), 0);
  };
  // best[j][i]: lowest cost of y[0..j] whose last run is y[i..j]; from[j][i]: that run's predecessor
  const best = Array.from({ length: n }, () => new Array<number>(n).fill(Infinity));
  const from = Array.from({ length: n }, () => new Array<number>(n).fill(-1));
  for (let j = 0; j < n; j++) {
    for (let i = 0; i + minPoints - 1 <= j; i++) {
      const c = cost(i, j) + penalty;
      if (i === 0) {
        best[j][0] = c;
        continue;
      }
      const m = med(i, j);
      for (let k = 0; k + minPoints - 1 <= i - 1; k++) {
        const prev = best[i - 1][k];
        if (prev === Infinity || med(k, i - 1) - m < minGap) continue;
        if (prev + c < best[j][i]) {
          best[j][i] = prev + c;
          from[j][i] = k;
        }
      }
    }
  }
  let start = best[n - 1].reduce((b, v, i) => (v < best[n - 1][b] ? i : b), 0);
  if (best[n - 1][start] === Infinity) return [0];
  const starts: number[] = [];
  for (let end = n - 1; start >= 0;) {
    starts.unshift(start);
    const prev = start === 0 ? -1 : from[end][start];
    end = start - 1;
    start = prev;
  }
  return starts;
}

/**
 * Finds the levels of the memory hierarchy in a bandwidth sweep. The curve is first made
 * non-increasing from the right (a working set is never served slower than a larger one: this
 * lifts the smallest sizes, where a kernel's fixed cost hides the bandwidth, and keeps each roof
 * an upper bound), then cut into plateaus at least `minStep` apart. Each plateau is a level: its
 * roof is the best bandwidth on it, its capacity the knee to the next one (geometric middle of
 * the two sizes either side). Names: `L1`, `L2`, `L3`, `DRAM` when exactly three knees are found
 * and the last plateau spans two sizes or more; otherwise by size (`<= 1.4 MiB`), the last
 * plateau `DRAM` when it spans two sizes or more past a knee; one plateau (no knee) is named by
 * the sweep's range.
 *
 * @param sweep Sweep points, in any order; points without a positive bandwidth are ignored.
 * @param options Knee threshold, plateau length, segment penalty.
 * @returns The levels, fastest (smallest) first; empty for an empty sweep.
 *
 * @example
 * ```ts
 * import { detectMemoryLevels } from "./memory_levels.ts";
 * const KiB = 1024;
 * const sweep = [16, 32, 64, 128, 256, 512].map((k, i) => {
 *   const bandwidthGBs = i < 3 ? 80 : 20; // a knee between 64 and 128 KiB
 *   return { workingSetBytes: k * KiB, bytes: 1e6, bestUs: 1e3 / bandwidthGBs, medianUs: 1e3 / bandwidthGBs, bandwidthGBs };
 * });
 * const levels = detectMemoryLevels(sweep);
 * if (levels.length !== 2 || levels[1].name !== "DRAM" || levels[0].name !== "<= 90.5 KiB") throw new Error();
 * ```
 */
export function detectMemoryLevels(
  sweep: readonly SweepPoint[],
  options: DetectLevelsOptions = {},
): MemoryLevel[] {
  const { minStep = 0.25, minPoints = 2, penalty = 0.3 } = options;
  const points = sweep.filter((p) => p.bandwidthGBs > 0 && Number.isFinite(p.bandwidthGBs))
    .toSorted((a, b) => a.workingSetBytes - b.workingSetBytes);
  if (points.length === 0) return [];
  const envelope = points.map((p) => p.bandwidthGBs);
  for (let i = envelope.length - 2; i >= 0; i--) {
    envelope[i] = Math.max(envelope[i], envelope[i + 1]);
  }
  const starts = segment(
    envelope.map(Math.log2),
    Math.min(minPoints, points.length),
    -Math.log2(1 - minStep),
    penalty,
  );
  const runs = starts.map((s, i) => points.slice(s, starts[i + 1] ?? points.length));
  const last = runs.length - 1;
  const named = runs.length === 4 && runs[last].length >= 2;
  return runs.map((run, i) => {
    const start = starts[i];
    const next = runs[i + 1]?.[0];
    const capacityBytes = next
      ? Math.sqrt(run.at(-1)!.workingSetBytes * next.workingSetBytes)
      : null;
    const sweepBytes = [run[0].workingSetBytes, run.at(-1)!.workingSetBytes] as const;
    const name = named
      ? ["L1", "L2", "L3", "DRAM"][i]
      : capacityBytes !== null
      ? `<= ${formatBytes(capacityBytes)}`
      : i > 0 && run.length >= 2
      ? "DRAM"
      : i > 0
      ? `> ${formatBytes(sweepBytes[0])}`
      : `no knee (${formatBytes(sweepBytes[0])} to ${formatBytes(sweepBytes[1])})`;
    return {
      name,
      capacityBytes,
      bandwidthGBs: envelope[start],
      medianGBs: median(run.map((p) => p.bandwidthGBs)),
      sweepBytes,
      noise: median(run.map(pointNoise)),
    };
  });
}
