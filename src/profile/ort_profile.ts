/**
 * onnxruntime's profiler output (Chrome-trace JSON) parsed into per-node times, attributed to the
 * stem's blocks and branches through the graph onnxruntime actually executed.
 *
 * @module
 */
import type { Graph, Node, NodeTag } from "../onnx/ir.ts";
import { quantile } from "../stats/summarize.ts";
import type { ProfileRow } from "../results/schema.ts";

interface TraceEvent {
  readonly cat?: string;
  readonly name?: string;
  readonly dur?: number;
  readonly ts?: number;
  readonly args?: { readonly op_name?: string; readonly provider?: string };
}

const KERNEL_SUFFIX = "_kernel_time";

/**
 * Parses a profiler trace into per-node kernel time samples (microseconds, in run order).
 *
 * @throws {SyntaxError} When the text is not a JSON array of trace events.
 */
export function parseProfileTrace(
  text: string,
): Map<string, { opType: string; provider: string; durUs: number[] }> {
  const events = JSON.parse(text) as unknown;
  if (!Array.isArray(events)) {
    throw new SyntaxError("Cannot parse profile: not a JSON array of events");
  }
  const nodes = new Map<string, { opType: string; provider: string; durUs: number[] }>();
  for (const e of (events as TraceEvent[]).toSorted((a, b) => (a.ts ?? 0) - (b.ts ?? 0))) {
    if (e.cat !== "Node" || !e.name?.endsWith(KERNEL_SUFFIX) || typeof e.dur !== "number") continue;
    const name = e.name.slice(0, -KERNEL_SUFFIX.length);
    let entry = nodes.get(name);
    if (!entry) {
      entry = { opType: e.args?.op_name ?? "?", provider: e.args?.provider ?? "?", durUs: [] };
      nodes.set(name, entry);
    }
    entry.durUs.push(e.dur);
  }
  return nodes;
}

/**
 * Output tensor name -> producing original node's tag, null for an untagged node (a user's model
 * has nodes outside every block).
 */
function tagsByTensor(original: Graph): Map<string, NodeTag | null> {
  const map = new Map<string, NodeTag | null>();
  for (const n of original.nodes) for (const o of n.outputs) map.set(o, n.tag ?? null);
  return map;
}

/**
 * The tag of the original node whose name is the longest prefix of `name` (at a `_` or `.`
 * boundary): null when that node is untagged, undefined when no name matches.
 */
function tagByName(name: string, original: Graph): NodeTag | null | undefined {
  let best: Node | undefined;
  for (const n of original.nodes) {
    const boundary = name.length === n.name.length || /[_.]/.test(name[n.name.length] ?? "");
    if (name.startsWith(n.name) && boundary && n.name.length > (best?.name.length ?? 0)) best = n;
  }
  return best === undefined ? undefined : best.tag ?? null;
}

/**
 * The tag of the original node that wrote the tensor whose name is the longest prefix of `name`
 * (at a `_` or `.` boundary, as onnxruntime renames tensors: `x_nchwc`): null when that node is
 * untagged, undefined when no tensor matches.
 */
function tagByTensorPrefix(
  name: string,
  byTensor: ReadonlyMap<string, NodeTag | null>,
): NodeTag | null | undefined {
  let best: string | undefined;
  for (const t of byTensor.keys()) {
    if (name.length > t.length && name.startsWith(t) && /[_.]/.test(name[t.length])) {
      if (t.length > (best?.length ?? 0)) best = t;
    }
  }
  return best === undefined ? undefined : byTensor.get(best);
}

const ACTIVATION_OPS = new Set(["Gelu", "Relu", "Erf", "FastGelu", "BiasGelu", "Sigmoid"]);

/** Ops that only move or re-lay data: NCHWc reorders (cpu), NHWC transposes (webgpu), copies. */
const LAYOUT_OPS = new Set([
  "ReorderInput",
  "ReorderOutput",
  "Transpose",
  "MemcpyFromHost",
  "MemcpyToHost",
]);

/**
 * Attributes every node of the executed graph to a block and branch of the original graph:
 * by name (onnxruntime keeps the original name as a prefix of fused nodes), by output tensor (or
 * the original tensor its name extends, `x_nchwc`), else by the node feeding it (layout reorders, fused activations). A node that comes from an
 * untagged original node (a user's model outside its fused groups), or that only follows one, is
 * left out: unattributed.
 */
export function attributeNodes(executed: Graph, original: Graph): Map<string, NodeTag> {
  const byTensor = tagsByTensor(original);
  const hasUntagged = original.nodes.some((n) => !n.tag);
  const producer = new Map<string, string>();
  for (const n of executed.nodes) for (const o of n.outputs) producer.set(o, n.name);
  const result = new Map<string, NodeTag>();
  for (const n of executed.nodes) {
    const op = n.opType.split(".").at(-1)!;
    // The first lookup that finds an original node decides (null: an untagged one)
    const lookups = [
      () => tagByName(n.name, original),
      () => n.outputs.map((o) => byTensor.get(o)).find((t) => t !== undefined),
      () => n.outputs.map((o) => tagByTensorPrefix(o, byTensor)).find((t) => t !== undefined),
      () => tagByTensorPrefix(n.name, byTensor), // NCHWc nodes are named `<output>_nchwc`
    ];
    let known: NodeTag | null | undefined;
    for (const lookup of lookups) if ((known = lookup()) !== undefined) break;
    if (known === null) continue; // an untagged original node stays untagged
    let tag: NodeTag | undefined = known;
    if (!tag || ACTIVATION_OPS.has(op)) {
      const fromInput = n.inputs.map((i) => result.get(producer.get(i) ?? "") ?? byTensor.get(i))
        .find((t) => t);
      if (ACTIVATION_OPS.has(op) && (fromInput ?? tag)) {
        tag = { block: (fromInput ?? tag)!.block, branch: tag?.branch === "se" ? "se" : "act" };
      } else if (!tag && fromInput) {
        tag = { block: fromInput.block, branch: fromInput.branch };
      }
    }
    if (LAYOUT_OPS.has(op)) {
      // Layout conversions and copies belong to the block whose tensor they convert; one at the
      // graph input gets the block of its consumer, in the pass below.
      const sources = n.inputs.filter((i) => producer.has(i));
      const from = sources.map((i) => result.get(producer.get(i)!)).find((t) => t);
      if (!from && sources.length > 0 && hasUntagged) continue; // converts an untagged tensor
      tag = { block: from?.block ?? 0, branch: op.startsWith("Memcpy") ? "copy" : "layout" };
    }
    // An NCHWc conv with a fourth (Sum) input has absorbed the branch Add.
    if (tag && op === "Conv" && n.opType.includes("nchwc") && n.inputs.length >= 4 && n.inputs[3]) {
      tag = { block: tag.block, branch: `${tag.branch}+add` };
    }
    if (tag) result.set(n.name, tag);
  }
  for (const n of executed.nodes) {
    const tag = result.get(n.name);
    if (tag?.block !== 0) continue;
    const consumer = executed.nodes.find((m) => m.inputs.some((i) => n.outputs.includes(i)));
    const block = result.get(consumer?.name ?? "")?.block;
    if (block === undefined && hasUntagged) result.delete(n.name);
    else result.set(n.name, { ...tag, block: block || 1 });
  }
  return result;
}

/**
 * Per-node rows from a trace and the executed graph: the median kernel time of each node over
 * the profiled runs, its provider and its place in the stem.
 *
 * @param skipRuns Leading runs of each node to drop (warm-up inside the profiling session).
 */
export function profileRows(
  trace: ReturnType<typeof parseProfileTrace>,
  executed: Graph,
  original: Graph,
  skipRuns = 1,
): ProfileRow[] {
  const tags = attributeNodes(executed, original);
  const rows: ProfileRow[] = [];
  for (const [node, entry] of trace) {
    const samples = entry.durUs.length > skipRuns ? entry.durUs.slice(skipRuns) : entry.durUs;
    const sorted = samples.toSorted((a, b) => a - b) as unknown as readonly [number, ...number[]];
    const tag = tags.get(node);
    rows.push({
      node,
      opType: entry.opType,
      provider: entry.provider,
      block: tag?.block ?? null,
      branch: tag?.branch ?? null,
      medianUs: quantile(sorted, 0.5),
      runs: samples.length,
    });
  }
  return rows;
}
