/** formatVerdictText(), formatVerdictMarkdown(), formatVerdictJson(): what a person reads. */
import assert from "node:assert/strict";
import {
  formatVerdictJson,
  formatVerdictMarkdown,
  formatVerdictText,
  verdictRows,
} from "../../src/gate/verdict_text.ts";
import { gateResults } from "../../src/gate/gate.ts";
import { baselineResults, scaleTimes } from "./_helpers.ts";

const paths = { baseline: "base.json", current: "cur.json" };

Deno.test("formatVerdictText() shows the outcome, the gates, every check and the failures", () => {
  const base = baselineResults();
  const v = gateResults(base, scaleTimes(base, 1.5), { threshold: 0.2, timeThreshold: 0.2 });
  const text = formatVerdictText(v, { paths });
  const lines = text.split("\n");
  assert.match(lines[0], /^RepStem gate: REGRESSED \(4 check\(s\) failed in 2 of 2 case\(s\)\)/);
  assert.match(lines[1], /^baseline +base\.json: scenario test/);
  assert.match(text, /\ntime +yes +fails when the ci95 of median\(current\)\/median\(baseline\)/);
  assert.match(text, /\nFAIL +cpu-all-t1-n1-gelu-b1-scale-w8-r16 +time +multi-branch +median/);
  assert.match(text, /\+50\.0% \[\+\d+\.\d%, \+\d+\.\d%\] +lo <= \+20\.0%/);
  assert.match(text, /\nok +cpu-all-t1-n1-gelu-b1-scale-w8-r16 +speedup/);
  assert.equal(verdictRows(v).length, v.cases.reduce((n, c) => n + c.checks.length, 0));
});

Deno.test("formatVerdictMarkdown() puts findings first and every check in a details block", () => {
  const base = baselineResults();
  const md = formatVerdictMarkdown(
    gateResults(base, scaleTimes(base, 1.5), { threshold: 0.2, timeThreshold: 0.2 }),
  );
  assert.match(md, /^### RepStem gate: REGRESSED/);
  const findings = md.indexOf("| status | case | finding |");
  const details = md.indexOf("<details><summary>All checks</summary>");
  assert.ok(findings > 0 && details > findings);
  assert.match(
    md,
    /\| \*\*FAIL\*\* \| `cpu-all-t1-n1-gelu-b1-scale-w8-r16` \| multi-branch median/,
  );
  assert.ok(md.endsWith("</details>\n"));
});

Deno.test("formatVerdictMarkdown() escapes pipes and says why the runs cannot be compared", () => {
  const base = baselineResults();
  const cur = { ...base, context: { ...base.context, ortVersion: "1.|31" } };
  const md = formatVerdictMarkdown(gateResults(base, cur));
  assert.match(
    md,
    /> \*\*Cannot compare:\*\* the runs' contexts differ \(ortVersion "1\.30\.0" -> "1\.\\\|31"\)/,
  );
});

Deno.test("formatVerdictJson() round-trips the verdict", () => {
  const base = baselineResults();
  const v = gateResults(base, base);
  assert.deepEqual(JSON.parse(formatVerdictJson(v)), JSON.parse(JSON.stringify(v)));
});
