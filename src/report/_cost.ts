/**
 * Report section on the static cost of each form (parameters, MACs, the three memory-traffic
 * estimates); its place under the measured roofline is in _roofline.ts. Private to src/report/.
 *
 * @module
 */
import {
  type CaseResult,
  FORM_LABELS,
  FORM_NAMES,
  type FormResult,
  type Forms,
  type Results,
  type Totals,
} from "../results/schema.ts";
import { axisType, barChart, type BarSeries, color, FORM_COLORS } from "./charts.ts";
import { chart, groupBy, labeler, num, para, type RenderContext, section, table } from "./_html.ts";

/** Each form with its full label, in report order. */
const LABELLED_FORMS = FORM_NAMES.map((f) => [f, FORM_LABELS[f].full] as const);

type WithForms = CaseResult & { readonly forms: Forms };

/** One case per distinct stem (counts do not depend on device, threads or optimization level). */
function distinctStems(results: Results): WithForms[] {
  const withForms = results.cases.filter((c): c is WithForms => c.forms !== undefined);
  return [
    ...groupBy(withForms, (c) => {
      const { device: _d, threads: _t, optimizationLevel: _o, ...stem } = c.config;
      return JSON.stringify(stem);
    }).values(),
  ].map((g) => g[0]);
}

/**
 * What the nodes in no block (a user's model's nodes outside the fused groups) add up to: the
 * form's totals less the sum of its blocks, so it needs no per-node counts. Undefined when the
 * blocks account for every node. The minimum traffic does not split this way: NaN.
 */
function outsideBlocks(f: FormResult): Totals | undefined {
  const less = (get: (t: Totals) => number) => get(f) - f.blocks.reduce((a, b) => a + get(b), 0);
  const nodes: Record<string, number> = {};
  for (const [op, n] of Object.entries(f.nodes)) {
    const left = n - f.blocks.reduce((a, b) => a + (b.nodes[op] ?? 0), 0);
    if (left > 0) nodes[op] = left;
  }
  if (Object.keys(nodes).length === 0) return undefined;
  return {
    params: less((t) => t.params),
    buffers: less((t) => t.buffers),
    constants: less((t) => t.constants),
    macs: less((t) => t.macs),
    flops: {
      conv: less((t) => t.flops.conv),
      elementwise: less((t) => t.flops.elementwise),
      total: less((t) => t.flops.total),
    },
    bytes: { naive: less((t) => t.bytes.naive), minimum: NaN, cached: less((t) => t.bytes.cached) },
    nodes,
  };
}

function countRow(stem: string, form: string, block: string, t: Totals): (string | number)[] {
  return [
    stem,
    form,
    block,
    num(t.params),
    num(t.buffers),
    num(t.macs),
    num(t.flops.total),
    num(t.bytes.naive),
    num(t.bytes.cached),
    num(t.bytes.minimum),
  ];
}

const TRAFFIC = [["naive", "naive (upper)"], ["cached", "cache-aware"], [
  "minimum",
  "minimum",
]] as const;

function trafficChart(ctx: RenderContext, stem: WithForms, label: string): string {
  const blocks = stem.forms.multiBranch.blocks.map((b) => `block ${b.block}`);
  const series: BarSeries[] = LABELLED_FORMS.flatMap(([key, name], f) =>
    TRAFFIC.map(([kind, kindName], k) => ({
      label: `${name} ${kindName}`,
      values: stem.forms[key].blocks.map((b) => b.bytes[kind]),
      color: color(f * 3 + k),
    }))
  );
  const values = series.flatMap((s) => s.values as number[]);
  const config = barChart(blocks, series, { title: "block" }, {
    title: "bytes moved",
    type: axisType(values),
  });
  const rows = LABELLED_FORMS.flatMap(([key, name]) =>
    stem.forms[key].blocks.map((b) => [
      name,
      b.block,
      num(b.bytes.naive),
      num(b.bytes.cached),
      num(b.bytes.minimum),
    ])
  );
  const numbers = table(
    "traffic-chart",
    ["form", "block", "naive", "cache-aware", "minimum"],
    rows,
  );
  return chart(
    ctx,
    "traffic",
    `Memory traffic per block: ${label} (largest stem)`,
    300,
    config,
    numbers,
  );
}

function macsChart(
  ctx: RenderContext,
  stems: readonly WithForms[],
  label: (c: CaseResult) => string,
): string {
  const series: BarSeries[] = LABELLED_FORMS.map(([key, name]) => ({
    label: name,
    values: stems.map((s) => s.forms[key].macs),
    color: FORM_COLORS[key],
  }));
  // Horizontal bars: one row per stem keeps every label readable however many stems there are.
  const config = barChart(stems.map(label), series, { title: "stem" }, {
    title: "conv MACs",
    type: axisType(series.flatMap((s) => s.values as number[])),
  }, { horizontal: true });
  const rows = stems.map((s) => [
    label(s),
    num(s.forms.multiBranch.params),
    num(s.forms.reparameterized.params),
    num(s.forms.multiBranch.macs),
    num(s.forms.reparameterized.macs),
  ]);
  const numbers = table(
    "macs-chart",
    ["stem", "params mb", "params rp", "MACs mb", "MACs rp"],
    rows,
  );
  const height = Math.max(300, 90 + 30 * stems.length);
  return chart(ctx, "macs", "Parameters and conv MACs per stem", height, config, numbers);
}

/** Parameters, MACs and the three memory-traffic estimates per form and block, per stem. */
export function costSection(ctx: RenderContext, results: Results): string {
  const stems = distinctStems(results);
  if (stems.length === 0) return section("cost", "Cost", [para("No case has counts.")]);
  const label = labeler(stems);
  const largest = stems.reduce((
    a,
    b,
  ) => (b.forms.multiBranch.macs > a.forms.multiBranch.macs ? b : a));
  const rows = stems.flatMap((s) =>
    LABELLED_FORMS.flatMap(([key, name]) => {
      const f: FormResult = s.forms[key];
      const outside = outsideBlocks(f);
      return [
        ...f.blocks.map((b) => countRow(label(s), name, String(b.block), b)),
        ...(outside ? [countRow(label(s), name, "outside blocks", outside)] : []),
        countRow(label(s), name, "all", f),
      ];
    })
  );
  const uncounted = stems.flatMap((s) =>
    LABELLED_FORMS.flatMap(([key, name]) => {
      const u = s.forms[key].uncounted ?? [];
      const ops = [...new Set(u.map((n) => n.opType))];
      return u.length > 0 ? [`${label(s)} ${name}: ${u.length} node(s) (${ops.join(", ")})`] : [];
    })
  );
  return section("cost", "Cost: parameters, MACs, memory traffic", [
    para(
      "Bytes: naive sums every node's reads and writes (no fusion, no cache: an upper bound); " +
        "minimum is what must cross the boundary (input, weights, output); cache-aware simulates a " +
        `${num(results.context.cacheBytes / 2 ** 20)} MiB last-level cache between them.`,
    ),
    `<div class="pair">${macsChart(ctx, stems, label)}${
      trafficChart(ctx, largest, label(largest))
    }</div>`,
    ...(stems.some((s) => s.config.model)
      ? [para(
        "A user's model has one block per fused group (its emitted conv, and the nodes it " +
          "replaced); its other nodes are in no block, summed in 'outside blocks' (their " +
          "minimum traffic is not split out) and in 'all'.",
      )]
      : []),
    ...(uncounted.length > 0
      ? [para(
        `Counted as 0 MACs and 0 FLOPs (no counting rule or no inferred shape): ${
          uncounted.join("; ")
        }.`,
        "warn",
      )]
      : []),
    "<h3>Every stem, form and block</h3>",
    table("cost", [
      "stem",
      "form",
      "block",
      "params",
      "BN buffers",
      "conv MACs",
      "FLOPs",
      "bytes naive",
      "bytes cache-aware",
      "bytes minimum",
    ], rows),
  ]);
}
