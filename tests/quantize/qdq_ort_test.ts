/**
 * quantizeGraph() on onnxruntime: a single-conv QDQ model (with a dead output channel) matches a
 * TypeScript int8 reference convolution to within one output quantization step, and onnxruntime
 * at level "all" runs it as a QLinearConv.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Graph } from "../../src/onnx/ir.ts";
import { int, ints } from "../../src/onnx/ir.ts";
import { encodeModel } from "../../src/onnx/encode.ts";
import { decodeModel } from "../../src/onnx/decode.ts";
import { createSession } from "../../src/runner/ort.ts";
import {
  calibrateRanges,
  calibrationInputs,
  calibrationTensors,
  withIntermediateOutputs,
} from "../../src/quantize/calibrate.ts";
import { type QdqOptions, quantizeGraph } from "../../src/quantize/qdq.ts";
import {
  computeChannelParams,
  computeQuantParams,
  quantize,
  quantizeBias,
  quantizePerChannel,
} from "../../src/quantize/quantize.ts";
import { quantizationError } from "../../src/quantize/sqnr.ts";
import { createRandom } from "../../src/stats/random.ts";
import { randomInput } from "../../src/stem/weights.ts";
import { accumulate, type ConvGeometry, requantize } from "./_int8_conv.ts";

const SEED = 12;
const H = 10;

interface ConvCase {
  readonly name: string;
  readonly cin: number;
  readonly cout: number;
  readonly k: number;
  readonly geometry: ConvGeometry;
}

const CASES: ConvCase[] = [
  {
    name: "3x3 stride 2, 3 -> 6",
    cin: 3,
    cout: 6,
    k: 3,
    geometry: { stride: 2, pad: 1, group: 1 },
  },
  { name: "3x3 depthwise, 6", cin: 6, cout: 6, k: 3, geometry: { stride: 1, pad: 1, group: 6 } },
];

/** A float graph of one Conv with bias; output channel 2 is dead (all-zero weights). */
function convGraph(c: ConvCase): Graph {
  const random = createRandom(SEED);
  const wDims = [c.cout, c.cin / c.geometry.group, c.k, c.k];
  const per = wDims[1] * c.k * c.k;
  // channel scales spread over 1..64: where per-tensor and per-channel differ
  const w = Float32Array.from({ length: c.cout * per }, (_, i) => {
    const o = Math.floor(i / per);
    return o === 2 ? 0 : (random() - 0.5) * 2 ** (o % 7) / 8;
  });
  const b = Float32Array.from({ length: c.cout }, () => random() - 0.5);
  const { stride: s, pad: p, group } = c.geometry;
  const out = Math.floor((H + 2 * p - c.k) / s) + 1;
  return {
    name: "one_conv",
    opset: 17,
    inputs: [{ name: "input", shape: [1, c.cin, H, H] }],
    outputs: [{ name: "output", shape: [1, c.cout, out, out] }],
    initializers: [{ name: "w", dims: wDims, data: w }, { name: "b", dims: [c.cout], data: b }],
    nodes: [{
      name: "conv",
      opType: "Conv",
      inputs: ["input", "w", "b"],
      outputs: ["output"],
      attributes: {
        kernel_shape: ints([c.k, c.k]),
        strides: ints([s, s]),
        pads: ints([p, p, p, p]),
        group: int(group),
      },
    }],
  };
}

/** Ranges of the conv's input and output over seeded calibration inputs, on onnxruntime. */
async function calibrate(graph: Graph, dims: number[]) {
  const names = calibrationTensors(graph);
  const session = await createSession(encodeModel(withIntermediateOutputs(graph, names)), {
    device: "cpu",
    threads: 1,
    optimizationLevel: "disabled",
  });
  try {
    const inputs = calibrationInputs(elementCount(dims), SEED, 4);
    const run = (x: Float32Array) => session.runAll(x, dims);
    return await calibrateRanges(names, "input", inputs, run, { method: "minmax" });
  } finally {
    await session.release();
  }
}

const elementCount = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

async function runAt(graph: Graph, level: "disabled" | "all", x: Float32Array, dir: string) {
  const path = join(dir, `${level}.onnx`);
  const session = await createSession(encodeModel(graph), {
    device: "cpu",
    threads: 1,
    optimizationLevel: level,
    optimizedModelPath: path,
  });
  try {
    const out = await session.run(x, graph.inputs[0].shape);
    return { data: out.data, executed: decodeModel(await Deno.readFile(path)) };
  } finally {
    await session.release();
  }
}

const OPTIONS: QdqOptions[] = [
  { weights: "per-channel", activations: "uint8" },
  { weights: "per-tensor", activations: "uint8" },
  { weights: "per-channel", activations: "int8" },
  { weights: "per-tensor", activations: "int8" },
];

for (const c of CASES) {
  Deno.test(`quantizeGraph() ${c.name}: onnxruntime matches the int8 reference within one step`, async () => {
    const graph = convGraph(c);
    const dims = [...graph.inputs[0].shape];
    const ranges = await calibrate(graph, dims);
    const x = randomInput(elementCount(dims), SEED); // the evaluation input, not a calibration one
    const [w, b] = graph.initializers;
    const dir = await Deno.makeTempDir({ prefix: "repstem-qdq-" });
    try {
      const float = await runAt(graph, "disabled", x, dir);
      for (const options of OPTIONS) {
        const label = `${options.weights} ${options.activations}`;
        const q = quantizeGraph(graph, ranges, options);
        assert.deepEqual(q.convs[0].deadChannels, options.weights === "per-channel" ? [2] : []);
        const [xp, yp] = [q.activations[0].params, q.activations[1].params];

        // the TypeScript reference, from independently computed levels
        const xq = quantize(x, xp);
        const wDims = w.dims as [number, number, number, number];
        let wq: ArrayLike<number>;
        let wScales: Float32Array;
        if (options.weights === "per-channel") {
          const p = computeChannelParams(w.data, w.dims, 0, "int8");
          [wq, wScales] = [quantizePerChannel(w.data, w.dims, p), p.scales];
        } else {
          const m = w.data.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
          const p = computeQuantParams({ min: -m, max: m }, "int8");
          [wq, wScales] = [quantize(w.data, p), new Float32Array([p.scale])];
        }
        assert.deepEqual(q.convs[0].weightScales, wScales, label);
        const bias = quantizeBias(b.data, xp.scale, wScales.length === 1 ? wScales[0] : wScales);
        const { acc } = accumulate(
          xq,
          [c.cin, H, H],
          xp.zeroPoint,
          wq,
          wDims,
          bias.data,
          c.geometry,
        );
        const reference = requantize(acc, c.cout, xp.scale, wScales, yp);

        for (const level of ["disabled", "all"] as const) {
          const run = await runAt(q.graph, level, x, dir);
          const d = quantizationError(reference, run.data);
          // one output step: the reference and onnxruntime may round a near-tie differently
          // (float32 multiplier order), never by more than one level
          assert.ok(d.maxAbs <= yp.scale * 1.0001, `${label} ${level}: ${d.maxAbs} > ${yp.scale}`);
          if (level === "all") {
            const ops = run.executed.nodes.map((n) => n.opType);
            assert.ok(
              ops.includes("com.microsoft.QLinearConv") || ops.includes("QLinearConv"),
              `${label}: onnxruntime ran ${ops.join(", ")}`,
            );
            assert.ok(!ops.includes("Conv"), `${label}: a float Conv is left: ${ops.join(", ")}`);
          }
        }
        // and the int8 model is close to the float one: uint8 steps of 1/255 of the range
        const e = quantizationError(float.data, reference);
        assert.ok(e.sqnrDb > 25, `${label}: SQNR ${e.sqnrDb} dB`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** Op types onnxruntime executes for a graph at a level (its saved optimized model). */
async function executedOps(graph: Graph, level: "basic" | "extended" | "all"): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "repstem-qdq-" });
  try {
    const path = join(dir, "optimized.onnx");
    const session = await createSession(encodeModel(graph), {
      device: "cpu",
      threads: 1,
      optimizationLevel: level,
      optimizedModelPath: path,
    });
    await session.release();
    return decodeModel(await Deno.readFile(path)).nodes.map((n) => n.opType);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("onnxruntime 1.30 fuses the QDQ Conv from level extended on, as qdq.ts documents", async () => {
  const graph = convGraph(CASES[0]);
  const ranges = new Map([["input", { min: -1, max: 1 }], ["output", { min: -2, max: 2 }]]);
  const q = quantizeGraph(graph, ranges, { weights: "per-channel", activations: "uint8" });
  assert.ok((await executedOps(q.graph, "basic")).includes("Conv"));
  assert.deepEqual(await executedOps(q.graph, "extended"), [
    "QuantizeLinear",
    "QLinearConv",
    "DequantizeLinear",
  ]);
  assert.deepEqual(await executedOps(q.graph, "all"), [
    "QuantizeLinear",
    "Transpose",
    "com.microsoft.QLinearConv",
    "Transpose",
    "DequantizeLinear",
  ]);
});

Deno.test("onnxruntime 1.30 keeps a float Conv when an int8 Q/DQ pair has two readers", async () => {
  // the Conv's output is read by Relu and Neg: uint8 fuses, int8 does not (x86: int8 pairs are
  // turned into uint8 only where the pair has one reader)
  const graph = convGraph(CASES[0]);
  const twoReaders: Graph = {
    ...graph,
    outputs: [{ name: "r", shape: [], unranked: true }, { name: "n", shape: [], unranked: true }],
    nodes: [
      ...graph.nodes,
      { name: "relu", opType: "Relu", inputs: ["output"], outputs: ["r"], attributes: {} },
      { name: "neg", opType: "Neg", inputs: ["output"], outputs: ["n"], attributes: {} },
    ],
  };
  const ranges = new Map([["input", { min: -1, max: 1 }], ["output", { min: -2, max: 2 }]]);
  for (const activations of ["uint8", "int8"] as const) {
    const q = quantizeGraph(twoReaders, ranges, { weights: "per-channel", activations });
    const ops = await executedOps(q.graph, "all");
    assert.equal(ops.includes("Conv"), activations === "int8", `${activations}: ${ops}`);
  }
});
