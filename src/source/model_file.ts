/**
 * A user's model file as a bench input: read, decoded and given a concrete input shape, with
 * every problem of the file or the shapes reported as one {@linkcode ModelInputError} line.
 *
 * @module
 */
import { readModelFile } from "../onnx/load.ts";
import { resolveInputShape } from "../onnx/input_shape.ts";
import type { Graph } from "../onnx/ir.ts";

/** Bad input about a model file (unreadable, not ONNX, no usable input): the CLI exits 2. */
export class ModelInputError extends Error {
  override name = "ModelInputError";
}

/** A model file ready to fuse, count and run. */
export interface ModelInput {
  readonly path: string;
  readonly graph: Graph;
  /** SHA-256 of the `.onnx` file. */
  readonly sha256: string;
  /** How many local functions were inlined into `graph` (PyTorch's module functions). */
  readonly inlinedFunctions: number;
  /** The image input and its concrete shape. */
  readonly input: { readonly name: string; readonly shape: number[] };
}

/**
 * Reads a model file (its local functions inlined) and resolves its input shape.
 *
 * @param path The `.onnx` file.
 * @param overrides Input shapes by name (`--shape`, or a scenario's `inputShape`).
 * @throws {ModelInputError} With one line naming the file and what is wrong.
 */
export async function loadModelInput(
  path: string,
  overrides: ReadonlyMap<string, readonly number[]> = new Map(),
): Promise<ModelInput> {
  try {
    const { graph, sha256, inlinedFunctions } = await readModelFile(path);
    const input = resolveInputShape(graph, overrides, path);
    return { path, graph, sha256, inlinedFunctions, input };
  } catch (e) {
    if (e instanceof ModelInputError) throw e;
    const message = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    throw new ModelInputError(message.includes(path) ? message : `"${path}": ${message}`, {
      cause: e,
    });
  }
}
