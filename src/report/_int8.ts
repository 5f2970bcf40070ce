/**
 * The report's int8 section: what quantizing each form cost in accuracy (output and per-block
 * SQNR against the fp32 multi-branch output), whether onnxruntime ran integer kernels, what int8
 * gained in time over fp32, and the worst block's per-channel weight ranges that explain its
 * error. Shown only when some completed case has int8 results. Private to src/report/.
 *
 * @module
 */
import {
  type CompletedCase,
  FORM_LABELS,
  FORM_NAMES,
  type Int8Form,
  type Int8Result,
  type Results,
} from "../results/schema.ts";
import { formatFixed, formatPercent } from "../text_format.ts";
import { barChart, channelRangeChart, FORM_COLORS } from "./charts.ts";
import {
  chart,
  completed,
  labeler,
  ms,
  para,
  ratioCi,
  type RenderContext,
  section,
  table,
} from "./_html.ts";

/** A completed case with int8 results. */
type Int8Case = CompletedCase & { readonly int8: Int8Result };

/** Its worst block, present. */
type WorstBlock = NonNullable<Int8Result["worstBlock"]>;

/** Each form with its full label, in report order. */
const LABELLED_FORMS = FORM_NAMES.map((f) => [f, FORM_LABELS[f].full] as const);

/** dB with two decimals, `-` when not finite (a results file writes NaN and Infinity as null). */
const db = (x: number | null | undefined) => formatFixed(x, 2);

/** A small error in scientific notation: `1.23e-3`. */
function sci(x: number | null | undefined): string {
  return typeof x === "number" && Number.isFinite(x) ? x.toExponential(2) : "-";
}

/** Finite numbers as they are, anything else as null (a gap in a chart). */
const finite = (x: number | null | undefined) =>
  typeof x === "number" && Number.isFinite(x) ? x : null;

/**
 * The integer kernels a form ran (`QLinearConv x3`), or why not
 * (`no: 2 Conv left in float — <note>`).
 */
function kernelsText(f: Int8Form): string {
  const kernels = Object.entries(f.integerKernels ?? {}).sort(([a], [b]) => a.localeCompare(b))
    .map(([op, n]) => `${op} x${n}`).join(", ");
  if (f.integer) return kernels || "yes";
  return `no: ${f.floatConvs} Conv left in float${f.note ? ` — ${f.note}` : ""}`;
}

/** What the picture of a worst block says: the least-used channel and the spread of scales. */
interface ChannelSummary {
  /** The live channel (max |w| > 0) with the smallest share of the int8 range; -1 when none. */
  readonly channel: number;
  /** Its share, 0..1. */
  readonly share: number;
  /** Largest over smallest per-channel scale among live channels (1 with none). */
  readonly spread: number;
  /** Channels whose weights are all zero. */
  readonly dead: number;
}

/** The least-used live channel and the spread of the live channels' scales. */
function summarizeChannels(channels: WorstBlock["channels"]): ChannelSummary {
  const live = channels.maxAbs.flatMap((m, k) => (m > 0 ? [k] : []));
  if (live.length === 0) {
    return { channel: -1, share: 0, spread: 1, dead: channels.maxAbs.length };
  }
  const channel = live.reduce((a, k) => (channels.rangeShare[k] < channels.rangeShare[a] ? k : a));
  const scales = live.map((k) => channels.scale[k]);
  return {
    channel,
    share: channels.rangeShare[channel],
    spread: Math.max(...scales) / Math.min(...scales),
    dead: channels.maxAbs.length - live.length,
  };
}

/** The worst block in one sentence (see {@linkcode summarizeChannels}). */
function worstBlockSentence(w: WorstBlock, label: string, perTensor: boolean): string {
  const s = summarizeChannels(w.channels);
  const where = `Worst block: block ${w.block} of the ${
    FORM_LABELS[w.form].full
  } form of ${label}, SQNR ${
    db(w.sqnrDb)
  } dB; its conv "${w.node}" has ${w.channels.maxAbs.length} output channels`;
  if (s.channel < 0) return `${where}, all of them zero.`;
  const levels = Math.round(s.share * 127);
  return `${where}: channel ${s.channel} uses ${
    formatPercent(s.share)
  } of the int8 range under one per-tensor scale; per-channel scales spread ${+s.spread
    .toPrecision(3)}-fold.` +
    (perTensor
      ? ` This run quantized weights per tensor, so channel ${s.channel} kept about ${levels} of 127 levels a side.`
      : " This run quantized weights per channel, so every live channel kept the full range.") +
    (s.dead > 0 ? ` ${s.dead} channel(s) are all zero.` : "");
}

function blockChart(ctx: RenderContext, c: Int8Case, label: string): string {
  const blocks = [
    ...new Set(FORM_NAMES.flatMap((f) => c.int8.forms[f].blocks.map((b) => b.block))),
  ].sort((a, b) => a - b);
  const sqnrOf = (f: (typeof FORM_NAMES)[number], block: number) =>
    finite(c.int8.forms[f].blocks.find((b) => b.block === block)?.sqnrDb);
  const config = barChart(
    blocks.map((b) => `block ${b}`),
    LABELLED_FORMS.map(([f, name]) => ({
      label: name,
      values: blocks.map((b) => sqnrOf(f, b)),
      color: FORM_COLORS[f],
    })),
    { title: "block" },
    { title: "SQNR, dB (higher is better)" },
  );
  const rows = LABELLED_FORMS.flatMap(([f, name]) =>
    c.int8.forms[f].blocks.map((b) => [name, b.block, db(b.sqnrDb), sci(b.maxAbs), sci(b.normwise)])
  );
  const numbers = table(`int8-blocks-${c.id}`, [
    "form",
    "block",
    "SQNR dB",
    "max abs",
    "normwise",
  ], rows);
  return chart(ctx, "int8-sqnr", `SQNR per block: ${label}`, 280, config, numbers);
}

function summaryRows(cases: readonly Int8Case[], label: (c: Int8Case) => string) {
  return cases.flatMap((c) =>
    LABELLED_FORMS.map(([f, name]) => {
      const q = c.int8.forms[f];
      const s = q.speedupOverFp32;
      return [
        label(c),
        name,
        db(q.error.sqnrDb),
        sci(q.error.maxAbs),
        sci(q.error.normwise),
        kernelsText(q),
        ms(q.fp32LatencyMs?.median),
        ms(c.forms[f].latencyMs?.median),
        s ? ratioCi(s.ratio, s.ci95) : "-",
      ];
    })
  );
}

function worstBlockFigure(
  ctx: RenderContext,
  cases: readonly Int8Case[],
  label: (c: Int8Case) => string,
): string[] {
  const withWorst = cases.filter((c) => c.int8.worstBlock !== undefined);
  if (withWorst.length === 0) return [];
  const rank = (c: Int8Case) => finite(c.int8.worstBlock!.sqnrDb) ?? Infinity;
  const worst = withWorst.reduce((a, c) => (rank(c) < rank(a) ? c : a));
  const w = worst.int8.worstBlock!;
  const { maxAbs, scale, rangeShare } = w.channels;
  const config = channelRangeChart(
    maxAbs.map((_, k) => String(k)),
    maxAbs.map(finite),
    rangeShare.map((s) => finite(s * 100)),
  );
  const numbers = table(
    "int8-worst-channels",
    ["channel", "max |w|", "scale", "share of the int8 range"],
    maxAbs.map((m, k) => [k, sci(m), sci(scale[k]), formatPercent(rangeShare[k])]),
  );
  const perTensor = worst.int8.quantization.weights === "per-tensor";
  const out = [
    para(worstBlockSentence(w, label(worst), perTensor)),
    chart(
      ctx,
      "int8-channels",
      `Weight range per output channel: ${label(worst)}, ${
        FORM_LABELS[w.form].full
      } block ${w.block}`,
      300,
      config,
      numbers,
    ),
  ];
  if (withWorst.length > 1) {
    out.push(table(
      "int8-worst-blocks",
      ["case", "form", "block", "SQNR dB", "conv", "least-used channel", "scale spread"],
      withWorst.map((c) => {
        const b = c.int8.worstBlock!;
        const s = summarizeChannels(b.channels);
        return [
          label(c),
          FORM_LABELS[b.form].full,
          b.block,
          db(b.sqnrDb),
          b.node,
          s.channel < 0 ? "-" : `${s.channel}: ${formatPercent(s.share)}`,
          `${+s.spread.toPrecision(3)}x`,
        ];
      }),
    ));
  }
  return out;
}

/** What was quantized and how, and what SQNR means: one paragraph per distinct setting. */
function conventions(cases: readonly Int8Case[]): string[] {
  const settings = [...new Set(cases.map((c) => JSON.stringify(c.int8.quantization)))]
    .map((s) => JSON.parse(s) as Int8Result["quantization"]);
  const how = settings.map((q) =>
    `weights ${q.weights} (symmetric int8, -127..127${
      q.weights === "per-channel" ? ", one scale per output channel" : ", one scale per tensor"
    }), activations ${
      q.activations === "uint8" ? "uint8 asymmetric" : "int8 symmetric"
    }, calibrated by ${
      q.calibration === "percentile" ? `the ${q.percentile}th percentile` : "min/max"
    } over ${q.calibrationSamples} seeded input(s)`
  );
  const references = [...new Set(cases.map((c) => c.int8.reference))];
  return [
    para(
      "What is quantized: a QuantizeLinear/DequantizeLinear pair (QDQ) around each Conv's input, " +
        `weight and output; other ops stay float. Settings: ${how.join("; ")}. ` +
        "SQNR = 10 log10(sum ref^2 / sum (ref - int8)^2) in dB, against the fp32 multi-branch " +
        "output; higher is better, about 6 dB per bit. A block's SQNR is the error accumulated " +
        "up to its output. Speedup int8 over fp32 is median fp32 / median int8 of the same form, " +
        "timed in the same interleaved loop (above 1: int8 is faster).",
    ),
    ...references.map((r) => para(`Reference: ${r}`)),
  ];
}

/** Skipped convs and zero-range tensors, as warnings. */
function warnings(cases: readonly Int8Case[], label: (c: Int8Case) => string): string[] {
  return cases.flatMap((c) =>
    LABELLED_FORMS.flatMap(([f, name]) => {
      const q = c.int8.forms[f];
      const out: string[] = [];
      if (q.skippedConvs?.length) {
        out.push(para(
          `${label(c)} ${name}: left in float by the quantizer: ${
            q.skippedConvs.map((s) => `${s.node} (${s.reason})`).join(", ")
          }.`,
          "warn",
        ));
      }
      if (q.zeroRangeTensors?.length) {
        out.push(para(
          `${label(c)} ${name}: activation tensors with a zero calibrated range (scale 1): ${
            q.zeroRangeTensors.join(", ")
          }.`,
          "warn",
        ));
      }
      return out;
    })
  );
}

/**
 * The int8 section, or "" when no completed case has int8 results.
 *
 * @param ctx Where charts are collected.
 * @param results The run shown.
 * @returns The section's markup, every string from the results escaped.
 */
export function int8Section(ctx: RenderContext, results: Results): string {
  const cases = completed(results).filter((c): c is Int8Case => c.int8 !== undefined);
  if (cases.length === 0) return "";
  const label = labeler(cases);
  return section("int8", "Int8: quantization error and speed", [
    ...conventions(cases),
    table("int8", [
      "case",
      "form",
      "output SQNR dB",
      "max abs",
      "normwise",
      "integer kernels",
      "fp32 median ms",
      "int8 median ms",
      "speedup int8 over fp32 [ci95]",
    ], summaryRows(cases, label)),
    ...warnings(cases, label),
    `<div class="pair">${cases.map((c) => blockChart(ctx, c, label(c))).join("")}</div>`,
    ...worstBlockFigure(ctx, cases, label),
  ]);
}
