/**
 * The report section that sets devices side by side: how each fared, and the latency of the
 * configurations they share. Private to src/report/.
 *
 * @module
 */
import {
  type CaseResult,
  type CompletedCase,
  FORM_LABELS,
  FORM_NAMES,
  type Results,
} from "../results/schema.ts";
import { axisType, barChart, type BarSeries, color } from "./charts.ts";
import {
  type Cell,
  chart,
  completed,
  geomean,
  groupBy,
  labeler,
  ms,
  para,
  ratio,
  type RenderContext,
  section,
  table,
} from "./_html.ts";

/** Whether the results hold more than one device. */
export function hasSeveralDevices(results: Results): boolean {
  return new Set(results.cases.map((c) => c.config.device)).size > 1;
}

function withoutDevice(c: CaseResult): string {
  const { device: _device, ...rest } = c.config;
  return JSON.stringify(rest);
}

/** Devices side by side: how each fared, and the latency of configurations they share. */
export function providerSection(ctx: RenderContext, results: Results): string {
  const byDevice = groupBy(results.cases, (c) => c.config.device);
  const summary = [...byDevice].map(([device, cases]): Cell[] => {
    const done = cases.filter((c): c is CompletedCase => c.state === "completed");
    const first = cases.find((c) => c.state !== "completed");
    return [
      device,
      done.length,
      cases.filter((c) => c.state === "errored").length,
      cases.filter((c) => c.state === "skipped").length,
      done.length ? ratio(geomean(done.map((c) => c.speedup.ratio))) : "-",
      first
        ? (first.state === "errored" ? first.error : first.state === "skipped" ? first.reason : "")
        : "",
    ];
  });
  const body = [
    table("providers", [
      "device",
      "completed",
      "errored",
      "skipped",
      "speedup (geometric mean)",
      "first reason a case did not complete",
    ], summary),
  ];
  const shared = [...groupBy(completed(results), withoutDevice).values()].filter((g) =>
    new Set(g.map((c) => c.config.device)).size > 1
  );
  const devices = [...new Set(shared.flat().map((c) => c.config.device))];
  if (shared.length === 0) {
    body.push(
      para(
        "No configuration completed on more than one device, so there is no latency to compare.",
      ),
    );
    return section("providers", "Providers", body);
  }
  const label = labeler(shared.map((g) => g[0]));
  const series: BarSeries[] = devices.flatMap((device, i) =>
    FORM_NAMES.map((form) => ({
      label: `${device} ${FORM_LABELS[form].full}`,
      color: color(2 * i + (form === "multiBranch" ? 1 : 0)),
      values: shared.map((g) =>
        g.find((c) => c.config.device === device)?.forms[form].latencyMs?.median ?? null
      ),
    }))
  );
  const config = barChart(shared.map((g) => label(g[0])), series, { title: "configuration" }, {
    title: "median latency ms",
    type: axisType(
      series.flatMap((s) => s.values.filter((v): v is number => typeof v === "number")),
    ),
  });
  const rows = shared.flatMap((g) =>
    g.map((c) => [
      label(c),
      c.config.device,
      ms(c.forms.multiBranch.latencyMs?.median),
      ms(c.forms.reparameterized.latencyMs?.median),
      ratio(c.speedup.ratio),
    ])
  );
  const numbers = table("providers-chart", [
    "configuration",
    "device",
    "mb median ms",
    "rp median ms",
    "speedup",
  ], rows);
  body.push(chart(ctx, "providers", "Latency per device", 320, config, numbers));
  return section("providers", "Providers", body);
}
