/**
 * The report section that states the counting and measuring conventions the results carry.
 * Private to src/report/.
 *
 * @module
 */
import type { Results } from "../results/schema.ts";
import { para, section, table } from "./_html.ts";

/** The counting and measuring conventions the results carry, as sentences. */
export function conventionsSection(results: Results): string {
  const rows = Object.entries(results.context.conventions ?? {}).map(([k, v]) => [k, v]);
  return section("conventions", "Conventions", [
    rows.length
      ? table("conventions", ["term", "meaning"], rows)
      : para("The results state no conventions."),
  ]);
}
