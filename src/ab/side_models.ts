/**
 * The model files of one side of an A/B run: the scenario's own (the working tree), or those of
 * `models:DIR`, found in DIR by the same file name. Reads files; any problem is bad input (exit 2)
 * naming the side and the file.
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import type { Scenario } from "../scenario/schema.ts";
import { loadScenarioModels, resolveModelPath } from "../source/scenario_models.ts";
import type { ScenarioModel } from "../source/scenario_models.ts";
import { formatSide, type RunnableSide } from "./side.ts";
import type { AbSideRecord } from "./results.ts";

/** A side's models, ready for the model source, and how results record them. */
export interface SideModels {
  /** One entry per `scenario.models` entry, index for index. */
  readonly models: readonly ScenarioModel[];
  /** The side as results record it (every file once, with its SHA-256). */
  readonly record: AbSideRecord;
  /** For `ort:VERSION`, the onnxruntime-node version its worker must load. */
  readonly ort?: string;
}

/**
 * Reads a side's model files and checks them as bench checks the scenario's own.
 *
 * @param side The side (`working tree`, `models:DIR`, or `ort:VERSION`: the scenario's own files).
 * @param flag The flag it came from (`--baseline`), named in errors.
 * @param scenario The parsed scenario; it must name models.
 * @param scenarioPath The scenario file's path (relative model paths start from its folder).
 * @returns The side's models and its record.
 * @throws {RangeError} When the scenario has no models, or DIR lacks a file the scenario names.
 * @throws {ScenarioError} When a file cannot be read or does not fit the scenario's shapes.
 */
export async function loadSideModels(
  side: RunnableSide,
  flag: string,
  scenario: Scenario,
  scenarioPath: string,
): Promise<SideModels> {
  const entries = scenario.models ?? [];
  if (entries.length === 0) {
    throw new RangeError(
      `Cannot run an A/B comparison of scenario "${scenarioPath}" as it has no 'models'`,
    );
  }
  let sideScenario = scenario;
  let dir: string | undefined;
  if (side.kind === "models") {
    dir = resolve(side.dir);
    const paths = entries.map((e) => join(dir!, basename(resolveModelPath(scenarioPath, e.path))));
    for (const [i, path] of paths.entries()) {
      if (!(await isFile(path))) {
        throw new RangeError(
          `Cannot use '${flag}' "${formatSide(side)}" as it has no "${basename(path)}" ` +
            `(scenario models[${i}] "${entries[i].path}"): looked for "${path}"`,
        );
      }
    }
    sideScenario = { ...scenario, models: entries.map((e, i) => ({ ...e, path: paths[i] })) };
  }
  const models = await loadScenarioModels(sideScenario, scenarioPath);
  const seen = new Set<string>();
  const refs = models.map((m) => m.ref).filter((r) => !seen.has(r.path) && seen.add(r.path));
  return {
    models,
    record: {
      spec: formatSide(side),
      kind: side.kind,
      ...(dir ? { dir } : {}),
      models: refs.map(({ name, path, sha256 }) => ({ name, path: resolve(path), sha256 })),
    },
    ...(side.kind === "ort" ? { ort: side.version } : {}),
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
