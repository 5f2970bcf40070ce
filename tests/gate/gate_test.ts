/** gateResults(): hard gates, statistical gates, presence and context rules on hand-made results. */
import assert from "node:assert/strict";
import {
  type Check,
  DEFAULT_THRESHOLD,
  DEFAULT_TIME_THRESHOLD,
  exitCodeOf,
  gateResults,
  type Verdict,
} from "../../src/gate/gate.ts";
import type { CaseResult, CompletedCase, Results } from "../../src/results/schema.ts";
import { baselineResults, completed, config, results, samples, scaleTimes } from "./_helpers.ts";

function checks(v: Verdict, status?: Check["status"]): Check[] {
  return v.cases.flatMap((c) => c.checks).filter((k) => !status || k.status === status);
}

function withCase(r: Results, index: number, c: CaseResult): Results {
  return { ...r, cases: r.cases.map((x, i) => (i === index ? c : x)) };
}

Deno.test("gateResults() passes identical results with every gate run", () => {
  const base = baselineResults();
  const v = gateResults(base, structuredClone(base));
  assert.equal(v.outcome, "pass");
  assert.equal(exitCodeOf(v), 0);
  assert.equal(v.tally.fail, 0);
  assert.ok(v.gates.every((g) => g.ran));
  const time = checks(v).filter((k) => k.gate === "time");
  assert.equal(time.length, 4); // 2 cases x 2 forms
  for (const k of time) assert.equal(k.ratio, 1);
  assert.equal(checks(v).filter((k) => k.gate === "speedup" && k.status === "pass").length, 2);
});

Deno.test("gateResults() fails a stem built with an extra branch and names each count", () => {
  const base = baselineResults();
  const b1 = base.cases[0] as CompletedCase;
  // Same case id and samples, but the multi-branch graph was built with B = 2.
  const wrong = completed(b1.config, {
    mb: b1.forms.multiBranch.latencyMs!.samplesMs as number[],
    rp: b1.forms.reparameterized.latencyMs!.samplesMs as number[],
    countsFrom: config({ branches: 2 }),
  });
  const v = gateResults(base, withCase(base, 0, wrong));
  assert.equal(v.outcome, "regressed");
  assert.equal(exitCodeOf(v), 1);
  // The optimizer gate sees the extra nodes too (the helpers' optimized histograms are the graph's).
  assert.ok(checks(v, "fail").every((k) => k.caseId === b1.id && /counts|optimizer/.test(k.gate)));
  const failed = checks(v, "fail").filter((k) => k.gate === "counts");
  const mb = new Map(failed.filter((k) => k.form === "multiBranch").map((k) => [k.metric, k]));
  for (const metric of ["params", "buffers", "macs", "flops.conv", "bytes.naive", "nodes.Conv"]) {
    assert.ok(mb.has(metric), `multi-branch ${metric} should fail`);
  }
  const macs = mb.get("macs")!;
  assert.equal(macs.baseline, b1.forms.multiBranch.macs);
  assert.ok((macs.current as number) > (macs.baseline as number));
  assert.match(macs.message, /multi-branch macs changed from \d+ to \d+/);
  // The reparameterized form folds every branch into one conv: its counts do not change.
  assert.equal(failed.filter((k) => k.form === "reparameterized").length, 0);
});

Deno.test("gateResults() fails a wrong fusion's equivalence error, and NaN", () => {
  const base = baselineResults();
  const c = base.cases[0] as CompletedCase;
  for (const maxAbsError of [0.25, null]) {
    const bad = { ...c, equivalence: { ...c.equivalence, maxAbsError: maxAbsError as number } };
    const v = gateResults(base, withCase(base, 0, bad));
    const [k] = checks(v, "fail");
    assert.equal(v.outcome, "regressed");
    assert.equal(k.gate, "equivalence");
    assert.equal(k.current, maxAbsError);
    assert.match(k.message, /exceeds tolerance/);
  }
});

Deno.test("gateResults() fails a missing case and notes a new one", () => {
  const base = baselineResults();
  const extra = completed(config({ resolution: 32 }));
  const cur = { ...base, cases: [base.cases[0], extra] };
  const v = gateResults(base, cur);
  assert.equal(v.outcome, "regressed");
  const missing = v.cases.find((c) => c.id === base.cases[1].id)!;
  assert.equal(missing.status, "missing");
  assert.match(missing.checks[0].message, /missing from the current run/);
  const added = v.cases.find((c) => c.id === extra.id)!;
  assert.equal(added.status, "new");
  assert.deepEqual(added.checks.map((k) => [k.gate, k.status]), [
    ["presence", "note"],
    ["equivalence", "pass"],
  ]);
});

Deno.test("gateResults() fails an errored case and one newly skipped", () => {
  const base = baselineResults();
  const [a, b] = base.cases;
  const cur = {
    ...base,
    cases: [
      { id: a.id, config: a.config, state: "errored" as const, error: "out of memory" },
      { id: b.id, config: b.config, state: "skipped" as const, reason: "provider missing" },
    ],
  };
  const v = gateResults(base, cur);
  const states = checks(v, "fail").filter((k) => k.gate === "state").map((k) => k.message);
  assert.deepEqual(states, [
    "errored in the current run: out of memory",
    "skipped in the current run (provider missing) but completed in the baseline",
  ]);
});

Deno.test("gateResults() skips absolute time gates when the context differs", () => {
  const base = baselineResults();
  const slower = {
    ...scaleTimes(base, 3),
    context: { ...base.context, cpu: { model: "Other", cores: 2 } },
  };
  const refused = gateResults(base, slower);
  assert.equal(refused.outcome, "incomparable");
  assert.equal(exitCodeOf(refused), 2);
  assert.match(refused.problems[0], /cpu\.model "Test CPU" -> "Other"/);
  const v = gateResults(base, slower, { allowDifferentContext: true, timeThreshold: 0.1 });
  assert.equal(v.outcome, "pass"); // 3x slower, but on another CPU: not judged
  assert.equal(checks(v).filter((k) => k.gate === "time").length, 0);
  const time = v.gates.find((g) => g.gate === "time")!;
  assert.equal(time.ran, false);
  assert.match(time.reason, /context differs \(cpu\.model\)/);
  assert.ok(v.gates.find((g) => g.gate === "speedup")!.ran);
  assert.ok(v.gates.find((g) => g.gate === "counts")!.ran);
});

Deno.test("gateResults() treats a case's differing threads as a context difference", () => {
  const base = baselineResults();
  const c = base.cases[0] as CompletedCase;
  const cur = withCase(base, 0, { ...c, config: { ...c.config, threads: 2 } });
  assert.equal(gateResults(base, cur).outcome, "incomparable");
  const v = gateResults(base, cur, { allowDifferentContext: true });
  const skip = checks(v, "skip").find((k) => k.gate === "time")!;
  assert.equal(skip.caseId, c.id);
  assert.match(skip.message, /config\.threads 1 -> 2/);
});

Deno.test("gateResults() fails a planted 1.5x slowdown on time, not on the unchanged speedup", () => {
  const base = baselineResults();
  const v = gateResults(base, scaleTimes(base, 1.5), { threshold: 0.2, timeThreshold: 0.2 });
  assert.equal(v.timeThreshold, 0.2); // `threshold` alone sets both
  const time = checks(v).filter((k) => k.gate === "time");
  assert.equal(time.length, 4);
  for (const k of time) {
    assert.equal(k.status, "fail");
    assert.ok(Math.abs(k.ratio! - 1.5) < 1e-9);
    assert.ok(k.ci95![0] > 1.2);
    assert.match(k.message, /slower beyond the 20% threshold and the noise/);
  }
  assert.ok(checks(v).filter((k) => k.gate === "speedup").every((k) => k.status === "pass"));
  // The default time threshold (160%, for shared machines) lets 1.5x through but not 3x.
  assert.equal(gateResults(base, scaleTimes(base, 1.5)).outcome, "pass");
  assert.equal(gateResults(base, scaleTimes(base, 3)).outcome, "regressed");
});

Deno.test("gateResults() passes a slowdown past the threshold that is within the noise", () => {
  // 9 samples spread +-60%: a 1.25x median shift has a bootstrap interval reaching below 1.2.
  const c = config();
  const base = results([completed(c, { mb: samples(1, 9, 7, 0.6), rp: samples(0.8, 9, 8, 0.6) })]);
  const cur = results([
    completed(c, { mb: samples(1.25, 9, 7, 0.6), rp: samples(1, 9, 8, 0.6) }),
  ]);
  const v = gateResults(base, cur, { threshold: 0.2, timeThreshold: 0.2 });
  const time = checks(v).filter((k) => k.gate === "time");
  assert.ok(time.some((k) => k.ratio! > 1.2), "the point estimate is past the threshold");
  assert.ok(time.every((k) => k.status === "pass"));
  assert.ok(time.some((k) => /within the noise/.test(k.message)));
});

Deno.test("gateResults() fails a speedup lost beyond the threshold", () => {
  const c = config();
  const base = results([completed(c, { mb: samples(0.14), rp: samples(0.1, 60, 2) })]);
  // The reparameterized form got as slow as the multi-branch one: speedup 1.4x -> 1.0x.
  const cur = results([completed(c, { mb: samples(0.14), rp: samples(0.14, 60, 2) })]);
  const v = gateResults(base, cur, { threshold: 0.2, timeThreshold: 1 });
  const [k] = checks(v, "fail");
  assert.equal(k.gate, "speedup");
  assert.ok(k.ci95![1] < k.limit!);
  assert.ok(Math.abs(k.limit! - (base.cases[0] as CompletedCase).speedup.ratio * 0.8) < 1e-12);
});

Deno.test("gateResults() fails a changed optimizer histogram only on the same ORT and CPU", () => {
  const base = baselineResults();
  const c = structuredClone(base.cases[0]) as CompletedCase;
  const opt = c.forms.reparameterized.optimization!.all;
  const changed = {
    ...c.forms.reparameterized,
    optimization: { all: { ...opt, nodesAfter: { Conv: 9 } } },
  };
  const cur = withCase(base, 0, { ...c, forms: { ...c.forms, reparameterized: changed } });
  const fails = checks(gateResults(base, cur), "fail");
  assert.ok(fails.length > 0 && fails.every((k) => k.gate === "optimizer"));
  assert.ok(fails.some((k) => k.metric === "all.Conv" && k.current === 9));
  const other = { ...cur, context: { ...cur.context, ortVersion: "1.31.0" } };
  assert.equal(gateResults(base, other, { allowDifferentContext: true }).outcome, "pass");
});

Deno.test("gateResults() is incomparable when no case is shared", () => {
  const v = gateResults(baselineResults(), results([completed(config({ width: 16 }))]));
  assert.equal(v.outcome, "incomparable");
  assert.match(v.problems[0], /no case of the baseline/);
});

Deno.test("gateResults() throws SyntaxError on malformed results, RangeError on a bad threshold", () => {
  const base = baselineResults();
  const c = structuredClone(base.cases[0]) as unknown as Record<string, unknown>;
  delete (c.forms as Record<string, Record<string, unknown>>).multiBranch.macs;
  const bad = { ...base, cases: [c as unknown as CaseResult, base.cases[0]] };
  assert.throws(
    () => gateResults(base, bad, { sources: { baseline: "b.json", current: "c.json" } }),
    (e: Error) =>
      e instanceof SyntaxError && /"c\.json"/.test(e.message) &&
      /forms\.multiBranch\.macs must be a number/.test(e.message) &&
      /appears twice/.test(e.message),
  );
  assert.throws(() => gateResults(base, base, { threshold: 1.5 }), RangeError);
});

Deno.test("gateResults() gates the GPU cross-provider error and a changed provider", () => {
  const base = baselineResults();
  const c = base.cases[0] as CompletedCase;
  const crossProvider = {
    reference: "cpu" as const,
    maxAbsError: 0.5,
    tolerance: 1e-3,
    withinTolerance: false,
  };
  const gpu = withCase(base, 0, { ...c, equivalence: { ...c.equivalence, crossProvider } });
  const [k] = checks(gateResults(base, gpu), "fail");
  assert.equal(k.metric, "crossProvider.maxAbsError");
  assert.match(k.message, /provider's outputs differ from the CPU provider's/);
  const other = withCase(base, 0, { ...c, provider: { ...c.provider, options: { x: 1 } } });
  assert.match(gateResults(base, other).problems[0], /provider\.options/);
  // Results written before `provider` existed: the device names the provider.
  const { provider: _, ...old } = c;
  assert.equal(gateResults(base, withCase(base, 0, old as CompletedCase)).outcome, "pass");
});

Deno.test("gateResults() threshold sets the speedup gate only, timeThreshold the time gate only", () => {
  const base = results([completed(config())]);
  const slower = scaleTimes(base, 1.5); // 50% slower, speedup unchanged
  // --threshold 10 alone: the time gate keeps its default (160%), so 1.5x passes it
  const speedupOnly = gateResults(base, slower, { threshold: 0.1 });
  assert.ok(checks(speedupOnly).filter((k) => k.gate === "time").every((k) => k.status === "pass"));
  assert.equal(speedupOnly.timeThreshold, DEFAULT_TIME_THRESHOLD);
  assert.equal(speedupOnly.threshold, 0.1);
  // --time-threshold 20 alone: the speedup gate keeps its default
  const timeOnly = gateResults(base, slower, { timeThreshold: 0.2 });
  assert.ok(checks(timeOnly).filter((k) => k.gate === "time").every((k) => k.status === "fail"));
  assert.equal(timeOnly.threshold, DEFAULT_THRESHOLD);
});

Deno.test("gateResults() compares two counts-only runs from different machines on counts", () => {
  const skipped = (macsFactor: number): CaseResult => {
    const c = completed();
    const scale = (f: typeof c.forms.multiBranch) => ({ ...f, macs: f.macs * macsFactor });
    return {
      id: c.id,
      config: c.config,
      state: "skipped",
      reason: "counts only",
      forms: { multiBranch: scale(c.forms.multiBranch), reparameterized: c.forms.reparameterized },
    };
  };
  const here = { cpu: { model: "CPU A", cores: 2 } };
  const there = { cpu: { model: "CPU B", cores: 64 } };
  // nothing timed: the machines' difference blocks nothing
  assert.equal(
    gateResults(results([skipped(1)], here), results([skipped(1)], there)).outcome,
    "pass",
  );
  const v = gateResults(results([skipped(1)], here), results([skipped(2)], there));
  assert.equal(v.outcome, "regressed");
  assert.ok(checks(v).some((k) => k.gate === "counts" && k.status === "fail"));
  // a timed run still needs the same machine
  assert.equal(
    gateResults(results([completed()], here), results([completed()], there)).outcome,
    "incomparable",
  );
});
