/** The report's int8 section: shown only for int8 results, its numbers, charts and escaping. */
import assert from "node:assert/strict";
import { renderReport } from "../../src/report/render.ts";
import type {
  CaseResult,
  CompletedCase,
  Int8Form,
  Int8Result,
  Results,
} from "../../src/results/schema.ts";
import { formatMs } from "../../src/text_format.ts";
import { CHART_JS_STUB, chartSpecs, readFixture, tableRows } from "./_fixtures.ts";

const options = { chartJs: CHART_JS_STUB, generatedAt: "2026-01-01T00:00:00Z" };
const HOSTILE = `<img src=x onerror="alert(1)">`;
const ESCAPED = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;";

/** A form with the given output SQNR and blocks 1..3 at sqnrDb + 6, + 3, + 0. */
function int8Form(sqnrDb: number, fp32MedianMs: number, integer = true): Int8Form {
  return {
    error: { sqnrDb, maxAbs: 0.0125, normwise: 0.005 },
    blocks: [1, 2, 3].map((block) => ({
      block,
      sqnrDb: sqnrDb + 3 * (3 - block),
      maxAbs: 0.01,
      normwise: 0.004,
    })),
    convs: [],
    integerKernels: integer ? { "com.microsoft.QLinearConv": 3 } : {},
    floatConvs: integer ? 0 : 3,
    integer,
    ...(integer ? {} : { note: `pairs with two readers ${HOSTILE}` }),
    fp32LatencyMs: {
      samples: 3,
      median: fp32MedianMs,
      mean: fp32MedianMs,
      min: fp32MedianMs,
      max: fp32MedianMs,
      p10: fp32MedianMs,
      p90: fp32MedianMs,
      p99: fp32MedianMs,
      stdev: 0,
      mad: 0,
      outliers: 0,
      ci95: [fp32MedianMs, fp32MedianMs],
      firstRunMs: 1,
      warmupRuns: 5,
      samplesMs: [fp32MedianMs, fp32MedianMs, fp32MedianMs],
    } as Int8Form["fp32LatencyMs"],
    speedupOverFp32: { ratio: 1.4, ci95: [1.3, 1.5] },
    zeroRangeTensors: integer ? [] : [`act_${HOSTILE}`],
    skippedConvs: [],
  };
}

/**
 * The worst block's conv: channel max |w| 2, 0.05, 0 (dead), 0.5. Shares of the int8 range under
 * the per-tensor scale (2 / 127): 100%, 2.5%, 0%, 25%. Live scales 2/127 .. 0.05/127: 40-fold
 * (the dead channel's scale 1 is left out, else it would read 2540-fold).
 */
const CHANNELS = {
  maxAbs: [2, 0.05, 0, 0.5],
  scale: [2 / 127, 0.05 / 127, 1, 0.5 / 127],
  rangeShare: [1, 0.025, 0, 0.25],
};

function int8Result(weights: "per-channel" | "per-tensor"): Int8Result {
  return {
    quantization: {
      weights,
      activations: "uint8",
      calibration: "percentile",
      percentile: 99.99,
      calibrationSamples: 8,
    },
    reference: "the fp32 multi-branch form's output on the seeded input",
    forms: {
      multiBranch: int8Form(41.25, 0.5),
      reparameterized: int8Form(37.5, 0.25, false),
    },
    worstBlock: {
      form: "reparameterized",
      block: 3,
      sqnrDb: 37.5,
      node: HOSTILE,
      channels: CHANNELS,
    },
  };
}

/** The fixture with an int8 copy of its first completed case appended. */
function withInt8(results: Results, weights: "per-channel" | "per-tensor" = "per-channel") {
  const first = results.cases.find((c): c is CompletedCase => c.state === "completed")!;
  const int8: CaseResult = {
    ...first,
    id: `${first.id}-int8`,
    config: { ...first.config, precision: "int8" },
    int8: int8Result(weights),
  };
  return { ...results, cases: [...results.cases, int8] };
}

Deno.test("renderReport() has no int8 section or link without int8 results", async () => {
  const page = renderReport([{ label: "run", results: await readFixture("after") }], options);
  assert.ok(!page.includes('<section id="int8"'));
  assert.ok(!page.includes('href="#int8"'));
  assert.ok(chartSpecs(page).every((s) => !s.id.startsWith("chart-int8")));
});

Deno.test("renderReport() shows each int8 form's SQNR, kernels, times and speedup", async () => {
  const results = withInt8(await readFixture("after"));
  const page = renderReport([{ label: "run", results }], options);
  assert.ok(page.includes('<section id="int8"><h2>Int8: quantization error and speed</h2>'));
  assert.ok(page.includes('<a href="#int8">Int8</a>'));
  const int8 = results.cases.at(-1) as CompletedCase;
  const [mb, rp] = tableRows(page, "int8");
  assert.ok(mb.includes("<td>multi-branch</td>"));
  assert.ok(mb.includes('<td class="num">41.25</td>'));
  assert.ok(mb.includes("<td>1.25e-2</td>"));
  assert.ok(mb.includes("<td>com.microsoft.QLinearConv x3</td>"));
  assert.ok(mb.includes('<td class="num">0.500</td>'));
  assert.ok(
    mb.includes(`<td class="num">${formatMs(int8.forms.multiBranch.latencyMs!.median)}</td>`),
  );
  assert.ok(mb.includes("<td>1.40x [1.30, 1.50]</td>"));
  assert.ok(rp.includes('<td class="num">37.50</td>'));
  assert.ok(rp.includes(`>no: 3 Conv left in float — pairs with two readers ${ESCAPED}</td>`));
  // per-block numbers beneath the chart: block 1 of the multi-branch form at 41.25 + 6
  const blocks = tableRows(page, `int8-blocks-${int8.id}`);
  assert.equal(blocks.length, 6);
  assert.ok(blocks[0].includes('<td class="num">47.25</td>'));
  // conventions: what was quantized, how, and what SQNR means
  assert.match(page, /QDQ\) around each Conv&#39;s input, weight and output/);
  assert.match(
    page,
    /weights per-channel .*activations uint8 asymmetric, calibrated by the 99\.99th percentile over 8 seeded input/,
  );
  assert.match(page, /SQNR = 10 log10\(sum ref\^2 \/ sum \(ref - int8\)\^2\) in dB/);
  assert.match(page, /about 6 dB per bit/);
});

Deno.test("renderReport() explains the worst block with hand-computed shares", async () => {
  const page = renderReport(
    [{ label: "run", results: withInt8(await readFixture("after")) }],
    options,
  );
  assert.ok(
    page.includes(
      "channel 1 uses 2.5% of the int8 range under one per-tensor scale; per-channel scales " +
        "spread 40-fold. This run quantized weights per channel",
    ),
  );
  assert.ok(page.includes("1 channel(s) are all zero."));
  const rows = tableRows(page, "int8-worst-channels");
  assert.equal(rows.length, 4);
  assert.ok(rows[1].includes('<td class="num">2.5%</td>'));
  assert.ok(rows[3].includes('<td class="num">25%</td>'));
  const perTensor = renderReport([{
    label: "run",
    results: withInt8(await readFixture("after"), "per-tensor"),
  }], options);
  // 2.5% of 127 levels: 3.175, about 3
  assert.ok(perTensor.includes("so channel 1 kept about 3 of 127 levels a side."));
  assert.match(
    perTensor,
    /weights per-tensor \(symmetric int8, -127\.\.127, one scale per tensor\)/,
  );
});

Deno.test("renderReport() escapes node names, notes and tensor names from int8 results", async () => {
  const page = renderReport(
    [{ label: "run", results: withInt8(await readFixture("after")) }],
    options,
  );
  assert.ok(!page.includes(HOSTILE));
  assert.ok(page.includes(`conv &quot;${ESCAPED}&quot;`));
  assert.ok(page.includes(`act_${ESCAPED}`));
});

Deno.test("renderReport()'s int8 charts carry the per-block SQNRs and channel ranges", async () => {
  const page = renderReport(
    [{ label: "run", results: withInt8(await readFixture("after")) }],
    options,
  );
  type Config = {
    type: string;
    data: { labels: string[]; datasets: Array<Record<string, unknown>> };
    options: { scales: Record<string, Record<string, unknown>> };
  };
  const specs = chartSpecs(page) as Array<{ id: string; title: string; config: Config }>;
  const sqnr = specs.filter((s) => s.id.startsWith("chart-int8-sqnr"));
  assert.equal(sqnr.length, 1);
  const { data } = sqnr[0].config;
  assert.deepEqual(data.labels, ["block 1", "block 2", "block 3"]);
  assert.deepEqual(
    data.datasets.map((d) => [d.label, d.data]),
    [["multi-branch", [47.25, 44.25, 41.25]], ["reparameterized", [43.5, 40.5, 37.5]]],
  );
  const channels = specs.filter((s) => s.id.startsWith("chart-int8-channels"));
  assert.equal(channels.length, 1);
  const c = channels[0].config;
  assert.deepEqual(c.data.labels, ["0", "1", "2", "3"]);
  assert.deepEqual(c.data.datasets[0].data, [2, 0.05, 0, 0.5]);
  assert.deepEqual(c.data.datasets[1].data, [100, 2.5, 0, 25]);
  assert.equal(c.data.datasets[1].yAxisID, "y1");
  // the bars' axis ends at the tensor's max |w|, so each share point sits on its bar's top
  assert.equal(c.options.scales.y.max, 2);
  assert.equal(c.options.scales.y1.max, 100);
});
