/**
 * Scenario to cases: the cross product of its axes, in a stable order, each case with a readable id.
 *
 * @module
 */

import type { ACTIVATIONS, Device, OptimizationLevel, Scenario } from "./schema.ts";

/** Everything one generated-stem case varies: the stem's knobs and how onnxruntime runs it. */
export interface StemCaseConfig {
  /** Input channels I (the same for every case of a scenario). */
  readonly inChannels: number;
  /** Stem width C. */
  readonly width: number;
  /** Square input size H = W. */
  readonly resolution: number;
  /** Batch size N. */
  readonly batchSize: number;
  /** Conv branches B per block, 1..8. */
  readonly branches: number;
  /** Activation after each block (the stem spec's `Activation`). */
  readonly activation: (typeof ACTIVATIONS)[number];
  /** Whether 3x3 blocks have the 1x1 scale branch. */
  readonly scaleBranch: boolean;
  /** Whether each block has a squeeze-excitation unit. */
  readonly se: boolean;
  /** Execution provider. */
  readonly device: Device;
  /** Intra-op thread count. */
  readonly threads: number;
  /** onnxruntime graph optimization level. */
  readonly optimizationLevel: OptimizationLevel;
  /** `int8` for a case whose forms are quantized as QDQ models; absent for fp32. */
  readonly precision?: "int8";
  /** Absent for a stem: set only for a user's model. */
  readonly model?: undefined;
  /** Absent for a stem (its input is `[batchSize, inChannels, resolution, resolution]`). */
  readonly inputShape?: undefined;
}

/** Which user's model a case runs, as results record it. */
export interface ModelRef {
  /** The scenario's name for the model (its file's base name by default). */
  readonly name: string;
  /** The `.onnx` file as read: the scenario's path joined to the scenario file's folder. */
  readonly path: string;
  /** SHA-256 of the `.onnx` file, lowercase hex. */
  readonly sha256: string;
}

/**
 * Everything one case of a user's model varies: the model, its concrete input shape and how
 * onnxruntime runs it. The stem's knobs (`width`, `branches`, `activation`, `scaleBranch`, `se`)
 * are absent.
 */
export interface ModelCaseConfig {
  /** The model file. */
  readonly model: ModelRef;
  /** The concrete NCHW input shape the case runs at. */
  readonly inputShape: readonly number[];
  /** Input channels: `inputShape[1]`. */
  readonly inChannels: number;
  /** Input height: `inputShape[2]` (the width is `inputShape[3]`, equal unless fixed apart). */
  readonly resolution: number;
  /** Batch size: `inputShape[0]`. */
  readonly batchSize: number;
  /** Execution provider. */
  readonly device: Device;
  /** Intra-op thread count. */
  readonly threads: number;
  /** onnxruntime graph optimization level. */
  readonly optimizationLevel: OptimizationLevel;
  /** `int8` for a case whose forms are quantized as QDQ models; absent for fp32. */
  readonly precision?: "int8";
  /** Absent: a stem knob. */
  readonly width?: undefined;
  /** Absent: a stem knob. */
  readonly branches?: undefined;
  /** Absent: a stem knob. */
  readonly activation?: undefined;
  /** Absent: a stem knob. */
  readonly scaleBranch?: undefined;
  /** Absent: a stem knob. */
  readonly se?: undefined;
}

/** A case's configuration: a generated stem's or a user's model's (then `model` is set). */
export type CaseConfig = StemCaseConfig | ModelCaseConfig;

/**
 * What expansion needs to know of a scenario's model, read from its file (see
 * `src/source/scenario_models.ts`).
 */
export interface ModelFacts {
  /** The model's reference in results. */
  readonly ref: ModelRef;
  /** The input's declared NCHW shape, -1 for a dynamic dimension. */
  readonly declaredShape: readonly number[];
}

/** Why a model's input shapes cannot be made concrete, and which scenario field to fix. */
export class ModelShapeError extends Error {
  /** `"ModelShapeError"`. */
  override name = "ModelShapeError";
  /** The scenario field to fix, like `models[0].inputShape` or `resolutions`. */
  readonly field: string;
  /**
   * Creates the error.
   *
   * @param field The scenario field to fix.
   * @param message What it must be.
   */
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** One benchmark case: a unique readable id and its configuration. */
export interface Case {
  /** Unique within a scenario, stable across runs; see {@linkcode caseId}. */
  readonly id: string;
  /** What the case runs. */
  readonly config: CaseConfig;
}

/**
 * The concrete input shapes a scenario's model runs at: `inputShape` when the scenario gives it;
 * else its declared shape with a dynamic batch taken from `batchSizes` and dynamic H and W from
 * `resolutions` (H = W); fixed dimensions stay, so a fixed axis gives one value.
 *
 * @param scenario The parsed scenario.
 * @param index The model's index in `scenario.models`.
 * @param declaredShape The model input's declared NCHW shape, -1 where dynamic.
 * @returns The shapes, batch sizes outer, resolutions inner.
 * @throws {ModelShapeError} When a dimension stays dynamic: the channels, or H and W without
 * `resolutions`.
 * @example
 * ```ts
 * import { parseScenario } from "./parse.ts";
 * import { modelInputShapes } from "./expand.ts";
 * const s = parseScenario(
 *   '{"name": "t", "description": "", "models": [{"path": "m.onnx"}], "batchSizes": [1, 2], "resolutions": [32]}',
 *   "t.json",
 * );
 * const shapes = modelInputShapes(s, 0, [-1, 3, -1, -1]);
 * if (JSON.stringify(shapes) !== "[[1,3,32,32],[2,3,32,32]]") throw new Error();
 * ```
 */
export function modelInputShapes(
  scenario: Scenario,
  index: number,
  declaredShape: readonly number[],
): number[][] {
  const entry = scenario.models?.[index];
  if (!entry) throw new RangeError(`Cannot find model ${index} in the scenario`);
  const field = `models[${index}]`;
  if (entry.inputShape) return [[...entry.inputShape]];
  if (declaredShape.length !== 4) {
    throw new ModelShapeError(
      `${field}.path`,
      `must name a model with a 4-D (NCHW) input: its input is [${declaredShape.join("x")}]`,
    );
  }
  const [n, c, h, w] = declaredShape;
  const shown = declaredShape.map((d) => (d < 0 ? "?" : d)).join("x");
  if (c < 0) {
    throw new ModelShapeError(
      `${field}.inputShape`,
      `must be given as the model's input [${shown}] has dynamic channels`,
    );
  }
  const spatialDynamic = h < 0 || w < 0;
  if (spatialDynamic && !scenario.resolutions) {
    throw new ModelShapeError(
      "resolutions",
      `must be given (or '${field}.inputShape') as the model's input [${shown}] has dynamic H or W`,
    );
  }
  const batches = n < 0 ? scenario.batchSizes : [n];
  const sizes: (number | null)[] = spatialDynamic ? scenario.resolutions! : [null];
  return batches.flatMap((b) => sizes.map((r) => [b, c, h < 0 ? r! : h, w < 0 ? r! : w]));
}

/**
 * Builds the readable id of a case: device, optimization level, `t` threads, `n` batch size,
 * then for a stem its activation, `b` branches, `scale` or `noscale`, `se` when on, `w` width,
 * `r` resolution, and `c` input channels only when they are not 3; for a user's model `model`,
 * its name and `r` resolution (`rHxW` when H and W differ). Distinct configs give distinct ids.
 *
 * @param config The case configuration.
 * @returns An id like `cpu-all-t1-n1-gelu-b1-scale-w48-r224` or `cpu-all-t1-n1-model-mynet-r224`.
 * @example
 * ```ts
 * import { caseId } from "./expand.ts";
 * const id = caseId({
 *   inChannels: 3, width: 48, resolution: 224, batchSize: 1, branches: 1, activation: "gelu",
 *   scaleBranch: true, se: false, device: "cpu", threads: 1, optimizationLevel: "all",
 * });
 * if (id !== "cpu-all-t1-n1-gelu-b1-scale-w48-r224") throw new Error(id);
 * ```
 */
export function caseId(config: CaseConfig): string {
  const run = [
    config.device,
    config.optimizationLevel,
    `t${config.threads}`,
    `n${config.batchSize}`,
  ];
  const precision = config.precision === "int8" ? ["int8"] : [];
  if (config.model) {
    const [, , h, w] = config.inputShape;
    return [
      ...run,
      "model",
      config.model.name,
      h === w ? `r${h}` : `r${h}x${w}`,
      ...precision,
    ].join("-");
  }
  return [
    ...run,
    config.activation,
    `b${config.branches}`,
    config.scaleBranch ? "scale" : "noscale",
    ...(config.se ? ["se"] : []),
    `w${config.width}`,
    `r${config.resolution}`,
    ...(config.inChannels === 3 ? [] : [`c${config.inChannels}`]),
    ...precision,
  ].join("-");
}

/**
 * Expands a scenario into its cases: the cross product of its axes with devices outermost, then
 * optimization levels, threads, precisions (fp32 cases as built, int8 ones quantized, their ids
 * ending `-int8`); within those, the stem cases (batch sizes, activations, scale
 * branch, SE, branches, widths, and resolutions innermost), then each model's cases (its batch
 * sizes and resolutions, see {@linkcode modelInputShapes}). Each axis keeps the order written in
 * the scenario.
 *
 * @param scenario A parsed scenario.
 * @param models What was read of each of `scenario.models`, index for index (needed when the
 * scenario has models).
 * @returns One case per combination; without models the count is the product of the axis lengths.
 * @throws {RangeError} When the scenario has models and `models` does not match them.
 * @throws {ModelShapeError} When a model's input shape cannot be made concrete.
 * @example
 * ```ts
 * import { parseScenario } from "./parse.ts";
 * import { expandScenario } from "./expand.ts";
 * const s = parseScenario(
 *   '{"name": "t", "description": "", "resolutions": [224, 256], "widths": [48, 64, 96]}', "t.json",
 * );
 * if (expandScenario(s).length !== 6) throw new Error();
 * ```
 */
export function expandScenario(scenario: Scenario, models: readonly ModelFacts[] = []): Case[] {
  const entries = scenario.models ?? [];
  if (models.length !== entries.length) {
    throw new RangeError(
      `Cannot expand scenario "${scenario.name}" as it has ${entries.length} model(s) and ` +
        `${models.length} were read`,
    );
  }
  const shapes = entries.map((_, i) => modelInputShapes(scenario, i, models[i].declaredShape));
  const cases: Case[] = [];
  const push = (config: CaseConfig) => cases.push({ id: caseId(config), config });
  for (const device of scenario.devices) {
    for (const optimizationLevel of scenario.optimizationLevels) {
      for (const threads of scenario.threads) {
        for (const precision of scenario.precisions ?? ["fp32"]) {
          const run = {
            device,
            threads,
            optimizationLevel,
            ...(precision === "int8" ? { precision } : {}),
          };
          for (const config of stemConfigs(scenario)) push({ ...config, ...run });
          entries.forEach((entry, i) => {
            for (const inputShape of shapes[i]) {
              push({
                model: { ...models[i].ref, name: entry.name },
                inputShape,
                inChannels: inputShape[1],
                resolution: inputShape[2],
                batchSize: inputShape[0],
                ...run,
              });
            }
          });
        }
      }
    }
  }
  return cases;
}

type StemKnobs = Omit<StemCaseConfig, "device" | "threads" | "optimizationLevel">;

/** The stem part of the cases, in expansion order; none without widths. */
function stemConfigs(scenario: Scenario): StemKnobs[] {
  const configs: StemKnobs[] = [];
  const { inChannels, widths = [], resolutions = [] } = scenario;
  for (const batchSize of scenario.batchSizes) {
    for (const activation of scenario.activation) {
      for (const scaleBranch of scenario.scaleBranch) {
        for (const se of scenario.se) {
          for (const branches of scenario.branches) {
            for (const width of widths) {
              for (const resolution of resolutions) {
                configs.push({
                  inChannels,
                  width,
                  resolution,
                  batchSize,
                  branches,
                  activation,
                  scaleBranch,
                  se,
                });
              }
            }
          }
        }
      }
    }
  }
  return configs;
}
