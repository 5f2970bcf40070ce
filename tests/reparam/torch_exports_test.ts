/**
 * fuseGraph against real PyTorch exports (tests/testdata/torch, written by
 * scripts/torch_exports/export.py with torch 1.13): each train export, fused by the harness, must
 * compute what it computed before and look like the deploy export that PyTorch's own module-level
 * `reparameterize()` produced: the same outputs, no BatchNormalization, as many Conv nodes with
 * the same groups and weight shapes, and as many parameters.
 *
 * Numbers: fp32 throughout (onnxruntime on CPU, its graph optimizer off so that it runs the graph
 * as written). Errors are normwise relative, max |a - b| / max |b|, and must stay within 1e-4:
 * fusing changes only fp32 rounding (sums of up to 6 branches, BN scales up to
 * |gamma| / sqrt(0.05) ~ 7) through networks at most ~15 layers deep, which costs ~1e-7..1e-6 of
 * the output scale (train vs deploy export: 8e-8..2e-7 in onnxruntime, 1e-7..3e-7 in PyTorch, see
 * the manifest), while a wrong fusion (a branch dropped or counted twice, a BN epsilon or a layer
 * scale lost, a border tap wrong) moves outputs by 1e-2 or more.
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { decodeModel } from "../../src/onnx/decode.ts";
import { encodeModel } from "../../src/onnx/encode.ts";
import type { Graph } from "../../src/onnx/ir.ts";
import { fuseGraph } from "../../src/reparam/graph/fuse.ts";
import { createRandom } from "../../src/stats/random.ts";

const DIR = new URL("../testdata/torch/", import.meta.url);

/** Normwise relative tolerance of every output comparison (see the module doc). */
const TOLERANCE = 1e-4;

/** What export.py writes per file into manifest.json (the fields read here). */
interface FileEntry {
  readonly file: string;
  readonly network: string;
  readonly form: "train" | "train_preserve" | "train_opset17" | "deploy";
  readonly opset: number;
  readonly input: { readonly name: string; readonly shape: readonly (number | string)[] };
  readonly output: string;
  readonly dynamic_batch: boolean;
  readonly node_histogram: Readonly<Record<string, number>>;
  readonly conv_count: number;
  readonly float_initializer_elements: number;
  readonly expected_conv_after_fusion: number;
  readonly deploy_file?: string;
  readonly expected_float_params_after_fusion?: number;
}

const manifest: { readonly torch_version: string; readonly files: readonly FileEntry[] } = JSON
  .parse(await Deno.readTextFile(new URL("manifest.json", DIR)));
const byFile = new Map(manifest.files.map((f) => [f.file, f]));
const trainFiles = manifest.files.filter((f) => f.form !== "deploy");
const deployFiles = manifest.files.filter((f) => f.form === "deploy");

function read(file: string): Promise<Uint8Array> {
  return Deno.readFile(new URL(file, DIR));
}

/** The input shape with a dynamic batch set to 1. */
function inputDims(entry: FileEntry): number[] {
  return entry.input.shape.map((d) => (typeof d === "number" ? d : 1));
}

/** A seeded input in [-2, 2) (mulberry32), the same for every file. */
function seededInput(dims: readonly number[]): Float32Array {
  const random = createRandom(0x70c4);
  return Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => 4 * random() - 2);
}

/** Runs serialized model bytes once on CPU, graph optimizer off; returns the first output. */
async function run(model: Uint8Array, entry: FileEntry): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: "disabled" });
  try {
    const dims = inputDims(entry);
    const feeds = { [entry.input.name]: new ort.Tensor("float32", seededInput(dims), dims) };
    const out = (await session.run(feeds))[session.outputNames[0]];
    return out.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** max |a - ref| / max |ref|. */
function relativeError(a: Float32Array, ref: Float32Array): number {
  assert.equal(a.length, ref.length, "output lengths differ");
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return err / scale;
}

function histogram(g: Graph): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of g.nodes) h[n.opType] = (h[n.opType] ?? 0) + 1;
  return Object.fromEntries(Object.entries(h).sort(([a], [b]) => a.localeCompare(b)));
}

/** `group=G w=[dims]` of each Conv node, sorted (a weight that is no initializer shows `?`). */
function convSignatures(g: Graph): string[] {
  const dims = new Map(g.initializers.map((t) => [t.name, t.dims]));
  return g.nodes.filter((n) => n.opType === "Conv").map((n) => {
    const group = n.attributes.group?.type === "int" ? n.attributes.group.value : 1;
    const w = dims.get(n.inputs[1]);
    return `group=${group} w=${w ? `[${w.join(", ")}]` : "?"}`;
  }).sort();
}

function groups(g: Graph): number[] {
  return g.nodes.filter((n) => n.opType === "Conv").map((n) =>
    n.attributes.group?.type === "int" ? n.attributes.group.value : 1
  ).sort((a, b) => a - b);
}

/** Elements of the float initializers: the parameter count of check (d). */
function floatParams(g: Graph): number {
  return g.initializers.reduce((sum, t) => sum + t.data.length, 0);
}

/** Multiset difference, both ways, for failure messages. */
function multisetDiff(actual: readonly string[], expected: readonly string[]): string {
  const count = (xs: readonly string[]) => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };
  const a = count(actual), e = count(expected);
  const lines: string[] = [];
  for (const k of new Set([...a.keys(), ...e.keys()])) {
    const d = (a.get(k) ?? 0) - (e.get(k) ?? 0);
    if (d !== 0) lines.push(`${d > 0 ? "+" : ""}${d} ${k}`);
  }
  return lines.join("; ");
}

Deno.test("torch fixtures: the manifest lists every file, and each file is there", async () => {
  assert.ok(manifest.torch_version.startsWith("1.13"), manifest.torch_version);
  // mobileone.train_functions.onnx (export_functions.py, modules as local functions) is not in
  // the manifest: tests/onnx/inline_test.ts covers it
  const names = [...Deno.readDirSync(DIR)].map((e) => e.name)
    .filter((n) => n.endsWith(".onnx") && !n.endsWith(".train_functions.onnx"));
  assert.deepEqual(names.sort(), manifest.files.map((f) => f.file).sort());
  assert.equal(deployFiles.length, 4);
  for (const f of trainFiles) {
    const d = byFile.get(f.deploy_file ?? "");
    assert.ok(d, `${f.file}: no deploy file`);
    assert.equal(f.expected_conv_after_fusion, d.conv_count);
    // the decoder sees what onnx.load saw
    const g = decodeModel(await read(f.file));
    assert.deepEqual(histogram(g), f.node_histogram, f.file);
    assert.equal(g.opset, f.opset, f.file);
  }
});

// The fixtures themselves, independent of the harness: every form of a network loads in
// onnxruntime (train_preserve included) and computes the same function.
for (const d of deployFiles) {
  Deno.test(`torch fixtures: ${d.network} train, train_preserve and deploy agree in onnxruntime`, async () => {
    const ref = await run(await read(d.file), d);
    for (const f of trainFiles.filter((t) => t.network === d.network)) {
      const err = relativeError(await run(await read(f.file), f), ref);
      assert.ok(err <= TOLERANCE, `${f.file} vs ${d.file}: relative error ${err}`);
    }
  });
}

for (const entry of trainFiles) {
  const deployEntry = byFile.get(entry.deploy_file ?? "") as FileEntry;
  Deno.test(`fuseGraph(${entry.file}) matches PyTorch's ${deployEntry.file}`, async (t) => {
    const bytes = await read(entry.file);
    const train = decodeModel(bytes);
    const deploy = decodeModel(await read(deployEntry.file));
    const result = fuseGraph(train);
    const fused = result.graph;
    const summary = `fused ${JSON.stringify(histogram(fused))}, deploy ${
      JSON.stringify(histogram(deploy))
    }`;

    await t.step("fuseGraph reports a change (the train graph has branches to merge)", () => {
      assert.equal(result.unchanged, false);
      assert.ok(result.merges.length > 0, "no merges");
    });

    await t.step(
      "(a) fused output = train output = deploy output (normwise rel. 1e-4)",
      async () => {
        const trainOut = await run(bytes, entry);
        const fusedOut = await run(encodeModel(fused), entry);
        const deployOut = await run(await read(deployEntry.file), deployEntry);
        const vsTrain = relativeError(fusedOut, trainOut);
        const vsDeploy = relativeError(fusedOut, deployOut);
        if (!(vsTrain <= TOLERANCE && vsDeploy <= TOLERANCE)) {
          // to tell a wrong fusion from a decode/encode problem
          const roundTrip = relativeError(await run(encodeModel(train), entry), trainOut);
          assert.fail(
            `relative error vs train ${vsTrain}, vs deploy ${vsDeploy} (decode+encode alone, ` +
              `unfused: ${roundTrip}); ${summary}`,
          );
        }
      },
    );

    // No look-alike changes the Conv count here: the SE gate, the RepViT channel-mixer residual
    // and the FastViT ConvFFN residual stay in the deploy export as well, so its count already
    // includes them. A fusion that merges sequential convs PyTorch keeps (FastViT's ConvFFN
    // dw7x7 -> fc1, RepViT's downsampling dw3x3 s2 -> 1x1 -> channel-mixer fc1) differs from the
    // deploy export: here when it removes a conv, in (c') and (d) when the merged-in conv stays
    // for another consumer.
    await t.step("(b) no BatchNormalization left", () => {
      const bns = fused.nodes.filter((n) => n.opType === "BatchNormalization").map((n) => n.name);
      assert.deepEqual(bns, [], `${bns.length} left: ${bns.join(", ")}; ${summary}`);
    });

    await t.step("(b) Conv count = deploy export's", () => {
      const convs = fused.nodes.filter((n) => n.opType === "Conv").length;
      assert.equal(
        convs,
        entry.expected_conv_after_fusion,
        `Conv: fused ${convs}, deploy ${entry.expected_conv_after_fusion}; ` +
          `signatures fused - deploy: ${
            multisetDiff(convSignatures(fused), convSignatures(deploy))
          }`,
      );
    });

    await t.step("(c) Conv groups = deploy export's", () => {
      assert.deepEqual(
        groups(fused),
        groups(deploy),
        `groups fused - deploy: ${
          multisetDiff(groups(fused).map(String), groups(deploy).map(String))
        }`,
      );
    });

    // Stronger than (c): each conv computes what its deploy counterpart computes, in shape.
    await t.step("(c') Conv weight shapes = deploy export's", () => {
      assert.deepEqual(
        convSignatures(fused),
        convSignatures(deploy),
        `fused - deploy: ${multisetDiff(convSignatures(fused), convSignatures(deploy))}`,
      );
    });

    await t.step("(d) float initializer elements = deploy export's", () => {
      assert.equal(floatParams(deploy), deployEntry.float_initializer_elements);
      const unused = fused.initializers.filter((i) =>
        !fused.nodes.some((n) => n.inputs.includes(i.name))
      );
      assert.equal(
        floatParams(fused),
        floatParams(deploy),
        `params fused ${floatParams(fused)}, deploy ${floatParams(deploy)}, train ${
          floatParams(train)
        }; ${unused.length} unused initializers in the fused graph (${
          unused.reduce((s, i) => s + i.data.length, 0)
        } elements)`,
      );
    });
  });
}

// The deploy export has nothing left to reparameterize: fusing it must keep its convs.
for (const d of deployFiles) {
  Deno.test(`fuseGraph(${d.file}) keeps its convs and its output`, async () => {
    const bytes = await read(d.file);
    const deploy = decodeModel(bytes);
    const fused = fuseGraph(deploy).graph;
    assert.deepEqual(
      convSignatures(fused),
      convSignatures(deploy),
      `fused - deploy: ${multisetDiff(convSignatures(fused), convSignatures(deploy))}`,
    );
    assert.equal(floatParams(fused), floatParams(deploy));
    const err = relativeError(await run(encodeModel(fused), d), await run(bytes, d));
    assert.ok(err <= TOLERANCE, `relative error ${err}`);
  });
}
