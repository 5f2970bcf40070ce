/**
 * Plain-text formatting for the CLI: numbers with units and aligned tables.
 *
 * @module
 */
import type { CaseResult, Results } from "./results/schema.ts";

/** Formats a count with a k/M/G suffix (1,000-based), three significant digits. */
export function formatCount(n: number): string {
  const units = [["P", 1e15], ["T", 1e12], ["G", 1e9], ["M", 1e6], ["k", 1e3]] as const;
  for (const [suffix, size] of units) {
    if (Math.abs(n) >= size) {
      const v = n / size;
      return `${Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)}${suffix}`;
    }
  }
  return String(n);
}

/** Formats milliseconds with three significant digits. */
export function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toPrecision(3);
}

/** Renders rows as a left-aligned text table with a header rule. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function caseRow(c: CaseResult): string[] {
  const mb = c.forms?.multiBranch;
  const rp = c.forms?.reparameterized;
  const counts = [
    mb && rp ? `${formatCount(mb.params)} / ${formatCount(rp.params)}` : "-",
    mb && rp ? `${formatCount(mb.macs)} / ${formatCount(rp.macs)}` : "-",
  ];
  if (c.state !== "completed") {
    return [c.id, ...counts, "-", "-", c.state === "errored" ? `errored: ${c.error}` : `skipped`];
  }
  const [lo, hi] = c.speedup.ci95;
  return [
    c.id,
    ...counts,
    `${formatMs(c.forms.multiBranch.latencyMs!.median)} / ${
      formatMs(c.forms.reparameterized.latencyMs!.median)
    }`,
    `${c.speedup.ratio.toFixed(2)}x [${lo.toFixed(2)}, ${hi.toFixed(2)}]`,
    `${c.equivalence.maxAbsError.toExponential(1)}${c.equivalence.withinTolerance ? "" : " FAIL"}`,
  ];
}

/** The run summary table printed at the end of `deno task bench`. */
export function formatResultsTable(results: Results): string {
  const header = [
    "case",
    "params mb/rp",
    "MACs mb/rp",
    "median ms mb/rp",
    "speedup [ci95]",
    "max abs err",
  ];
  return formatTable(header, results.cases.map(caseRow));
}
