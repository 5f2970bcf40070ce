/**
 * A user's model as a case source: its file (read once by `scenario_models.ts`) is fused once by
 * `fuseGraph`, both graphs are tagged so that per-block counts and profile attribution work, and
 * each case gets them at its own concrete input shape.
 *
 * Tags: merge group k (in graph order) is block k + 1. In the fused graph its emitted conv gets
 * branch `conv`; in the original each node it replaced gets its branch's kind: a conv branch of
 * the merged kernel's size `kxk0`, `kxk1`, ...; a smaller conv `scale`; an identity or BatchNorm
 * skip `skip`; a per-channel `scale`; any other kind as fuseGraph names it (`sequence`); the Adds
 * that summed the branches `add`, and nodes applied to the sum `post`. The activation that is the
 * only reader of the group's output (a Relu, ...) is the block's `act` in both forms, as in the
 * stem: onnxruntime fuses it into the emitted conv, whose time could not be attributed otherwise.
 * Every other node is untagged (block null): in no block's counts, unattributed in profiles.
 *
 * @module
 */
import type { Graph, Node, NodeTag } from "../onnx/ir.ts";
import { withInputShape } from "../onnx/input_shape.ts";
import { inferShapesPartial } from "../onnx/shapes.ts";
import { fuseGraph, type Merge, type MergeBranch } from "../reparam/graph/fuse.ts";
import type { CaseConfig, ModelCaseConfig } from "../scenario/expand.ts";
import type { CaseGraphs, CaseSource, Tap } from "./source.ts";
import type { ScenarioModel } from "./scenario_models.ts";

/** Both forms of a model, tagged, at the file's (possibly dynamic) input shape. */
export interface TaggedFusion {
  /** The model as given, the nodes that fusion replaced tagged with their block and branch. */
  readonly original: Graph;
  /** The fused model, each emitted conv tagged `conv` in its block. */
  readonly fused: Graph;
  /** fuseGraph's records, one per block. */
  readonly merges: readonly Merge[];
  /** The merge outputs, to compare between the forms besides the graph outputs. */
  readonly taps: readonly Tap[];
}

const SUM_OPS = new Set(["Add", "Sub", "Sum"]);

/** One-input activations that follow a merge group as part of its block (as a stem's `act`). */
const ACTIVATION_OPS = new Set([
  "Relu",
  "LeakyRelu",
  "PRelu",
  "Sigmoid",
  "HardSigmoid",
  "HardSwish",
  "Gelu",
  "Clip",
  "Elu",
  "Selu",
  "Tanh",
  "Softplus",
  "Mish",
]);

/**
 * The activation that is the only reader of a merge's output, if any: onnxruntime fuses it into
 * the emitted conv (and names the fused node after the activation's output), so the block holds
 * it in both forms for its counts and kernel time to match.
 */
function followingActivation(graph: Graph, merge: Merge): Node | undefined {
  if (graph.outputs.some((o) => o.name === merge.output)) return undefined;
  const readers = graph.nodes.filter((n) => n.inputs.includes(merge.output));
  const [act] = readers;
  return readers.length === 1 && ACTIVATION_OPS.has(act.opType) ? act : undefined;
}

/** The tag branch of one merge branch, `kxk` numbered among the merged kernel's conv branches. */
function branchTag(b: MergeBranch, merge: Merge, kxk: { n: number }): string {
  if (b.kind.startsWith("conv ")) {
    const full = b.kernel[0] === merge.kernel[0] && b.kernel[1] === merge.kernel[1];
    return full ? `kxk${kxk.n++}` : "scale";
  }
  if (b.kind === "identity" || b.kind === "bn-skip") return "skip";
  return b.kind;
}

/**
 * Tags both forms of a fusion by merge group (see the module doc for the branch names).
 *
 * @param original The graph that was fused.
 * @param fused What `fuseGraph(original)` returned.
 * @returns Both graphs with tags, the merges and the taps.
 * @example
 * ```ts
 * import type { Graph } from "../onnx/ir.ts";
 * import { fuseGraph } from "../reparam/graph/fuse.ts";
 * import { tagFusion } from "./model.ts";
 * const f = (n: number) => new Float32Array(n).fill(0.5);
 * const graph: Graph = {
 *   name: "g", opset: 17,
 *   inputs: [{ name: "x", shape: [1, 2, 4, 4] }], outputs: [{ name: "y", shape: [1, 2, 4, 4] }],
 *   initializers: [
 *     { name: "w", dims: [2, 2, 3, 3], data: f(36) },
 *     ...["s", "b", "m", "v"].map((name) => ({ name, dims: [2], data: f(2) })),
 *   ],
 *   nodes: [
 *     { name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["c"],
 *       attributes: { pads: { type: "ints", value: [1, 1, 1, 1] } } },
 *     { name: "bn", opType: "BatchNormalization", inputs: ["c", "s", "b", "m", "v"],
 *       outputs: ["y"], attributes: {} },
 *   ],
 * };
 * const tagged = tagFusion(graph, fuseGraph(graph));
 * if (tagged.original.nodes[0].tag?.branch !== "kxk0") throw new Error();
 * if (tagged.fused.nodes[0].tag?.branch !== "conv") throw new Error();
 * ```
 */
export function tagFusion(
  original: Graph,
  fused: { readonly graph: Graph; readonly merges: readonly Merge[] },
): TaggedFusion {
  const originalTags = new Map<string, NodeTag>();
  const fusedTags = new Map<string, NodeTag>();
  const ops = new Map(original.nodes.map((n) => [n.name, n.opType]));
  fused.merges.forEach((merge, k) => {
    const block = k + 1;
    fusedTags.set(merge.node, { block, branch: "conv" });
    const kxk = { n: 0 };
    for (const b of merge.branches) {
      const branch = branchTag(b, merge, kxk);
      for (const name of b.nodes) {
        if (!originalTags.has(name)) originalTags.set(name, { block, branch });
      }
    }
    for (const name of merge.replaced) {
      if (originalTags.has(name)) continue;
      originalTags.set(name, { block, branch: SUM_OPS.has(ops.get(name) ?? "") ? "add" : "post" });
    }
    const act = followingActivation(fused.graph, merge);
    if (act) {
      originalTags.set(act.name, { block, branch: "act" });
      fusedTags.set(act.name, { block, branch: "act" });
    }
  });
  const retag = (g: Graph, tags: ReadonlyMap<string, NodeTag>): Graph => ({
    ...g,
    nodes: g.nodes.map((n): Node => {
      const tag = tags.get(n.name);
      if (tag) return { ...n, tag };
      if (!n.tag) return n;
      const { tag: _dropped, ...untagged } = n; // tags of a decoded file mean nothing here
      return untagged;
    }),
  });
  return {
    original: retag(original, originalTags),
    fused: retag(fused.graph, fusedTags),
    merges: fused.merges,
    taps: fused.merges.map((m) => ({ name: m.output, label: m.node })),
  };
}

/**
 * Users' models as a case source. Each model is fused and tagged once, on the first case that
 * needs it; every case then gets both graphs with the input made concrete at its `inputShape`.
 *
 * @param models The scenario's models as read by `loadScenarioModels`.
 * @returns A source building model cases; it rejects a stem case and an unknown model name.
 */
export function modelSource(models: readonly ScenarioModel[]): CaseSource {
  const fusions = new Map<string, Promise<TaggedFusion>>();
  const fusionOf = (m: ScenarioModel) => {
    // Keyed by file: entries naming the same file share its graph and its fusion.
    let f = fusions.get(m.ref.path);
    if (!f) {
      f = new Promise((resolve) => resolve(tagFusion(m.graph, fuseGraph(m.graph))));
      fusions.set(m.ref.path, f);
    }
    return f;
  };
  const byName = new Map(models.map((m) => [m.ref.name, m]));
  return {
    async build(config: CaseConfig): Promise<CaseGraphs> {
      if (!config.model) throw new TypeError("Cannot build a generated stem from a model file");
      const m = byName.get(config.model.name);
      if (!m) throw new RangeError(`Cannot find model "${config.model.name}" in the scenario`);
      return modelGraphs(config, m, await fusionOf(m));
    },
  };
}

/** Both forms at a case's input shape. */
function modelGraphs(config: ModelCaseConfig, m: ScenarioModel, f: TaggedFusion): CaseGraphs {
  const inputShape = [...config.inputShape];
  const multiBranch = withInputShape(f.original, m.inputName, inputShape);
  const reparameterized = withInputShape(f.fused, m.inputName, inputShape);
  const output = multiBranch.outputs[0]?.name ?? "";
  const outputShape = inferShapesPartial(multiBranch).shapes.get(output) ?? [];
  return {
    multiBranch,
    reparameterized,
    inputShape,
    outputShape: [...outputShape],
    model: config.model,
    equivalence: { method: "noise-floor", taps: f.taps },
  };
}
