/** gateCommand(): exit codes and outputs on the fixture files. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gateCommand } from "../../src/commands/gate.ts";
import type { Verdict } from "../../src/gate/verdict.ts";
import { captureOutput } from "../_tools.ts";

const DATA = fileURLToPath(new URL("../testdata/gate", import.meta.url));
const BASELINE = `${DATA}/baseline.json`;

const gate = (...args: string[]) => captureOutput(() => gateCommand(args));

Deno.test("gateCommand() exits 0 when nothing regressed and prints the table", async () => {
  const r = await gate("--baseline", BASELINE, "--current", `${DATA}/current_same.json`);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^RepStem gate: PASS/);
  assert.match(r.stdout, /status +case +gate/);
});

Deno.test("gateCommand() exits 1 on a count change and names case, metric, old and new", async () => {
  const r = await gate("--baseline", BASELINE, "--current", `${DATA}/current_extra_branch.json`);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /REGRESSED/);
  assert.match(
    r.stdout,
    /FAIL +cpu-all-t1-n1-gelu-b1-scale-w8-r16: multi-branch macs changed from \d+ to \d+/,
  );
});

Deno.test("gateCommand() exits 1 on a 3x slowdown at the default thresholds", async () => {
  const r = await gate("--baseline", BASELINE, "--current", `${DATA}/current_slower_3x.json`);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /median .* \+200\.0% .*slower beyond the 160% threshold/);
});

Deno.test("gateCommand() exits 2 on malformed, old-schema, non-JSON and missing files", async () => {
  const cases: Array<[string, RegExp]> = [
    ["malformed.json", /malformed: cases\[0\].*speedup must have/],
    ["old_schema.json", /'schemaVersion' must be 1: current value is 0/],
    ["not_json.json", /Cannot read results/],
    ["does_not_exist.json", /does_not_exist\.json" as it does not exist/],
  ];
  for (const [file, message] of cases) {
    const r = await gate("--baseline", BASELINE, "--current", `${DATA}/${file}`);
    assert.equal(r.code, 2, file);
    assert.match(r.stderr, message, file);
  }
});

Deno.test("gateCommand() exits 2 on bad arguments", async () => {
  const current = `${DATA}/current_same.json`;
  for (
    const args of [
      ["--current", current],
      ["--baseline", BASELINE, "--current", current, "--threshold", "0"],
      ["--baseline", BASELINE, "--current", current, "--threshold", "abc"],
      ["--baseline", BASELINE, "--current", current, "--bogus"],
      ["--calibrate"],
    ]
  ) {
    const r = await gate(...args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /^error: /);
  }
});

Deno.test("gateCommand() exits 2 across contexts unless --allow-different-context", async () => {
  const current = `${DATA}/current_other_cpu.json`;
  const refused = await gate("--baseline", BASELINE, "--current", current);
  assert.equal(refused.code, 2);
  assert.match(refused.stdout, /CANNOT COMPARE/);
  assert.match(refused.stdout, /--allow-different-context/);
  const allowed = await gate(
    "--baseline",
    BASELINE,
    "--current",
    current,
    "--allow-different-context",
  );
  assert.equal(allowed.code, 0); // 3x slower on another CPU: only counts and speedup are judged
  assert.match(allowed.stdout, /time +no +context differs \(cpu\.model, cpu\.cores\)/);
});

Deno.test("gateCommand() --json prints the verdict on stdout, --markdown writes a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const md = join(dir, "summary.md");
    const r = await gate(
      "--baseline",
      BASELINE,
      "--current",
      `${DATA}/current_extra_branch.json`,
      "--json",
      "--markdown",
      md,
    );
    assert.equal(r.code, 1);
    const verdict = JSON.parse(r.stdout) as Verdict;
    assert.equal(verdict.outcome, "regressed");
    assert.match(r.stderr, /REGRESSED/); // the table goes to stderr with --json
    const text = await Deno.readTextFile(md);
    assert.match(text, /^### RepStem gate: REGRESSED/);
    assert.match(text, /\| \*\*FAIL\*\* \| `cpu-all-t1-n1-gelu-b1-scale-w8-r16` \| multi-branch/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
