/** Tests for parsing onnxruntime's profile and attributing executed nodes to blocks and branches. */
import assert from "node:assert/strict";
import type { Graph, Node } from "../../src/onnx/ir.ts";
import { attributeNodes, parseProfileTrace, profileRows } from "../../src/profile/ort_profile.ts";
import { opHistogram } from "../../src/reparam/graph/fuse.ts";
import { buildMultiBranchStem } from "../../src/stem/multi_branch.ts";
import { randomStemWeights } from "../../src/stem/weights.ts";

const spec = {
  inChannels: 3,
  width: 8,
  branches: 1,
  scaleBranch: true,
  se: false,
  activation: "gelu" as const,
};
const original = buildMultiBranchStem(spec, randomStemWeights(spec, 0), {
  batchSize: 1,
  resolution: 32,
});

const node = (name: string, opType: string, inputs: string[], outputs: string[]): Node => ({
  name,
  opType,
  inputs,
  outputs,
  attributes: {},
});

// The graph onnxruntime 1.30 executes at level "all" for this stem (names as it writes them).
const executed: Graph = {
  ...original,
  nodes: [
    node("block1.scale.bn_out_nchwc", "com.microsoft.nchwc.Conv", ["input", "w"], ["t2"]),
    node("block1.kxk0.bn_out_nchwc", "com.microsoft.nchwc.Conv", ["input", "w", "b", "t2"], ["t4"]),
    node("Gelu", "com.microsoft.Gelu", ["t4"], ["t5"]),
    node("block3.skip.bn_out_bn_nchwc", "com.microsoft.nchwc.Conv", ["t5", "s", "b"], ["t11"]),
    node("Gelu_token_1", "com.microsoft.Gelu", ["t11"], ["t14"]),
    node("ReorderOutput", "com.microsoft.nchwc.ReorderOutput", ["t14"], ["output"]),
  ],
};

Deno.test("attributeNodes() maps fused, renamed and layout nodes to block and branch", () => {
  const tags = attributeNodes(executed, original);
  assert.deepEqual(Object.fromEntries(tags), {
    "block1.scale.bn_out_nchwc": { block: 1, branch: "scale" },
    // the fourth input is the Sum input: this conv absorbed the branch Add
    "block1.kxk0.bn_out_nchwc": { block: 1, branch: "kxk0+add" },
    "Gelu": { block: 1, branch: "act" },
    "block3.skip.bn_out_bn_nchwc": { block: 3, branch: "skip" },
    "Gelu_token_1": { block: 3, branch: "act" },
    "ReorderOutput": { block: 3, branch: "layout" },
  });
});

Deno.test("attributeNodes() keeps the original tags of an unoptimized graph", () => {
  const tags = attributeNodes(original, original);
  for (const n of original.nodes) assert.deepEqual(tags.get(n.name), n.tag, n.name);
});

const trace = JSON.stringify([
  { cat: "Session", name: "model_loading_array", dur: 900, ts: 1 },
  { cat: "Node", name: "Gelu_fence_before", dur: 0, ts: 2 },
  ...[30, 10, 12, 11].map((dur, i) => ({
    cat: "Node",
    name: "Gelu_kernel_time",
    dur,
    ts: 10 + i * 100,
    args: { op_name: "Gelu", provider: "CPUExecutionProvider" },
  })),
  ...[50, 20, 22, 40].map((dur, i) => ({
    cat: "Node",
    name: "block1.scale.bn_out_nchwc_kernel_time",
    dur,
    ts: 5 + i * 100,
    args: { op_name: "Conv", provider: "CPUExecutionProvider" },
  })),
]);

Deno.test("parseProfileTrace() keeps kernel events only, in time order", () => {
  const parsed = parseProfileTrace(trace);
  assert.deepEqual([...parsed.keys()], ["block1.scale.bn_out_nchwc", "Gelu"]);
  assert.deepEqual(parsed.get("Gelu"), {
    opType: "Gelu",
    provider: "CPUExecutionProvider",
    durUs: [30, 10, 12, 11],
  });
  assert.throws(() => parseProfileTrace("{}"), SyntaxError);
});

Deno.test("profileRows() drops the first run and takes the median of the rest", () => {
  const rows = profileRows(parseProfileTrace(trace), executed, original, 1);
  const gelu = rows.find((r) => r.node === "Gelu")!;
  assert.equal(gelu.medianUs, 11); // median of 10, 12, 11
  assert.equal(gelu.runs, 3);
  const conv = rows.find((r) => r.opType === "Conv")!;
  assert.equal(conv.medianUs, 22); // median of 20, 22, 40
  assert.equal(conv.branch, "scale");
});

Deno.test("opHistogram() counts op types", () => {
  assert.deepEqual(opHistogram(executed), {
    "com.microsoft.nchwc.Conv": 3,
    "com.microsoft.Gelu": 2,
    "com.microsoft.nchwc.ReorderOutput": 1,
  });
});
