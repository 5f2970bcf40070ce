/**
 * Constant folding of small tensors during shape inference: index mapping for data-movement ops
 * and broadcast elementwise arithmetic. Private to src/onnx.
 *
 * @module
 */
import { MAX_FOLDED_ELEMENTS } from "./_values.ts";
import { product, type RuleOutput } from "./_shape_kit.ts";

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/**
 * Values of an output whose every element is one input element: `source` maps an output index
 * (one coordinate per axis) to a flat index into `values`.
 *
 * @param outShape The output's shape.
 * @param values The input's values, row-major (undefined when unknown).
 * @param source Output index to flat input index.
 * @returns The output values, or undefined when the input is unknown or the output too large.
 */
export function foldIndex(
  outShape: readonly number[],
  values: readonly number[] | undefined,
  source: (index: readonly number[]) => number,
): number[] | undefined {
  const n = product(outShape);
  if (!values || n > MAX_FOLDED_ELEMENTS) return undefined;
  const out: number[] = [];
  const index = outShape.map(() => 0);
  for (let k = 0; k < n; k++) {
    out.push(values[source(index)]);
    for (let a = outShape.length - 1; a >= 0; a--) {
      if (++index[a] < outShape[a]) break;
      index[a] = 0;
    }
  }
  return out;
}

/** Flat index into a tensor of `shape` broadcast to an output index of higher or equal rank. */
export function broadcastSource(shape: readonly number[], outRank: number) {
  const strides = stridesOf(shape);
  const offset = outRank - shape.length;
  return (index: readonly number[]): number => {
    let flat = 0;
    for (let a = 0; a < shape.length; a++) {
      if (shape[a] !== 1) flat += index[a + offset] * strides[a];
    }
    return flat;
  };
}

/**
 * Elementwise `f` over broadcast inputs, when every input's values are known and the output is
 * small.
 *
 * @returns The output values, or undefined.
 */
export function foldElementwise(
  outShape: readonly number[],
  inputs: ReadonlyArray<{ shape: readonly number[]; values: readonly number[] | undefined }>,
  f: (...xs: number[]) => number,
): number[] | undefined {
  if (inputs.some((i) => !i.values) || product(outShape) > MAX_FOLDED_ELEMENTS) return undefined;
  const columns = inputs.map((i) =>
    foldIndex(outShape, i.values, broadcastSource(i.shape, outShape.length))!
  );
  return columns[0].map((_, k) => f(...columns.map((c) => c[k])));
}

/** An output with values when known and small. */
export function out(
  shape: readonly number[],
  values?: readonly number[],
  type?: number,
): RuleOutput {
  const keep = values && values.length === product(shape) && values.length <= MAX_FOLDED_ELEMENTS;
  return { shape, ...(type !== undefined ? { type } : {}), ...(keep ? { values } : {}) };
}
