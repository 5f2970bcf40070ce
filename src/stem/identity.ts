/**
 * The Identity model used to measure the binding's per-call overhead: input and output of the
 * stem output's size, so copying a large output is included as it is in a stem run.
 *
 * @module
 */
import type { Graph } from "../onnx/ir.ts";
import { INPUT_NAME, OPSET, OUTPUT_NAME } from "./_builder.ts";

/** Builds an Identity graph whose input and output have `shape`. */
export function buildIdentityGraph(shape: readonly number[]): Graph {
  return {
    name: "identity",
    opset: OPSET,
    inputs: [{ name: INPUT_NAME, shape }],
    outputs: [{ name: OUTPUT_NAME, shape }],
    initializers: [],
    nodes: [{
      name: "identity",
      opType: "Identity",
      inputs: [INPUT_NAME],
      outputs: [OUTPUT_NAME],
      attributes: {},
    }],
  };
}
