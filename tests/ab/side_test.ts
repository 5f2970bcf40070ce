/** Parsing A/B sides: every kind, the default, and errors that name the flag and the value. */
import assert from "node:assert/strict";
import { formatSide, parseSide, WORKING_TREE } from "../../src/ab/side.ts";

Deno.test("parseSide() reads models:, ref:, ort:, a bare ref and the working tree", () => {
  assert.deepEqual(parseSide("models:old/models", "--baseline"), {
    kind: "models",
    dir: "old/models",
  });
  assert.deepEqual(parseSide("ref:v1.2", "--baseline"), { kind: "ref", ref: "v1.2" });
  assert.deepEqual(parseSide("main", "--baseline"), { kind: "ref", ref: "main" });
  assert.deepEqual(parseSide("origin/main", "--baseline"), { kind: "ref", ref: "origin/main" });
  assert.deepEqual(parseSide("ort:1.29.0", "--baseline"), { kind: "ort", version: "1.29.0" });
  assert.deepEqual(parseSide(WORKING_TREE, "--candidate"), { kind: "working tree" });
  for (const s of ["models:a", "ref:main", "ort:1.29.0-rc.1", WORKING_TREE]) {
    assert.equal(formatSide(parseSide(s, "--baseline")), s);
  }
});

Deno.test("parseSide() throws a SyntaxError naming the flag and the value", () => {
  for (
    const [value, why] of [
      ["", /must name a side/],
      ["models:", /'models:' must be followed by a folder/],
      ["ref:", /'ref:' must be followed by a git ref/],
      ["ort:", /'ort:' must be followed by a version/],
      ["ort:latest", /'ort:' must be followed by a version/],
      ["pip:1.0", /kind must be models, ref or ort: found "pip"/],
      ["a..b", /must be a git ref/],
      ["-x", /must be a git ref/],
    ] as const
  ) {
    assert.throws(() => parseSide(value, "--baseline"), (e: Error) => {
      assert.ok(e instanceof SyntaxError, `${value}: ${e}`);
      assert.match(e.message, /'--baseline'/);
      assert.match(e.message, why);
      assert.ok(e.message.includes(`"${value}"`), e.message);
      return true;
    });
  }
});

Deno.test("parseSide() takes any revision git reads as a ref: HEAD~1, main^, a sha", () => {
  for (const r of ["HEAD~1", "main^", "origin/main@{1}", "cde62b6"]) {
    assert.deepEqual(parseSide(r, "--baseline"), { kind: "ref", ref: r });
    assert.deepEqual(parseSide(`ref:${r}`, "--baseline"), { kind: "ref", ref: r });
  }
});
