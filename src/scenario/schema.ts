/**
 * The scenario file schema: which cases to run and how to measure them, with defaults applied and
 * every axis normalized to a non-empty array without duplicates.
 *
 * @module
 */

import { z } from "zod";
import {
  type Precision,
  PRECISIONS,
  type QuantizationOptions,
  quantizationSchema,
} from "../quantize/options.ts";

/** Activations a scenario may ask for (the same names as the stem spec's `Activation`). */
export const ACTIVATIONS = ["gelu", "relu", "none"] as const;

/** Execution providers a scenario may ask for. */
export const DEVICES = ["cpu", "webgpu", "cuda", "tensorrt", "gpu"] as const;

/** onnxruntime graph optimization levels, as `graphOptimizationLevel` spells them. */
export const OPTIMIZATION_LEVELS = ["disabled", "basic", "extended", "layout", "all"] as const;

/** An execution provider: `cpu`, `webgpu`, `cuda`, `tensorrt` or `gpu`. */
export type Device = (typeof DEVICES)[number];

/** An onnxruntime graph optimization level. */
export type OptimizationLevel = (typeof OPTIMIZATION_LEVELS)[number];

/** Largest seed: seeds are 32-bit unsigned integers. */
const MAX_SEED = 0xffff_ffff;

function list(values: readonly string[]): string {
  return values.join(", ");
}

function describeInt(min: number, max: number): string {
  if (max !== Number.MAX_SAFE_INTEGER) return `an integer in ${min}..${max}`;
  return min === 1 ? "a positive integer" : `an integer >= ${min}`;
}

function int(min: number, max = Number.MAX_SAFE_INTEGER) {
  const error = `must be ${describeInt(min, max)}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

function positiveNumber() {
  const error = "must be a positive number";
  return z.number({ error }).positive({ error });
}

function nonNegativeNumber() {
  const error = "must be a number >= 0";
  return z.number({ error }).min(0, { error });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${list(values)}` });
}

/** An object that rejects unknown keys (parse.ts reports each with the known ones). */
function strictObject<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape, {
    error: (issue) => issue.code === "invalid_type" ? "must be a JSON object" : undefined,
  });
}

function rejectDuplicates(values: readonly unknown[], ctx: z.RefinementCtx): void {
  values.forEach((value, i) => {
    const first = values.indexOf(value);
    if (first < i) {
      ctx.addIssue({
        code: "custom",
        path: [i],
        input: value,
        params: { duplicateOf: first },
        message: `must not repeat the value at index ${first}`,
      });
    }
  });
}

/** A non-empty array of distinct elements. */
function axis<T extends z.ZodType>(element: T, what: string) {
  const error = `must be a non-empty array of ${what}`;
  return z
    .array(element, { error })
    .min(1, { error })
    .superRefine(rejectDuplicates)
    .meta({ uniqueItems: true });
}

/**
 * One value or a non-empty array of distinct values, normalized to an array. The array branch comes
 * second: parse.ts reports that branch's issues when the input is an array.
 */
function oneOrMany<T extends z.ZodType>(element: T, one: string, many: string) {
  return z
    .union([element, axis(element, many)], { error: `must be ${one} or a non-empty array of them` })
    .transform((v): z.output<T>[] => Array.isArray(v) ? v : [v as z.output<T>]);
}

function string() {
  return z.string({ error: "must be a string" });
}

function boolean() {
  return z.boolean({ error: "must be true or false" });
}

const warmupSchema = strictObject({
  minRuns: int(1).default(5).describe("Warm-up runs always done before sampling"),
  maxRuns: int(1).default(100).describe("Warm-up stops here even when not yet stable"),
  stableWithin: positiveNumber().default(0.1).describe(
    "Relative spread ((max - min) / median) of the last runs that counts as stable",
  ),
})
  .superRefine((w, ctx) => {
    if (w.maxRuns < w.minRuns) {
      ctx.addIssue({
        code: "custom",
        path: ["maxRuns"],
        input: w.maxRuns,
        message: `must be >= 'warmup.minRuns' (${w.minRuns})`,
      });
    }
  });

const samplingSchema = strictObject({
  minSamples: int(1).default(30).describe("Samples always taken"),
  minTimeMs: nonNegativeNumber().default(300).describe("Sampling goes on at least this long"),
  maxTimeMs: nonNegativeNumber().default(5000).describe(
    "Sampling stops here once minSamples are taken",
  ),
})
  .superRefine((s, ctx) => {
    if (s.maxTimeMs < s.minTimeMs) {
      ctx.addIssue({
        code: "custom",
        path: ["maxTimeMs"],
        input: s.maxTimeMs,
        message: `must be >= 'sampling.minTimeMs' (${s.minTimeMs})`,
      });
    }
  });

const toleranceSchema = strictObject({
  maxAbsError: positiveNumber().default(1e-4).describe(
    "Largest absolute difference allowed between the multi-branch and fused outputs",
  ),
  crossProviderMaxAbsError: positiveNumber().default(1e-3).describe(
    "Largest absolute difference allowed between a GPU provider's output and the CPU's",
  ),
});

/** WebGPU provider options that matter for speed; recorded with every webgpu result. */
const webgpuSchema = strictObject({
  preferredLayout: oneOf(["NCHW", "NHWC"] as const).default("NHWC").describe(
    "Layout of layout-sensitive ops (convs): NHWC is faster on most GPUs",
  ),
  validationMode: oneOf(["disabled", "wgpuOnly", "basic", "full"] as const).default("disabled")
    .describe("WebGPU validation: disabled for benchmarking, basic or full for debugging"),
  enableGraphCapture: boolean().default(false).describe(
    "Replay the captured command buffers (needs every node on the GPU and static shapes)",
  ),
});

/** What a model name may be: it goes into case ids and reports. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * The default name of a model: its file's base name without the extension, any character a name
 * may not hold replaced by `_`.
 *
 * @param path The model's path as written in the scenario.
 * @returns A name matching the rule of `models[].name`.
 * @example
 * ```ts
 * import { defaultModelName } from "./schema.ts";
 * if (defaultModelName("models/my net.v2.onnx") !== "my_net.v2") throw new Error();
 * ```
 */
export function defaultModelName(path: string): string {
  const base = path.split(/[\\/]/).pop()!.replace(/\.[^.]*$/, "");
  const name = base.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^[^A-Za-z0-9]+/, "");
  return name === "" ? "model" : name;
}

const modelSchema = strictObject({
  path: string().min(1, { error: "must be a non-empty string" }).describe(
    "The .onnx file (a multi-branch train-form export), relative to this scenario file's folder",
  ),
  name: string().regex(MODEL_NAME, {
    error: "must start with a letter or digit and hold only letters, digits, '_', '.' and '-'",
  }).optional().describe(
    "Name in case ids and reports (default: the file's base name without the extension)",
  ),
  inputShape: z.array(int(1), { error: "must be an array of 4 positive integers (N, C, H, W)" })
    .length(4, { error: "must be an array of 4 positive integers (N, C, H, W)" })
    .optional()
    .describe(
      "Concrete NCHW input shape; wins over batchSizes and resolutions (default: the model's " +
        "fixed dims, its dynamic batch from batchSizes, dynamic H = W from resolutions)",
    ),
}).transform((m) => ({ ...m, name: m.name ?? defaultModelName(m.path) }));

/** Model names must be unique: they make case ids unique. */
function rejectDuplicateNames(
  models: readonly { readonly name: string }[],
  ctx: z.RefinementCtx,
): void {
  models.forEach((m, i) => {
    const first = models.findIndex((o) => o.name === m.name);
    if (first < i) {
      ctx.addIssue({
        code: "custom",
        path: [i, "name"],
        input: m.name,
        message: `must differ from the name of 'models[${first}]' ("${m.name}"; a name ` +
          "defaults to the file's base name)",
      });
    }
  });
}

const modelsSchema = z
  .array(modelSchema, { error: 'must be a non-empty array of models ({ "path": ... })' })
  .min(1, { error: 'must be a non-empty array of models ({ "path": ... })' })
  .superRefine(rejectDuplicateNames);

/** The messages of the stem axes, also used when they are missing. */
const RESOLUTIONS_ERROR = "must be a non-empty array of integers >= 8";
const WIDTHS_ERROR = "must be a non-empty array of positive integers";

/**
 * `widths` and `resolutions` are required without `models`; beside `models`, `widths` (stem
 * cases) still needs `resolutions`. Runs even when other fields have issues, so that every
 * problem is listed at once.
 */
function requireStemAxes(s: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const missing = (key: string, message: string) =>
    ctx.addIssue({ code: "custom", path: [key], input: undefined, message });
  if (s.models === undefined) {
    if (s.resolutions === undefined) missing("resolutions", RESOLUTIONS_ERROR);
    if (s.widths === undefined) missing("widths", WIDTHS_ERROR);
  } else if (s.widths !== undefined && s.resolutions === undefined) {
    missing("resolutions", `${RESOLUTIONS_ERROR} when 'widths' is given (the stems need it)`);
  }
}

/**
 * The zod schema of a scenario file. Unknown keys are errors at every level; defaults are applied
 * and the one-or-many fields (`activation`, `scaleBranch`, `se`) become arrays. A scenario has
 * stem cases (`widths` and `resolutions`), model cases (`models`) or both.
 *
 * Its type is zod's, which this package does not re-export, so it is left out of the
 * documentation: {@linkcode parseScenario} parses with it, {@linkcode scenarioJsonSchema} gives
 * its JSON Schema, and {@linkcode Scenario} and {@linkcode ScenarioInput} are its output and input
 * types.
 *
 * @ignore
 */
export const scenarioSchema = strictObject({
  $schema: string().optional().describe("Path or URL of this JSON Schema, for editors"),
  name: string().describe("Short name of the scenario, shown in reports"),
  description: string().describe("What the scenario measures and why"),
  inChannels: int(1).default(3).describe("Input channels I (3 for images)"),
  resolutions: axis(int(8), "integers >= 8").optional().describe(
    "Square input sizes H = W (required without 'models'; for models, fills dynamic H and W)",
  ),
  widths: axis(int(1), "positive integers").optional().describe(
    "Stem widths C (FastViT: 48, 64, 76, ...); required without 'models'",
  ),
  models: modelsSchema.optional().describe(
    "Users' ONNX models (multi-branch train form), each fused and benchmarked like a stem",
  ),
  batchSizes: axis(int(1), "positive integers").default([1]).describe(
    "Batch sizes N (for models, fills a dynamic batch dimension)",
  ),
  branches: axis(int(1, 8), "integers in 1..8").default([1]).describe(
    "Conv branches B per block (1 in FastViT, up to 4+ in MobileOne)",
  ),
  activation: oneOrMany(
    oneOf(ACTIVATIONS),
    `one of ${list(ACTIVATIONS)}`,
    `values among ${list(ACTIVATIONS)}`,
  )
    .default(["gelu"])
    .describe("Activation after each block"),
  scaleBranch: oneOrMany(boolean(), "true, false", "booleans").default([true]).describe(
    "Whether 3x3 blocks have the 1x1 scale branch",
  ),
  se: oneOrMany(boolean(), "true, false", "booleans").default([false]).describe(
    "Whether each block has a squeeze-excitation unit",
  ),
  devices: axis(oneOf(DEVICES), `values among ${list(DEVICES)}`).default(["cpu"]).describe(
    "Execution providers",
  ),
  threads: axis(int(1), "positive integers").default([1]).describe("Intra-op thread counts"),
  optimizationLevels: axis(oneOf(OPTIMIZATION_LEVELS), `values among ${list(OPTIMIZATION_LEVELS)}`)
    .default(["all"])
    .describe("onnxruntime graph optimization levels"),
  precisions: axis(oneOf(PRECISIONS), `values among ${list(PRECISIONS)}`).default(["fp32"])
    .describe(
      "Numeric precisions: int8 adds cases whose forms are quantized as QDQ models (see quantization)",
    ),
  quantization: quantizationSchema.prefault({}).describe(
    "How int8 cases are quantized: weights, activations, calibration",
  ),
  seed: int(0, MAX_SEED).default(0).describe("Seed of the random weights"),
  warmup: warmupSchema.prefault({}).describe("Warm-up until latency is stable"),
  sampling: samplingSchema.prefault({}).describe("How many timed runs to take"),
  cacheMiB: positiveNumber().default(4).describe(
    "Last-level cache size used by the cache-aware memory traffic estimate",
  ),
  tolerance: toleranceSchema.prefault({}).describe("Numerical equivalence check"),
  profile: boolean().default(true).describe("Whether to collect onnxruntime's per-node profile"),
  roofline: boolean().default(true).describe(
    "Whether to measure the roofs (a 1024^3 MatMul, a bandwidth sweep) per provider and threads",
  ),
  webgpu: webgpuSchema.prefault({}).describe("WebGPU provider options"),
}).superRefine(requireStemAxes as (s: unknown, ctx: z.RefinementCtx) => void, {
  // also when other fields have issues, but only on an object
  when: ({ value }) => typeof value === "object" && value !== null && !Array.isArray(value),
});

/**
 * A parsed scenario (what {@linkcode parseScenario} returns): defaults applied, every axis a
 * non-empty array of distinct values. The cases are the cross product of the axes (see
 * `expandScenario`).
 */
export interface Scenario {
  /** Path or URL of the JSON Schema the file names, for editors; absent when it names none. */
  $schema?: string | undefined;
  /** Short name of the scenario, shown in reports and written as `context.scenario.name`. */
  name: string;
  /** What the scenario measures and why. */
  description: string;
  /** Input channels I of the stem cases (3 for images); models take theirs from the model. */
  inChannels: number;
  /**
   * Square input sizes H = W of the stem cases, in pixels (each >= 8); for models, the values of a
   * dynamic H and W. Absent only in a scenario with `models` and no `widths`.
   */
  resolutions?: number[] | undefined;
  /** Stem widths C (FastViT: 48, 64, 76, ...); absent in a scenario of models only. */
  widths?: number[] | undefined;
  /**
   * Users' ONNX models (multi-branch train form), each fused and benchmarked like a stem; absent
   * in a scenario of stems only. Names are unique.
   */
  models?:
    | {
      /** The `.onnx` file, relative to the scenario file's folder. */
      path: string;
      /** Name in case ids and reports; when not written, {@linkcode defaultModelName} of `path`. */
      name: string;
      /**
       * Concrete NCHW input shape (4 positive integers), winning over `batchSizes` and
       * `resolutions`; absent: the model's fixed dims, a dynamic batch from `batchSizes` and a
       * dynamic H = W from `resolutions`.
       */
      inputShape?: number[] | undefined;
    }[]
    | undefined;
  /** Batch sizes N; for models, the values of a dynamic batch dimension. Default `[1]`. */
  batchSizes: number[];
  /** Conv branches B per block, each in 1..8 (1 in FastViT, more in MobileOne). Default `[1]`. */
  branches: number[];
  /** Activations after each block, among {@linkcode ACTIVATIONS}. Default `["gelu"]`. */
  activation: (typeof ACTIVATIONS)[number][];
  /** Whether 3x3 blocks have the 1x1 scale branch, one case per value. Default `[true]`. */
  scaleBranch: boolean[];
  /** Whether each block has a squeeze-excitation unit, one case per value. Default `[false]`. */
  se: boolean[];
  /** Execution providers. Default `["cpu"]`. */
  devices: Device[];
  /** onnxruntime intra-op thread counts. Default `[1]`. */
  threads: number[];
  /** onnxruntime graph optimization levels. Default `["all"]`. */
  optimizationLevels: OptimizationLevel[];
  /**
   * Seed of the random stem weights, the input and the bootstrap intervals, a 32-bit unsigned
   * integer. Default 0.
   */
  seed: number;
  /** Warm-up rounds before sampling, until latency is stable. */
  warmup: {
    /** Warm-up runs always done, and the window that must be stable. Default 5. */
    minRuns: number;
    /** Warm-up stops after this many runs even when not yet stable (>= `minRuns`). Default 100. */
    maxRuns: number;
    /**
     * Relative spread `(max - min) / median` of the last `minRuns` runs that counts as stable
     * (0.1 is 10%). Default 0.1.
     */
    stableWithin: number;
  };
  /** How many timed rounds to take. */
  sampling: {
    /** Samples always taken per form. Default 30. */
    minSamples: number;
    /** Sampling goes on at least this long, in ms. Default 300. */
    minTimeMs: number;
    /** Sampling stops after this long, in ms (>= `minTimeMs`), met or not. Default 5000. */
    maxTimeMs: number;
  };
  /**
   * Last-level cache size of the cache-aware memory traffic estimate, in MiB (results'
   * `context.cacheBytes` is this times 2^20). Default 4.
   */
  cacheMiB: number;
  /**
   * Numeric precisions: `fp32` (the cases as built) and `int8` (the same cases with each form
   * quantized as a QDQ model). Default `["fp32"]`.
   */
  precisions: Precision[];
  /** How int8 cases are quantized (defaults: per-channel weights, uint8 activations, minmax). */
  quantization: {
    /** Weight scales: one per output channel (`per-channel`) or one per tensor. */
    weights: QuantizationOptions["weights"];
    /** `uint8` asymmetric or `int8` symmetric activations. */
    activations: QuantizationOptions["activations"];
    /** `minmax` or `percentile`. */
    calibration: QuantizationOptions["calibration"];
    /** Percentile kept by `percentile`, in (0, 100]. */
    percentile: number;
    /** Seeded calibration inputs, at least 1. */
    calibrationSamples: number;
  };
  /** The numerical equivalence checks. */
  tolerance: {
    /**
     * Largest absolute difference allowed between a stem's multi-branch and fused outputs.
     * Default 1e-4 (users' models are checked against their own noise floor instead).
     */
    maxAbsError: number;
    /**
     * Largest absolute difference allowed between a GPU provider's output and the CPU's.
     * Default 1e-3.
     */
    crossProviderMaxAbsError: number;
  };
  /** Whether to collect onnxruntime's per-node profile of each form. Default true. */
  profile: boolean;
  /**
   * Whether to measure the roofs (a 1024^3 MatMul, a bandwidth sweep) per provider and threads and
   * place each form under them; only done with `profile` on. Default true.
   */
  roofline: boolean;
  /** WebGPU provider options, used by the cases whose device resolves to webgpu. */
  webgpu: {
    /** Layout of layout-sensitive ops (convs): NHWC is faster on most GPUs. Default `"NHWC"`. */
    preferredLayout: "NCHW" | "NHWC";
    /**
     * WebGPU validation: disabled for benchmarking, basic or full for debugging. Default
     * `"disabled"`.
     */
    validationMode: "disabled" | "wgpuOnly" | "basic" | "full";
    /**
     * Replay the captured command buffers (needs every node on the GPU and static shapes).
     * Default false.
     */
    enableGraphCapture: boolean;
  };
}

/**
 * A scenario as written in a file (the input of {@linkcode parseScenario}): fields with a default
 * may be left out, and `activation`, `scaleBranch` and `se` may be one value instead of an array.
 * The fields mean what {@linkcode Scenario}'s do; absent means the default named there.
 */
export interface ScenarioInput {
  /** Path or URL of the JSON Schema, for editors (`"./scenario.schema.json"`); ignored. */
  $schema?: string | undefined;
  /** Short name of the scenario, shown in reports. */
  name: string;
  /** What the scenario measures and why. */
  description: string;
  /** Input channels I of the stem cases; absent: 3. */
  inChannels?: number | undefined;
  /** Square input sizes H = W in pixels; required without `models` and beside `widths`. */
  resolutions?: number[] | undefined;
  /** Stem widths C; required without `models`. */
  widths?: number[] | undefined;
  /** Users' ONNX models; absent: stems only. */
  models?:
    | {
      /** The `.onnx` file, relative to the scenario file's folder. */
      path: string;
      /** Name in case ids and reports; absent: {@linkcode defaultModelName} of `path`. */
      name?: string | undefined;
      /** Concrete NCHW input shape; absent: from the model, `batchSizes` and `resolutions`. */
      inputShape?: number[] | undefined;
    }[]
    | undefined;
  /** Batch sizes N; absent: `[1]`. */
  batchSizes?: number[] | undefined;
  /** Conv branches B per block, each in 1..8; absent: `[1]`. */
  branches?: number[] | undefined;
  /** One activation or several; absent: `"gelu"`. */
  activation?: (typeof ACTIVATIONS)[number] | (typeof ACTIVATIONS)[number][] | undefined;
  /** Whether 3x3 blocks have the 1x1 scale branch, one value or both; absent: true. */
  scaleBranch?: boolean | boolean[] | undefined;
  /** Whether each block has a squeeze-excitation unit, one value or both; absent: false. */
  se?: boolean | boolean[] | undefined;
  /** Execution providers; absent: `["cpu"]`. */
  devices?: Device[] | undefined;
  /** onnxruntime intra-op thread counts; absent: `[1]`. */
  threads?: number[] | undefined;
  /** onnxruntime graph optimization levels; absent: `["all"]`. */
  optimizationLevels?: OptimizationLevel[] | undefined;
  /** Seed of the weights, the input and the bootstrap, a 32-bit unsigned integer; absent: 0. */
  seed?: number | undefined;
  /** Warm-up settings; an absent field takes its default (5, 100, 0.1). */
  warmup?: {
    /** Warm-up runs always done, and the stability window; absent: 5. */
    minRuns?: number | undefined;
    /** Most warm-up runs; absent: 100. */
    maxRuns?: number | undefined;
    /** Relative spread `(max - min) / median` that counts as stable; absent: 0.1. */
    stableWithin?: number | undefined;
  } | undefined;
  /** Sampling settings; an absent field takes its default (30, 300 ms, 5000 ms). */
  sampling?: {
    /** Samples always taken per form; absent: 30. */
    minSamples?: number | undefined;
    /** Least sampling time, in ms; absent: 300. */
    minTimeMs?: number | undefined;
    /** Most sampling time, in ms; absent: 5000. */
    maxTimeMs?: number | undefined;
  } | undefined;
  /** Cache size of the cache-aware traffic estimate, in MiB; absent: 4. */
  cacheMiB?: number | undefined;
  /** `fp32` and/or `int8`; absent: `["fp32"]`. */
  precisions?: Precision[] | undefined;
  /** How int8 cases are quantized; an absent field takes its default. */
  quantization?: {
    /** `per-channel` (default) or `per-tensor`. */
    weights?: "per-channel" | "per-tensor" | undefined;
    /** `uint8` (default) or `int8`. */
    activations?: "uint8" | "int8" | undefined;
    /** `minmax` (default) or `percentile`. */
    calibration?: "minmax" | "percentile" | undefined;
    /** Percentile kept by `percentile`, in (0, 100]; absent: 99.99. */
    percentile?: number | undefined;
    /** Seeded calibration inputs; absent: 8. */
    calibrationSamples?: number | undefined;
  } | undefined;
  /** Equivalence tolerances; an absent field takes its default (1e-4, 1e-3). */
  tolerance?: {
    /** Largest |multi-branch - fused| of a stem's outputs; absent: 1e-4. */
    maxAbsError?: number | undefined;
    /** Largest |GPU - CPU| of a GPU provider's outputs; absent: 1e-3. */
    crossProviderMaxAbsError?: number | undefined;
  } | undefined;
  /** Whether to collect the per-node profile; absent: true. */
  profile?: boolean | undefined;
  /** Whether to measure the roofs and place the forms under them; absent: true. */
  roofline?: boolean | undefined;
  /** WebGPU provider options; an absent field takes its default (NHWC, disabled, false). */
  webgpu?: {
    /** Layout of layout-sensitive ops; absent: `"NHWC"`. */
    preferredLayout?: "NCHW" | "NHWC" | undefined;
    /** WebGPU validation; absent: `"disabled"`. */
    validationMode?: "disabled" | "wgpuOnly" | "basic" | "full" | undefined;
    /** Replay captured command buffers; absent: false. */
    enableGraphCapture?: boolean | undefined;
  } | undefined;
}

/** True when two types are identical (optional and readonly modifiers included). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

// Scenario and ScenarioInput are written out for their documentation; these fail to compile
// when they drift from the schema.
const _outputMatches: Same<Scenario, z.output<typeof scenarioSchema>> = true;
const _inputMatches: Same<ScenarioInput, z.input<typeof scenarioSchema>> = true;

/**
 * Builds the JSON Schema of scenario files (input side: fields with defaults are optional), for
 * editors to validate and complete scenario files (`"$schema": "./scenario.schema.json"`).
 * `widths` and `resolutions` are required unless `models` is given (`anyOf`), and `widths` needs
 * `resolutions` (`dependentRequired`).
 *
 * @returns A draft 2020-12 JSON Schema object.
 * @example
 * ```ts
 * import { scenarioJsonSchema } from "./schema.ts";
 * const schema = scenarioJsonSchema();
 * if (schema.additionalProperties !== false) throw new Error();
 * ```
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema, { io: "input", target: "draft-2020-12" });
  // zod leaves out the defaults of fields that transform their input (the one-or-many fields):
  // their array defaults are valid input too, so editors can show them.
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  for (const [key, field] of Object.entries(scenarioSchema.shape)) {
    if (field instanceof z.ZodDefault && !("default" in properties[key])) {
      properties[key] = { default: field.def.defaultValue, ...properties[key] };
    }
  }
  // Cross-field rules zod cannot state in JSON Schema: stems need widths and resolutions, a
  // scenario without models needs stems.
  return {
    ...schema,
    title: "RepStem Bench scenario",
    anyOf: [{ required: ["models"] }, { required: ["widths", "resolutions"] }],
    dependentRequired: { widths: ["resolutions"] },
  };
}
