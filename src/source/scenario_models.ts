/**
 * Reads the model files a scenario names (`models[].path`, relative to the scenario file's
 * folder) once each, before any case runs, and checks that every input shape the scenario asks
 * for fits the model. Any problem is a {@linkcode ScenarioError} naming the scenario, the field
 * (`models[0].path`, `models[0].inputShape`, `resolutions`) and the file, so the CLI exits 2.
 *
 * @module
 */
import { dirname, isAbsolute, join } from "node:path";
import type { Graph } from "../onnx/ir.ts";
import { readModelFile } from "../onnx/load.ts";
import { resolveInputShape } from "../onnx/input_shape.ts";
import {
  type ModelFacts,
  modelInputShapes,
  type ModelRef,
  ModelShapeError,
} from "../scenario/expand.ts";
import { type ScenarioIssue, scenarioIssueError } from "../scenario/parse.ts";
import type { Scenario } from "../scenario/schema.ts";

/** A scenario's model as read from its file: what expansion and the model source need. */
export interface ScenarioModel extends ModelFacts {
  /** Index in `scenario.models`. */
  readonly index: number;
  /** The decoded graph, as in the file (dynamic dimensions kept). */
  readonly graph: Graph;
  /** Name of the model's image input. */
  readonly inputName: string;
}

/**
 * Where a scenario's model file is: an absolute path as is, a relative one joined to the folder
 * of the scenario file.
 *
 * @param scenarioPath The scenario file's path.
 * @param modelPath The model's `path` as written in the scenario.
 * @returns The path to read.
 * @example
 * ```ts
 * import { resolveModelPath } from "./scenario_models.ts";
 * if (resolveModelPath("scenarios/models.json", "models/a.onnx") !== "scenarios/models/a.onnx") {
 *   throw new Error();
 * }
 * ```
 */
export function resolveModelPath(scenarioPath: string, modelPath: string): string {
  return isAbsolute(modelPath) ? modelPath : join(dirname(scenarioPath), modelPath);
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

type Read = { graph: Graph; sha256: string } | { error: unknown };

/**
 * Reads and checks every model of a scenario; a file named twice is read once.
 *
 * @param scenario The parsed scenario.
 * @param scenarioPath The scenario file's path: relative model paths start from its folder, and
 *   errors name it.
 * @returns One entry per `scenario.models` entry, index for index (empty without models).
 * @throws {ScenarioError} One line per problem: a file that cannot be read or decoded, a model
 *   without exactly one 4-D float input, a shape that stays dynamic or does not fit.
 */
export async function loadScenarioModels(
  scenario: Scenario,
  scenarioPath: string,
): Promise<ScenarioModel[]> {
  const entries = scenario.models ?? [];
  const reads = new Map<string, Promise<Read>>();
  const read = (path: string) => {
    let r = reads.get(path);
    if (!r) {
      r = readModelFile(path).then(
        ({ graph, sha256 }) => ({ graph, sha256 }),
        (error: unknown) => ({ error }),
      );
      reads.set(path, r);
    }
    return r;
  };
  const issues: ScenarioIssue[] = [];
  const models: ScenarioModel[] = [];
  for (const [index, entry] of entries.entries()) {
    const path = resolveModelPath(scenarioPath, entry.path);
    const field = `models[${index}]`;
    const issue = (key: string, message: string, value: unknown) =>
      issues.push({ path: key, message, value });
    const r = await read(path);
    if ("error" in r) {
      issue(
        `${field}.path`,
        `must name an ONNX model that can be read: ${firstLine(r.error)}`,
        entry.path,
      );
      continue;
    }
    const { graph, sha256 } = r;
    const [input] = graph.inputs;
    try {
      if (graph.inputs.length !== 1 || input.shape.length !== 4) {
        resolveInputShape(graph, new Map(), path); // throws its message on the inputs
      }
      const declaredShape = input.shape;
      for (const shape of modelInputShapes(scenario, index, declaredShape)) {
        resolveInputShape(graph, new Map([[input.name, shape]]), path);
      }
      const ref: ModelRef = { name: entry.name, path, sha256 };
      models.push({ index, ref, declaredShape, graph, inputName: input.name });
    } catch (e) {
      if (e instanceof ModelShapeError) {
        issue(e.field, `${e.message} (model "${path}")`, valueAt(scenario, e.field));
      } else if (e instanceof RangeError && entry.inputShape) {
        issue(
          `${field}.inputShape`,
          `must fit the model's input: ${firstLine(e)}`,
          entry.inputShape,
        );
      } else {
        issue(`${field}.path`, `must name a usable model: ${firstLine(e)}`, entry.path);
      }
    }
  }
  if (issues.length > 0) throw scenarioIssueError(scenarioPath, issues);
  return models;
}

/** The scenario's value at a field path like `models[0].inputShape` or `resolutions`. */
function valueAt(scenario: Scenario, field: string): unknown {
  let value: unknown = scenario;
  for (const key of field.split(/[.[\]]+/).filter((k) => k !== "")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
