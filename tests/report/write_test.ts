/** writeReport(): reads results files and writes the HTML report atomically. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeReport } from "../../src/report/write.ts";
import { fixturePath } from "./_fixtures.ts";

Deno.test("writeReport() accepts one path and replaces the target atomically", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "report.html");
    await Deno.writeTextFile(out, "old");
    await writeReport(fixturePath("after"), out);
    assert.match(await Deno.readTextFile(out), /^<!DOCTYPE html>/);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["report.html"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
