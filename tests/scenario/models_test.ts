/** Scenarios with users' models: the `models` field, its errors, and expansion into cases. */
import assert from "node:assert/strict";
import {
  caseId,
  expandScenario,
  type ModelFacts,
  modelInputShapes,
  ModelShapeError,
} from "../../src/scenario/expand.ts";
import { parseScenario, ScenarioError } from "../../src/scenario/parse.ts";
import { defaultModelName } from "../../src/scenario/schema.ts";
import { catchError } from "./_fixtures.ts";

function parse(fields: Record<string, unknown>) {
  return parseScenario(JSON.stringify({ name: "t", description: "", ...fields }), "t.json");
}

function issuesOf(fields: Record<string, unknown>) {
  return catchError(() => parse(fields), ScenarioError).issues;
}

/** What loadScenarioModels would read: a file digest and the declared input shape. */
function facts(name: string, declaredShape: number[]): ModelFacts {
  return { ref: { name, path: `dir/${name}.onnx`, sha256: "ab".repeat(32) }, declaredShape };
}

Deno.test("a scenario may hold only models: widths and resolutions become optional", () => {
  const s = parse({ models: [{ path: "nets/my-net.v2.onnx" }] });
  assert.deepEqual(s.models, [{ path: "nets/my-net.v2.onnx", name: "my-net.v2" }]);
  assert.equal(s.widths, undefined);
  assert.equal(s.resolutions, undefined);
  const cases = expandScenario(s, [facts("my-net.v2", [1, 3, 64, 64])]);
  assert.deepEqual(cases.map((c) => c.id), ["cpu-all-t1-n1-model-my-net.v2-r64"]);
  assert.deepEqual(cases[0].config, {
    model: { name: "my-net.v2", path: "dir/my-net.v2.onnx", sha256: "ab".repeat(32) },
    inputShape: [1, 3, 64, 64],
    inChannels: 3,
    resolution: 64,
    batchSize: 1,
    device: "cpu",
    threads: 1,
    optimizationLevel: "all",
  });
});

Deno.test("models beside the stem axes: stem cases first, then each model's, per run config", () => {
  const s = parse({
    widths: [8],
    resolutions: [32, 64],
    batchSizes: [1, 2],
    threads: [1, 2],
    models: [{ path: "a.onnx", name: "net" }, { path: "b.onnx", inputShape: [4, 3, 40, 48] }],
  });
  const cases = expandScenario(s, [facts("net", [-1, 3, -1, -1]), facts("b", [-1, 3, 40, 48])]);
  // per thread count: 2 x 2 stems, net 2 batches x 2 resolutions, b its inputShape only
  assert.equal(cases.length, 2 * (4 + 4 + 1));
  assert.equal(new Set(cases.map((c) => c.id)).size, cases.length);
  assert.deepEqual(cases.slice(4, 9).map((c) => c.id), [
    "cpu-all-t1-n1-model-net-r32",
    "cpu-all-t1-n1-model-net-r64",
    "cpu-all-t1-n2-model-net-r32",
    "cpu-all-t1-n2-model-net-r64",
    "cpu-all-t1-n4-model-b-r40x48",
  ]);
  assert.equal(cases[9].id, "cpu-all-t2-n1-gelu-b1-scale-w8-r32");
  for (const c of cases) assert.equal(c.id, caseId(c.config));
  assert.equal(cases[0].config.model, undefined);
});

Deno.test("fixed input dims stay: one batch and one resolution for a static model", () => {
  const s = parse({ batchSizes: [1, 8], resolutions: [32, 64], models: [{ path: "m.onnx" }] });
  assert.deepEqual(modelInputShapes(s, 0, [1, 3, 224, 224]), [[1, 3, 224, 224]]);
  assert.deepEqual(modelInputShapes(s, 0, [-1, 3, 224, 224]), [[1, 3, 224, 224], [8, 3, 224, 224]]);
  assert.deepEqual(modelInputShapes(s, 0, [2, 3, -1, -1]), [[2, 3, 32, 32], [2, 3, 64, 64]]);
});

Deno.test("a model's dynamic H and W need resolutions, dynamic channels need inputShape", () => {
  const s = parse({ models: [{ path: "m.onnx" }] });
  const error = catchError(() => modelInputShapes(s, 0, [-1, 3, -1, -1]), ModelShapeError);
  assert.equal(error.field, "resolutions");
  assert.match(error.message, /dynamic H or W/);
  const channels = catchError(() => modelInputShapes(s, 0, [1, -1, 8, 8]), ModelShapeError);
  assert.equal(channels.field, "models[0].inputShape");
});

Deno.test("expandScenario() needs what was read of every model", () => {
  const s = parse({ models: [{ path: "m.onnx" }] });
  assert.throws(() => expandScenario(s), RangeError);
});

Deno.test("a model without a path is an error naming 'models[0].path'", () => {
  const error = catchError(() => parse({ models: [{ name: "x" }] }), ScenarioError);
  assert.equal(
    error.message,
    `Cannot load scenario "t.json": 'models[0].path' must be a string: current value is missing`,
  );
});

Deno.test("model names must be unique, defaults included", () => {
  const issues = issuesOf({ models: [{ path: "a/net.onnx" }, { path: "b/net.onnx" }] });
  assert.deepEqual(issues.map((i) => i.path), ["models[1].name"]);
  assert.match(issues[0].message, /must differ from the name of 'models\[0\]' \("net"/);
  const named = issuesOf({
    models: [{ path: "a.onnx", name: "n" }, { path: "b.onnx", name: "n" }],
  });
  assert.deepEqual(named.map((i) => [i.path, i.value]), [["models[1].name", "n"]]);
  // distinct names for the same file are fine
  assert.equal(
    parse({ models: [{ path: "a.onnx" }, { path: "a.onnx", name: "b" }] }).models!.length,
    2,
  );
});

Deno.test("model entries are checked field by field", () => {
  const issues = issuesOf({
    models: [{ path: "", name: "-x", inputShape: [1, 3, 32], extra: 1 }],
  });
  assert.deepEqual(issues.map((i) => i.path).sort(), [
    "models[0].extra",
    "models[0].inputShape",
    "models[0].name",
    "models[0].path",
  ]);
  const unknown = issues.find((i) => i.path === "models[0].extra")!;
  assert.match(unknown.message, /known keys: path, name, inputShape/);
  assert.deepEqual(issuesOf({ models: [] }).map((i) => i.path), ["models"]);
});

Deno.test("without models, widths and resolutions are required as before", () => {
  const issues = issuesOf({});
  assert.deepEqual(issues.map((i) => [i.path, i.message, i.value]), [
    ["resolutions", "must be a non-empty array of integers >= 8", undefined],
    ["widths", "must be a non-empty array of positive integers", undefined],
  ]);
  // beside models, stems still need resolutions
  const beside = issuesOf({ models: [{ path: "m.onnx" }], widths: [8] });
  assert.deepEqual(beside.map((i) => i.path), ["resolutions"]);
});

Deno.test("defaultModelName() takes the base name without extension, made name-safe", () => {
  assert.equal(defaultModelName("net.onnx"), "net");
  assert.equal(defaultModelName("C:\\models\\ResNet 50.onnx"), "ResNet_50");
  assert.equal(defaultModelName("dir/.onnx"), "model");
  assert.equal(defaultModelName("_x.onnx"), "x");
});
