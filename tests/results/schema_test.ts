/** Tests for the constants of the results format. */
import assert from "node:assert/strict";
import { TOOL } from "../../src/results/schema.ts";

Deno.test("TOOL's version is deno.json's version, and its name the tool's", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  ) as { version?: unknown };
  assert.equal(typeof config.version, "string", "deno.json has no version");
  assert.equal(
    TOOL.version,
    config.version,
    "src/results/schema.ts's TOOL.version must match deno.json's version",
  );
  assert.equal(TOOL.name, "repstem-bench");
});
