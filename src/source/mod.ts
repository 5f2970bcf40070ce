/**
 * Where cases' graphs come from: the {@linkcode CaseSource} seam, its two implementations (the
 * generated stem, a user's model file) and the source of a whole scenario.
 *
 * @module
 */
import type { Scenario } from "../scenario/schema.ts";
import { modelSource } from "./model.ts";
import type { ScenarioModel } from "./scenario_models.ts";
import { type CaseSource, routeSource } from "./source.ts";
import { stemSource } from "./stem.ts";

export type { CaseGraphs, CaseSource, Tap } from "./source.ts";
export { routeSource } from "./source.ts";
export { stemSource } from "./stem.ts";
export { modelSource, tagFusion, type TaggedFusion } from "./model.ts";
export { loadScenarioModels, resolveModelPath, type ScenarioModel } from "./scenario_models.ts";

/**
 * The source of every case of a scenario: stem cases from the generated stem (seeded by the
 * scenario's `seed`), model cases from the scenario's models.
 *
 * @param scenario The parsed scenario.
 * @param models Its models as read by `loadScenarioModels` (empty without models).
 * @returns The routing source.
 */
export function scenarioSource(
  scenario: Scenario,
  models: readonly ScenarioModel[],
): CaseSource {
  return routeSource(stemSource(scenario.seed), modelSource(models));
}
