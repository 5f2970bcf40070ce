/** Parsing A/B sides: every kind, the default, and errors that name the flag and the value. */
import assert from "node:assert/strict";
import { formatSide, parseSide, supportedSide, WORKING_TREE } from "../../src/ab/side.ts";

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

Deno.test("supportedSide() accepts ort:, refuses ref: as not supported yet, naming the side", () => {
  assert.deepEqual(supportedSide({ kind: "models", dir: "d" }, "--baseline"), {
    kind: "models",
    dir: "d",
  });
  assert.deepEqual(supportedSide({ kind: "working tree" }, "--candidate"), {
    kind: "working tree",
  });
  assert.throws(
    () => supportedSide(parseSide("main", "--baseline"), "--baseline"),
    (e: Error) =>
      e instanceof RangeError && /'--baseline' "ref:main".*not supported yet/.test(e.message),
  );
  assert.deepEqual(supportedSide(parseSide("ort:1.29.0", "--candidate"), "--candidate"), {
    kind: "ort",
    version: "1.29.0",
  });
});
