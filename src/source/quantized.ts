/**
 * int8 cases as a source: a case with `config.precision` `int8` gets the fp32 case's two forms
 * from the inner source, each quantized as a QDQ model by the harness's own quantizer
 * (`src/quantize`): every Conv+BatchNormalization pair folded first (as onnxruntime's quantization
 * pre-processing does, so the multi-branch form is quantized branch by branch), activation ranges
 * from the calibrator, then Q/DQ around each Conv's input, weight and output. fp32 cases pass
 * through. Pure but for the calibrator, which the caller gives (onnxruntime runs for the bench,
 * placeholder ranges for counts, which do not depend on them).
 *
 * @module
 */
import type { Graph } from "../onnx/ir.ts";
import type { CaseConfig } from "../scenario/expand.ts";
import type { Scenario } from "../scenario/schema.ts";
import { foldConvBatchNorm } from "../quantize/fold_conv_bn.ts";
import { calibrationTensors } from "../quantize/calibrate.ts";
import { type QdqGraph, quantizeGraph } from "../quantize/qdq.ts";
import type { Range } from "../quantize/quantize.ts";
import type { CaseGraphs, CaseSource } from "./source.ts";

/**
 * Gives the calibrated range of each named tensor of a float graph (its input among them).
 *
 * @param graph The float graph (BatchNorms folded).
 * @param tensors The tensors the quantizer needs ranges for.
 * @param inputShape The concrete input shape.
 */
export type Calibrator = (
  graph: Graph,
  tensors: readonly string[],
  inputShape: readonly number[],
) => Promise<ReadonlyMap<string, Range>>;

/** A calibrator for counting only: every range [-1, 1] (counts do not depend on ranges). */
export const PLACEHOLDER_CALIBRATOR: Calibrator = (
  _graph,
  tensors,
): Promise<ReadonlyMap<string, Range>> =>
  Promise.resolve(new Map(tensors.map((t) => [t, { min: -1, max: 1 }])));

/** One form as quantized. */
export interface QuantizedForm {
  /** The float form the QDQ model came from, its Conv+BatchNorm pairs folded. */
  readonly folded: Graph;
  /** How many Conv+BatchNorm pairs were folded. */
  readonly foldedPairs: number;
  /** The QDQ model and what the quantizer did. */
  readonly qdq: QdqGraph;
}

/** An int8 case's float graphs and both forms as quantized. */
export interface QuantizedGraphs {
  /** The fp32 case's graphs (the reference and the fusion proof). */
  readonly fp32: CaseGraphs;
  /** Each form as quantized. */
  readonly forms: { readonly multiBranch: QuantizedForm; readonly reparameterized: QuantizedForm };
}

/** An int8 case's graphs: the QDQ forms to count and time, and how they were made. */
export interface Int8CaseGraphs extends CaseGraphs {
  /** The float graphs and what quantization did. */
  readonly quantized: QuantizedGraphs;
}

/**
 * Wraps a source so that int8 cases are quantized.
 *
 * @param inner The source of the fp32 cases.
 * @param quantization The scenario's `quantization` block.
 * @param calibrate Gives the activation ranges.
 * @returns The source: fp32 cases from `inner` as they are, int8 cases as {@linkcode Int8CaseGraphs}.
 */
export function quantizedSource(
  inner: CaseSource,
  quantization: Scenario["quantization"],
  calibrate: Calibrator,
): CaseSource {
  return {
    async build(config: CaseConfig): Promise<CaseGraphs> {
      if (config.precision !== "int8") return inner.build(config);
      const { precision: _, ...fp32Config } = config;
      const fp32 = await inner.build(fp32Config as CaseConfig);
      const form = async (g: Graph): Promise<QuantizedForm> => {
        const { graph: folded, folded: foldedPairs } = foldConvBatchNorm(g);
        const tensors = calibrationTensors(folded);
        const ranges = await calibrate(folded, tensors, fp32.inputShape);
        const qdq = quantizeGraph(folded, ranges, {
          weights: quantization.weights,
          activations: quantization.activations,
        });
        return { folded, foldedPairs, qdq };
      };
      const forms = {
        multiBranch: await form(fp32.multiBranch),
        reparameterized: await form(fp32.reparameterized),
      };
      const graphs: Int8CaseGraphs = {
        ...fp32,
        multiBranch: forms.multiBranch.qdq.graph,
        reparameterized: forms.reparameterized.qdq.graph,
        quantized: { fp32, forms },
      };
      return graphs;
    },
  };
}

/**
 * The int8 part of a case's graphs, when it has one.
 *
 * @param graphs What a source built.
 * @returns Its quantized graphs, or undefined for an fp32 case.
 */
export function quantizedOf(graphs: CaseGraphs): QuantizedGraphs | undefined {
  return (graphs as Partial<Int8CaseGraphs>).quantized;
}
