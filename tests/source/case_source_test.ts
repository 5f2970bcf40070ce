/**
 * The case sources: the generated stem, a user's model (loaded once, fused once, tagged by merge
 * group) and the routing between them; no onnxruntime.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildMobileOneTrain } from "../../scripts/make_example_model.ts";
import { buildCase, countCase, countForms } from "../../src/case.ts";
import { encodeModel } from "../../src/onnx/encode.ts";
import { fuseGraph } from "../../src/reparam/graph/fuse.ts";
import { withInputShape } from "../../src/onnx/input_shape.ts";
import { expandScenario, type ModelCaseConfig } from "../../src/scenario/expand.ts";
import { parseScenario, ScenarioError } from "../../src/scenario/parse.ts";
import {
  loadScenarioModels,
  modelSource,
  resolveModelPath,
  scenarioSource,
  stemSource,
  tagFusion,
} from "../../src/source/mod.ts";
import { weightsCache } from "../../src/source/stem.ts";

/** A temp folder holding `net.onnx` (the tiny MobileOne, 32x32, dynamic batch) and a scenario. */
async function fixture(scenario: Record<string, unknown>) {
  const dir = await Deno.makeTempDir({ prefix: "repstem-source-" });
  await Deno.mkdir(join(dir, "models"));
  await Deno.writeFile(
    join(dir, "models/net.onnx"),
    encodeModel(buildMobileOneTrain({ resolution: 32, width: 8 })),
  );
  const path = join(dir, "scenario.json");
  const text = JSON.stringify({ name: "t", description: "", ...scenario });
  await Deno.writeTextFile(path, text);
  return { dir, path, scenario: parseScenario(text, path) };
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("tagFusion() makes each merge group a block and leaves the rest untagged", () => {
  const graph = buildMobileOneTrain({ resolution: 32, width: 8 });
  const fused = fuseGraph(graph);
  const tagged = tagFusion(graph, fused);
  assert.equal(fused.merges.length, 5);
  const tag = (g: typeof graph, name: string) => g.nodes.find((n) => n.name === name)?.tag;
  // block 2: stage1.dw, two 3x3 branches, a 1x1 scale, a BN skip
  assert.deepEqual(tag(tagged.original, "stage1.dw.kxk0.conv"), { block: 2, branch: "kxk0" });
  assert.deepEqual(tag(tagged.original, "stage1.dw.kxk1.bn"), { block: 2, branch: "kxk1" });
  assert.deepEqual(tag(tagged.original, "stage1.dw.scale.conv"), { block: 2, branch: "scale" });
  assert.deepEqual(tag(tagged.original, "stage1.dw.skip"), { block: 2, branch: "skip" });
  assert.deepEqual(tag(tagged.original, "stage1.dw.add0"), { block: 2, branch: "add" });
  // the Relu reading the group's output belongs to the block in both forms
  assert.deepEqual(tag(tagged.original, "stage1.dw.relu"), { block: 2, branch: "act" });
  assert.deepEqual(tag(tagged.fused, "stage1.dw.relu"), { block: 2, branch: "act" });
  // block 3: stage1.pw's 1x1 branches are its full kernel: kxk, not scale
  assert.deepEqual(tag(tagged.original, "stage1.pw.kxk1.conv"), { block: 3, branch: "kxk1" });
  for (const [k, m] of fused.merges.entries()) {
    assert.deepEqual(tag(tagged.fused, m.node), { block: k + 1, branch: "conv" });
  }
  for (const name of ["head.pool", "head.flatten", "head.fc"]) {
    assert.equal(tag(tagged.original, name), undefined);
    assert.equal(tag(tagged.fused, name), undefined);
  }
  assert.deepEqual(tagged.taps, fused.merges.map((m) => ({ name: m.output, label: m.node })));
});

Deno.test("counts of a tagged model: one block per merge group, untagged nodes in none", () => {
  const graph = buildMobileOneTrain({ resolution: 32, width: 8 });
  const tagged = tagFusion(graph, fuseGraph(graph));
  const at = (g: typeof graph) => withInputShape(g, "input", [1, 3, 32, 32]);
  const forms = countForms(
    { multiBranch: at(tagged.original), reparameterized: at(tagged.fused) },
    1 << 22,
  );
  const { multiBranch: mb, reparameterized: rp } = forms;
  assert.deepEqual(mb.blocks.map((b) => b.block), [1, 2, 3, 4, 5]);
  assert.deepEqual(rp.blocks.map((b) => b.block), [1, 2, 3, 4, 5]);
  assert.ok(rp.nodes.Conv < mb.nodes.Conv);
  assert.equal(rp.nodes.BatchNormalization, undefined);
  for (const b of rp.blocks) assert.deepEqual(b.nodes, { Conv: 1, Relu: 1 });
  const untagged = rp.perNode.filter((n) => n.block === null).map((n) => n.node);
  assert.deepEqual(untagged, ["head.pool", "head.flatten", "head.fc"]);
  // the fused conv of each block does fewer MACs than the branches it replaced
  for (const [i, b] of rp.blocks.entries()) assert.ok(b.macs < mb.blocks[i].macs, `block ${i + 1}`);
});

Deno.test("loadScenarioModels() reads paths from the scenario's folder, once per file", async () => {
  const { dir, path, scenario } = await fixture({
    batchSizes: [1, 2],
    models: [{ path: "models/net.onnx" }, { path: join("models", "net.onnx"), name: "again" }],
  });
  const models = await loadScenarioModels(scenario, path);
  const file = join(dir, "models/net.onnx");
  assert.deepEqual(models.map((m) => m.ref), [
    { name: "net", path: file, sha256: await sha256(file) },
    { name: "again", path: file, sha256: await sha256(file) },
  ]);
  assert.equal(models[0].graph, models[1].graph, "one read per file");
  assert.deepEqual(models[0].declaredShape, [-1, 3, 32, 32]);
  assert.equal(models[0].inputName, "input");
  assert.equal(resolveModelPath("a/s.json", "/abs/m.onnx"), "/abs/m.onnx");
});

Deno.test("loadScenarioModels() names the field and the file of every problem", async () => {
  const { dir, path, scenario } = await fixture({
    models: [
      { path: "models/missing.onnx" },
      { path: "models/net.onnx", inputShape: [1, 3, 64, 64] },
      { path: "scenario.json", name: "not_onnx" },
    ],
  });
  const error = await loadScenarioModels(scenario, path).then(
    () => assert.fail("no error"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ScenarioError);
  assert.deepEqual(error.issues.map((i) => i.path), [
    "models[0].path",
    "models[1].inputShape",
    "models[2].path",
  ]);
  const lines = error.message.split("\n");
  assert.ok(lines.every((l) => l.startsWith(`Cannot load scenario "${path}": `)));
  assert.ok(lines[0].includes(join(dir, "models/missing.onnx")), lines[0]);
  assert.ok(lines[0].endsWith(`current value is "models/missing.onnx"`), lines[0]);
  assert.match(lines[1], /must fit the model's input/);
  assert.ok(lines[2].includes(join(dir, "scenario.json")), lines[2]);
});

Deno.test("model cases: fused once, graphs at each case's shape, the file's digest in config", async () => {
  const { dir, path, scenario } = await fixture({
    batchSizes: [1, 2],
    widths: [8],
    resolutions: [32],
    models: [{ path: "models/net.onnx" }],
  });
  const models = await loadScenarioModels(scenario, path);
  const cases = expandScenario(scenario, models);
  assert.deepEqual(cases.map((c) => c.id), [
    "cpu-all-t1-n1-gelu-b1-scale-w8-r32",
    "cpu-all-t1-n2-gelu-b1-scale-w8-r32",
    "cpu-all-t1-n1-model-net-r32",
    "cpu-all-t1-n2-model-net-r32",
  ]);
  const source = scenarioSource(scenario, models);
  const [n1, n2] = await Promise.all([
    source.build(cases[2].config),
    source.build(cases[3].config),
  ]);
  assert.deepEqual(n2.inputShape, [2, 3, 32, 32]);
  assert.deepEqual(n2.multiBranch.inputs[0].shape, [2, 3, 32, 32]);
  assert.deepEqual(n2.outputShape, [2, 10]);
  assert.equal(n1.reparameterized.nodes[0], n2.reparameterized.nodes[0], "one fusion per file");
  assert.equal(n2.model?.sha256, await sha256(join(dir, "models/net.onnx")));
  assert.equal(n2.equivalence?.method, "noise-floor");
  assert.equal(n2.equivalence?.taps.length, 5);
  // a stem case goes to the stem source, and counts like buildCase's
  const stem = await countCase(cases[0], scenario, source);
  const config = cases[0].config;
  assert.ok(!config.model);
  const built = buildCase(config, weightsCache(scenario.seed)(config), 4 * 1024 * 1024);
  assert.deepEqual(stem.built!.forms, built.forms);
  // each source refuses the other kind
  const model = cases[2].config as ModelCaseConfig;
  await assert.rejects(() => stemSource(0).build(model), TypeError);
  await assert.rejects(() => modelSource(models).build(config), TypeError);
  const unknown = { ...model, model: { ...model.model, name: "nope" } };
  const counted = await countCase({ id: "x", config: unknown }, scenario, source);
  assert.equal(counted.result.state, "errored");
});

Deno.test("scenarios/models.json reads its committed example model and counts its cases", async () => {
  const path = new URL("../../scenarios/models.json", import.meta.url).pathname;
  const scenario = parseScenario(await Deno.readTextFile(path), path);
  const models = await loadScenarioModels(scenario, path);
  assert.ok((await Deno.stat(models[0].ref.path)).size < 200 * 1024);
  const cases = expandScenario(scenario, models);
  assert.deepEqual(cases.map((c) => c.id), [
    "cpu-all-t1-n1-model-mobileone_tiny-r64",
    "cpu-all-t1-n1-model-mobileone_tiny-r128",
  ]);
  const source = scenarioSource(scenario, models);
  for (const c of cases) {
    const { result } = await countCase(c, scenario, source);
    assert.equal(result.state, "skipped", result.state === "errored" ? result.error : "");
    const { multiBranch: mb, reparameterized: rp } = result.forms!;
    assert.ok(rp.macs < mb.macs && rp.blocks.length > 0);
  }
});
