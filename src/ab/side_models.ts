/**
 * The sides of an A/B run that this working tree's code builds: the working tree as it is (the
 * scenario's own model files), `models:DIR` (the scenario's model files taken from DIR by the
 * same file name) and `ort:VERSION` (the scenario's own files, run by another onnxruntime-node).
 * Reads files; any problem is bad input (exit 2) naming the side and the file.
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import type { Scenario } from "../scenario/schema.ts";
import { expandScenario } from "../scenario/expand.ts";
import { loadScenarioModels, resolveModelPath, scenarioSource } from "../source/mod.ts";
import { formatSide, type LoadedSide, type Side } from "./side.ts";

/**
 * Reads a side's model files and checks them as bench checks the scenario's own.
 *
 * @param side The side (`working tree`, `models:DIR`, or `ort:VERSION`).
 * @param flag The flag it came from (`--baseline`), named in errors.
 * @param scenario The parsed scenario; `models:DIR` needs it to name models.
 * @param scenarioPath The scenario file's path (relative model paths start from its folder).
 * @returns The side: every case of the scenario (stems and models) and its record.
 * @throws {RangeError} When `models:DIR` is used on a scenario without models, or DIR lacks a
 *   file the scenario names.
 * @throws {ScenarioError} When a file cannot be read or does not fit the scenario's shapes.
 */
export async function loadSideModels(
  side: Exclude<Side, { kind: "ref" }>,
  flag: string,
  scenario: Scenario,
  scenarioPath: string,
): Promise<LoadedSide> {
  const entries = scenario.models ?? [];
  let sideScenario = scenario;
  let dir: string | undefined;
  if (side.kind === "models") {
    if (entries.length === 0) {
      throw new RangeError(
        `Cannot use '${flag}' "${formatSide(side)}" as scenario "${scenarioPath}" has no ` +
          `'models' to take from it`,
      );
    }
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
    record: {
      spec: formatSide(side),
      kind: side.kind,
      ...(dir ? { dir } : {}),
      models: refs.map(({ name, path, sha256 }) => ({ name, path: resolve(path), sha256 })),
    },
    cases: expandScenario(sideScenario, models),
    source: scenarioSource(sideScenario, models),
    ...(side.kind === "ort" ? { ort: side.version } : {}),
    dispose: () => Promise.resolve(),
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
