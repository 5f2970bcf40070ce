/**
 * Reads a user's ONNX model file (with its external data) into the graph IR, with one-line errors
 * that name the file and what is wrong with it. The only file of `src/onnx` that reads files.
 *
 * @module
 */
import { dirname, isAbsolute, join, normalize } from "node:path";
import { decodeModel } from "./decode.ts";
import { inlineLocalFunctions } from "./inline.ts";
import type { ExternalDataResolver } from "./_tensor.ts";
import type { Graph } from "./ir.ts";

/** A model file as read by {@linkcode readModelFile}. */
export interface LoadedModel {
  /** The decoded graph, external data inline. */
  readonly graph: Graph;
  /** The `.onnx` file's bytes, as read. */
  readonly bytes: Uint8Array;
  /** SHA-256 of `bytes` (not of the external data), lowercase hex. */
  readonly sha256: string;
  /** How many distinct local functions were inlined into `graph` (0 when none, or not asked). */
  readonly inlinedFunctions: number;
}

/** Options of {@linkcode readModelFile}. */
export interface ReadModelOptions {
  /**
   * Inline the model's local functions (`inlineFunctions`, inline.ts), so that what PyTorch
   * exported as module functions is one flat graph; default true. False reads the model as
   * written (for writing it back unchanged).
   */
  readonly inlineFunctions?: boolean;
}

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0];

function readError(path: string, e: unknown): Error {
  if (e instanceof Deno.errors.NotFound) {
    return new Deno.errors.NotFound(`Cannot read model "${path}" as it does not exist`, {
      cause: e,
    });
  }
  if (e instanceof Deno.errors.IsADirectory) {
    return new TypeError(`Cannot read model "${path}" as it is a directory`, { cause: e });
  }
  return new TypeError(`Cannot read model "${path}" as it cannot be read: ${firstLine(e)}`, {
    cause: e,
  });
}

/** A resolver reading external data files beside the model, and the first failure it met. */
function externalFiles(path: string) {
  const dir = dirname(path);
  const files = new Map<string, Deno.FsFile>();
  let failure: Error | undefined;
  const fail = (e: Error): never => {
    failure ??= e;
    throw e;
  };
  const open = (location: string): Deno.FsFile => {
    if (isAbsolute(location) || normalize(location).split(/[\\/]/).includes("..")) {
      fail(
        new TypeError(
          `Cannot read model "${path}" as its external data "${location}" is outside the model's folder`,
        ),
      );
    }
    let file = files.get(location);
    if (!file) {
      try {
        file = Deno.openSync(join(dir, location));
      } catch (e) {
        return fail(
          e instanceof Deno.errors.NotFound
            ? new Deno.errors.NotFound(
              `Cannot read model "${path}" as its external data "${location}" is missing`,
              { cause: e },
            )
            : new TypeError(
              `Cannot read model "${path}" as its external data "${location}" cannot be read: ${
                firstLine(e)
              }`,
              { cause: e },
            ),
        );
      }
      files.set(location, file);
    }
    return file;
  };
  const resolve: ExternalDataResolver = (location, offset, length) => {
    const file = open(location);
    const size = file.statSync().size;
    const count = length ?? Math.max(size - offset, 0);
    if (offset + count > size) {
      fail(
        new TypeError(
          `Cannot read model "${path}" as its external data "${location}" has ${size} bytes, fewer than offset ${offset} plus length ${count}`,
        ),
      );
    }
    const out = new Uint8Array(count);
    file.seekSync(offset, Deno.SeekMode.Start);
    for (let done = 0; done < count;) {
      const n = file.readSync(out.subarray(done));
      if (!n) {
        fail(
          new TypeError(
            `Cannot read model "${path}" as its external data "${location}" ended early`,
          ),
        );
      }
      done += n as number;
    }
    return out;
  };
  return {
    resolve,
    failure: () => failure,
    close: () => files.forEach((f) => f.close()),
  };
}

/**
 * Reads an ONNX model file and decodes it, reading external data files from the model's folder,
 * and inlines its local functions (unless `options.inlineFunctions` is false).
 *
 * @param path The `.onnx` file.
 * @param options `inlineFunctions: false` keeps local functions as they are.
 * @returns The graph, the file's bytes, their SHA-256 and how many functions were inlined.
 * @throws {Deno.errors.NotFound} When the file or one of its external data files does not exist.
 * @throws {SyntaxError} When the file is empty or not an ONNX model (truncated or another format).
 * @throws {TypeError} When the file cannot be read, external data lies outside the model's folder
 *   or is too short, the model holds what the IR cannot (a graph input that is not a tensor), or
 *   its local functions cannot be inlined (conflicting opset versions).
 *   Every message is one line that names `path` and what is wrong.
 * @example
 * ```ts
 * import { readModelFile } from "./load.ts";
 * import { encodeModel } from "./encode.ts";
 *
 * const path = await Deno.makeTempFile({ suffix: ".onnx" });
 * await Deno.writeFile(path, encodeModel({
 *   name: "g",
 *   opset: 17,
 *   inputs: [{ name: "x", shape: [1] }],
 *   outputs: [{ name: "y", shape: [1] }],
 *   initializers: [],
 *   nodes: [{ name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"], attributes: {} }],
 * }));
 * const { graph, sha256 } = await readModelFile(path);
 * await Deno.remove(path);
 * if (graph.nodes[0].opType !== "Relu" || sha256.length !== 64) throw new Error();
 * ```
 */
export async function readModelFile(
  path: string,
  options: ReadModelOptions = {},
): Promise<LoadedModel> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw readError(path, e);
  }
  if (bytes.length === 0) throw new SyntaxError(`Cannot read model "${path}" as it is empty`);
  const external = externalFiles(path);
  let graph: Graph;
  let inlinedFunctions = 0;
  try {
    graph = decodeModel(bytes, { externalData: external.resolve });
    if (options.inlineFunctions ?? true) {
      ({ graph, functions: inlinedFunctions } = inlineLocalFunctions(graph));
    }
  } catch (e) {
    const failure = external.failure();
    if (failure) throw failure;
    if (e instanceof SyntaxError) {
      throw new SyntaxError(
        `Cannot read model "${path}" as it is not an ONNX model (truncated or another format)`,
        { cause: e },
      );
    }
    const why = firstLine(e);
    throw new TypeError(`Cannot read model "${path}": ${why[0].toLowerCase()}${why.slice(1)}`, {
      cause: e,
    });
  } finally {
    external.close();
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  return { graph, bytes, sha256, inlinedFunctions };
}
