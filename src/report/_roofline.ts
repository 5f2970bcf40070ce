/**
 * The report's roofline section: the measured memory hierarchy (the bandwidth sweep and its
 * levels), every block and form placed against the roof of its level, and the points that ran
 * faster than their bound (model errors), with their numbers. Private to src/report/.
 *
 * @module
 */
import { formatRatio } from "../text_format.ts";
import {
  type CaseResult,
  FORM_LABELS,
  FORM_NAMES,
  type Forms,
  type Results,
  type RooflinePoint,
  type Roofs,
  roofsKey,
} from "../results/schema.ts";
import { isModelError, roofLevels } from "../profile/roofline.ts";
import { formatBytes } from "../profile/memory_levels.ts";
import { bandwidthSweepChart, color, rooflineChart, type RooflineGroup } from "./charts.ts";
import { chart, ms, num, para, type RenderContext, section, table } from "./_html.ts";

/** Each form with its full label, in report order. */
const LABELLED_FORMS = FORM_NAMES.map((f) => [f, FORM_LABELS[f].full] as const);

type WithForms = CaseResult & { readonly forms: Forms };

/** One placed point with where it comes from. */
interface Placed {
  readonly id: string;
  readonly form: string;
  readonly block: string;
  readonly point: RooflinePoint;
}

const bytesCell = (b: number | undefined) => (b === undefined ? "-" : formatBytes(b));

function rooflineRow({ id, form, block, point: p }: Placed): (string | number)[] {
  return [
    id,
    form,
    block,
    num(p.flops),
    bytesCell(p.workingSetBytes ?? p.bytes),
    p.level ?? "-",
    num(p.intensity),
    ms(p.measuredMs),
    num(p.achievedGflops),
    ms(p.boundMs),
    p.boundBy ?? "-",
    formatRatio(p.overBound, 1),
    isModelError(p) ? "MODEL ERROR" : "",
  ];
}

/** The hierarchy in one sentence: each level's roof and size, and the peak. */
function describeRoofs(key: string, roof: Roofs): string {
  const levels = roofLevels(roof).map((l) =>
    `${l.name}${
      l.capacityBytes !== null && !l.name.startsWith("<=")
        ? ` (up to ${formatBytes(l.capacityBytes)})`
        : ""
    }: ${num(l.bandwidthGBs)} GB/s, ridge ${num(roof.peakGflops / l.bandwidthGBs)} FLOP/byte`
  );
  const how = roof.levels
    ? "bandwidth roofs from the sweep below"
    : "one bandwidth roof from a 64 MiB copy (results written before the per-level sweep)";
  return `${key}: peak ${num(roof.peakGflops)} GFLOP/s (1024^3 MatMul); ${how}: ${
    levels.join("; ")
  }.`;
}

function sweepFigure(ctx: RenderContext, key: string, roof: Roofs): string {
  const sweep = roof.sweep ?? [];
  const levels = roofLevels(roof);
  const levelOf = (ws: number) =>
    levels.find((l) => ws >= l.sweepBytes[0] && ws <= l.sweepBytes[1])?.name ?? "-";
  const config = bandwidthSweepChart(
    sweep.map((p) => ({ x: p.workingSetBytes / 1024, y: p.bandwidthGBs })),
    sweep.map((p) => ({ x: p.workingSetBytes / 1024, y: p.bytes / (p.medianUs * 1e3) })),
    levels.map((l) => ({
      label: `${l.name} roof ${num(l.bandwidthGBs)} GB/s`,
      bandwidthGBs: l.bandwidthGBs,
      fromKiB: l.sweepBytes[0] / 1024,
      toKiB: (l.capacityBytes ?? l.sweepBytes[1]) / 1024,
    })),
  );
  const numbers = table(
    `bandwidth-sweep-${key}`,
    [
      "working set",
      "bytes per run",
      "best us",
      "median us",
      "GB/s (best)",
      "level",
    ],
    sweep.map((p) => [
      formatBytes(p.workingSetBytes),
      num(p.bytes),
      num(p.bestUs),
      num(p.medianUs),
      num(p.bandwidthGBs),
      levelOf(p.workingSetBytes),
    ]),
  );
  return chart(
    ctx,
    "sweep",
    `Bandwidth sweep ${key}: the measured hierarchy`,
    300,
    config,
    numbers,
  );
}

/** The model errors of one provider, with their numbers, or a sentence saying there are none. */
function modelErrors(key: string, placed: readonly Placed[]): string {
  const measured = placed.filter((p) => p.point.overBound !== undefined);
  const errors = placed.filter((p) => isModelError(p.point));
  if (errors.length === 0) {
    return para(
      `${key}: none of the ${measured.length} measured points ran faster than its bound beyond ` +
        "the noise.",
    );
  }
  return para(
    `${key}: ${errors.length} of ${measured.length} points ran faster than their bound beyond ` +
      "the noise: model errors (the roofline model is wrong there, not the kernel), marked " +
      "with a cross in the chart.",
    "warn",
  ) + table(
    `roofline-model-errors-${key}`,
    [
      "case",
      "form",
      "block",
      "level",
      "kernel ms",
      "roof-bound ms",
      "over bound",
      "tolerance",
    ],
    errors.map(({ id, form, block, point: p }) => [
      id,
      form,
      block,
      p.level ?? "-",
      ms(p.measuredMs),
      ms(p.boundMs),
      formatRatio(p.overBound, 2),
      p.tolerance === undefined ? "-" : `${Math.round(p.tolerance * 100)}%`,
    ]),
  );
}

/** Each block of each form placed under the measured roofs of its provider. */
export function rooflineSection(ctx: RenderContext, results: Results): string {
  const body: string[] = [];
  for (const [key, roof] of Object.entries(results.context.roofline ?? {})) {
    const cases = results.cases.filter((c): c is WithForms =>
      c.forms !== undefined && roofsKey(c.config) === key &&
      c.forms.multiBranch.roofline !== undefined
    );
    if (cases.length === 0) continue;
    const placed: Placed[] = cases.flatMap((c) =>
      LABELLED_FORMS.flatMap(([form, name]) => {
        const r = c.forms[form].roofline!;
        return [
          ...r.blocks.map((b) => ({ id: c.id, form: name, block: String(b.block), point: b })),
          { id: c.id, form: name, block: "all", point: r.total },
        ];
      })
    );
    const blocks = [
      ...new Set(cases.flatMap((c) => c.forms.multiBranch.roofline!.blocks.map((b) => b.block))),
    ];
    const drawn = (p: RooflinePoint) => p.achievedGflops !== undefined && !isModelError(p);
    const groups: RooflineGroup[] = LABELLED_FORMS.flatMap(([form, name]) =>
      blocks.map((block, i) => ({
        label: `block ${block} ${name}`,
        color: color(i),
        pointStyle: form === "multiBranch" ? "triangle" : "circle",
        points: cases.flatMap((c) =>
          c.forms[form].roofline!.blocks.filter((b) => b.block === block && drawn(b))
            .map((b) => ({ x: b.intensity, y: b.achievedGflops! }))
        ),
      }))
    ).filter((g) => g.points.length > 0);
    const errors = placed.filter((p) => isModelError(p.point) && p.point.achievedGflops);
    if (errors.length > 0) {
      groups.push({
        label: "model error: faster than its bound",
        color: "#D00000",
        pointStyle: "crossRot",
        pointRadius: 9,
        points: errors.map((p) => ({ x: p.point.intensity, y: p.point.achievedGflops! })),
      });
    }
    const roofs = roofLevels(roof).map((l) => ({
      label: `roof ${l.name} (${num(l.bandwidthGBs)} GB/s)`,
      peakGflops: roof.peakGflops,
      bandwidthGBs: l.bandwidthGBs,
    }));
    const config = rooflineChart(roofs, groups, {
      xTitle: roof.levels
        ? "arithmetic intensity (FLOP/byte of the working set)"
        : "arithmetic intensity (FLOP/byte, cache-aware bytes)",
    });
    const numbers = table(`roofline-${key}`, [
      "case",
      "form",
      "block",
      "FLOPs",
      roof.levels ? "working set" : "bytes (cache-aware)",
      "level",
      "FLOP/byte",
      "kernel ms",
      "GFLOP/s",
      "roof-bound ms",
      "bound by",
      "over bound",
      "model error",
    ], placed.map(rooflineRow));
    body.push(para(describeRoofs(key, roof)));
    if (roof.sweep && roof.sweep.length > 0) body.push(sweepFigure(ctx, key, roof));
    body.push(
      chart(ctx, "roofline", `Roofline ${key}: blocks of every case`, 380, config, numbers),
      modelErrors(key, placed),
    );
  }
  if (body.length === 0) body.push(para("No roofs were measured or no case was profiled."));
  return section("roofline", "Roofline", body);
}
