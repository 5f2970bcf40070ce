import assert from "node:assert/strict";
import { loadScenario, sha256Hex } from "../../src/scenario/load.ts";
import { ScenarioError } from "../../src/scenario/parse.ts";
import { fixturePath, readFixture } from "./_fixtures.ts";

Deno.test("sha256Hex() matches the known digest of 'abc'", async () => {
  assert.deepEqual(
    await sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("loadScenario() returns the scenario, its text and the text's hash", async () => {
  const path = fixturePath("minimal.json");
  const loaded = await loadScenario(path);
  assert.deepEqual(loaded.text, readFixture("minimal.json"));
  assert.deepEqual(loaded.hash, await sha256Hex(loaded.text));
  assert.match(loaded.hash, /^[0-9a-f]{64}$/);
  assert.deepEqual(loaded.scenario.name, "minimal");
});

Deno.test("loadScenario() names the path of a missing file", async () => {
  const path = fixturePath("does_not_exist.json");
  await assert.rejects(() => loadScenario(path), (error: unknown) => {
    assert(error instanceof ScenarioError);
    assert.deepEqual(error.message, `Cannot load scenario "${path}" as the file does not exist`);
    assert.deepEqual(error.source, path);
    assert(error.cause instanceof Deno.errors.NotFound);
    return true;
  });
});

Deno.test("loadScenario() names the path in schema errors", async () => {
  const path = fixturePath("bad_negative_width.json");
  await assert.rejects(
    () => loadScenario(path),
    (error: unknown) => {
      assert(error instanceof ScenarioError);
      assert.deepEqual(
        error.message,
        `Cannot load scenario "${path}": 'widths[1]' must be a positive integer: current value is -64`,
      );
      return true;
    },
  );
});

Deno.test("loadScenario() says when the path is a directory", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(() => loadScenario(dir), (error: unknown) => {
    assert(error instanceof ScenarioError);
    assert.deepEqual(error.message, `Cannot load scenario "${dir}" as it is a directory`);
    return true;
  });
});
