/** reportCommand(): writes the report from results files, exit codes on bad input and --help. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { reportCommand } from "../../src/commands/report.ts";
import { HELP } from "../../src/commands/help.ts";
import { fixturePath } from "../report/_fixtures.ts";
import { captureOutput } from "../_tools.ts";

/** Runs the command with its output captured. */
async function run(args: string[]): Promise<{ code: number; err: string; out: string }> {
  const r = await captureOutput(() => reportCommand(args));
  return { code: r.code, err: r.stderr, out: r.stdout };
}

Deno.test("reportCommand() writes one self-contained report of two runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "sub", "r.html");
    const { code, err } = await run([
      fixturePath("before"),
      fixturePath("after"),
      "--out",
      out,
      "--label",
      "before",
      "--label",
      "after",
    ]);
    assert.equal(code, 0, err);
    const page = await Deno.readTextFile(out);
    assert.match(page, /Chart\.js v4\./);
    assert.ok(page.includes(`<section id="compare">`));
    assert.ok(page.includes("after against before"));
    // Nothing to fetch: no external URL in src or href attributes.
    assert.ok(!/\s(src|href)="(https?:)?\/\//.test(page));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reportCommand() puts report.html beside the last results file by default", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const results = join(dir, "results.json");
    await Deno.copyFile(fixturePath("after"), results);
    assert.equal((await run([results])).code, 0);
    assert.ok((await Deno.stat(join(dir, "report.html"))).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reportCommand() exits 2 naming the file for bad input", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const old = join(dir, "old.json");
    await Deno.writeTextFile(old, JSON.stringify({ schemaVersion: 0, context: {}, cases: [] }));
    const notJson = join(dir, "bad.json");
    await Deno.writeTextFile(notJson, "{ nope");
    const missing = join(dir, "missing.json");
    for (
      const [file, text] of [[old, "'schemaVersion' must be 1"], [notJson, "Cannot read"], [
        missing,
        "as it does not exist",
      ]]
    ) {
      const { code, err } = await run([file, "--out", join(dir, "r.html")]);
      assert.equal(code, 2, file);
      assert.ok(err.includes(`"${file}"`) && err.includes(text), err);
    }
    await assert.rejects(() => Deno.stat(join(dir, "r.html")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reportCommand() exits 2 on bad arguments and 0 on --help", async () => {
  assert.equal((await run([])).code, 2);
  assert.equal((await run(["--nope", "x.json"])).code, 2);
  const labels = await run([fixturePath("before"), "--label", "a", "--label", "b"]);
  assert.equal(labels.code, 2);
  assert.match(labels.err, /once per file/);
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.equal(help.out, HELP.report);
});
