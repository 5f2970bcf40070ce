import assert from "node:assert/strict";
import {
  type CaseConfig,
  caseId,
  expandScenario,
  type StemCaseConfig,
} from "../../src/scenario/expand.ts";
import { parseScenario } from "../../src/scenario/parse.ts";
import type { Activation } from "../../src/stem/spec.ts";
import { readFixture, scenarioText } from "./_fixtures.ts";

// Compile-time check: the stem case activation is exactly the stem spec's Activation.
const _toStem: Activation = "gelu" as StemCaseConfig["activation"];
const _fromStem: StemCaseConfig["activation"] = "gelu" as Activation;

const BASE: CaseConfig = {
  inChannels: 3,
  width: 48,
  resolution: 224,
  batchSize: 1,
  branches: 1,
  activation: "gelu",
  scaleBranch: true,
  se: false,
  device: "cpu",
  threads: 1,
  optimizationLevel: "all",
};

Deno.test("caseId() names every knob in a readable order", () => {
  assert.deepEqual(caseId(BASE), "cpu-all-t1-n1-gelu-b1-scale-w48-r224");
  assert.deepEqual(
    caseId({ ...BASE, se: true, scaleBranch: false, device: "webgpu", branches: 4 }),
    "webgpu-all-t1-n1-gelu-b4-noscale-se-w48-r224",
  );
  assert.deepEqual(caseId({ ...BASE, inChannels: 1 }), "cpu-all-t1-n1-gelu-b1-scale-w48-r224-c1");
});

Deno.test("expandScenario() gives the product of the axis lengths, with unique ids", () => {
  const s = parseScenario(readFixture("full.json"), "full.json");
  const cases = expandScenario(s);
  // devices 2, levels 2, threads 2, batch 2, activation 2, scale 2, se 2, branches 2, widths 3, res 2
  assert.deepEqual(cases.length, 2 ** 8 * 3 * 2);
  assert.deepEqual(new Set(cases.map((c) => c.id)).size, cases.length);
  for (const c of cases) assert.deepEqual(c.id, caseId(c.config));
});

Deno.test("expandScenario() nests devices outermost and resolutions innermost", () => {
  const s = parseScenario(readFixture("full.json"), "full.json");
  const cases = expandScenario(s);
  const keys: (keyof CaseConfig)[] = [
    "device",
    "optimizationLevel",
    "threads",
    "batchSize",
    "activation",
    "scaleBranch",
    "se",
    "branches",
    "width",
    "resolution",
  ];
  const axes = [
    s.devices,
    s.optimizationLevels,
    s.threads,
    s.batchSizes,
    s.activation,
    s.scaleBranch,
    s.se,
    s.branches,
    s.widths,
    s.resolutions,
  ] as unknown[][];
  cases.forEach((c, n) => {
    // Mixed-radix digits of n, the last axis varying fastest.
    let rest = n;
    for (let k = keys.length - 1; k >= 0; k--) {
      assert.deepEqual(c.config[keys[k]], axes[k][rest % axes[k].length], `case ${n} ${keys[k]}`);
      rest = Math.floor(rest / axes[k].length);
    }
    assert.deepEqual(c.config.inChannels, 3);
  });
  assert.deepEqual(cases[0].id, "cpu-disabled-t1-n1-gelu-b1-scale-w48-r224");
  assert.deepEqual(cases[1].id, "cpu-disabled-t1-n1-gelu-b1-scale-w48-r256");
  assert.deepEqual(cases.at(-1)!.id, "webgpu-all-t2-n8-relu-b4-noscale-se-w96-r256");
});

Deno.test("expandScenario() gives one case for a minimal scenario", () => {
  const cases = expandScenario(parseScenario(scenarioText(), "t"));
  assert.deepEqual(cases, [{ id: "cpu-all-t1-n1-gelu-b1-scale-w48-r224", config: BASE }]);
});
