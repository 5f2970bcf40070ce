/** Tests for reading and writing results files, and comparing outputs. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseResults, readResults, writeResults } from "../../src/results/io.ts";
import type { Results } from "../../src/results/schema.ts";
import { compareOutputs } from "../../src/case.ts";

const minimal = {
  schemaVersion: 1,
  context: { tool: { name: "repstem-bench", version: "0" } },
  cases: [],
} as unknown as Results;

Deno.test("writeResults() and readResults() round-trip and leave no temp file", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "nested", "results.json");
  await writeResults(path, minimal);
  assert.deepEqual(await readResults(path), minimal);
  const names = [];
  for await (const e of Deno.readDir(join(dir, "nested"))) names.push(e.name);
  assert.deepEqual(names, ["results.json"]);
});

Deno.test("parseResults() refuses other schema versions and non-results, naming the source", () => {
  assert.throws(
    () => parseResults(JSON.stringify({ ...minimal, schemaVersion: 0 }), "old.json"),
    /Cannot read results "old.json" as 'schemaVersion' must be 1: current value is 0/,
  );
  assert.throws(() => parseResults("{", "bad.json"), SyntaxError);
  assert.throws(() => parseResults("[]", "arr.json"), /no 'schemaVersion'/);
});

Deno.test("compareOutputs() gives max abs and normwise relative error", () => {
  const e = compareOutputs(new Float32Array([1, -4, 2]), new Float32Array([1.5, -4, 2]), 1e-4);
  assert.equal(e.maxAbsError, 0.5);
  assert.equal(e.maxRelError, 0.125); // 0.5 / max |reference| = 0.5 / 4
  assert.equal(e.withinTolerance, false);
  const nan = compareOutputs(new Float32Array([1]), new Float32Array([NaN]), 1);
  assert.ok(Number.isNaN(nan.maxAbsError) && !nan.withinTolerance); // NaN must never pass
  assert.throws(() => compareOutputs(new Float32Array(2), new Float32Array(3), 1), TypeError);
});
