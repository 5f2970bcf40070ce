/**
 * How long counting takes: a scenario of distinct stem cases (widths x resolutions x batch sizes
 * x branches x activations x scale branch x SE: every case a distinct counting key, no repeated
 * devices, threads or optimization levels) built in memory and counted by `countScenario`, the
 * code path of `deno task count --json`, without printing. Prints cases, seconds and cases/s,
 * and the time JSON.stringify then takes. With `--e2e`, also times the real
 * `deno task count --scenario FILE --json` of the largest scenario, process start included,
 * output discarded.
 *
 * Run: deno run --allow-read --allow-env benchmarks/count_bench.ts [--cases 10000,1000]
 *      deno run --allow-read --allow-write --allow-env --allow-run benchmarks/count_bench.ts --e2e
 *
 * The sizes run in the order given, in one process: the first is timed cold (as a fresh
 * `deno task count` is), the later ones with the JIT warm.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { countScenario } from "../src/commands/count.ts";
import { COUNTING_CONVENTIONS } from "../src/profile/counts.ts";
import { parseScenario } from "../src/scenario/parse.ts";
import { expandScenario } from "../src/scenario/expand.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    cases: { type: "string", default: "10000,1000" },
    e2e: { type: "boolean", default: false },
  },
}).values;

/** Axes of 10,000 distinct cases: 10 widths x 5 x 5 x 5 x 2 x 2 x 2. */
const AXES = {
  widths: [16, 24, 32, 40, 48, 56, 64, 76, 96, 128],
  resolutions: [32, 64, 128, 224, 384],
  batchSizes: [1, 2, 3, 4, 8],
  branches: [1, 2, 3, 4, 8],
  activation: ["gelu", "relu"],
  scaleBranch: [true, false],
  se: [false, true],
};

/** A scenario of `cases` distinct stem cases (a divisor of 10,000's axes: widths shrink first). */
function scenarioText(cases: number): string {
  const perWidth = 10_000 / AXES.widths.length;
  if (cases % perWidth !== 0 || cases > 10_000) {
    throw new RangeError(`Cannot make a scenario of ${cases} cases: give a multiple of 1000`);
  }
  const widths = AXES.widths.slice(0, cases / perWidth);
  return JSON.stringify({
    name: `count-bench-${cases}`,
    description: `${cases} distinct stem cases for benchmarks/count_bench.ts`,
    ...AXES,
    widths,
  });
}

async function timeCounting(cases: number) {
  const text = scenarioText(cases);
  const scenario = parseScenario(text, "count_bench.json");
  const n = expandScenario(scenario).length;
  const input = {
    scenario: {
      name: scenario.name,
      description: scenario.description,
      path: "(in memory)",
      hash: "",
      resolved: scenario,
    },
    cacheBytes: scenario.cacheMiB * 1024 * 1024,
    conventions: { ...COUNTING_CONVENTIONS },
  };
  const start = performance.now();
  const results = await countScenario(scenario, [], input);
  const counted = (performance.now() - start) / 1000;
  const errored = results.cases.filter((c) => c.state === "errored").length;
  const t = performance.now();
  const json = JSON.stringify(results, null, 2);
  const serialized = (performance.now() - t) / 1000;
  console.log(
    `${n} cases: counted in ${counted.toFixed(3)} s (${Math.round(n / counted)} cases/s), ` +
      `JSON.stringify ${serialized.toFixed(3)} s (${(json.length / 2 ** 20).toFixed(1)} MiB)` +
      (errored ? `, ${errored} errored` : ""),
  );
  return text;
}

async function timeEndToEnd(text: string, cases: number) {
  const dir = await Deno.makeTempDir({ prefix: "repstem-count-bench-" });
  try {
    const path = join(dir, "scenario.json");
    await Deno.writeTextFile(path, text);
    const cli = new URL("../src/cli.ts", import.meta.url).pathname;
    const command = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-env", cli, "count", "--scenario", path, "--json"],
      stdout: "null",
      stderr: "inherit",
    });
    const start = performance.now();
    const { code } = await command.output();
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `deno task count --json of ${cases} cases, end to end (process start included): ` +
        `${seconds.toFixed(3)} s, exit ${code}`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const sizes = args.cases.split(",").map(Number);
let largest = { cases: 0, text: "" };
for (const cases of sizes) {
  const text = await timeCounting(cases);
  if (cases > largest.cases) largest = { cases, text };
}
if (args.e2e) await timeEndToEnd(largest.text, largest.cases);
