/**
 * End-to-end: a scenario with `precisions: ["fp32", "int8"]` on a generated stem and a user's
 * model (a MobileOne-style train-form export written with the IR) runs through `bench` in a child
 * process; the int8 cases carry their errors, integer kernels and fp32 latencies, and `count`
 * gives them the same counts without onnxruntime. Bad int8 fields exit 2. No assertion on time.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "./_cli.ts";
import { buildMobileOneTrain } from "../../scripts/make_example_model.ts";
import { encodeModel } from "../../src/onnx/encode.ts";
import { parseResults } from "../../src/results/io.ts";
import { type CompletedCase, FORM_NAMES, type Int8Form } from "../../src/results/schema.ts";

async function scenarioDir(extra: Record<string, unknown> = {}): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "repstem-int8-" });
  await Deno.writeFile(
    join(dir, "net.onnx"),
    encodeModel(buildMobileOneTrain({ resolution: 32, width: 8 })),
  );
  await Deno.writeTextFile(
    join(dir, "scenario.json"),
    JSON.stringify({
      name: "int8 e2e",
      description: "both precisions, a stem and a model",
      resolutions: [32],
      widths: [16],
      models: [{ path: "net.onnx" }],
      precisions: ["fp32", "int8"],
      quantization: { calibrationSamples: 2 },
      profile: false,
      roofline: false,
      seed: 1,
      warmup: { minRuns: 2, maxRuns: 5, stableWithin: 1 },
      sampling: { minSamples: 5, minTimeMs: 0, maxTimeMs: 1000 },
      ...extra,
    }),
  );
  return dir;
}

Deno.test("bench runs int8 cases of a stem and a model: SQNR per form and block, integer kernels, fp32 beside", async () => {
  const dir = await scenarioDir();
  const out = join(dir, "out");
  const ran = await cli(["bench", "--scenario", join(dir, "scenario.json"), "--out", out]);
  assert.equal(ran.code, 0, ran.stderr);
  const results = parseResults(await Deno.readTextFile(join(out, "results.json")), "results");
  assert.deepEqual(results.cases.map((c) => c.id), [
    "cpu-all-t1-n1-gelu-b1-scale-w16-r32",
    "cpu-all-t1-n1-model-net-r32",
    "cpu-all-t1-n1-gelu-b1-scale-w16-r32-int8",
    "cpu-all-t1-n1-model-net-r32-int8",
  ]);
  assert.match(results.context.conventions.int8Error, /SQNR = 10 log10/);
  const byId = new Map(results.cases.map((c) => [c.id, c as CompletedCase]));
  for (const c of results.cases) assert.equal(c.state, "completed", c.id);
  for (const id of ["cpu-all-t1-n1-gelu-b1-scale-w16-r32", "cpu-all-t1-n1-model-net-r32"]) {
    assert.equal(byId.get(id)!.int8, undefined, `${id} is fp32`);
    const c = byId.get(`${id}-int8`)!;
    const fp32 = byId.get(id)!;
    assert.equal(c.config.precision, "int8");
    const int8 = c.int8;
    if (!int8) throw new Error(`${id}-int8 has no int8 results`);
    assert.ok(c.equivalence.withinTolerance, "the fp32 fusion proof holds");
    assert.deepEqual(int8.quantization, {
      weights: "per-channel",
      activations: "uint8",
      calibration: "minmax",
      percentile: 99.99,
      calibrationSamples: 2,
    });
    for (const f of FORM_NAMES) {
      const q: Int8Form = int8.forms[f];
      // 8-bit: tens of dB; fp32 would be above 100; a broken quantizer below 10
      assert.ok(q.error.sqnrDb > 10 && q.error.sqnrDb < 90, `${id} ${f}: ${q.error.sqnrDb} dB`);
      assert.ok(q.blocks.length >= 3, `${id} ${f}: ${q.blocks.length} blocks`);
      for (const b of q.blocks) assert.ok(Number.isFinite(b.sqnrDb) && b.sqnrDb > 5, `${b.sqnrDb}`);
      assert.equal(q.integer, true, `${id} ${f}: ${q.note}`);
      assert.ok(Object.keys(q.integerKernels).some((k) => k.endsWith("QLinearConv")));
      assert.equal(q.floatConvs, 0);
      assert.ok(q.convs.length > 0 && q.convs.every((w) => w.maxAbs > 0 && w.scaleSpread >= 1));
      const int8Latency = c.forms[f].latencyMs!;
      assert.equal(q.fp32LatencyMs.samplesMs.length, int8Latency.samplesMs.length, "paired");
      assert.ok(q.speedupOverFp32.ci95[0] <= q.speedupOverFp32.ratio);
      assert.equal(c.forms[f].macs, fp32.forms[f].macs, "the same convs");
    }
    // The fused form's int8 kernels and int32 biases are as many elements as its float ones
    assert.equal(c.forms.reparameterized.params, fp32.forms.reparameterized.params);
    const worst = int8.worstBlock!;
    const lowest = Math.min(
      ...FORM_NAMES.flatMap((f) => int8.forms[f].blocks.map((b) => b.sqnrDb)),
    );
    assert.equal(worst.sqnrDb, lowest);
    assert.equal(worst.channels.maxAbs.length, worst.channels.rangeShare.length);
    assert.ok(worst.channels.rangeShare.every((s) => s >= 0 && s <= 1));
  }
  // count gives the int8 cases the counts bench gave them, with no onnxruntime
  const counted = await cli(
    ["count", "--scenario", join(dir, "scenario.json"), "--json"],
    ["--allow-read", "--allow-env"],
  );
  assert.equal(counted.code, 0, counted.stderr);
  const counts = parseResults(counted.stdout, "count --json");
  for (const c of counts.cases) {
    for (const f of FORM_NAMES) {
      const b = byId.get(c.id)!.forms[f];
      const k = c.forms![f];
      assert.deepEqual(
        [k.params, k.buffers, k.macs, k.bytes.naive],
        [b.params, b.buffers, b.macs, b.bytes.naive],
        `${c.id} ${f}`,
      );
    }
  }
});

Deno.test("bench exits 2 on a bad precision or quantization field, naming the field and value", async () => {
  for (
    const [extra, field] of [
      [{ precisions: ["fp16"] }, /'precisions(\[0\])?'.*"fp16"|precisions.*fp16/],
      [
        { quantization: { calibration: "percentile", percentile: 0 } },
        /quantization\.percentile.*0/,
      ],
      [{ quantization: { calibrationSamples: 0 } }, /quantization\.calibrationSamples.*0/],
      [{ quantization: { calibration: "entropy" } }, /quantization\.calibration.*entropy/],
    ] as const
  ) {
    const dir = await scenarioDir(extra);
    const ran = await cli(["bench", "--scenario", join(dir, "scenario.json"), "--out", dir]);
    assert.equal(ran.code, 2, `${JSON.stringify(extra)}: ${ran.stderr}`);
    assert.match(ran.stderr, field);
    assert.match(ran.stderr, /scenario\.json/);
  }
});
