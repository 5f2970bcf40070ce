/** baselineCommand(): records a baseline from a results file, refuses errored results. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { baselineCommand } from "../../src/commands/baseline.ts";
import { readResults } from "../../src/results/io.ts";
import { captureOutput } from "../_tools.ts";

const DATA = fileURLToPath(new URL("../testdata/gate", import.meta.url));
const BASELINE = `${DATA}/baseline.json`;

Deno.test("baselineCommand() --from writes a baseline and refuses errored results", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "baselines", "ci.json");
    const ok = await captureOutput(() => baselineCommand(["--from", BASELINE, "--out", out]));
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /Wrote baseline .*1 case\(s\)/);
    assert.deepEqual(await readResults(out), await readResults(BASELINE));
    const errored = join(dir, "errored.json");
    const r = await readResults(BASELINE);
    const c = r.cases[0];
    await Deno.writeTextFile(
      errored,
      JSON.stringify({
        ...r,
        cases: [{ id: c.id, config: c.config, state: "errored", error: "x" }],
      }),
    );
    const refused = await captureOutput(() =>
      baselineCommand(["--from", errored, "--out", join(dir, "no.json")])
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Not writing .*1 case\(s\) errored/);
    const usage = await captureOutput(() => baselineCommand(["--out", out]));
    assert.equal(usage.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
