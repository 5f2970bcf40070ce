/**
 * What an int8 case measures besides its latencies: each quantized form's error against the fp32
 * multi-branch output (whole output and per block), the weight ranges that explain it, and
 * whether onnxruntime ran integer kernels. The bench loop (bench_loop.ts) times the int8 forms
 * beside the fp32 forms and calls {@linkcode int8Result} with what it measured.
 *
 * @module
 */
import type { Graph } from "./onnx/ir.ts";
import { encodeModel } from "./onnx/encode.ts";
import { withIntermediateOutputs } from "./quantize/calibrate.ts";
import { quantizationError, weightRangeStats } from "./quantize/sqnr.ts";
import { createSession } from "./runner/ort.ts";
import type { Scenario } from "./scenario/schema.ts";
import type { QuantizedForm, QuantizedGraphs } from "./source/quantized.ts";
import {
  FORM_NAMES,
  type FormName,
  type Int8ConvWeights,
  type Int8Form,
  type Int8Result,
  type LatencyMs,
  type OptimizationAudit,
  type QuantizationErrorStats,
  type Speedup,
} from "./results/schema.ts";

/**
 * The output tensor of each tagged block: the first output of the block's last node in graph
 * order. For a quantized graph pass the float graph it came from (its names stay float tensors
 * in the QDQ graph).
 *
 * @param graph A tagged float graph.
 * @returns Block number to tensor name, in block order.
 */
export function blockOutputs(graph: Graph): Map<number, string> {
  const last = new Map<number, string>();
  for (const n of graph.nodes) {
    const block = n.tag?.block;
    if (typeof block === "number" && n.outputs[0]) last.set(block, n.outputs[0]);
  }
  return new Map([...last].sort((a, b) => a[0] - b[0]));
}

const baseName = (op: string) => op.slice(op.lastIndexOf(".") + 1);

/**
 * Integer kernels and float convs of an optimized model's op histogram.
 *
 * @param nodesAfter Op type (with domain) to count, as the optimizer audit records it.
 * @returns The integer kernels by op type, and how many convs stayed float.
 * @example
 * ```ts
 * import { integerKernelsOf } from "./int8_case.ts";
 * const k = integerKernelsOf({ "com.microsoft.QLinearConv": 3, QuantizeLinear: 1, Conv: 1 });
 * if (k.integerKernels["com.microsoft.QLinearConv"] !== 3 || k.floatConvs !== 1) throw new Error();
 * ```
 */
export function integerKernelsOf(
  nodesAfter: Readonly<Record<string, number>>,
): { integerKernels: Record<string, number>; floatConvs: number } {
  const integerKernels: Record<string, number> = {};
  let floatConvs = 0;
  for (const [op, count] of Object.entries(nodesAfter)) {
    const base = baseName(op);
    if (base.startsWith("QLinear") || base.endsWith("Integer") || base === "QGemm") {
      integerKernels[op] = count;
    } else if (base === "Conv" || base === "FusedConv") {
      floatConvs += count;
    }
  }
  return { integerKernels, floatConvs };
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A conv's weights with the per-channel detail kept for the worst block's picture. */
interface ConvDetail extends Int8ConvWeights {
  readonly channels: { maxAbs: number[]; scale: number[]; rangeShare: number[] };
}

/** Every Conv of a folded float form, with its weight range statistics. */
function convDetails(folded: Graph): ConvDetail[] {
  const inits = new Map(folded.initializers.map((i) => [i.name, i]));
  const out: ConvDetail[] = [];
  for (const n of folded.nodes) {
    if (n.opType !== "Conv") continue;
    const w = inits.get(n.inputs[1]);
    if (!w || w.dims.length === 0) continue;
    const s = weightRangeStats(w.data, w.dims);
    const dead = new Set(s.deadChannels);
    const shares = [...s.rangeShare].filter((_, c) => !dead.has(c));
    out.push({
      node: n.name,
      block: n.tag?.block ?? null,
      ...(n.tag?.branch ? { branch: n.tag.branch } : {}),
      outChannels: s.channels,
      maxAbs: s.maxAbs.reduce((a, b) => Math.max(a, b), 0),
      scaleSpread: s.scaleSpread,
      minRangeShare: shares.length ? Math.min(...shares) : 0,
      medianRangeShare: shares.length ? median(shares) : 0,
      deadChannels: s.deadChannels.length,
      channels: { maxAbs: [...s.maxAbs], scale: [...s.scales], rangeShare: [...s.rangeShare] },
    });
  }
  return out;
}

/**
 * Runs a graph on the CPU provider with the optimizer off and the named tensors exposed, and
 * returns them.
 */
async function runExposed(
  graph: Graph,
  names: readonly string[],
  input: Float32Array,
  inputShape: readonly number[],
): Promise<Record<string, Float32Array>> {
  const session = await createSession(encodeModel(withIntermediateOutputs(graph, names)), {
    device: "cpu",
    threads: 1,
    optimizationLevel: "disabled",
  });
  try {
    const out = await session.runAll(input, inputShape);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data]));
  } finally {
    await session.release();
  }
}

/**
 * Per-block errors of both quantized forms against the fp32 multi-branch form: each block's
 * output, the optimizer off, on the evaluation input.
 *
 * @param q The case's quantized graphs.
 * @param input The evaluation input.
 * @returns Per form, one entry per block both graphs have with outputs of equal size.
 */
export async function blockErrors(
  q: QuantizedGraphs,
  input: Float32Array,
): Promise<{ [F in FormName]: Array<{ block: number } & QuantizationErrorStats> }> {
  const { inputShape } = q.fp32;
  const refNames = blockOutputs(q.fp32.multiBranch);
  const ref = await runExposed(q.fp32.multiBranch, [...refNames.values()], input, inputShape);
  const form = async (f: QuantizedForm) => {
    const dequantized = new Map(f.qdq.activations.map((a) => [a.tensor, a.dequantized]));
    const names = new Map(
      [...blockOutputs(f.folded)].map(([b, t]) => [b, dequantized.get(t) ?? t]),
    );
    const got = await runExposed(f.qdq.graph, [...names.values()], input, inputShape);
    const rows: Array<{ block: number } & QuantizationErrorStats> = [];
    for (const [block, name] of names) {
      const r = ref[refNames.get(block) ?? ""];
      const x = got[name];
      if (!r || !x || r.length !== x.length) continue;
      rows.push({ block, ...quantizationError(r, x) });
    }
    return rows;
  };
  return {
    multiBranch: await form(q.forms.multiBranch),
    reparameterized: await form(q.forms.reparameterized),
  };
}

/**
 * The largest quantization step of the two forms' outputs: an int8 output computed by another
 * provider (or kernel) may round an element one step the other way, so comparisons across
 * providers allow it.
 *
 * @param q The case's quantized graphs.
 * @returns The step, 0 when no output is quantized.
 */
export function outputStep(q: QuantizedGraphs): number {
  let step = 0;
  for (const f of FORM_NAMES) {
    const { qdq } = q.forms[f];
    const outputs = new Set(qdq.graph.outputs.map((o) => o.name));
    for (const a of qdq.activations) {
      if (outputs.has(a.dequantized) || outputs.has(a.tensor)) {
        step = Math.max(step, a.params.scale);
      }
    }
  }
  return step;
}

/** What the bench measured of one int8 form. */
export interface Int8FormMeasured {
  /** The int8 form's output at the case's provider and level. */
  readonly output: Float32Array;
  /** The fp32 form timed in the same rounds. */
  readonly fp32LatencyMs: LatencyMs;
  /** median(fp32) / median(int8), paired. */
  readonly speedupOverFp32: Speedup;
  /** The optimizer audit of the QDQ model. */
  readonly optimization?: Readonly<Record<string, OptimizationAudit>>;
}

/**
 * Assembles an int8 case's results.
 *
 * @param q The case's quantized graphs.
 * @param scenario The scenario (its `quantization` block and the case's level come from it).
 * @param provider The provider that ran the case (`cpu`, `webgpu`, ...).
 * @param level The case's optimization level.
 * @param reference The fp32 multi-branch output on the evaluation input.
 * @param measured Per form, what the bench measured.
 * @param blocks Per form, the per-block errors ({@linkcode blockErrors}).
 * @returns The `int8` part of the case's result.
 */
export function int8Result(
  q: QuantizedGraphs,
  scenario: Scenario,
  provider: string,
  level: string,
  reference: Float32Array,
  measured: { readonly [F in FormName]: Int8FormMeasured },
  blocks: { readonly [F in FormName]: ReadonlyArray<{ block: number } & QuantizationErrorStats> },
): Int8Result {
  const details = {
    multiBranch: convDetails(q.forms.multiBranch.folded),
    reparameterized: convDetails(q.forms.reparameterized.folded),
  };
  const form = (f: FormName): Int8Form => {
    const m = measured[f];
    const qf = q.forms[f];
    const audit = m.optimization?.[level];
    const kernels = audit ? integerKernelsOf(audit.nodesAfter) : undefined;
    const convs = details[f].map(({ channels: _, ...c }) => c);
    const integer = kernels !== undefined && kernels.floatConvs === 0 &&
      Object.keys(kernels.integerKernels).length > 0;
    const note = kernels === undefined
      ? "the optimizer audit did not run, so the kernels are unknown"
      : integer
      ? undefined
      : `${kernels.floatConvs} Conv(s) left in float after optimization at level ${level}` +
        (provider !== "cpu"
          ? ` (onnxruntime's QDQ fusion into integer kernels targets the CPU provider; on ` +
            `${provider} each conv ran as dequantize, float conv, quantize)`
          : level === "disabled" || level === "basic"
          ? " (onnxruntime fuses Q/DQ into QLinearConv from level extended)"
          : " (a Q/DQ pair read by several nodes, or an op around the conv the fusion does not take)");
    return {
      error: quantizationError(reference, m.output),
      blocks: [...blocks[f]],
      convs,
      integerKernels: kernels?.integerKernels ?? {},
      floatConvs: kernels?.floatConvs ?? 0,
      integer,
      ...(note ? { note } : {}),
      fp32LatencyMs: m.fp32LatencyMs,
      speedupOverFp32: m.speedupOverFp32,
      zeroRangeTensors: [...qf.qdq.zeroRangeTensors],
      skippedConvs: qf.qdq.skipped.map((s) => ({ node: s.node, reason: s.reason })),
    };
  };
  const forms = { multiBranch: form("multiBranch"), reparameterized: form("reparameterized") };
  let worst: { form: FormName; block: number; sqnrDb: number } | undefined;
  for (const f of FORM_NAMES) {
    for (const b of forms[f].blocks) {
      if (!worst || b.sqnrDb < worst.sqnrDb) worst = { form: f, block: b.block, sqnrDb: b.sqnrDb };
    }
  }
  const worstConv = worst
    ? details[worst.form].filter((c) => c.block === worst.block).sort((a, b) =>
      b.maxAbs - a.maxAbs
    )[0]
    : undefined;
  const { weights, activations, calibration, percentile, calibrationSamples } =
    scenario.quantization;
  return {
    quantization: { weights, activations, calibration, percentile, calibrationSamples },
    reference: "the fp32 multi-branch form's output on the evaluation input",
    forms,
    ...(worst && worstConv
      ? { worstBlock: { ...worst, node: worstConv.node, channels: worstConv.channels } }
      : {}),
  };
}
