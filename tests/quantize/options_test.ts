/** Tests for options.ts: defaults, and errors that name the field and the value. */
import assert from "node:assert/strict";
import {
  DEFAULT_CALIBRATION_SAMPLES,
  parseQuantizationOptions,
  quantizationSchema,
} from "../../src/quantize/options.ts";

Deno.test("parseQuantizationOptions() applies onnxruntime's defaults and 99.99", () => {
  const defaults = {
    weights: "per-channel",
    activations: "uint8",
    calibration: "minmax",
    percentile: 99.99,
    calibrationSamples: DEFAULT_CALIBRATION_SAMPLES,
  };
  assert.deepEqual(parseQuantizationOptions(undefined), defaults);
  assert.deepEqual(parseQuantizationOptions({}), defaults);
  assert.deepEqual(
    parseQuantizationOptions({
      weights: "per-tensor",
      activations: "int8",
      calibration: "percentile",
      percentile: 100,
      calibrationSamples: 1,
    }),
    {
      weights: "per-tensor",
      activations: "int8",
      calibration: "percentile",
      percentile: 100,
      calibrationSamples: 1,
    },
  );
});

Deno.test("parseQuantizationOptions() names the field and the value of each bad input", () => {
  const cases: [unknown, string][] = [
    [
      { weights: "per-row" },
      `'quantization.weights' must be one of per-channel, per-tensor: current value is "per-row"`,
    ],
    [
      { activations: "fp16" },
      `'quantization.activations' must be one of uint8, int8: current value is "fp16"`,
    ],
    [
      { calibration: "entropy" },
      `'quantization.calibration' must be one of minmax, percentile: current value is "entropy"`,
    ],
    [
      { percentile: 0 },
      `'quantization.percentile' must be a number in (0, 100]: current value is 0`,
    ],
    [
      { percentile: 100.5 },
      `'quantization.percentile' must be a number in (0, 100]: current value is 100.5`,
    ],
    [
      { percentile: -3 },
      `'quantization.percentile' must be a number in (0, 100]: current value is -3`,
    ],
    [
      { percentile: "99" },
      `'quantization.percentile' must be a number in (0, 100]: current value is "99"`,
    ],
    [
      { calibrationSamples: 0 },
      `'quantization.calibrationSamples' must be a positive integer: current value is 0`,
    ],
    [
      { calibrationSamples: 2.5 },
      `'quantization.calibrationSamples' must be a positive integer: current value is 2.5`,
    ],
    [
      { bits: 4 },
      `'quantization.bits' is not a known field (known: weights, activations, calibration, percentile, calibrationSamples): current value is 4`,
    ],
    [[1], `'quantization' must be a JSON object: current value is [1]`],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => parseQuantizationOptions(input),
      (e: unknown) => {
        assert.ok(e instanceof RangeError);
        assert.equal(e.message, `Cannot use quantization options as ${message}`);
        return true;
      },
    );
  }
});

Deno.test("parseQuantizationOptions() lists every problem, one line each, under a given path", () => {
  assert.throws(
    () => parseQuantizationOptions({ percentile: 0, calibration: "kl" }, "cases[0].quantization"),
    (e: unknown) => {
      const lines = (e as Error).message.split("\n");
      assert.equal(lines.length, 2);
      assert.match(lines[0], /'cases\[0\]\.quantization\.calibration' must be one of/);
      assert.match(lines[1], /'cases\[0\]\.quantization\.percentile' must be a number/);
      return true;
    },
  );
});

Deno.test("quantizationSchema embeds in a larger schema with the same messages", () => {
  const result = quantizationSchema.safeParse({ percentile: 0 });
  assert.equal(result.success, false);
  assert.deepEqual(result.error?.issues.map((i) => [i.path, i.message]), [
    [["percentile"], "must be a number in (0, 100]"],
  ]);
});
