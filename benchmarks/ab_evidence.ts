/**
 * Evidence for the paired gate's default (5%): how often A/B runs of identical model sets fail it
 * (false alarms), and how often a planted slowdown is caught.
 *
 * A small models scenario (the MobileOne-style example network, written here). N A/A runs: the
 * baseline is `models:` a byte copy of the scenario's models, the candidate the scenario's own.
 * Then, per planted size (about 3%, 5% and 10%), N runs of the original against a candidate with
 * one extra conv after the last block (built with the IR, as scripts/make_example_model.ts does),
 * its size chosen by a calibration run that times each candidate conv against the original. Each
 * run is one `runAb` (what `deno task ab` runs), gated with `gatePaired` at 2%, 5% and 10%, and
 * by the bare verdict "slower" (ci95 entirely above 1). A run fails a gate when either form does.
 *
 * Run: `deno run --allow-read --allow-write --allow-env --allow-ffi --allow-sys --allow-run
 * benchmarks/ab_evidence.ts [N]` (N defaults to 20).
 *
 * @module
 */
import { join } from "node:path";
import { buildMobileOneTrain } from "../scripts/make_example_model.ts";
import { encodeModel } from "../src/onnx/encode.ts";
import { type Graph, int, ints } from "../src/onnx/ir.ts";
import { fuseGraph } from "../src/reparam/graph/fuse.ts";
import { createSession } from "../src/runner/ort.ts";
import { measureInterleaved } from "../src/runner/measure.ts";
import { median as medianOfSorted, type Samples } from "../src/stats/summarize.ts";
import { randomInput } from "../src/stem/weights.ts";
import { parseScenario } from "../src/scenario/parse.ts";
import { loadSideModels } from "../src/ab/side_models.ts";
import { runAb } from "../src/ab/run.ts";
import type { AbResults } from "../src/ab/results.ts";
import { gatePaired } from "../src/gate/paired.ts";
import type { Context } from "../src/results/schema.ts";

const N = Number(Deno.args[0] ?? 20);
const median = (xs: readonly number[]) =>
  medianOfSorted([...xs].sort((a, b) => a - b) as unknown as Samples);
const RESOLUTION = 64;
const WIDTH = 16;
const THRESHOLDS = [0.02, 0.05, 0.1];
const TARGETS = [0.03, 0.05, 0.1];

/** The network with one extra conv (C -> C, k x k, `group`) between the last block and the pool. */
function withExtraConv(base: Graph, k: number, group: number): Graph {
  const pool = base.nodes.find((n) => n.opType === "GlobalAveragePool")!;
  const x = pool.inputs[0];
  const c = 2 * WIDTH;
  let seed = 3;
  const weight = {
    name: "extra.conv.weight",
    dims: [c, c / group, k, k],
    data: Float32Array.from({ length: c * (c / group) * k * k }, () => {
      seed = (seed * 16807) % 2147483647;
      return (seed / 2147483647 - 0.5) * 0.2;
    }),
  };
  const conv = {
    name: "extra.conv",
    opType: "Conv",
    inputs: [x, weight.name],
    outputs: ["extra.conv_out"],
    attributes: {
      kernel_shape: ints([k, k]),
      pads: ints(Array(4).fill((k - 1) / 2)),
      group: int(group),
    },
  };
  const nodes = base.nodes.flatMap((n) =>
    n === pool ? [conv, { ...n, inputs: ["extra.conv_out", ...n.inputs.slice(1)] }] : [n]
  );
  return { ...base, nodes, initializers: [...base.initializers, weight] };
}

const SCENARIO = {
  name: "ab evidence",
  description: "A/A and planted slowdowns of a small network",
  models: [{ path: "net.onnx" }],
  seed: 1,
  threads: [1],
  warmup: { minRuns: 5, maxRuns: 50, stableWithin: 0.2 },
  sampling: { minSamples: 200, minTimeMs: 1500, maxTimeMs: 4000 },
};

const dir = await Deno.makeTempDir({ prefix: "repstem-ab-evidence-" });
const base = buildMobileOneTrain({ resolution: RESOLUTION, width: WIDTH, branches: 3 });
const write = async (sub: string, g: Graph) => {
  await Deno.mkdir(join(dir, sub), { recursive: true });
  await Deno.writeFile(join(dir, sub, "net.onnx"), encodeModel(g));
};
await Deno.writeFile(join(dir, "net.onnx"), encodeModel(base));
await write("aa", base);

// Calibration: each candidate extra conv's cost, reparameterized forms timed interleaved
const shapes: [number, number][] = [[1, 32], [1, 16], [3, 32], [1, 8], [1, 4], [1, 2]];
const input = randomInput(3 * RESOLUTION * RESOLUTION, 1);
const dims = [1, 3, RESOLUTION, RESOLUTION];
const sessionOptions = { device: "cpu" as const, threads: 1, optimizationLevel: "all" as const };
const graphs: Record<string, Graph> = { base };
for (const [k, g] of shapes) graphs[`k${k}g${g}`] = withExtraConv(base, k, g);
// each candidate paired with the original alone (two tasks interleaved), so the noise is small
const cost: Record<string, number> = {};
const baseSession = await createSession(encodeModel(fuseGraph(base).graph), sessionOptions);
let baseMs = 0;
for (const [name, g] of Object.entries(graphs).filter(([n]) => n !== "base")) {
  const s = await createSession(encodeModel(fuseGraph(g).graph), sessionOptions);
  const m = await measureInterleaved({
    base: baseSession.bind(input, dims),
    cand: s.bind(input, dims),
  }, {
    warmup: { minRuns: 5, maxRuns: 50, stableWithin: 0.2 },
    sampling: { minSamples: 300, minTimeMs: 1500, maxTimeMs: 4000 },
  });
  await s.release();
  baseMs = median(m.base.samplesMs);
  cost[name] = median(m.cand.samplesMs.map((x, i) => x / m.base.samplesMs[i])) - 1;
}
await baseSession.release();
console.log(`calibration (reparameterized form, base ${baseMs.toFixed(3)} ms):`);
for (const [n, c] of Object.entries(cost)) {
  console.log(`  extra conv ${n}: +${(100 * c).toFixed(1)}%`);
}
const picked = new Set<string>();
const planted = TARGETS.map((target) => {
  const [name] = Object.entries(cost).filter(([n]) =>
    !picked.has(n)
  ).sort((a, b) => Math.abs(a[1] - target) - Math.abs(b[1] - target))[0];
  picked.add(name);
  return { target, name, cost: cost[name] };
}).sort((a, b) => a.cost - b.cost);
for (const p of planted) await write(p.name, graphs[p.name]);

const scenario = parseScenario(JSON.stringify(SCENARIO), "ab evidence");
const scenarioPath = join(dir, "scenario.json");
await Deno.writeTextFile(scenarioPath, JSON.stringify(SCENARIO));
const side = (sub: string) =>
  loadSideModels({ kind: "models", dir: join(dir, sub) }, "--side", scenario, scenarioPath);
const context = {} as Context;

async function runs(baseline: string, candidate: string): Promise<AbResults[]> {
  const out: AbResults[] = [];
  for (let i = 0; i < N; i++) {
    const r = await runAb({ ...scenario, seed: 1 + i }, context, {
      baseline: await side(baseline),
      candidate: await side(candidate),
    });
    if (r.cases.some((c) => c.state !== "completed")) throw new Error(JSON.stringify(r.cases));
    out.push(r);
    Deno.stderr.writeSync(new TextEncoder().encode("."));
  }
  Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  return out;
}

const flagged = (rs: AbResults[], t: number) =>
  rs.filter((r) => gatePaired(r, { threshold: t }).failed).length;
const slower = (rs: AbResults[]) =>
  rs.filter((r) =>
    r.cases.some((c) =>
      c.state === "completed" && Object.values(c.forms).some((f) => f.ci95[0] > 1)
    )
  ).length;
const ratios = (rs: AbResults[]) =>
  rs.flatMap((r) =>
    r.cases.flatMap((c) => (c.state === "completed" ? [c.forms.reparameterized.ratio] : []))
  );
const line = (label: string, rs: AbResults[]) => {
  const rr = ratios(rs);
  return `${label.padEnd(34)} ${
    THRESHOLDS.map((t) => `${flagged(rs, t)}/${N}`.padStart(6)).join(" ")
  } ` +
    `${`${slower(rs)}/${N}`.padStart(7)}   reparameterized ratio median ${median(rr).toFixed(3)} ` +
    `[${Math.min(...rr).toFixed(3)}, ${Math.max(...rr).toFixed(3)}]`;
};

const started = performance.now();
const aa = await runs("aa", ".");
const plantedRuns = [];
for (const p of planted) plantedRuns.push({ ...p, rs: await runs(".", p.name) });
const wall = (performance.now() - started) / 1000;

console.log(
  `\nN = ${N} A/B runs each; network ${RESOLUTION}x${RESOLUTION}, width ${WIDTH}, 1 thread`,
);
console.log(
  `${"runs".padEnd(34)} ${THRESHOLDS.map((t) => `>${100 * t}%`.padStart(6)).join(" ")} ${
    "slower".padStart(7)
  }`,
);
console.log(line("A/A (false alarms)", aa));
for (const p of plantedRuns) {
  console.log(line(`planted ${p.name} (~+${(100 * p.cost).toFixed(1)}%, detections)`, p.rs));
}
const caught = plantedRuns.filter((p) => flagged(p.rs, 0.05) >= Math.ceil(0.95 * N));
console.log(
  `\nsmallest planted slowdown caught by the 5% gate in >= 95% of runs: ${
    caught.length ? `${caught[0].name} (~+${(100 * caught[0].cost).toFixed(1)}%)` : "none"
  }`,
);
const caughtSlower = plantedRuns.filter((p) => slower(p.rs) >= Math.ceil(0.95 * N));
console.log(
  `smallest planted slowdown with verdict "slower" in >= 95% of runs: ${
    caughtSlower.length
      ? `${caughtSlower[0].name} (~+${(100 * caughtSlower[0].cost).toFixed(1)}%)`
      : "none"
  }`,
);
console.log(`wall time of the A/B runs: ${wall.toFixed(0)} s`);
await Deno.remove(dir, { recursive: true });
