/**
 * Graph-level structural reparameterization: every maximal subgraph that is linear in one input
 * tensor (Convs, inference BatchNorms, Adds / Subs of aligned branches or of constants, Muls /
 * Divs by scalar or per-channel constants, Identities, the input itself) collapses into one Conv
 * with bias, for any network: MobileOne, RepVGG, FastViT, RepViT, ACNet, RepGhost, DBB, ...
 *
 * The rule, the algebra and the cost guard are described in `linear.ts`, `find.ts` and the
 * private `_align.ts` / `_compose.ts`; this module is the public entry.
 *
 * @module
 */
import type { Graph } from "../../onnx/ir.ts";
import { buildContext, type FuseOptions } from "./_context.ts";
import { planFusion } from "./find.ts";
import { emitGroups, type Merge } from "./emit.ts";
import { tidyGraph } from "./tidy.ts";

export type { FuseOptions } from "./_context.ts";
export type { Merge, MergeBranch, MergeMacs } from "./emit.ts";
export type { BranchKind, Pair } from "./linear.ts";

/** The outcome of {@linkcode fuseGraph}. */
export interface FuseResult {
  /** The fused graph (the input object itself when nothing changed). */
  readonly graph: Graph;
  /** One record per emitted conv, in graph order. */
  readonly merges: readonly Merge[];
  /** True when the graph had nothing to fuse or tidy. */
  readonly unchanged: boolean;
}

const sameItems = <T>(a: readonly T[] | undefined, b: readonly T[] | undefined) =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === b![i]);

/**
 * Fuses every linear-in-one-input subgraph of a graph into one Conv with bias.
 *
 * Emitted convs keep the name of the tensor they compute, so graph outputs and downstream nodes
 * are untouched; they are named `<last node>_fused`. A lone node is never rewritten, a fusion
 * never costs more MACs than the nodes it replaces, nodes that are not fused stay the same
 * objects, and graph inputs, outputs, name, opset and model info are kept.
 *
 * @param graph A topologically ordered graph.
 * @param options Whether to merge conv-of-conv sequences, whether to tidy Identities elsewhere.
 * @returns The fused graph, what was merged, and whether anything changed.
 * @throws {TypeError} When a tensor is used before it is defined or written twice.
 * @example
 * ```ts
 * import { fuseGraph, opHistogram } from "./fuse.ts";
 * const f = (n: number) => new Float32Array(n).fill(0.5);
 * const { graph, merges } = fuseGraph({
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
 * });
 * if (opHistogram(graph).Conv !== 1 || graph.nodes.length !== 1) throw new Error();
 * if (merges[0].node !== "bn_fused" || merges[0].output !== "y") throw new Error();
 * ```
 */
export function fuseGraph(graph: Graph, options: FuseOptions = {}): FuseResult {
  const ctx = buildContext(graph, options);
  const plan = planFusion(ctx);
  const { nodes, initializers, merges } = emitGroups(ctx, plan);
  const fused = tidyGraph(ctx, {
    ...graph,
    nodes,
    initializers: [...graph.initializers, ...initializers],
  });
  const unchanged = merges.length === 0 && sameItems(fused.nodes, graph.nodes) &&
    sameItems(fused.initializers, graph.initializers) &&
    sameItems(fused.otherInitializers, graph.otherInitializers) &&
    sameItems(fused.valueInfo, graph.valueInfo);
  return { graph: unchanged ? graph : fused, merges, unchanged };
}

/**
 * Counts a graph's nodes per op type, in order of first appearance.
 *
 * @param graph The graph.
 * @returns Op type to count.
 * @example
 * ```ts
 * import { opHistogram } from "./fuse.ts";
 * const node = (name: string, opType: string) =>
 *   ({ name, opType, inputs: [], outputs: [name], attributes: {} });
 * const h = opHistogram({
 *   name: "g", opset: 17, inputs: [], outputs: [], initializers: [],
 *   nodes: [node("a", "Conv"), node("b", "Relu"), node("c", "Conv")],
 * });
 * if (h.Conv !== 2 || h.Relu !== 1) throw new Error();
 * ```
 */
export function opHistogram(graph: Graph): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of graph.nodes) h[n.opType] = (h[n.opType] ?? 0) + 1;
  return h;
}
