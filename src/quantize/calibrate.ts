/**
 * Calibration: the tensors a QDQ graph needs ranges for, a graph copy that exposes them as
 * outputs (the caller runs it on onnxruntime), seeded calibration inputs, and range collectors
 * (min/max and percentile) over the Float32Arrays those runs give.
 *
 * @module
 */
import type { Graph } from "../onnx/ir.ts";
import { createRandom } from "../stats/random.ts";
import type { QuantType, Range } from "./quantize.ts";

/** How a tensor's range is taken from its calibration values. */
export type CalibrationMethod = "minmax" | "percentile";

/** Options of {@linkcode createRangeCollector}. */
export interface CollectorOptions {
  /** `minmax` (smallest and largest value) or `percentile` (tails cut). */
  readonly method: CalibrationMethod;
  /** The percentile kept, in (0, 100]; used by `percentile`. @default {99.99} */
  readonly percentile?: number;
  /**
   * The activation type the range is for: `int8` (symmetric) cuts |x| at the percentile,
   * `uint8` (asymmetric) cuts both tails by half of what is left each. @default {"uint8"}
   */
  readonly activations?: QuantType;
}

/** Gathers one tensor's values over calibration runs and gives its range. */
export interface RangeCollector {
  /** Adds the tensor's values from one run. */
  add(values: Float32Array): void;
  /** How many values were added. */
  readonly count: number;
  /**
   * The range of what was added.
   *
   * @throws {RangeError} When nothing was added.
   */
  range(): Range;
}

/** The percentile used when none is given, as the issue asks (onnxruntime's is 99.999). */
export const DEFAULT_PERCENTILE = 99.99;

function checkValues(values: Float32Array): void {
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) {
      throw new RangeError(`Cannot calibrate as value ${i} of a tensor is NaN`);
    }
  }
}

function checkPercentile(percentile: number): void {
  if (!(percentile > 0 && percentile <= 100)) {
    throw new RangeError(
      `Cannot calibrate as 'percentile' must be in (0, 100]: current value is ${percentile}`,
    );
  }
}

/**
 * The 1-based rank of the `q` quantile among `n` sorted values by the nearest-rank rule: the
 * smallest rank whose share of values at or below it is >= q (numpy's `searchsorted` on the cdf,
 * as onnxruntime's percentile calibrator does on its histogram). A relative 1e-9 keeps
 * `0.99 * 10000` at 9900.
 */
function nearestRank(q: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9 * n)));
}

/**
 * The range of values by percentile, exact (from sorted values, where onnxruntime reads bin edges
 * of a 2048-bin histogram): for `int8` (symmetric) `[-t, t]` with `t` the percentile of |x|; for
 * `uint8` (asymmetric) `(100 - p) / 2` percent is cut from each tail: `[lower, upper]` at the
 * quantiles `(100 - p) / 200` and `1 - (100 - p) / 200`.
 *
 * @param chunks The tensor's values from each run.
 * @param percentile The percentile kept, in (0, 100].
 * @param activations `int8` (symmetric) or `uint8` (asymmetric).
 * @returns The range.
 * @throws {RangeError} When there are no values, a value is NaN or the percentile is outside (0, 100].
 * @example
 * ```ts
 * import { percentileRange } from "./calibrate.ts";
 * const x = Float32Array.from({ length: 10000 }, (_, i) => i + 1); // 1..10000
 * const r = percentileRange([x], 99, "uint8"); // 0.5% cut from each tail
 * if (r.min !== 50 || r.max !== 9950) throw new Error(JSON.stringify(r));
 * ```
 */
export function percentileRange(
  chunks: readonly Float32Array[],
  percentile: number,
  activations: QuantType,
): Range {
  checkPercentile(percentile);
  const n = chunks.reduce((sum, c) => sum + c.length, 0);
  if (n === 0) throw new RangeError("Cannot calibrate a tensor as it has no values");
  const all = new Float32Array(n);
  let at = 0;
  for (const c of chunks) {
    checkValues(c);
    all.set(c, at);
    at += c.length;
  }
  if (activations === "int8") {
    for (let i = 0; i < n; i++) all[i] = Math.abs(all[i]);
    all.sort();
    const t = all[nearestRank(percentile / 100, n) - 1];
    return { min: -t, max: t };
  }
  all.sort();
  const cut = (100 - percentile) / 200;
  return { min: all[nearestRank(cut, n) - 1], max: all[nearestRank(1 - cut, n) - 1] };
}

/**
 * Smallest and largest value (onnxruntime's MinMax calibrator).
 *
 * @param chunks The tensor's values from each run.
 * @returns The range.
 * @throws {RangeError} When there are no values or a value is NaN.
 * @example
 * ```ts
 * import { minMaxRange } from "./calibrate.ts";
 * const r = minMaxRange([new Float32Array([0.5, -2]), new Float32Array([3])]);
 * if (r.min !== -2 || r.max !== 3) throw new Error();
 * ```
 */
export function minMaxRange(chunks: readonly Float32Array[]): Range {
  let min = Infinity;
  let max = -Infinity;
  for (const c of chunks) {
    checkValues(c);
    for (let i = 0; i < c.length; i++) {
      if (c[i] < min) min = c[i];
      if (c[i] > max) max = c[i];
    }
  }
  if (min > max) throw new RangeError("Cannot calibrate a tensor as it has no values");
  return { min, max };
}

/**
 * A collector of one tensor's range over calibration runs. `minmax` keeps two numbers;
 * `percentile` keeps a copy of every value (4 bytes each) and sorts them once in `range()`, so
 * its percentiles are exact.
 *
 * @param options The method, and for `percentile` the percentile and the activation type.
 * @returns An empty collector.
 * @throws {RangeError} When the percentile is outside (0, 100].
 * @example
 * ```ts
 * import { createRangeCollector } from "./calibrate.ts";
 * const c = createRangeCollector({ method: "percentile", percentile: 50, activations: "int8" });
 * c.add(new Float32Array([-4, 1]));
 * c.add(new Float32Array([2, 3]));
 * // |x| sorted: 1 2 3 4; the median by nearest rank is 2
 * if (c.range().max !== 2 || c.range().min !== -2 || c.count !== 4) throw new Error();
 * ```
 */
export function createRangeCollector(options: CollectorOptions): RangeCollector {
  const percentile = options.percentile ?? DEFAULT_PERCENTILE;
  if (options.method === "percentile") checkPercentile(percentile);
  const chunks: Float32Array[] = []; // percentile: every value
  let [min, max] = [Infinity, -Infinity]; // minmax: the running range
  let count = 0;
  return {
    add(values) {
      if (options.method === "percentile") {
        checkValues(values);
        chunks.push(values.slice());
      } else if (values.length > 0) {
        const r = minMaxRange([values]);
        [min, max] = [Math.min(min, r.min), Math.max(max, r.max)];
      }
      count += values.length;
    },
    get count() {
      return count;
    },
    range() {
      if (count === 0) throw new RangeError("Cannot calibrate a tensor as it has no values");
      return options.method === "percentile"
        ? percentileRange(chunks, percentile, options.activations ?? "uint8")
        : { min, max };
    },
  };
}

/**
 * The activation tensors {@linkcode quantizeGraph} needs ranges for: each Conv's data input and
 * its output, in node order, without repeats.
 *
 * @param graph The float graph.
 * @returns Tensor names.
 */
export function calibrationTensors(graph: Graph): string[] {
  const names = new Set<string>();
  for (const n of graph.nodes) {
    if (n.opType !== "Conv") continue;
    names.add(n.inputs[0]);
    names.add(n.outputs[0]);
  }
  return [...names];
}

/**
 * A copy of a graph with intermediate tensors added to its outputs (float32, shape left open),
 * so that one onnxruntime run gives their values for calibration. Graph inputs and tensors that
 * already are outputs are not added (the caller has them).
 *
 * @param graph The float graph.
 * @param names Tensors to expose.
 * @returns The copy, its original outputs first.
 * @throws {TypeError} When a name is neither a node output nor a graph input.
 * @example
 * ```ts
 * import { withIntermediateOutputs } from "./calibrate.ts";
 * const g = withIntermediateOutputs({
 *   name: "g", opset: 17, initializers: [],
 *   inputs: [{ name: "x", shape: [1] }], outputs: [{ name: "z", shape: [1] }],
 *   nodes: [
 *     { name: "a", opType: "Relu", inputs: ["x"], outputs: ["y"], attributes: {} },
 *     { name: "b", opType: "Neg", inputs: ["y"], outputs: ["z"], attributes: {} },
 *   ],
 * }, ["x", "y", "z"]);
 * if (g.outputs.map((o) => o.name).join() !== "z,y") throw new Error();
 * ```
 */
export function withIntermediateOutputs(graph: Graph, names: readonly string[]): Graph {
  const produced = new Set(graph.nodes.flatMap((n) => n.outputs));
  const inputs = new Set(graph.inputs.map((i) => i.name));
  const present = new Set([...inputs, ...graph.outputs.map((o) => o.name)]);
  const declared = new Map((graph.valueInfo ?? []).map((v) => [v.name, v]));
  const added = [];
  for (const name of names) {
    if (!produced.has(name) && !inputs.has(name)) {
      throw new TypeError(
        `Cannot expose tensor "${name}" as an output as no node of graph "${graph.name}" writes it`,
      );
    }
    if (present.has(name)) continue;
    present.add(name);
    const info = declared.get(name);
    added.push(info && !info.unranked ? info : { name, shape: [], unranked: true });
  }
  return { ...graph, outputs: [...graph.outputs, ...added] };
}

/**
 * Seeded calibration inputs, uniform in [-1, 1) like the evaluation input but from other seeds,
 * so that no calibration sample is the input the error is measured on.
 *
 * @param size Elements of one input.
 * @param seed The scenario's seed (the evaluation input's).
 * @param count How many inputs, at least 1.
 * @returns `count` inputs of `size` elements.
 * @throws {RangeError} When `count` is not a positive integer.
 */
export function calibrationInputs(size: number, seed: number, count: number): Float32Array[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(
      `Cannot make calibration inputs as 'calibrationSamples' must be a positive integer: ` +
        `current value is ${count}`,
    );
  }
  return Array.from({ length: count }, (_, i) => {
    const random = createRandom(((seed ^ 0xca1b0000) + Math.imul(i + 1, 0x9e3779b9)) >>> 0);
    return Float32Array.from({ length: size }, () => 2 * random() - 1);
  });
}

/** Runs the calibration graph on one input: every float output by name (as `Session.runAll`). */
export type CalibrationRun = (
  input: Float32Array,
) => Promise<Readonly<Record<string, { readonly data: Float32Array }>>>;

/**
 * Calibrates tensors over inputs: runs each input (through `run`, which the caller backs with an
 * onnxruntime session of {@linkcode withIntermediateOutputs}) and collects each tensor's range.
 * The graph input's own values come from the inputs themselves.
 *
 * @param tensors The tensors to calibrate ({@linkcode calibrationTensors}).
 * @param inputName The graph input's name.
 * @param inputs The calibration inputs ({@linkcode calibrationInputs}), at least one.
 * @param run Runs the graph on one input.
 * @param options The collector: method, percentile, activation type.
 * @returns Each tensor's range.
 * @throws {RangeError} When there is no input, or the percentile is outside (0, 100].
 * @throws {TypeError} When a run does not give a tensor.
 * @example
 * ```ts
 * import { calibrateRanges } from "./calibrate.ts";
 * const double = (x: Float32Array) => Promise.resolve({ y: { data: x.map((v) => 2 * v) } });
 * const inputs = [new Float32Array([-1, 0.5]), new Float32Array([2])];
 * const r = await calibrateRanges(["x", "y"], "x", inputs, double, { method: "minmax" });
 * if (r.get("x")?.max !== 2 || r.get("y")?.min !== -2) throw new Error();
 * ```
 */
export async function calibrateRanges(
  tensors: readonly string[],
  inputName: string,
  inputs: readonly Float32Array[],
  run: CalibrationRun,
  options: CollectorOptions,
): Promise<Map<string, Range>> {
  if (inputs.length === 0) {
    throw new RangeError(
      "Cannot calibrate as 'calibrationSamples' must be a positive integer: current value is 0",
    );
  }
  const collectors = new Map(tensors.map((t) => [t, createRangeCollector(options)]));
  for (const input of inputs) {
    const out = await run(input);
    for (const [name, collector] of collectors) {
      const values = name === inputName ? input : out[name]?.data;
      if (!values) {
        throw new TypeError(`Cannot calibrate tensor "${name}" as the run gave no value`);
      }
      collector.add(values);
    }
  }
  return new Map([...collectors].map(([name, c]) => [name, c.range()]));
}
