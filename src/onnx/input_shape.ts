/**
 * The concrete input shape of an imported model: its one 4-D float input, dynamic dimensions
 * filled from `--shape NAME=1x3x224x224`, else 1 for a batch axis, else a clear error.
 *
 * @module
 */
import type { Graph, ValueInfo } from "./ir.ts";

/** ONNX element type of float32. */
const FLOAT = 1;

/**
 * Parses `NAME=1x3x224x224` (the `--shape` flag) into a name and dimensions.
 *
 * @throws {RangeError} When the text is not `NAME=DxDx...` with positive integers.
 * @example
 * ```ts
 * import { parseShapeFlag } from "./input_shape.ts";
 * const { name, shape } = parseShapeFlag("pixel_values=2x3x256x256");
 * if (name !== "pixel_values" || shape.join() !== "2,3,256,256") throw new Error();
 * ```
 */
export function parseShapeFlag(text: string): { name: string; shape: number[] } {
  const match = /^(.+)=(\d+(?:x\d+)*)$/.exec(text);
  const shape = match ? match[2].split("x").map(Number) : [];
  if (!match || shape.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    throw new RangeError(
      `Cannot read '--shape' as it must be NAME=DxDx... with positive integers: current value is "${text}"`,
    );
  }
  return { name: match[1], shape };
}

/**
 * Parses every `--shape` flag given into input shapes by name.
 *
 * @param flags The flags' values (none when the option was not given).
 * @throws {RangeError} For a flag that is not `NAME=DxDx...`.
 */
export function parseShapeFlags(
  flags: readonly string[] | undefined,
): Map<string, readonly number[]> {
  return new Map((flags ?? []).map((text) => {
    const { name, shape } = parseShapeFlag(text);
    return [name, shape] as const;
  }));
}

function isFloat(v: ValueInfo): boolean {
  return (v.elemType ?? FLOAT) === FLOAT;
}

/**
 * Finds the model's image input and gives it a concrete shape.
 *
 * @param graph The decoded model.
 * @param overrides Shapes by input name (from `--shape`); a name the model lacks is an error.
 * @param what How to name the model in errors (its path).
 * @returns The input's name and concrete NCHW shape.
 * @throws {TypeError} When the model has not exactly one 4-D float input (and no other input),
 *   or a dynamic dimension other than the batch axis is not given.
 * @throws {RangeError} When an override names no input or does not fit the input's rank or
 *   fixed dimensions.
 * @example
 * ```ts
 * import { resolveInputShape } from "./input_shape.ts";
 * const graph = {
 *   name: "g", opset: 13, initializers: [], nodes: [], outputs: [],
 *   inputs: [{ name: "x", shape: [-1, 3, 32, 32], dimNames: ["batch"] }],
 * };
 * if (resolveInputShape(graph, new Map(), "m.onnx").shape.join() !== "1,3,32,32") throw new Error();
 * ```
 */
export function resolveInputShape(
  graph: Graph,
  overrides: ReadonlyMap<string, readonly number[]>,
  what: string,
): { name: string; shape: number[] } {
  for (const name of overrides.keys()) {
    if (!graph.inputs.some((i) => i.name === name)) {
      throw new RangeError(
        `Cannot use '--shape ${name}=...' for "${what}" as the model has no input "${name}": its inputs are ${
          graph.inputs.map((i) => `"${i.name}"`).join(", ") || "none"
        }`,
      );
    }
  }
  const images = graph.inputs.filter((i) => isFloat(i) && !i.unranked && i.shape.length === 4);
  if (images.length !== 1 || graph.inputs.length !== 1) {
    const list = graph.inputs.map((i) => `"${i.name}" [${i.unranked ? "?" : i.shape.join("x")}]`);
    throw new TypeError(
      `Cannot use "${what}" as it needs exactly one input, 4-D float (NCHW): it has ${
        list.length === 0 ? "none" : list.join(", ")
      }`,
    );
  }
  const [input] = images;
  const given = overrides.get(input.name);
  if (given) {
    const fits = given.length === 4 &&
      given.every((d, i) => input.shape[i] < 0 || input.shape[i] === d);
    if (!fits) {
      throw new RangeError(
        `Cannot use '--shape ${input.name}=${given.join("x")}' for "${what}" as the input is [${
          shapeText(input)
        }]`,
      );
    }
    return { name: input.name, shape: [...given] };
  }
  const shape = input.shape.map((d, i) => {
    if (d >= 0) return d;
    if (i === 0) return 1; // the batch axis
    throw new TypeError(
      `Cannot use "${what}" as input "${input.name}" [${
        shapeText(input)
      }] has a dynamic dimension ${i}${
        input.dimNames?.[i] ? ` ("${input.dimNames[i]}")` : ""
      }: give it with --shape ${input.name}=${
        input.shape.map((x, j) => (x >= 0 ? x : j === 0 ? 1 : "D")).join("x")
      }`,
    );
  });
  return { name: input.name, shape };
}

function shapeText(v: ValueInfo): string {
  return v.shape.map((d, i) => (d >= 0 ? String(d) : v.dimNames?.[i] ?? "?")).join("x");
}

/**
 * The graph with its inputs' shapes made concrete (for counting and shape inference); the
 * model written for users keeps its dynamic dimensions.
 */
export function withInputShape(graph: Graph, name: string, shape: readonly number[]): Graph {
  return {
    ...graph,
    inputs: graph.inputs.map((i) => (i.name === name ? { ...i, shape, dimNames: undefined } : i)),
  };
}
