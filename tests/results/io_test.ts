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

Deno.test("readResults() names the file and what it is: missing, a directory, binary, not JSON", async () => {
  const dir = await Deno.makeTempDir();
  const binary = `${dir}/b.json`;
  await Deno.writeFile(binary, new Uint8Array([0x80, 0x01, 0xff, 0x00, 0x13]));
  const text = `${dir}/t.json`;
  await Deno.writeTextFile(text, "name: not json");
  for (
    const [path, why] of [
      [`${dir}/missing.json`, "as it does not exist"],
      [dir, "as it is a directory"],
      [binary, "as it is not JSON (a binary file?)"],
      [text, "as it is not JSON: "],
    ]
  ) {
    await assert.rejects(readResults(path), (e: Error) => {
      assert.ok(e instanceof SyntaxError);
      assert.ok(e.message.startsWith(`Cannot read results "${path}" ${why}`), e.message);
      assert.equal(e.message.split("\n").length, 1);
      return true;
    });
  }
});

Deno.test("compareOutputs() fails on a NaN anywhere, not only in the last element", () => {
  const ref = new Float32Array([1, 2, 3]);
  for (const at of [0, 1, 2]) {
    const other = Float32Array.from(ref);
    other[at] = NaN;
    if (at < 2) other[2] = 3.5; // a finite difference after the NaN must not hide it
    const e = compareOutputs(ref, other, 1);
    assert.ok(Number.isNaN(e.maxAbsError), `NaN at ${at}`);
    assert.equal(e.withinTolerance, false);
  }
});
