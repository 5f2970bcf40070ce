/**
 * The command line: `bench`, `count`, `export` and `schema`. The only file that calls Deno.exit.
 *
 * Exit codes: 0 success, 1 a case failed (errored, or outputs not equivalent), 2 bad input,
 * 130 interrupted (results so far are saved).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { loadScenario } from "./scenario/load.ts";
import { ScenarioError } from "./scenario/parse.ts";
import { scenarioJsonSchema } from "./scenario/schema.ts";
import type { Context } from "./results/schema.ts";
import { RESULTS_SCHEMA_VERSION } from "./results/schema.ts";
import { formatCount, formatResultsTable, formatTable } from "./format.ts";
import { REPORT_HELP, reportCommand, writeReport } from "./report/command.ts";
import { BASELINE_HELP, baselineCommand, GATE_HELP, gateCommand } from "./gate/command.ts";
import type { Activation } from "./stem/spec.ts";

const DEFAULT_SCENARIO = "scenarios/default.json";
const DEFAULT_OUT = "reports/latest";

const HELP: Record<string, string> = {
  main: `repstem-bench: benchmark FastViT's reparameterizable stem in both forms

Usage: deno task <command> [options]    (or: deno run -A src/cli.ts <command> [options])

Commands:
  bench    build, verify, count and time every case of a scenario; write results.json
  count    counts only (params, MACs, FLOPs, memory traffic), no onnxruntime, fast
  export   write one case's two forms as .onnx files
  report   render one or several results files as a self-contained HTML report
  gate     compare a results file with a baseline: exit 1 on a regression (CI)
  baseline record a baseline for the gate
  schema   write the scenario JSON Schema (for editors) to scenarios/scenario.schema.json

Run "deno task <command> --help" for a command's options.`,
  bench: `Usage: deno task bench [--scenario FILE] [--out DIR]

Builds both forms of every case, checks they compute the same function on onnxruntime, counts
them, times them interleaved, and writes DIR/results.json (after every case, so Ctrl-C keeps
what was measured). Progress goes to stderr, the summary table to stdout.

Options:
  --scenario FILE   scenario file (default ${DEFAULT_SCENARIO})
  --out DIR         output folder (default ${DEFAULT_OUT})
  -h, --help        this help

Exit: 0 all cases completed and equivalent, 1 a case errored or was not equivalent,
      2 bad input, 130 interrupted`,
  count: `Usage: deno task count [--scenario FILE] [--json]

Counts parameters, BN buffers, conv MACs, FLOPs and memory traffic of both forms of every case,
without running anything.

Options:
  --scenario FILE   scenario file (default ${DEFAULT_SCENARIO})
  --json            print the results shape (schemaVersion ${RESULTS_SCHEMA_VERSION}) without latencies
  -h, --help        this help`,
  export: `Usage: deno task export --width C --resolution R [options]

Writes multi_branch.onnx and reparameterized.onnx (opset 17, static shapes) for one stem.

Options:
  --width C          stem width (required)
  --resolution R     square input size (required)
  --branches B       conv branches per block, 1..8 (default 1)
  --batch N          batch size (default 1)
  --in-channels I    input channels (default 3)
  --activation A     gelu | relu | none (default gelu)
  --no-scale         drop the 1x1 scale branch
  --se               add squeeze-excitation
  --seed S           weight seed (default 0)
  --out DIR          output folder (default reports/export)
  -h, --help         this help`,
  report: REPORT_HELP,
  gate: GATE_HELP,
  baseline: BASELINE_HELP,
  schema: `Usage: deno task schema [--out FILE]

Writes the JSON Schema of scenario files (default scenarios/scenario.schema.json).`,
};

class UsageError extends Error {}

function parse(
  command: string,
  args: string[],
  options: Record<string, { type: "string" | "boolean"; short?: string }>,
) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${HELP[command]}`);
  }
}

function positiveInt(name: string, value: string | boolean | undefined, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isInteger(n) || n < 1) {
    throw new UsageError(
      `Cannot export as '--${name}' must be a positive integer: current value is ${
        value === undefined ? "missing" : JSON.stringify(value)
      }`,
    );
  }
  return n;
}

async function loadContextInput(scenarioPath: string) {
  const { scenario, hash } = await loadScenario(scenarioPath);
  const { COUNTING_CONVENTIONS } = await import("./profile/counts.ts");
  const { MEASURING_CONVENTIONS } = await import("./case.ts");
  return {
    scenario,
    input: {
      scenario: {
        name: scenario.name,
        description: scenario.description,
        path: scenarioPath,
        hash,
        resolved: scenario,
      },
      cacheBytes: scenario.cacheMiB * 1024 * 1024,
      conventions: { ...COUNTING_CONVENTIONS, ...MEASURING_CONVENTIONS },
    },
  };
}

function progressPrinter() {
  const tty = Deno.stderr.isTerminal();
  const started = performance.now();
  const enc = new TextEncoder();
  return (event: import("./bench.ts").BenchEvent) => {
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
      ? `${r.speedup.ratio.toFixed(2)}x, max abs err ${r.equivalence.maxAbsError.toExponential(1)}`
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

async function bench(args: string[]): Promise<number> {
  const v = parse("bench", args, { scenario: { type: "string" }, out: { type: "string" } });
  if (v.help) return console.log(HELP.bench), 0;
  const scenarioPath = (v.scenario as string | undefined) ?? DEFAULT_SCENARIO;
  const outDir = (v.out as string | undefined) ?? DEFAULT_OUT;
  const { scenario, input } = await loadContextInput(scenarioPath);
  const { runBench } = await import("./bench.ts");
  const { collectContext } = await import("./runner/context.ts");
  const { writeResults } = await import("./results/io.ts");
  let context: Context = await collectContext(input);
  if (scenario.devices.some((d) => d === "webgpu" || d === "gpu")) {
    const { webGpuAdapterInfo } = await import("./runner/ort.ts");
    const gpuAdapter = await webGpuAdapterInfo();
    if (gpuAdapter) context = { ...context, gpuAdapter };
  }
  const outPath = join(outDir, "results.json");
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) {
      console.error("\nStopping now; results of finished cases are in " + outPath);
      Deno.exit(130);
    }
    console.error(
      "\nInterrupted: finishing the current case, then saving (Ctrl-C again to stop at once)",
    );
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    const results = await runBench(scenario, context, {
      signal: controller.signal,
      onEvent: progressPrinter(),
      onResults: (r) => writeResults(outPath, r),
    });
    await writeResults(outPath, results);
    const reportPath = join(outDir, "report.html");
    await writeReport(outPath, reportPath);
    console.log(formatResultsTable(results));
    console.error(`\nWrote ${outPath} and ${reportPath}`);
    if (results.context.interrupted) return 130;
    const bad = results.cases.filter((c) =>
      c.state === "errored" || (c.state === "completed" && !c.equivalence.withinTolerance)
    );
    if (bad.length > 0) {
      console.error(
        `${bad.length} case(s) errored or were not equivalent: ${bad.map((c) => c.id).join(", ")}`,
      );
      return 1;
    }
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

async function count(args: string[]): Promise<number> {
  const v = parse("count", args, { scenario: { type: "string" }, json: { type: "boolean" } });
  if (v.help) return console.log(HELP.count), 0;
  const scenarioPath = (v.scenario as string | undefined) ?? DEFAULT_SCENARIO;
  const { scenario, input } = await loadContextInput(scenarioPath);
  const { expandScenario } = await import("./scenario/expand.ts");
  const { countCase, weightsCache } = await import("./case.ts");
  const weightsFor = weightsCache(scenario.seed);
  const cases = [];
  for (const c of expandScenario(scenario)) {
    cases.push(countCase(c, scenario, weightsFor).result);
  }
  if (v.json) {
    const results = {
      schemaVersion: RESULTS_SCHEMA_VERSION,
      context: { startedAt: new Date().toISOString(), ...input },
      cases: cases.map((c) =>
        c.state === "skipped" && c.reason === "counts only"
          ? { id: c.id, config: c.config, state: "counted", forms: c.forms }
          : c
      ),
    };
    console.log(JSON.stringify(results, null, 2));
    return cases.some((c) => c.state === "errored") ? 1 : 0;
  }
  const rows = cases.map((c) => {
    const mb = c.forms?.multiBranch;
    const rp = c.forms?.reparameterized;
    if (!mb || !rp) {
      return [c.id, c.state === "errored" ? `errored: ${c.error}` : "-", "", "", "", ""];
    }
    return [
      c.id,
      `${formatCount(mb.params)} / ${formatCount(rp.params)}`,
      `${formatCount(mb.buffers)} / ${formatCount(rp.buffers)}`,
      `${formatCount(mb.macs)} / ${formatCount(rp.macs)}`,
      `${formatCount(mb.bytes.naive)} / ${formatCount(rp.bytes.naive)}`,
      `${formatCount(mb.bytes.cached)} / ${formatCount(rp.bytes.cached)}`,
    ];
  });
  console.log(
    formatTable([
      "case",
      "params mb/rp",
      "buffers mb/rp",
      "MACs mb/rp",
      "bytes naive mb/rp",
      `bytes cached (${scenario.cacheMiB} MiB) mb/rp`,
    ], rows),
  );
  return cases.some((c) => c.state === "errored") ? 1 : 0;
}

async function exportModels(args: string[]): Promise<number> {
  const v = parse("export", args, {
    width: { type: "string" },
    resolution: { type: "string" },
    branches: { type: "string" },
    batch: { type: "string" },
    "in-channels": { type: "string" },
    activation: { type: "string" },
    "no-scale": { type: "boolean" },
    se: { type: "boolean" },
    seed: { type: "string" },
    out: { type: "string" },
  });
  if (v.help) return console.log(HELP.export), 0;
  const activation = (v.activation as string | undefined) ?? "gelu";
  if (!["gelu", "relu", "none"].includes(activation)) {
    throw new UsageError(
      `Cannot export as '--activation' must be gelu, relu or none: current value is ${
        JSON.stringify(activation)
      }`,
    );
  }
  const seed = v.seed === undefined ? 0 : Number(v.seed);
  if (!Number.isInteger(seed)) {
    throw new UsageError(
      `Cannot export as '--seed' must be an integer: current value is ${JSON.stringify(v.seed)}`,
    );
  }
  const spec = {
    inChannels: positiveInt("in-channels", v["in-channels"], 3),
    width: positiveInt("width", v.width),
    branches: positiveInt("branches", v.branches, 1),
    scaleBranch: !v["no-scale"],
    se: !!v.se,
    activation: activation as Activation,
  };
  const geometry = {
    batchSize: positiveInt("batch", v.batch, 1),
    resolution: positiveInt("resolution", v.resolution),
  };
  const { randomStemWeights } = await import("./stem/weights.ts");
  const { buildMultiBranchStem } = await import("./stem/multi_branch.ts");
  const { buildReparamStem } = await import("./stem/reparameterized.ts");
  const { encodeModel } = await import("./onnx/encode.ts");
  const weights = randomStemWeights(spec, seed);
  const out = (v.out as string | undefined) ?? "reports/export";
  await Deno.mkdir(out, { recursive: true });
  for (
    const [file, graph] of [["multi_branch.onnx", buildMultiBranchStem(spec, weights, geometry)], [
      "reparameterized.onnx",
      buildReparamStem(spec, weights, geometry),
    ]] as const
  ) {
    const path = join(out, file);
    await Deno.writeFile(path, encodeModel(graph));
    console.log(`Wrote ${path} (${graph.nodes.length} nodes)`);
  }
  return 0;
}

async function schema(args: string[]): Promise<number> {
  const v = parse("schema", args, { out: { type: "string" } });
  if (v.help) return console.log(HELP.schema), 0;
  const out = (v.out as string | undefined) ?? "scenarios/scenario.schema.json";
  await Deno.writeTextFile(out, JSON.stringify(scenarioJsonSchema(), null, 2) + "\n");
  console.log(`Wrote ${out}`);
  return 0;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  report: reportCommand,
  gate: gateCommand,
  baseline: baselineCommand,
  bench,
  count,
  export: exportModels,
  schema,
};

/** Runs the CLI and returns its exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    console.log(HELP.main);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    console.error(`Unknown command "${command}"\n\n${HELP.main}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (
      e instanceof UsageError || e instanceof ScenarioError || e instanceof SyntaxError ||
      e instanceof Deno.errors.NotFound || e instanceof RangeError
    ) {
      console.error(`error: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
