/** The int8 gate: output SQNR per form against the baseline's, and lost integer kernels. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { gateCommand } from "../../src/commands/gate.ts";
import { gateResults } from "../../src/gate/gate.ts";
import type { Check, Verdict } from "../../src/gate/verdict.ts";
import {
  formatVerdictJson,
  formatVerdictMarkdown,
  formatVerdictText,
} from "../../src/gate/verdict_text.ts";
import type { CompletedCase, Int8Form, Int8Result, Results } from "../../src/results/schema.ts";
import { summarize } from "../../src/stats/summarize.ts";
import { captureOutput } from "../_tools.ts";
import { completed, config, results, samples } from "./_helpers.ts";

/** One int8 form: its output SQNR, per-block SQNRs rising towards the input, kernels. */
function int8Form(sqnrDb: number, integer = true): Int8Form {
  const fp32 = samples(0.2, 60, 7);
  return {
    error: { sqnrDb, maxAbs: 0.01, normwise: 0.005 },
    blocks: [1, 2, 3].map((block) => ({
      block,
      sqnrDb: sqnrDb + 4 - block,
      maxAbs: 0.01,
      normwise: 0.005,
    })),
    convs: [],
    integerKernels: integer ? { "com.microsoft.QLinearConv": 3 } : {},
    floatConvs: integer ? 0 : 3,
    integer,
    ...(integer ? {} : { note: "the QDQ pairs have two readers" }),
    fp32LatencyMs: {
      ...summarize(fp32, { resamples: 200 }),
      firstRunMs: 1,
      warmupRuns: 5,
      samplesMs: fp32,
    },
    speedupOverFp32: { ratio: 1.4, ci95: [1.3, 1.5] },
    zeroRangeTensors: [],
    skippedConvs: [],
  };
}

interface Int8Options {
  mb?: number;
  rp?: number;
  rpInteger?: boolean;
}

function int8Result(o: Int8Options = {}): Int8Result {
  return {
    quantization: {
      weights: "per-channel",
      activations: "uint8",
      calibration: "minmax",
      percentile: 99.99,
      calibrationSamples: 8,
    },
    reference: "the fp32 multi-branch form's output",
    forms: {
      multiBranch: int8Form(o.mb ?? 40),
      reparameterized: int8Form(o.rp ?? 38, o.rpInteger ?? true),
    },
  };
}

/** An int8 case (counts of the fp32 stem: the gate compares them, not what they are). */
function int8Case(o: Int8Options | null = {}): CompletedCase {
  const c = completed(config({ precision: "int8" }), { countsFrom: config() });
  return o === null ? c : { ...c, int8: int8Result(o) };
}

const run = (o: Int8Options | null = {}): Results => results([completed(config()), int8Case(o)]);
const ID = "cpu-all-t1-n1-gelu-b1-scale-w8-r16-int8";
const int8ChecksOf = (v: Verdict): Check[] =>
  v.cases.find((c) => c.id === ID)!.checks.filter((k) => k.gate === "int8");

Deno.test("gateResults() passes an equal SQNR and runs the int8 gate per form", () => {
  const v = gateResults(run(), run());
  assert.equal(v.outcome, "pass");
  assert.equal(v.sqnrThresholdDb, 1);
  assert.ok(v.gates.find((g) => g.gate === "int8")!.ran);
  const checks = int8ChecksOf(v);
  assert.deepEqual(
    checks.map((k) => [k.form, k.metric, k.status]),
    [
      ["multiBranch", "sqnrDb", "pass"],
      ["multiBranch", "integer", "pass"],
      ["reparameterized", "sqnrDb", "pass"],
      ["reparameterized", "integer", "pass"],
    ],
  );
  assert.equal(checks[0].limit, 39);
  assert.equal(checks[1].current, "com.microsoft.QLinearConv x3");
  // the fp32 case has no int8 check
  assert.ok(v.cases[0].checks.every((k) => k.gate !== "int8"));
});

Deno.test("gateResults() fails a 1.5 dB SQNR drop at the default and passes it at 2 dB", () => {
  const v = gateResults(run(), run({ mb: 38.5 }));
  assert.equal(v.outcome, "regressed");
  const [mb, , rp] = int8ChecksOf(v);
  assert.equal(mb.status, "fail");
  assert.equal(mb.baseline, 40);
  assert.equal(mb.current, 38.5);
  assert.match(mb.message, /multi-branch output SQNR 40\.00 dB -> 38\.50 dB: below 39\.00 dB/);
  assert.equal(rp.status, "pass");
  const loose = gateResults(run(), run({ mb: 38.5 }), { sqnrThresholdDb: 2 });
  assert.equal(loose.outcome, "pass");
  assert.equal(int8ChecksOf(loose)[0].limit, 38);
});

Deno.test("gateResults() gates the output SQNR only, not the per-block SQNRs", () => {
  const cur = run();
  const c = cur.cases[1] as CompletedCase;
  const blocks = c.int8!.forms.multiBranch.blocks.map((b) => ({ ...b, sqnrDb: b.sqnrDb - 10 }));
  const int8 = {
    ...c.int8!,
    forms: { ...c.int8!.forms, multiBranch: { ...c.int8!.forms.multiBranch, blocks } },
  };
  assert.equal(
    gateResults(run(), { ...cur, cases: [cur.cases[0], { ...c, int8 }] }).outcome,
    "pass",
  );
});

Deno.test("gateResults() fails a form that lost its integer kernels, with the note", () => {
  const v = gateResults(run(), run({ rpInteger: false }));
  assert.equal(v.outcome, "regressed");
  const lost = int8ChecksOf(v).find((k) => k.metric === "integer" && k.status === "fail")!;
  assert.equal(lost.form, "reparameterized");
  assert.equal(lost.baseline, "com.microsoft.QLinearConv x3");
  assert.equal(lost.current, "3 Conv in float");
  assert.match(lost.message, /reparam lost its integer kernels .*: the QDQ pairs have two readers/);
  // float in both runs is a note, not a failure
  const both = gateResults(run({ rpInteger: false }), run({ rpInteger: false }));
  assert.equal(both.outcome, "pass");
  assert.ok(int8ChecksOf(both).some((k) => k.status === "note"));
});

Deno.test("gateResults() skips, and does not fail, an old baseline without int8 results", () => {
  const v = gateResults(run(null), run({ mb: 10 }));
  assert.equal(v.outcome, "pass");
  const checks = int8ChecksOf(v);
  assert.deepEqual(checks.map((k) => k.status), ["skip"]);
  assert.match(checks[0].message, /baseline has no int8 results/);
  assert.deepEqual(v.gates.find((g) => g.gate === "int8"), {
    gate: "int8",
    ran: false,
    reason: "no int8 case has int8 results in both runs",
  });
  // fp32-only runs show no int8 gate at all
  const fp32 = results([completed(config())]);
  assert.ok(gateResults(fp32, fp32).gates.every((g) => g.gate !== "int8"));
  // a current run that dropped its int8 results fails
  assert.equal(gateResults(run(), run(null)).outcome, "regressed");
});

Deno.test("gateResults() refuses a negative SQNR threshold and malformed int8 results", () => {
  assert.throws(() => gateResults(run(), run(), { sqnrThresholdDb: -1 }), RangeError);
  const bad = run();
  const c = bad.cases[1] as CompletedCase;
  const broken = { ...bad, cases: [bad.cases[0], { ...c, int8: { forms: {} } as Int8Result }] };
  assert.throws(
    () => gateResults(run(), broken),
    (e: Error) => e instanceof SyntaxError && /int8\.forms\.multiBranch must have/.test(e.message),
  );
});

Deno.test("formatVerdictText(), Markdown and JSON show the int8 checks like the others", () => {
  const v = gateResults(run(), run({ mb: 38.5 }));
  const text = formatVerdictText(v);
  assert.match(text, /^RepStem gate: REGRESSED .*, int8 SQNR 1 dB$/m);
  assert.match(text, /\nint8 +yes +output SQNR per form \(not per block\)/);
  assert.match(
    text,
    new RegExp(
      `\\nFAIL +${ID} +int8 +multi-branch +sqnrDb +40\\.00 dB +38\\.50 dB +-1\\.50 dB +>= 39\\.00 dB`,
    ),
  );
  assert.match(text, new RegExp(`\\nok +${ID} +int8 +reparam +integer +com\\.microsoft`));
  const md = formatVerdictMarkdown(v);
  assert.match(md, new RegExp(`\\| \\*\\*FAIL\\*\\* \\| \`${ID}\` \\| multi-branch output SQNR`));
  assert.match(md, /\| int8 \| yes \| output SQNR per form/);
  const json = JSON.parse(formatVerdictJson(v));
  assert.equal(json.sqnrThresholdDb, 1);
  const failed = json.cases.flatMap((c: { checks: Check[] }) => c.checks)
    .filter((k: Check) => k.status === "fail");
  assert.deepEqual(
    failed.map((k: Check) => [k.gate, k.form, k.metric, k.baseline, k.current, k.limit]),
    [["int8", "multiBranch", "sqnrDb", 40, 38.5, 39]],
  );
});

Deno.test("gateCommand() takes --sqnr-threshold in dB and exits 2 on a bad value", async () => {
  const dir = await Deno.makeTempDir({ prefix: "repstem-int8-gate-" });
  try {
    const [base, cur] = [join(dir, "base.json"), join(dir, "cur.json")];
    await Deno.writeTextFile(base, JSON.stringify(run()));
    await Deno.writeTextFile(cur, JSON.stringify(run({ mb: 38.5 })));
    const gate = (...args: string[]) =>
      captureOutput(() => gateCommand(["--baseline", base, "--current", cur, ...args]));
    const strict = await gate();
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /below 39\.00 dB/);
    assert.equal((await gate("--sqnr-threshold", "2")).code, 0);
    assert.equal((await gate("--sqnr-threshold", "2dB")).code, 0);
    // `=` form: parseArgs reads a separate "-1" as an option
    for (const bad of ["abc", "-1", "", "Infinity"]) {
      const r = await gate(`--sqnr-threshold=${bad}`);
      assert.equal(r.code, 2, JSON.stringify(bad));
      assert.match(r.stderr, /^error: Cannot gate as '--sqnr-threshold' must be a number of dB/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
