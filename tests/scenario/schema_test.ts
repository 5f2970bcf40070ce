import assert from "node:assert/strict";
import { scenarioJsonSchema } from "../../src/scenario/schema.ts";

type JsonObject = Record<string, unknown>;

Deno.test("scenarioJsonSchema() requires only the fields without defaults", () => {
  const schema = scenarioJsonSchema();
  assert.deepEqual(schema.type, "object");
  assert.deepEqual(schema.additionalProperties, false);
  assert.deepEqual([...(schema.required as string[])].sort(), ["description", "name"]);
  // widths and resolutions unless models are given; widths only with resolutions
  assert.deepEqual(schema.anyOf, [
    { required: ["models"] },
    { required: ["widths", "resolutions"] },
  ]);
  assert.deepEqual(schema.dependentRequired, { widths: ["resolutions"] });
});

Deno.test("scenarioJsonSchema() describes every field, with defaults", () => {
  const properties = scenarioJsonSchema().properties as Record<string, JsonObject>;
  assert.deepEqual(Object.keys(properties).sort(), [
    "$schema",
    "activation",
    "batchSizes",
    "branches",
    "cacheMiB",
    "description",
    "devices",
    "inChannels",
    "models",
    "name",
    "optimizationLevels",
    "precisions",
    "profile",
    "quantization",
    "resolutions",
    "roofline",
    "sampling",
    "scaleBranch",
    "se",
    "seed",
    "threads",
    "tolerance",
    "warmup",
    "webgpu",
    "widths",
  ]);
  for (const [key, field] of Object.entries(properties)) {
    assert(typeof field.description === "string", `${key} has no description`);
  }
  assert.deepEqual(properties.inChannels.default, 3);
  assert.deepEqual(properties.activation.default, ["gelu"]);
  assert.deepEqual(properties.devices.default, ["cpu"]);
});

Deno.test("scenarioJsonSchema() closes nested objects and marks axes unique", () => {
  const properties = scenarioJsonSchema().properties as Record<string, JsonObject>;
  for (const key of ["warmup", "sampling", "tolerance"]) {
    assert.deepEqual(properties[key].additionalProperties, false, key);
  }
  const warmup = properties.warmup.properties as Record<string, JsonObject>;
  assert.deepEqual(warmup.minRuns.default, 5);
  assert.deepEqual(properties.widths.uniqueItems, true);
  assert.deepEqual(properties.widths.minItems, 1);
  const branches = properties.branches.items as JsonObject;
  assert.deepEqual([branches.minimum, branches.maximum], [1, 8]);
});
