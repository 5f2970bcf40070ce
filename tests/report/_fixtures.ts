/** Report test helpers: the fixture results (a tiny real run, trimmed) and small edits of them. */
import { parseResults } from "../../src/results/io.ts";
import type { CaseResult, Results } from "../../src/results/schema.ts";

/** Path of a fixture results file. */
export function fixturePath(name: "before" | "after"): string {
  return new URL(`../testdata/results/${name}.json`, import.meta.url).pathname;
}

/** Reads a fixture results file through parseResults, as the report command does. */
export async function readFixture(name: "before" | "after"): Promise<Results> {
  const path = fixturePath(name);
  return parseResults(await Deno.readTextFile(path), path);
}

/** A copy of results with each case passed through `edit`. */
export function editCases(
  results: Results,
  edit: (c: CaseResult) => CaseResult | undefined,
): Results {
  return {
    ...results,
    cases: results.cases.map(edit).filter((c): c is CaseResult => c !== undefined),
  };
}

/** A stand-in for chart.js's source: the unit tests never run the page. */
export const CHART_JS_STUB = "/* chart.js stub */ window.Chart = undefined;";

/** The text of every `<table data-table="name">`'s body rows. */
export function tableRows(html: string, name: string): string[] {
  const start = html.indexOf(`<table data-table="${name}">`);
  if (start < 0) return [];
  const end = html.indexOf("</table>", start);
  const body = html.slice(html.indexOf("<tbody>", start), end);
  return [...body.matchAll(/<tr>(.*?)<\/tr>/gs)].map((m) => m[1]);
}

/** The JSON chart specs embedded in a rendered report. */
export function chartSpecs(html: string): Array<{ id: string; title: string; config: unknown }> {
  const m = /<script type="application\/json" id="chart-data">(.*?)<\/script>/s.exec(html);
  if (!m) throw new Error("no chart data in the report");
  return JSON.parse(m[1]);
}
