/**
 * `deno task bench`: runs a scenario, saves results after every case and on Ctrl-C, writes the
 * report, prints the table.
 *
 * @module
 */
import { interruptOnCtrlC } from "./_interrupt.ts";
import { failedCasesExit } from "./_failed_cases.ts";
import { printErr, printOut } from "../output.ts";
import { join } from "node:path";
import { parseOptions } from "../args.ts";
import { loadScenario } from "../scenario/load.ts";
import { loadScenarioModels } from "../source/scenario_models.ts";
import type { CaseResult, Context, Results } from "../results/schema.ts";
import { formatCount, formatInterval, formatMs, formatRatio, formatTable } from "../text_format.ts";
import { writeReport } from "../report/write.ts";
import type { BenchEvent } from "../bench_loop.ts";
import { DEFAULT_OUT, DEFAULT_SCENARIO, HELP } from "./help.ts";
import { COUNTING_CONVENTIONS } from "../profile/counts.ts";
import { MEASURING_CONVENTIONS } from "../case.ts";
import { ROOFLINE_CONVENTIONS } from "../profile/roofline.ts";
import { INT8_CONVENTIONS } from "../quantize/options.ts";
import { writeResults } from "../results/io.ts";

/**
 * Loads a scenario, reads the model files it names, and gives the parts of the context that come
 * from it.
 *
 * @throws {ScenarioError} When the scenario or one of its model files cannot be used.
 */
export async function loadContextInput(scenarioPath: string) {
  const { scenario, hash } = await loadScenario(scenarioPath);
  const models = await loadScenarioModels(scenario, scenarioPath);
  return {
    scenario,
    models,
    input: {
      scenario: {
        name: scenario.name,
        description: scenario.description,
        path: scenarioPath,
        hash,
        resolved: scenario,
      },
      cacheBytes: scenario.cacheMiB * 1024 * 1024,
      conventions: {
        ...COUNTING_CONVENTIONS,
        ...MEASURING_CONVENTIONS,
        ...ROOFLINE_CONVENTIONS,
        ...(scenario.precisions.includes("int8") ? INT8_CONVENTIONS : {}),
      },
    },
  };
}

function progressPrinter() {
  const tty = Deno.stderr.isTerminal();
  const started = performance.now();
  const enc = new TextEncoder();
  return (event: BenchEvent) => {
    const elapsed = (performance.now() - started) / 1000;
    if (event.kind === "case-start") {
      if (!tty) return;
      const eta = event.index > 0
        ? ` · ~${Math.ceil((elapsed / event.index) * (event.total - event.index))} s left`
        : "";
      Deno.stderr.writeSync(
        enc.encode(`\r\x1b[K[${event.index + 1}/${event.total}] ${event.id}${eta}`),
      );
      return;
    }
    const r = event.result;
    const what = r.state === "completed"
      ? `${formatRatio(r.speedup.ratio)}, max abs err ${r.equivalence.maxAbsError.toExponential(1)}`
      : r.state === "errored"
      ? `errored: ${r.error}`
      : `skipped: ${r.reason}`;
    const left = event.total - event.index - 1;
    const eta = left > 0 ? `, ~${Math.ceil((elapsed / (event.index + 1)) * left)} s left` : "";
    Deno.stderr.writeSync(
      enc.encode(
        `${tty ? "\r\x1b[K" : ""}[${event.index + 1}/${event.total}] ${r.id}: ${what} (${
          elapsed.toFixed(0)
        } s${eta})\n`,
      ),
    );
  };
}

/**
 * Case ids to fail on purpose, from `REPSTEM_FAIL_CASES` (comma-separated substrings of case ids):
 * the end-to-end tests' way to plant an errored case that fails alike on every machine.
 */
function injectedFailures(): ((id: string) => boolean) | undefined {
  const parts = (Deno.env.get("REPSTEM_FAIL_CASES") ?? "").split(",").filter((p) => p !== "");
  return parts.length > 0 ? (id) => parts.some((p) => id.includes(p)) : undefined;
}

/** Runs `bench` and returns its exit code (0, 1 a case failed, 130 interrupted). */
export async function bench(args: string[]): Promise<number> {
  const v = parseOptions(
    args,
    { scenario: { type: "string" }, out: { type: "string" } },
    HELP.bench,
  );
  if (v.help) return printOut(HELP.bench), 0;
  const scenarioPath = (v.scenario as string | undefined) ?? DEFAULT_SCENARIO;
  const outDir = (v.out as string | undefined) ?? DEFAULT_OUT;
  const { scenario, models, input } = await loadContextInput(scenarioPath);
  // onnxruntime's native library loads only here, so `count` and `--help` never need it
  const { runBench } = await import("../bench_loop.ts");
  const { collectContext } = await import("../runner/context.ts");
  let context: Context = await collectContext(input);
  if (scenario.devices.some((d) => d === "webgpu" || d === "gpu")) {
    const { webGpuAdapterInfo } = await import("../runner/ort.ts");
    const gpuAdapter = await webGpuAdapterInfo();
    if (gpuAdapter) context = { ...context, gpuAdapter };
  }
  const outPath = join(outDir, "results.json");
  const interrupt = interruptOnCtrlC(outPath);
  try {
    const results = await runBench(scenario, context, {
      signal: interrupt.signal,
      failCases: injectedFailures(),
      models,
      onEvent: progressPrinter(),
      onResults: (r) => writeResults(outPath, r),
    });
    await writeResults(outPath, results);
    const reportPath = join(outDir, "report.html");
    await writeReport(outPath, reportPath);
    printOut(formatResultsTable(results));
    printErr(`\nWrote ${outPath} and ${reportPath}`);
    if (results.context.interrupted) return 130;
    const bad = results.cases.filter((c) =>
      c.state === "errored" || (c.state === "completed" && !c.equivalence.withinTolerance)
    );
    return failedCasesExit(bad.map((c) => c.id));
  } finally {
    interrupt.dispose();
  }
}

function caseRow(c: CaseResult): string[] {
  const mb = c.forms?.multiBranch;
  const rp = c.forms?.reparameterized;
  const counts = [
    mb && rp ? `${formatCount(mb.params)} / ${formatCount(rp.params)}` : "-",
    mb && rp ? `${formatCount(mb.macs)} / ${formatCount(rp.macs)}` : "-",
  ];
  if (c.state !== "completed") {
    return [c.id, ...counts, "-", "-", c.state === "errored" ? `errored: ${c.error}` : `skipped`];
  }
  return [
    c.id,
    ...counts,
    `${formatMs(c.forms.multiBranch.latencyMs!.median)} / ${
      formatMs(c.forms.reparameterized.latencyMs!.median)
    }`,
    `${formatRatio(c.speedup.ratio)} ${formatInterval(c.speedup.ci95)}`,
    `${c.equivalence.maxAbsError.toExponential(1)}${c.equivalence.withinTolerance ? "" : " FAIL"}`,
  ];
}

/**
 * The run summary table printed at the end of `deno task bench`: one row per case with the
 * counts, medians, speedup and equivalence error of both forms (mb / rp).
 *
 * @param results The run's results.
 * @returns The table, without a trailing newline.
 */
function formatResultsTable(results: Results): string {
  const header = [
    "case",
    "params mb/rp",
    "MACs mb/rp",
    "median ms mb/rp",
    "speedup [ci95]",
    "max abs err",
  ];
  return formatTable(header, results.cases.map(caseRow));
}
