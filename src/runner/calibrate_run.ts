/**
 * Calibration on onnxruntime: the float graph with the tensors to calibrate exposed as outputs,
 * run on the CPU provider with the optimizer off (so every tensor is the float graph's own) over
 * seeded calibration inputs, distinct from the evaluation input; each tensor's range collected as
 * the scenario's `quantization` block says (src/quantize/calibrate.ts).
 *
 * @module
 */
import { encodeModel } from "../onnx/encode.ts";
import {
  calibrateRanges,
  calibrationInputs,
  withIntermediateOutputs,
} from "../quantize/calibrate.ts";
import type { Scenario } from "../scenario/schema.ts";
import type { Calibrator } from "../source/quantized.ts";
import { createSession } from "./ort.ts";

/**
 * A calibrator backed by onnxruntime.
 *
 * @param quantization The scenario's `quantization` block (method, percentile, samples, type).
 * @param seed The scenario's seed: the calibration inputs derive from it, and differ from the
 *   evaluation input.
 * @returns The calibrator.
 */
export function ortCalibrator(quantization: Scenario["quantization"], seed: number): Calibrator {
  return async (graph, tensors, inputShape) => {
    const size = inputShape.reduce((a, b) => a * b, 1);
    const inputs = calibrationInputs(size, seed, quantization.calibrationSamples);
    const session = await createSession(encodeModel(withIntermediateOutputs(graph, tensors)), {
      device: "cpu",
      threads: 1,
      optimizationLevel: "disabled",
    });
    try {
      return await calibrateRanges(
        tensors,
        graph.inputs[0].name,
        inputs,
        (input) => session.runAll(input, inputShape),
        {
          method: quantization.calibration,
          percentile: quantization.percentile,
          activations: quantization.activations,
        },
      );
    } finally {
      await session.release();
    }
  };
}
