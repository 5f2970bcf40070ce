/**
 * WebGPU end to end through the CLI. On a machine without a GPU this runs on SwiftShader, the
 * software Vulkan that Debian's chromium ships (exact but slow: correctness only, never speed).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ignoreWithout } from "../_tools.ts";
import { existsSync } from "node:fs";
import { parseResults } from "../../src/results/io.ts";
import type { Int8Form } from "../../src/results/schema.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
const hasSwiftShader = existsSync(SWIFTSHADER_ICD);

Deno.test({
  name: "bench runs a webgpu scenario end to end; cuda cases are skipped with the reason",
  // CI installs chromium, so there this test must run; elsewhere it needs chromium too
  ignore: ignoreWithout(
    hasSwiftShader,
    "SwiftShader from Debian's chromium (apt-get install chromium libvulkan1)",
  ),
  async fn() {
    const out = await Deno.makeTempDir();
    const env: Record<string, string> = {
      XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp",
    };
    if (!Deno.env.get("VK_ICD_FILENAMES")) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    const ran = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        join(ROOT, "src/cli.ts"),
        "bench",
        "--scenario",
        join(ROOT, "tests/testdata/scenarios/webgpu_tiny.json"),
        "--out",
        out,
      ],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(ran.stderr);
    assert.equal(ran.code, 0, stderr);
    const results = parseResults(await Deno.readTextFile(join(out, "results.json")), "results");
    assert.ok(results.context.gpuAdapter, "the adapter is recorded");
    const webgpu = results.cases.filter((c) => c.config.device === "webgpu");
    const cuda = results.cases.filter((c) => c.config.device === "cuda");
    assert.equal(webgpu.length, 2);
    assert.equal(cuda.length, 2);
    for (const c of cuda) {
      assert.equal(c.state, "skipped");
      assert.ok(c.state === "skipped" && /ONNXRUNTIME_NODE_INSTALL=cuda12/.test(c.reason));
    }
    for (const c of webgpu) {
      assert.equal(c.state, "completed", c.state === "errored" ? c.error : "");
      if (c.state !== "completed") continue;
      // 1e-4: the bound between forms; fp32 rounding alone gives about 1e-6 here
      assert.ok(c.equivalence.maxAbsError <= 1e-4, String(c.equivalence.maxAbsError));
      // 1e-3: the bound between providers (different kernels, same fp32 math)
      assert.ok(c.equivalence.crossProvider!.maxAbsError <= 1e-3);
      assert.equal(c.provider.name, "webgpu");
      assert.match(c.provider.latencyIncludes, /upload/);
      for (const form of [c.forms.multiBranch, c.forms.reparameterized]) {
        assert.ok(form.latencyMs!.firstRunMs > 0);
        const rows = form.profile!.rows;
        const offGpu = rows.filter((r) => r.provider !== "WebGpuExecutionProvider");
        // every node runs on WebGPU, or is listed as a fallback
        assert.deepEqual(offGpu.map((r) => r.node).sort(), [...form.profile!.fallbackNodes].sort());
        for (const r of rows) assert.ok(r.block !== null && r.branch !== null, r.node);
      }
    }
  },
});

Deno.test({
  name: "an int8 case on webgpu runs its QDQ models in float there, says so, and matches the CPU",
  ignore: ignoreWithout(
    hasSwiftShader,
    "SwiftShader from Debian's chromium (apt-get install chromium libvulkan1)",
  ),
  async fn() {
    const dir = await Deno.makeTempDir();
    const scenario = join(dir, "int8_webgpu.json");
    await Deno.writeTextFile(
      scenario,
      JSON.stringify({
        name: "int8 webgpu",
        description: "one tiny int8 case on webgpu",
        resolutions: [32],
        widths: [8],
        precisions: ["int8"],
        devices: ["webgpu"],
        quantization: { calibrationSamples: 2 },
        profile: false,
        roofline: false,
        seed: 1,
        warmup: { minRuns: 2, maxRuns: 3, stableWithin: 1 },
        sampling: { minSamples: 3, minTimeMs: 0, maxTimeMs: 500 },
      }),
    );
    const env: Record<string, string> = {
      XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp",
    };
    if (!Deno.env.get("VK_ICD_FILENAMES")) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    const ran = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", join(ROOT, "src/cli.ts"), "bench", "--scenario", scenario],
      env: { ...env },
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(ran.stderr);
    assert.equal(ran.code, 0, stderr);
    const path = join(dir, "reports", "latest", "results.json");
    const results = parseResults(await Deno.readTextFile(path), "results");
    const [c] = results.cases;
    assert.equal(c.state, "completed", c.state === "errored" ? c.error : "");
    if (c.state !== "completed" || !c.int8) throw new Error("no int8 results");
    assert.ok(c.equivalence.crossProvider!.withinTolerance);
    const int8 = c.int8;
    for (const f of ["multiBranch", "reparameterized"] as const) {
      const q: Int8Form = int8.forms[f];
      assert.equal(q.integer, false);
      assert.match(q.note ?? "", /targets the CPU provider; on webgpu/);
      assert.ok(q.error.sqnrDb > 10, `${f}: ${q.error.sqnrDb}`);
    }
  },
});
