/**
 * Scenario to cases: the cross product of its axes, in a stable order, each case with a readable id.
 *
 * @module
 */

import type { ACTIVATIONS, Device, OptimizationLevel, Scenario } from "./schema.ts";

/** Everything one benchmark case varies: the stem's knobs and how onnxruntime runs it. */
export interface CaseConfig {
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
}

/** One benchmark case: a unique readable id and its configuration. */
export interface Case {
  /** Unique within a scenario, stable across runs; see {@linkcode caseId}. */
  readonly id: string;
  readonly config: CaseConfig;
}

/**
 * Builds the readable id of a case: device, optimization level, `t` threads, `n` batch size,
 * activation, `b` branches, `scale` or `noscale`, `se` when on, `w` width, `r` resolution, and
 * `c` input channels only when they are not 3. Distinct configs give distinct ids.
 *
 * @param config The case configuration.
 * @returns An id like `cpu-all-t1-n1-gelu-b1-scale-w48-r224`.
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
  return [
    config.device,
    config.optimizationLevel,
    `t${config.threads}`,
    `n${config.batchSize}`,
    config.activation,
    `b${config.branches}`,
    config.scaleBranch ? "scale" : "noscale",
    ...(config.se ? ["se"] : []),
    `w${config.width}`,
    `r${config.resolution}`,
    ...(config.inChannels === 3 ? [] : [`c${config.inChannels}`]),
  ].join("-");
}

/**
 * Expands a scenario into its cases: the cross product of its axes with devices outermost, then
 * optimization levels, threads, batch sizes, activations, scale branch, SE, branches, widths, and
 * resolutions innermost. Each axis keeps the order written in the scenario.
 *
 * @param scenario A parsed scenario.
 * @returns One case per combination; the count is the product of the axis lengths.
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
export function expandScenario(scenario: Scenario): Case[] {
  const cases: Case[] = [];
  const { inChannels } = scenario;
  for (const device of scenario.devices) {
    for (const optimizationLevel of scenario.optimizationLevels) {
      for (const threads of scenario.threads) {
        for (const batchSize of scenario.batchSizes) {
          for (const activation of scenario.activation) {
            for (const scaleBranch of scenario.scaleBranch) {
              for (const se of scenario.se) {
                for (const branches of scenario.branches) {
                  for (const width of scenario.widths) {
                    for (const resolution of scenario.resolutions) {
                      const config: CaseConfig = {
                        inChannels,
                        width,
                        resolution,
                        batchSize,
                        branches,
                        activation,
                        scaleBranch,
                        se,
                        device,
                        threads,
                        optimizationLevel,
                      };
                      cases.push({ id: caseId(config), config });
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return cases;
}
