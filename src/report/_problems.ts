/**
 * The report section that keeps every problem in view: errored, skipped and non-equivalent cases
 * with their reasons, and an interrupted run. Private to src/report/.
 *
 * @module
 */
import type { Results } from "../results/schema.ts";
import { type Cell, para, section, table } from "./_html.ts";

/** Every case that did not complete cleanly, with its reason: never dropped. */
export function problemsSection(results: Results): string {
  const rows: Cell[][] = [];
  for (const c of results.cases) {
    if (c.state === "errored") rows.push([c.id, "errored", c.error]);
    else if (c.state === "skipped") rows.push([c.id, "skipped", c.reason]);
    else if (c.state !== "completed") {
      const other = c as { id: string; state: unknown };
      rows.push([other.id, String(other.state), "not a state this report knows"]);
    } else if (!c.equivalence.withinTolerance) {
      const eq = c.equivalence;
      const e = (x: number | null | undefined) =>
        typeof x === "number" ? x.toExponential(2) : "NaN";
      rows.push([
        c.id,
        "not equivalent",
        eq.method === "noise-floor"
          ? `normwise error ${e(eq.maxRelError)} (max abs ${e(eq.maxAbsError)}) exceeds ${
            e(eq.relTolerance)
          } = max(${eq.floorMultiple} x the model's fp32 noise floor ${
            e(eq.floor?.normwise)
          }, 1e-5)`
          : `max abs error ${e(eq.maxAbsError)} exceeds tolerance ${eq.tolerance}`,
      ]);
    }
  }
  const body = rows.length === 0
    ? [para("Every case completed and both forms agreed within tolerance.")]
    : [table("problems", ["case", "state", "reason"], rows)];
  if (results.context.interrupted) {
    body.unshift(
      para("The run was interrupted: cases after the last one listed were never run.", "warn"),
    );
  }
  return section("problems", "Errored, skipped and failed cases", body);
}
