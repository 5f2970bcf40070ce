/**
 * How fast the graph-level fusion's output runs, against the train-form export it came from and
 * against PyTorch's own reparameterized export of the same weights: the three timed interleaved
 * in one run (each round runs each once, in a fresh random order), onnxruntime CPU, 1 thread.
 *
 * Networks: the real PyTorch 1.13 exports in tests/testdata/torch (MobileOne-, RepVGG-, FastViT-
 * and RepViT-style, 1x3x64x64; see scripts/torch_exports). Prints, per network and optimization
 * level, the medians and two paired ratios with bootstrap ci95: train / fused (what the fusion
 * buys) and deploy / fused (1.0 means as fast as PyTorch's deploy export).
 *
 * Run: `deno run --allow-read --allow-env --allow-ffi --allow-sys benchmarks/own_networks.ts`
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeModel } from "../src/onnx/encode.ts";
import { readModelFile } from "../src/onnx/load.ts";
import { fuseGraph } from "../src/reparam/graph/fuse.ts";
import { createSession } from "../src/runner/ort.ts";
import { measureInterleaved } from "../src/runner/measure.ts";
import { compareMedians } from "../src/stats/compare.ts";
import { summarize } from "../src/stats/summarize.ts";
import { randomInput } from "../src/stem/weights.ts";

const TORCH = fileURLToPath(new URL("../tests/testdata/torch", import.meta.url));
const NETWORKS = ["mobileone", "repvgg", "fastvit", "repvit"];
const SHAPE = [1, 3, 64, 64];
const LEVELS = ["all", "disabled"] as const;

const ci = (r: { ratio: number; ci95: readonly [number, number] }) =>
  `${r.ratio.toFixed(2)}x [${r.ci95[0].toFixed(2)}, ${r.ci95[1].toFixed(2)}]`;

if (import.meta.main) {
  console.log(`onnxruntime cpu, 1 thread, input ${SHAPE.join("x")}; medians in ms`);
  console.log("network    level     train   fused  deploy  train/fused          deploy/fused");
  const input = randomInput(SHAPE.reduce((a, b) => a * b, 1), 0);
  for (const net of NETWORKS) {
    const train = (await readModelFile(join(TORCH, `${net}.train.onnx`))).graph;
    const deploy = (await readModelFile(join(TORCH, `${net}.deploy.onnx`))).graph;
    const fused = fuseGraph(train).graph;
    for (const level of LEVELS) {
      const options = { device: "cpu" as const, threads: 1, optimizationLevel: level };
      const sessions = {
        train: await createSession(encodeModel(train), options),
        fused: await createSession(encodeModel(fused), options),
        deploy: await createSession(encodeModel(deploy), options),
      };
      try {
        const m = await measureInterleaved({
          train: sessions.train.bind(input, SHAPE),
          fused: sessions.fused.bind(input, SHAPE),
          deploy: sessions.deploy.bind(input, SHAPE),
        }, {
          warmup: { minRuns: 10, maxRuns: 200, stableWithin: 0.1 },
          sampling: { minSamples: 200, minTimeMs: 2000, maxTimeMs: 10000 },
        });
        const med = (k: "train" | "fused" | "deploy") =>
          summarize(m[k].samplesMs, { seed: 1 }).median.toFixed(3).padStart(7);
        const vs = (k: "train" | "deploy") =>
          ci(compareMedians(m[k].samplesMs, m.fused.samplesMs, { paired: true, seed: 1 }));
        console.log(
          `${net.padEnd(10)} ${level.padEnd(8)} ${med("train")} ${med("fused")} ${med("deploy")}  ${
            vs("train").padEnd(20)
          } ${vs("deploy")}`,
        );
      } finally {
        for (const s of Object.values(sessions)) await s.release();
      }
    }
  }
}
