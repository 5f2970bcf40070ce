/**
 * The two entry points load with the permissions they promise: mod.ts (pure) with `--allow-read`
 * alone, indeed with none, and runner.ts (onnxruntime) with the bench's, which it needs. Each runs
 * in a child process, as a user's program would.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BENCH_PERMISSIONS } from "../runner.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CONFIG = join(ROOT, "deno.json");

/** Writes `source` (with `ENTRY` standing for the entry point's URL) and runs it. */
async function runScript(entry: string, source: string, permissions: readonly string[]) {
  const dir = await Deno.makeTempDir({ prefix: "repstem-entry-" });
  try {
    const script = join(dir, "main.ts");
    const url = pathToFileURL(join(ROOT, entry)).href;
    await Deno.writeTextFile(script, source.replaceAll("ENTRY", JSON.stringify(url)));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-prompt", `--config=${CONFIG}`, ...permissions, script],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
    return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// mod.ts's own @example: both forms of the default stem built and counted, no onnxruntime.
const COUNT_STEM = `
import { buildMultiBranchStem, buildReparamStem, countGraph, randomStemWeights } from ENTRY;
const spec = {
  inChannels: 3, width: 64, branches: 1, scaleBranch: true, se: false, activation: "gelu",
} as const;
const weights = randomStemWeights(spec, 0);
const input = { batchSize: 1, resolution: 224 };
const deploy = countGraph(buildReparamStem(spec, weights, input), { cacheBytes: 32 << 20 });
const train = countGraph(buildMultiBranchStem(spec, weights, input), { cacheBytes: 32 << 20 });
console.log(JSON.stringify({ params: deploy.total.params, more: train.total.macs > deploy.total.macs }));
`;

for (const permissions of [["--allow-read"], []]) {
  const flags = permissions.length > 0 ? permissions.join(" ") : "no permission";
  Deno.test(`mod.ts imports and counts a stem with ${flags} (no ffi, env or sys)`, async () => {
    const r = await runScript("mod.ts", COUNT_STEM, permissions);
    assert.equal(r.code, 0, r.stderr);
    // C^2 + 39C parameters for C = 64, as README.md derives them
    assert.deepEqual(JSON.parse(r.stdout), { params: 64 * 64 + 39 * 64, more: true });
  });
}

const LOAD_RUNNER = `
import { ortVersion, providerStatus } from ENTRY;
console.log(JSON.stringify({ version: ortVersion(), cpu: providerStatus("cpu").available }));
`;

Deno.test("runner.ts loads onnxruntime with the bench permissions", async () => {
  const r = await runScript("runner.ts", LOAD_RUNNER, BENCH_PERMISSIONS);
  assert.equal(r.code, 0, r.stderr);
  const loaded = JSON.parse(r.stdout);
  assert.match(loaded.version, /^\d+\.\d+\.\d+/);
  assert.equal(loaded.cpu, true);
});

Deno.test("runner.ts needs --allow-ffi: with --allow-read alone it fails to load", async () => {
  const r = await runScript("runner.ts", LOAD_RUNNER, ["--allow-read"]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /NotCapable: Requires (ffi|env|sys) access/);
});
