/**
 * renderAbReport(), writeAbReport() and `deno task report ab.json`: the verdict in words, the
 * table and the chart data of an A/B results file built by hand, escaping, and bad input.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { AbResults, AbSideRecord } from "../../src/ab/results.ts";
import { renderAbReport } from "../../src/report/ab.ts";
import { writeAbReport } from "../../src/report/write.ts";
import { reportCommand } from "../../src/commands/report.ts";
import { captureOutput } from "../_tools.ts";
import { CHART_JS_STUB, chartSpecs, fixturePath, tableRows } from "./_fixtures.ts";
import { abFixture, CASE_ERROR, HOSTILE_SPEC, MODEL_SHA } from "./_ab_fixtures.ts";

const options = { chartJs: CHART_JS_STUB, generatedAt: "2026-01-01T00:00:00Z" };

/** Text of the summary's list items of one case, tags stripped. */
function sentences(page: string, caseId: string): string[] {
  const start = page.indexOf(`<ul data-case="${caseId}">`);
  assert.ok(start >= 0, `no summary of ${caseId}`);
  const list = page.slice(start, page.indexOf("</ul>", start));
  return [...list.matchAll(/<li[^>]*>(.*?)<\/li>/gs)].map((m) => m[1]);
}

interface Spec {
  id: string;
  config: {
    type: string;
    data: { labels: string[]; datasets: Array<Record<string, unknown>> };
    options: Record<string, unknown>;
  };
}

Deno.test("renderAbReport() states each verdict in words with percentages of the ratio", () => {
  const page = renderAbReport(abFixture(), options);
  const base = "baseline (models:&lt;script&gt;alert(1)&lt;/script&gt;, onnxruntime-node 1.29.0)";
  const cand = "candidate (onnxruntime-node 1.30.0)";
  // r224: 1.12 [1.05, 1.16] lies above 1; 0.958 [0.94, 0.979] below: 1 - 0.958 = 4.2%,
  // 1 - 0.979 = 2.1%, 1 - 0.94 = 6.0%
  assert.deepEqual(sentences(page, "cpu-all-t1-n1-model-mynet-r224"), [
    `multi-branch: ${cand} is 12.0% slower than ${base}, ci95 [5.0%, 16.0%]`,
    `reparameterized: ${cand} is 4.2% faster than ${base}, ci95 [2.1%, 6.0%]`,
  ]);
  // r320: [0.99, 1.015] contains 1: no verdict; the candidate's forms disagree
  assert.deepEqual(sentences(page, "cpu-all-t1-n1-model-mynet-r320"), [
    `multi-branch: no difference beyond the interval between ${cand} and ${base}: ` +
    "ratio 1.003x, ci95 [0.990, 1.015] (from 1.0% faster to 1.5% slower)",
    `reparameterized: ${cand} is 10.0% faster than ${base}, ci95 [5.0%, 15.0%]`,
    "the candidate&#39;s two forms are not equivalent (max abs error 3.0e-3, tolerance 1.0e-4)",
  ]);
  assert.deepEqual(sentences(page, "cpu-all-t1-n1-model-mynet-r256"), [
    "not compared: inputs differ: &lt;b&gt;[1,3,224,224]&lt;/b&gt; against [1,3,256,256]",
  ]);
  assert.match(
    page,
    /4 forms compared in 2 cases: candidate slower in 1, faster in 2, no difference beyond the interval in 1; 1 case errored\./,
  );
  assert.deepEqual(
    [...page.matchAll(/data-verdict="(\w+)"/g)].map((m) => m[1]),
    ["slower", "faster", "same", "faster"],
  );
});

Deno.test("renderAbReport() tables every case and form, errors and equivalence failures", () => {
  const page = renderAbReport(abFixture(), options);
  const rows = tableRows(page, "ab");
  assert.equal(rows.length, 5); // two forms of two cases, one errored case
  const cells = (row: string) => [...row.matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((m) => m[1]);
  assert.deepEqual(cells(rows[0]).slice(0, 6), [
    "cpu-all-t1-n1-model-mynet-r224",
    "multi-branch",
    "2.00",
    "2.24",
    "1.120x [1.050, 1.160]",
    `<span class="worse">slower</span>`,
  ]);
  assert.equal(cells(rows[1])[5], `<span class="better">faster</span>`);
  assert.equal(cells(rows[2])[5], "same");
  assert.match(cells(rows[0])[6], /^ok \/ ok$/);
  assert.match(cells(rows[2])[6], /^ok \/ <span class="warn"[^>]*>NOT EQUIVALENT<\/span>$/);
  assert.ok(rows[4].includes(CASE_ERROR.replace("<b>", "&lt;b&gt;").replace("</b>", "&lt;/b&gt;")));
  assert.ok(rows[4].includes("errored"));
  const speedups = tableRows(page, "ab-speedup");
  assert.equal(speedups.length, 2);
  assert.ok(speedups[0].includes("2.00x [1.90, 2.10]"), speedups[0]);
});

Deno.test("renderAbReport() escapes hostile specs, names, folders and errors as text", () => {
  const page = renderAbReport(abFixture(), { ...options, label: "<i>ab</i>.json" });
  assert.ok(page.includes("RepStem Bench A/B: &lt;b&gt;ab&lt;/b&gt; models</h1>"));
  assert.ok(page.includes("models:&lt;script&gt;alert(1)&lt;/script&gt;"));
  assert.ok(page.includes("/tmp/&lt;i&gt;dir&lt;/i&gt;"));
  assert.ok(page.includes("(&lt;i&gt;ab&lt;/i&gt;.json)"));
  for (const bad of ["<script>alert", "<b>ab", "<i>dir", "<b>[1,3", "<i>ab"]) {
    assert.ok(!page.includes(bad), bad);
  }
  // Exactly the three scripts of the page: chart data, chart.js and the client script.
  assert.equal(page.match(/<script/g)?.length, 3);
  assert.ok(HOSTILE_SPEC.includes("<script>"));
});

Deno.test("renderAbReport() charts the ratio per form with its ci95 and a line at 1", () => {
  const page = renderAbReport(abFixture(), options);
  const specs = chartSpecs(page) as unknown as Spec[];
  assert.deepEqual(specs.map((s) => s.id), ["chart-ab-ratio-1", "chart-ab-speedup-2"]);
  const { config } = specs[0];
  assert.equal(config.type, "bar");
  assert.equal(config.options.indexAxis, "y");
  assert.deepEqual(config.data.labels, ["mynet r224", "mynet r320"]); // errored case left out
  const [mb, rp, one] = config.data.datasets;
  assert.match(String(mb.label), /^multi-branch/);
  assert.deepEqual(mb.data, [[1, 1.12], [1, 1.003]]);
  assert.deepEqual(mb.errorBars, [[1.05, 1.16], [0.99, 1.015]]);
  assert.match(String(rp.label), /^reparameterized/);
  assert.deepEqual(rp.data, [[1, 0.958], [1, 0.9]]);
  assert.deepEqual(rp.errorBars, [[0.94, 0.979], [0.85, 0.95]]);
  assert.equal(one.type, "line");
  assert.deepEqual(one.data, [1, 1]);
  // The canvas says how many datasets to expect (the browser test compares them).
  assert.ok(page.includes(`id="chart-ab-ratio-1" data-datasets="3"`));
  const speedup = specs[1].config.data.datasets;
  assert.deepEqual(speedup.map((d) => (d.data as number[][])[0]), [[1, 2], [
    1,
    (2 * 1.12) / 0.958,
  ]]);
});

Deno.test("renderAbReport() shows both sides, the ratio's reading and an interruption", () => {
  const results = abFixture();
  const page = renderAbReport(
    { ...results, context: { ...results.context, interrupted: true } },
    options,
  );
  const sides = tableRows(page, "sides").join("\n");
  assert.ok(sides.includes("ort:1.30.0") && sides.includes("1.29.0") && sides.includes("worker"));
  assert.ok(sides.includes(`<code>${MODEL_SHA.slice(0, 12)}</code>`));
  assert.ok(!sides.includes("git ref"), "no ref rows without a ref side");
  assert.ok(
    page.includes("Ratio: median(candidate) / median(baseline), above 1: candidate slower."),
  );
  assert.match(page, /<p class="warn">The run was interrupted \(Ctrl-C\)/);
  assert.ok(tableRows(page, "context").some((r) => r.includes("(interrupted)")));
  assert.ok(tableRows(page, "conventions").some((r) => r.includes("abRatio")));
  for (const id of ["summary", "ratios", "speedup", "sides", "context", "conventions"]) {
    assert.ok(page.includes(`<section id="${id}">`), id);
  }
});

Deno.test("renderAbReport() names a git ref side's ref and commit", () => {
  const results = abFixture();
  const commit = "89abcdef".repeat(5);
  const refSide: AbSideRecord = {
    spec: "ref:main",
    kind: "ref",
    ref: "main",
    commit,
    models: [],
    ortVersion: "1.30.0",
    process: "in process",
  };
  const page = renderAbReport(
    { ...results, sides: { ...results.sides, candidate: refSide } },
    options,
  );
  const sides = tableRows(page, "sides");
  assert.ok(sides.some((r) => r.includes("git ref") && r.includes("<td>main</td>")));
  assert.ok(sides.some((r) => r.includes(`<code title="${commit}">${commit.slice(0, 12)}</code>`)));
  assert.ok(page.includes(`candidate (ref:main at ${commit.slice(0, 12)}) is 4.2% faster`));
});

/** Runs the report command with its output captured. */
async function run(args: string[]): Promise<{ code: number; err: string }> {
  const r = await captureOutput(() => reportCommand(args));
  return { code: r.code, err: r.stderr };
}

async function withAbFile(fn: (dir: string, ab: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const ab = join(dir, "ab.json");
    await Deno.writeTextFile(ab, JSON.stringify(abFixture()));
    await fn(dir, ab);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("reportCommand() renders an ab.json as the A/B report beside it", async () => {
  await withAbFile(async (dir, ab) => {
    const { code, err } = await run([ab]);
    assert.equal(code, 0, err);
    const page = await Deno.readTextFile(join(dir, "report.html"));
    assert.match(page, /Chart\.js v4\./);
    assert.ok(page.includes("RepStem Bench A/B: &lt;b&gt;ab&lt;/b&gt; models"));
    assert.ok(page.includes(`<section id="ratios">`));
    assert.ok(!/\s(src|href)="(https?:)?\/\//.test(page));
  });
});

Deno.test("reportCommand() exits 2 naming the ab.json given with other files", async () => {
  await withAbFile(async (dir, ab) => {
    const out = join(dir, "r.html");
    const second = join(dir, "second-ab.json");
    await Deno.copyFile(ab, second);
    for (const files of [[fixturePath("after"), ab], [ab, fixturePath("after")], [ab, second]]) {
      const { code, err } = await run([...files, "--out", out]);
      assert.equal(code, 2, files.join(" "));
      assert.equal(
        err,
        `error: Cannot render A/B results "${ab}" with other files as an A/B report takes ` +
          "exactly one file: current value is 2 files",
      );
    }
    await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound);
  });
});

Deno.test("reportCommand() exits 2 on an ab.json cut down by hand", async () => {
  await withAbFile(async (dir, ab) => {
    const results = abFixture();
    const cut = { ...results, cases: [{ ...results.cases[0], forms: undefined }] };
    await Deno.writeTextFile(ab, JSON.stringify(cut));
    const { code, err } = await run([ab, "--out", join(dir, "r.html")]);
    assert.equal(code, 2);
    assert.ok(err.includes(`"${ab}"`) && err.includes("not a complete A/B results file"), err);
  });
});

Deno.test("writeAbReport() writes the A/B report atomically, creating the folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "sub", "report.html");
    const results: AbResults = abFixture();
    await writeAbReport(results, out, { label: "ab.json" });
    const page = await Deno.readTextFile(out);
    assert.match(page, /^<!DOCTYPE html>/);
    assert.ok(page.includes("(ab.json)."));
    assert.deepEqual([...Deno.readDirSync(join(dir, "sub"))].map((e) => e.name), ["report.html"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
