import assert from "node:assert/strict";
import { parseScenario, ScenarioError } from "../../src/scenario/parse.ts";
import { catchError, readFixture, scenarioText } from "./_fixtures.ts";

/** Parses a fixture under a readable source name and returns the ScenarioError it throws. */
function errorOf(name: string): ScenarioError {
  const source = `tests/testdata/scenarios/${name}`;
  return catchError(() => parseScenario(readFixture(name), source), ScenarioError);
}

/** Asserts the error has exactly one line naming the file, the field and the value. */
function assertSingleIssue(name: string, path: string, rule: string, value: string): void {
  const error = errorOf(name);
  assert.deepEqual(
    error.message,
    `Cannot load scenario "tests/testdata/scenarios/${name}": '${path}' ${rule}: current value is ${value}`,
  );
  assert.deepEqual(error.source, `tests/testdata/scenarios/${name}`);
  assert.deepEqual(error.issues.length, 1);
  assert.deepEqual(error.issues[0].path, path);
}

Deno.test("parseScenario() applies every default to a minimal scenario", () => {
  const s = parseScenario(readFixture("minimal.json"), "minimal.json");
  assert.deepEqual(s, {
    name: "minimal",
    description: "Only the required fields: every default applies",
    inChannels: 3,
    resolutions: [224],
    widths: [48],
    batchSizes: [1],
    branches: [1],
    activation: ["gelu"],
    scaleBranch: [true],
    se: [false],
    devices: ["cpu"],
    threads: [1],
    optimizationLevels: ["all"],
    precisions: ["fp32"],
    quantization: {
      weights: "per-channel",
      activations: "uint8",
      calibration: "minmax",
      percentile: 99.99,
      calibrationSamples: 8,
    },
    seed: 0,
    warmup: { minRuns: 5, maxRuns: 100, stableWithin: 0.1 },
    sampling: { minSamples: 30, minTimeMs: 300, maxTimeMs: 5000 },
    cacheMiB: 4,
    tolerance: { maxAbsError: 1e-4, crossProviderMaxAbsError: 1e-3 },
    profile: true,
    roofline: true,
    webgpu: { preferredLayout: "NHWC", validationMode: "disabled", enableGraphCapture: false },
  });
});

Deno.test("parseScenario() keeps every field of a full scenario", () => {
  const s = parseScenario(readFixture("full.json"), "full.json");
  assert.deepEqual(s.$schema, "../../../scenario.schema.json");
  assert.deepEqual(s.activation, ["gelu", "relu"]);
  assert.deepEqual(s.optimizationLevels, ["disabled", "all"]);
  assert.deepEqual(s.warmup, { minRuns: 3, maxRuns: 50, stableWithin: 0.05 });
  assert.deepEqual(s.tolerance.maxAbsError, 1e-5);
  assert.deepEqual(s.profile, false);
});

Deno.test("parseScenario() normalizes one-or-many fields to arrays", () => {
  const s = parseScenario(scenarioText({ activation: "relu", scaleBranch: false, se: true }), "t");
  assert.deepEqual(s.activation, ["relu"]);
  assert.deepEqual(s.scaleBranch, [false]);
  assert.deepEqual(s.se, [true]);
});

Deno.test("parseScenario() rejects an unknown top-level key and suggests the close one", () => {
  assertSingleIssue(
    "bad_unknown_key.json",
    "batchSize",
    "is not a known key (did you mean 'batchSizes'?)",
    "[1]",
  );
});

Deno.test("parseScenario() rejects an unknown nested key with its full path", () => {
  assertSingleIssue(
    "bad_nested_unknown_key.json",
    "warmup.maxRunz",
    "is not a known key (did you mean 'maxRuns'?)",
    "10",
  );
});

Deno.test("parseScenario() lists the known keys when no key is close", () => {
  const error = catchError(
    () => parseScenario(scenarioText({ tolerance: { relError: 1 } }), "t"),
    ScenarioError,
  );
  assert.match(
    error.message,
    /'tolerance\.relError' is not a known key \(known keys: maxAbsError, crossProviderMaxAbsError\)/,
  );
});

Deno.test("parseScenario() rejects a negative width", () => {
  assertSingleIssue("bad_negative_width.json", "widths[1]", "must be a positive integer", "-64");
});

Deno.test("parseScenario() rejects a resolution given as a string", () => {
  assertSingleIssue(
    "bad_string_resolution.json",
    "resolutions[1]",
    "must be an integer >= 8",
    '"256"',
  );
});

Deno.test("parseScenario() rejects an unknown device", () => {
  assertSingleIssue(
    "bad_device.json",
    "devices[1]",
    "must be one of cpu, webgpu, cuda, tensorrt, gpu",
    '"tpu"',
  );
});

Deno.test("parseScenario() rejects 9 branches", () => {
  assertSingleIssue("bad_branches.json", "branches[1]", "must be an integer in 1..8", "9");
});

Deno.test("parseScenario() rejects a duplicated width", () => {
  assertSingleIssue("bad_duplicate_width.json", "widths[2]", "must not repeat 'widths[0]'", "48");
});

Deno.test("parseScenario() rejects duplicates in one-or-many arrays", () => {
  const error = catchError(
    () => parseScenario(scenarioText({ scaleBranch: [true, true] }), "t"),
    ScenarioError,
  );
  assert.match(error.message, /'scaleBranch\[1\]' must not repeat 'scaleBranch\[0\]'/);
});

Deno.test("parseScenario() reports the bad element of an activation array", () => {
  assertSingleIssue(
    "bad_activation.json",
    "activation[1]",
    "must be one of gelu, relu, none",
    '"swish"',
  );
});

Deno.test("parseScenario() reports a wrong scalar for a one-or-many field", () => {
  const error = catchError(() => parseScenario(scenarioText({ se: "yes" }), "t"), ScenarioError);
  assert.deepEqual(
    error.message,
    `Cannot load scenario "t": 'se' must be true, false or a non-empty array of them: current value is "yes"`,
  );
});

Deno.test("parseScenario() checks sampling bounds across fields", () => {
  const error = errorOf("bad_sampling.json");
  assert.deepEqual(error.issues.map((i) => i.path), ["sampling.minSamples", "sampling.maxTimeMs"]);
  assert.match(
    error.message,
    /'sampling\.minSamples' must be a positive integer: current value is 0/,
  );
  // maxTimeMs is checked against minTimeMs only once each field is valid on its own.
  assert.match(error.message, /'sampling\.maxTimeMs' must be >= 'sampling\.minTimeMs' \(500\)/);
});

Deno.test("parseScenario() lists every issue, one per line", () => {
  const error = errorOf("bad_many.json");
  const lines = error.message.split("\n");
  assert.deepEqual(lines.length, 6);
  for (const line of lines) assert(line.startsWith(`Cannot load scenario "tests/testdata/`));
  assert.deepEqual(
    lines,
    [
      "'name' must be a string: current value is missing",
      "'description' must be a string: current value is 1",
      "'resolutions[0]' must be an integer >= 8: current value is 4",
      "'widths' must be a non-empty array of positive integers: current value is []",
      "'seed' must be an integer in 0..4294967295: current value is -1",
      "'warmup' must be a JSON object: current value is 5",
    ].map((rest) => `Cannot load scenario "tests/testdata/scenarios/bad_many.json": ${rest}`),
  );
});

Deno.test("parseScenario() rejects a top level that is not an object", () => {
  const error = catchError(() => parseScenario("[]", "list.json"), ScenarioError);
  assert.deepEqual(
    error.message,
    `Cannot load scenario "list.json": the top level must be a JSON object: current value is []`,
  );
});

Deno.test("parseScenario() throws a SyntaxError naming the source, line and column", () => {
  const error = catchError(
    () => parseScenario(readFixture("bad_syntax.txt"), "scenarios/bad_syntax.txt"),
    SyntaxError,
  );
  assert(!(error instanceof ScenarioError));
  assert.match(
    error.message,
    /^Cannot parse scenario "scenarios\/bad_syntax\.txt" as JSON at line 6, column 1: /,
  );
});

Deno.test("parseScenario() locates syntax errors that JSON.parse gives no position for", () => {
  const cases: [string, string][] = [
    ['{\n  "a": }', "line 2, column 8"],
    ['{"a": tru}', "line 1, column 7"],
    ["", "line 1, column 1"],
    ["[1, 2", "line 1, column 6"],
  ];
  for (const [text, where] of cases) {
    const error = catchError(() => parseScenario(text, "x.json"), SyntaxError);
    assert.match(
      error.message,
      new RegExp(`^Cannot parse scenario "x.json" as JSON at ${where}: `),
    );
  }
});

Deno.test("parseScenario() ignores a byte order mark", () => {
  assert.deepEqual(parseScenario(`\uFEFF${scenarioText()}`, "t").name, "t");
});

Deno.test("parseScenario() reads precisions and quantization; bad values name the field and value", () => {
  const s = parseScenario(
    scenarioText({
      precisions: ["fp32", "int8"],
      quantization: { weights: "per-tensor", calibration: "percentile", percentile: 99.9 },
    }),
    "t",
  );
  assert.deepEqual(s.precisions, ["fp32", "int8"]);
  assert.equal(s.quantization.weights, "per-tensor");
  assert.equal(s.quantization.activations, "uint8");
  assert.equal(s.quantization.percentile, 99.9);
  for (
    const [field, value, path, message] of [
      ["precisions", ["fp16"], "precisions", /fp32, int8/],
      [
        "quantization",
        { calibration: "entropy" },
        "quantization.calibration",
        /minmax, percentile/,
      ],
      ["quantization", { percentile: 0 }, "quantization.percentile", /in \(0, 100\]/],
      ["quantization", { percentile: 101 }, "quantization.percentile", /in \(0, 100\]/],
      ["quantization", { calibrationSamples: 0 }, "quantization.calibrationSamples", /positive/],
    ] as const
  ) {
    assert.throws(() => parseScenario(scenarioText({ [field]: value }), "t.json"), (e: Error) => {
      assert.match(e.message, new RegExp(path.replace(".", "\\.")), e.message);
      assert.match(e.message, message);
      assert.match(e.message, /t\.json/);
      return true;
    });
  }
});
