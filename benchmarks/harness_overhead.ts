/**
 * How much the harness's timing loop adds to a bare `session.run` loop on the same session.
 *
 * Blocks of N calls alternate (bare, harness, bare, harness, ...) in one process so drift hits
 * both alike; each block gives a per-call time, and the result is the ratio of the medians of
 * the harness blocks and the bare blocks, with a paired bootstrap ci95.
 *
 * Run: deno task bench:overhead [--width 48] [--resolution 224] [--blocks 60] [--calls 50]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { buildReparamStem } from "../src/stem/reparameterized.ts";
import { randomInput, randomStemWeights } from "../src/stem/weights.ts";
import { encodeModel } from "../src/onnx/encode.ts";
import { createSession } from "../src/runner/ort.ts";
import { measureInterleaved } from "../src/runner/measure.ts";
import { compareMedians } from "../src/stats/compare.ts";
import { cpuModel } from "../src/runner/context.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    width: { type: "string", default: "48" },
    resolution: { type: "string", default: "224" },
    blocks: { type: "string", default: "60" },
    calls: { type: "string", default: "50" },
  },
}).values;
const [width, resolution, blocks, calls] = [args.width, args.resolution, args.blocks, args.calls]
  .map(Number);

const spec = {
  inChannels: 3,
  width,
  branches: 1,
  scaleBranch: true,
  se: false,
  activation: "gelu" as const,
};
const graph = buildReparamStem(spec, randomStemWeights(spec, 0), { batchSize: 1, resolution });
const session = await createSession(encodeModel(graph), {
  device: "cpu",
  threads: 1,
  optimizationLevel: "all",
});
const dims = graph.inputs[0].shape;
const run = session.bind(randomInput(dims.reduce((a, b) => a * b, 1), 0), dims);

async function bareBlock(): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < calls; i++) await run();
  return (performance.now() - start) / calls;
}

async function harnessBlock(): Promise<number> {
  let n = 0;
  const start = performance.now();
  await measureInterleaved({
    stem: () => {
      n++;
      return run();
    },
  }, {
    warmup: { minRuns: 0, maxRuns: 0, stableWithin: 1 },
    sampling: { minSamples: calls - 1, minTimeMs: 0, maxTimeMs: Infinity },
  });
  return (performance.now() - start) / n;
}

for (let i = 0; i < 20; i++) await run(); // warm up the session before either loop
const bare: number[] = [];
const harness: number[] = [];
for (let b = 0; b < blocks; b++) {
  // alternate which goes first so neither always follows the other
  if (b % 2 === 0) {
    bare.push(await bareBlock());
    harness.push(await harnessBlock());
  } else {
    harness.push(await harnessBlock());
    bare.push(await bareBlock());
  }
}
await session.release();
const { ratio, ci95 } = compareMedians(harness, bare, { paired: true, seed: 1 });

// The loop's own cost, measured directly: the same two loops around a no-op async task, where
// nothing but the loop is timed. Far less noisy than the difference of two session loops.
const noop = () => Promise.resolve();
const loopCalls = 20000;
async function loopCostUs(): Promise<number> {
  let start = performance.now();
  for (let i = 0; i < loopCalls; i++) await noop();
  const bareUs = ((performance.now() - start) * 1000) / loopCalls;
  start = performance.now();
  await measureInterleaved({ noop }, {
    warmup: { minRuns: 0, maxRuns: 0, stableWithin: 1 },
    sampling: { minSamples: loopCalls - 1, minTimeMs: 0, maxTimeMs: Infinity },
  });
  return ((performance.now() - start) * 1000) / loopCalls - bareUs;
}
const costs: number[] = [];
for (let i = 0; i < 7; i++) costs.push(await loopCostUs());
const extraUs = costs.sort((a, b) => a - b)[3];
const bareMs = bare.toSorted((a, b) => a - b)[Math.floor(blocks / 2)];
const pct = (x: number) => `${((x - 1) * 100).toFixed(2)}%`;
console.log(
  `C=${width} ${resolution}x${resolution}, ${blocks} blocks of ${calls} calls, ${cpuModel()}, ${navigator.hardwareConcurrency} cores`,
);
console.log(`bare session.run: ${bareMs.toFixed(4)} ms/call (median block)`);
console.log(`harness/bare, session loops: ${pct(ratio)} [ci95 ${pct(ci95[0])}, ${pct(ci95[1])}]`);
console.log(
  `loop cost beyond a bare loop (no-op task, median of 7 x ${loopCalls} calls): ${
    extraUs.toFixed(3)
  } us/call = ${((extraUs / 1000 / bareMs) * 100).toFixed(3)}% of one session.run`,
);
