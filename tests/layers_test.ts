/** The module map's layering (scripts/check_layers.ts) holds over src/, mod.ts and runner.ts. */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  findViolations,
  floorOf,
  type ModuleImports,
  readImports,
} from "../scripts/check_layers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const file = (path: string, imports: Partial<Omit<ModuleImports, "path">> = {}) => ({
  path,
  code: [],
  types: [],
  dynamic: [],
  packages: [],
  ...imports,
});

Deno.test("findViolations() finds no cycle, upward import or native import in src/", async () => {
  const modules = await readImports(ROOT);
  assert.ok(modules.some((m) => m.path === "src/cli.ts"), "the graph holds src/cli.ts");
  assert.ok(modules.some((m) => m.path === "runner.ts"), "the graph holds runner.ts");
  assert.deepEqual(findViolations(modules), []);
});

Deno.test("findViolations() reports an upward type import and a cycle between files", () => {
  const found = findViolations([
    file("src/results/schema.ts", { types: ["src/runner/profile_run.ts"] }),
    file("src/runner/profile_run.ts", { code: ["src/results/schema.ts"] }),
    file("src/stem/weights.ts", { code: ["src/stem/reference.ts"] }),
    file("src/stem/reference.ts", { types: ["src/stem/weights.ts"] }),
  ], {});
  assert.deepEqual(found, [
    "import cycle between files: src/results/schema.ts, src/runner/profile_run.ts",
    "import cycle between files: src/stem/reference.ts, src/stem/weights.ts",
    "import cycle between units: src/results, src/runner",
    "src/results/schema.ts (foundation) imports upward: src/runner/profile_run.ts (domain)",
  ]);
});

Deno.test("findViolations() reports private imports, native imports and mod.ts loading the runner", () => {
  const found = findViolations([
    file("mod.ts", { code: ["src/bench_loop.ts"] }),
    file("src/bench_loop.ts", { code: ["src/runner/ort.ts"], dynamic: ["src/report/_html.ts"] }),
    file("src/runner/ort.ts", { packages: ["onnxruntime-node"] }),
    file("src/report/_html.ts"),
    file("src/gate/gate.ts", { packages: ["onnxruntime-node"] }),
    file("src/misc.ts"),
  ], {});
  assert.deepEqual(found, [
    "mod.ts loads src/runner/ort.ts, which belongs behind runner.ts (onnxruntime)",
    "src/bench_loop.ts imports src/report/_html.ts, which is private to src/report/",
    "src/gate/gate.ts imports onnxruntime-node: only src/runner/ort.ts may",
    "src/misc.ts is on no floor: add it to FLOORS in scripts/check_layers.ts",
  ]);
});

Deno.test("findViolations() reports an exception that no longer occurs", () => {
  const found = findViolations([file("src/stats/random.ts")], { "gone: x": "why" });
  assert.deepEqual(found, ["no longer occurs, so drop it from KNOWN_EXCEPTIONS: gone: x"]);
});

Deno.test("floorOf() places folders and root files, the longest match first", () => {
  assert.equal(floorOf("src/reparam/graph/fuse.ts"), "foundation");
  assert.equal(floorOf("src/commands/count.ts"), "case loop and commands");
  assert.equal(floorOf("src/text_format.ts"), "foundation");
  assert.equal(floorOf("runner.ts"), "entry point");
  assert.equal(floorOf("src/nowhere.ts"), undefined);
});
