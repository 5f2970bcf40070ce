/**
 * The scenario's `quantization` block: its zod schema (for the scenario schema to embed) and a
 * parse function whose errors name the field and the value, in the scenario's message format.
 *
 * @module
 */
import { z } from "zod";
import type { CalibrationMethod } from "./calibrate.ts";
import type { QdqOptions } from "./qdq.ts";
import type { QuantType } from "./quantize.ts";

/** Precisions a case may run at: the float model, and its int8 QDQ form. */
export const PRECISIONS = ["fp32", "int8"] as const;

/** A precision: `fp32` or `int8`. */
export type Precision = (typeof PRECISIONS)[number];

/** Weight granularities: a scale per output channel, or one per tensor. */
export const WEIGHT_GRANULARITIES = ["per-channel", "per-tensor"] as const;

/** Activation types: `uint8` asymmetric, `int8` symmetric. */
export const ACTIVATION_TYPES = ["uint8", "int8"] as const;

/** Calibration methods. */
export const CALIBRATION_METHODS = ["minmax", "percentile"] as const;

/** Calibration inputs used when the scenario names no count. */
export const DEFAULT_CALIBRATION_SAMPLES = 8;

/** A parsed `quantization` block, defaults applied. */
export interface QuantizationOptions extends QdqOptions {
  /** Weight scales per output channel or per tensor. @default {"per-channel"} */
  readonly weights: "per-channel" | "per-tensor";
  /** Activations uint8 asymmetric or int8 symmetric. @default {"uint8"} */
  readonly activations: QuantType;
  /** How activation ranges are taken from the calibration runs. @default {"minmax"} */
  readonly calibration: CalibrationMethod;
  /** The percentile kept by `percentile` calibration, in (0, 100]. @default {99.99} */
  readonly percentile: number;
  /** Seeded calibration inputs, distinct from the evaluation input. @default {8} */
  readonly calibrationSamples: number;
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(", ")}` });
}

const percentileError = "must be a number in (0, 100]";
const samplesError = "must be a positive integer";

/**
 * The zod schema of the `quantization` block: unknown keys are errors, defaults applied. Embed it
 * in the scenario schema (`quantization: quantizationSchema.prefault({})`); scenario/parse.ts
 * then reports its issues like any other field's.
 *
 * @ignore
 */
export const quantizationSchema = z.strictObject({
  weights: oneOf(WEIGHT_GRANULARITIES).default("per-channel").describe(
    "int8 weight scales: one per output channel (onnxruntime's default) or one per tensor",
  ),
  activations: oneOf(ACTIVATION_TYPES).default("uint8").describe(
    "Activation type: uint8 asymmetric (onnxruntime's default) or int8 symmetric",
  ),
  calibration: oneOf(CALIBRATION_METHODS).default("minmax").describe(
    "How activation ranges are taken from the calibration runs",
  ),
  percentile: z.number({ error: percentileError }).gt(0, { error: percentileError })
    .max(100, { error: percentileError }).default(99.99).describe(
      "Percentile kept by 'percentile' calibration (of |x| for int8, both tails for uint8)",
    ),
  calibrationSamples: z.number({ error: samplesError }).int({ error: samplesError })
    .min(1, { error: samplesError }).default(DEFAULT_CALIBRATION_SAMPLES).describe(
      "Seeded calibration inputs, distinct from the evaluation input",
    ),
}, {
  error: (issue) => issue.code === "invalid_type" ? "must be a JSON object" : undefined,
});

/** One problem in a `quantization` block. */
interface Issue {
  readonly path: string;
  readonly message: string;
  readonly value: unknown;
}

function issues(error: z.ZodError, input: unknown, prefix: string): Issue[] {
  return error.issues.flatMap((issue): Issue[] => {
    const at = (key: PropertyKey) => (input as Record<PropertyKey, unknown>)?.[key];
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: `${prefix}.${key}`,
        message: `is not a known field (known: ${
          Object.keys(quantizationSchema.shape).join(", ")
        })`,
        value: at(key),
      }));
    }
    const key = issue.path[0];
    return [{
      path: key === undefined ? prefix : `${prefix}.${String(key)}`,
      message: issue.message,
      value: key === undefined ? input : at(key),
    }];
  });
}

function formatValue(value: unknown): string {
  if (value === undefined) return "missing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Parses a `quantization` block (absent: every default).
 *
 * @param input The block as read from JSON; undefined for the defaults.
 * @param path The block's field path in messages. @default {"quantization"}
 * @returns The options, defaults applied.
 * @throws {RangeError} One line per problem, naming the field and the value.
 * @example
 * ```ts
 * import { parseQuantizationOptions } from "./options.ts";
 * const o = parseQuantizationOptions({ calibration: "percentile" });
 * if (o.percentile !== 99.99 || o.weights !== "per-channel") throw new Error();
 * try {
 *   parseQuantizationOptions({ percentile: 0 });
 *   throw new Error("accepted");
 * } catch (e) {
 *   const expected = "Cannot use quantization options as 'quantization.percentile' must be a " +
 *     "number in (0, 100]: current value is 0";
 *   if ((e as Error).message !== expected) throw e;
 * }
 * ```
 */
export function parseQuantizationOptions(
  input: unknown,
  path = "quantization",
): QuantizationOptions {
  const result = quantizationSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const lines = issues(result.error, input, path).map((i) =>
    `Cannot use quantization options as '${i.path}' ${i.message}: current value is ${
      formatValue(i.value)
    }`
  );
  throw new RangeError(lines.join("\n"));
}

/** How the int8 errors are measured, written into the results' conventions. */
export const INT8_CONVENTIONS: Readonly<Record<string, string>> = {
  int8: "int8 cases quantize each form as a QDQ model with the harness's own quantizer: every " +
    "Conv+BatchNormalization pair folded first (onnxruntime's quantization pre-processing; the " +
    "multi-branch form stays multi-branch, each branch conv quantized on its own), then " +
    "QuantizeLinear/DequantizeLinear around each Conv's input, weight and output, bias int32 " +
    "at input scale x weight scale; activation ranges from seeded calibration inputs distinct " +
    "from the evaluation input, run on the CPU provider with the optimizer off",
  int8Error: "SQNR = 10 log10(sum ref^2 / sum (ref - int8)^2) in dB, ref the fp32 multi-branch " +
    "form's output on the evaluation input (about 6 dB per bit; higher is better); the output's " +
    "error at the case's provider and level; per block, the block's output with the optimizer " +
    "off (CPU), the error accumulated up to it",
  int8Kernels: "integer kernels: op types onnxruntime's optimized model holds at the case's " +
    "level whose name starts with QLinear or ends with Integer (or QGemm); a Conv, FusedConv or " +
    "NCHWc Conv left after optimization ran in float",
  int8Speedup: "speedupOverFp32: median(fp32 form) / median(int8 form), the four sessions " +
    "interleaved in the same rounds, ci95 by paired bootstrap over rounds",
};
