/**
 * Plain-text formatting shared by the commands, the gate and the report: numbers with their units
 * (counts, milliseconds, percentages, ratios, intervals) and aligned text tables. Imports nothing,
 * so every floor may use it; the one place each of these formats is defined.
 *
 * @example
 * ```ts
 * import { formatCount, formatMs, formatSignedPercent, formatTable } from "./text_format.ts";
 * const table = formatTable(["MACs", "ms", "change"], [
 *   [formatCount(24_837_120), formatMs(1.23456), formatSignedPercent(0.123)],
 * ]);
 * if (table !== "MACs   ms    change\n-----  ----  ------\n24.8M  1.23  +12.3%") throw new Error();
 * ```
 *
 * @module
 */

const COUNT_UNITS = [["P", 1e15], ["T", 1e12], ["G", 1e9], ["M", 1e6], ["k", 1e3]] as const;

/**
 * Whether a value has no number to show: null or undefined (a results file writes NaN and
 * Infinity as null), NaN or infinite. Every formatter here shows such a value as `-`.
 */
function missing(v: number | null | undefined): v is null | undefined {
  return v === null || v === undefined || !Number.isFinite(v);
}

/**
 * Formats a number with a fixed count of decimals, or `-` when there is none (see above).
 *
 * @example
 * ```ts
 * import { formatFixed } from "./text_format.ts";
 * if (formatFixed(0.9512, 2) !== "0.95" || formatFixed(null, 2) !== "-") throw new Error();
 * ```
 */
export function formatFixed(v: number | null | undefined, digits: number): string {
  return missing(v) ? "-" : v.toFixed(digits);
}

/**
 * Formats a count with a k/M/G/T/P suffix (1,000-based), three significant digits; below a
 * thousand, integers and values from 100 up are whole, others keep three significant digits.
 *
 * @param n Any number (a count of params, MACs, bytes; a rate such as GFLOP/s).
 * @returns `6.59k`, `24.8M`, `306G`, `999`, `12.3`.
 */
export function formatCount(n: number | null | undefined): string {
  if (missing(n)) return "-";
  for (const [suffix, size] of COUNT_UNITS) {
    if (Math.abs(n) >= size) {
      const v = n / size;
      return `${Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)}${suffix}`;
    }
  }
  return Math.abs(n) >= 100 || Number.isInteger(n) ? n.toFixed(0) : n.toPrecision(3);
}

/**
 * Formats milliseconds with three significant digits, whole from 100 ms up (and 0 as `0`).
 *
 * @param ms A duration in milliseconds.
 * @returns `1.23`, `123`, `0`, without the unit.
 */
export function formatMs(ms: number | null | undefined): string {
  if (missing(ms)) return "-";
  return ms >= 100 || ms === 0 ? ms.toFixed(0) : ms.toPrecision(3);
}

/**
 * Formats a fraction as a percentage with at most one decimal: `0.2` as `20%`, `0.1234` as
 * `12.3%`.
 *
 * @param fraction A fraction (1 is 100%).
 * @returns The percentage with its `%` sign.
 */
export function formatPercent(fraction: number | null | undefined): string {
  if (missing(fraction)) return "-";
  return `${+(fraction * 100).toFixed(1)}%`;
}

/**
 * Formats a fraction as a signed percentage with one decimal: `0.123` as `+12.3%`, `-0.05` as
 * `-5.0%`.
 *
 * @param fraction A relative change (1 is +100%).
 * @returns The percentage with its sign and `%`.
 */
export function formatSignedPercent(fraction: number | null | undefined): string {
  if (missing(fraction)) return "-";
  return `${fraction >= 0 ? "+" : ""}${(fraction * 100).toFixed(1)}%`;
}

/**
 * Formats a ratio as `1.16x`.
 *
 * @param ratio The ratio.
 * @param digits Decimals shown. @default {2}
 * @returns The ratio with an `x`.
 */
export function formatRatio(ratio: number | null | undefined, digits = 2): string {
  if (missing(ratio)) return "-";
  return `${ratio.toFixed(digits)}x`;
}

/**
 * Formats an interval as `[1.14, 1.18]`.
 *
 * @param interval Lower and upper bound.
 * @param digits Decimals shown. @default {2}
 * @returns The bounds in brackets.
 */
export function formatInterval(interval: readonly [number, number], digits = 2): string {
  if (missing(interval[0]) || missing(interval[1])) return "-";
  return `[${interval[0].toFixed(digits)}, ${interval[1].toFixed(digits)}]`;
}

/**
 * Renders rows as a left-aligned text table with a header rule; columns are two spaces apart and
 * lines carry no trailing spaces.
 *
 * @param header Column titles.
 * @param rows Cells, row by row (a missing cell is empty).
 * @returns The table, lines joined by `\n`, without a trailing newline.
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/**
 * Why a file could not be read, as the end of a message "Cannot read X "path" as ...".
 *
 * @param error What reading it threw.
 * @returns `it does not exist`, `it is a directory`, `it is not a text file`, or the error's own
 *   message.
 */
export function whyUnreadable(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "it does not exist";
  if (error instanceof Deno.errors.IsADirectory) return "it is a directory";
  if (error instanceof TypeError || error instanceof Deno.errors.InvalidData) {
    return "it is not a text file";
  }
  return `it cannot be read (${error instanceof Error ? error.message : error})`;
}

/**
 * A CPU as reports and logs name it: `AMD EPYC, 2 cores`, with the usable cores when the process
 * may use fewer; the model alone when no core count was recorded (0: a counts-only run).
 *
 * @param cpu The context's `cpu`.
 * @returns The text.
 * @example
 * ```ts
 * import { formatCpu } from "./text_format.ts";
 * if (formatCpu({ model: "X", cores: 8, usableCores: 2 }) !== "X, 8 cores (2 usable)") throw new Error();
 * if (formatCpu({ model: "none (counts only)", cores: 0 }) !== "none (counts only)") throw new Error();
 * ```
 */
export function formatCpu(
  cpu: { readonly model: string; readonly cores: number; readonly usableCores?: number },
): string {
  if (!(cpu.cores > 0)) return cpu.model;
  const usable = cpu.usableCores !== undefined && cpu.usableCores !== cpu.cores
    ? ` (${cpu.usableCores} usable)`
    : "";
  return `${cpu.model}, ${cpu.cores} cores${usable}`;
}
