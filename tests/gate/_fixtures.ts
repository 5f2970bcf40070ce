/**
 * Writes the gate's fixture files in tests/testdata/gate/ from the test helpers:
 * `deno run --allow-read --allow-write tests/gate/_fixtures.ts`. The files are checked in, so the
 * command tests read fixed bytes; rerun this after a change to the results format.
 */
import type { Results } from "../../src/results/schema.ts";
import { completed, config, results, samples, scaleTimes } from "./_helpers.ts";

/** The fixture files, by name. */
export function fixtures(): Record<string, unknown> {
  const c = config();
  const mb = samples(0.14, 30, 1);
  const rp = samples(0.1, 30, 2);
  const baseline = results([completed(c, { mb, rp })]);
  const current = (r: Results): Results => ({
    ...r,
    context: { ...r.context, startedAt: "2026-01-02T00:00:00.000Z" },
  });
  const extraBranch = results([completed(c, { mb, rp, countsFrom: config({ branches: 2 }) })]);
  const otherCpu = scaleTimes(baseline, 3);
  const malformed = structuredClone(baseline) as unknown as {
    cases: Array<Record<string, unknown>>;
  };
  delete malformed.cases[0].speedup;
  return {
    "baseline.json": baseline,
    "current_same.json": current(baseline),
    "current_extra_branch.json": current(extraBranch),
    "current_slower_3x.json": current(scaleTimes(baseline, 3)),
    "current_other_cpu.json": {
      ...current(otherCpu),
      context: { ...current(otherCpu).context, cpu: { model: "Other CPU", cores: 8 } },
    },
    "malformed.json": malformed,
    "old_schema.json": { ...baseline, schemaVersion: 0 },
  };
}

// perNode and blocks are left out of the files: the gate does not read them.
function slim(key: string, value: unknown): unknown {
  return key === "perNode" || key === "blocks" ? undefined : value;
}

if (import.meta.main) {
  const dir = new URL("../testdata/gate/", import.meta.url);
  for (const [name, value] of Object.entries(fixtures())) {
    await Deno.writeTextFile(new URL(name, dir), JSON.stringify(value, slim, 1) + "\n");
  }
  await Deno.writeTextFile(new URL("not_json.json", dir), '{"schemaVersion": 1, "cases": [\n');
}
