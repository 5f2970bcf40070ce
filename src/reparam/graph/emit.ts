/**
 * Materializing a plan: one Conv with bias per group, written where the group's last node was,
 * under the tensor's original name, with its float64 kernel rounded to float32 once; plus a
 * {@linkcode Merge} record per conv for reports.
 *
 * @module
 */
import type { Initializer, Node } from "../../onnx/ir.ts";
import { int, ints } from "../../onnx/ir.ts";
import type { Context } from "./_context.ts";
import { emittedCost } from "./_rules.ts";
import type { Group, Plan } from "./find.ts";
import type { BranchKind, Pair } from "./linear.ts";

/** One branch of a merge, by original node names. */
export interface MergeBranch {
  /** What the branch was. */
  readonly kind: BranchKind;
  /** The branch's own kernel `[kh, kw]`. */
  readonly kernel: Pair;
  /** Names of its original nodes, in graph order. */
  readonly nodes: readonly string[];
}

/** MAC counts of a merge. */
export interface MergeMacs {
  /** MACs of the replaced nodes (Conv; one per output element for BN, Add, Sub, Mul, Div). */
  readonly before: number;
  /** MACs of the emitted conv. */
  readonly after: number;
  /**
   * `graph`: per the graph's shapes (a dynamic batch counts as 1); `output element`: per output
   * element of the emitted conv, where the graph's spatial sizes are not known.
   */
  readonly unit: "graph" | "output element";
}

/** One emitted conv and what it replaced. */
export interface Merge {
  /** The emitted Conv node's name. */
  readonly node: string;
  /** Its output tensor: the name the group's last node wrote. */
  readonly output: string;
  /** The tensor it reads. */
  readonly source: string;
  /** Names of the original nodes it replaces, in graph order. */
  readonly replaced: readonly string[];
  /** The branches summed into it. */
  readonly branches: readonly MergeBranch[];
  /** The merged kernel `[kh, kw]`. */
  readonly kernel: Pair;
  /** Its conv groups (a depthwise or grouped conv stays one). */
  readonly group: number;
  /** MACs of what it replaced and of itself. */
  readonly macs: MergeMacs;
}

/** Hands out names not used anywhere in the graph. */
function nameGiver(ctx: Context): (base: string) => string {
  const g = ctx.graph;
  const taken = new Set<string>([
    ...g.nodes.flatMap((n) => [n.name, ...n.outputs]),
    ...g.inputs.map((i) => i.name),
    ...g.initializers.map((t) => t.name),
    ...(g.otherInitializers ?? []).map((t) => t.name),
  ]);
  return (base) => {
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
}

function macs(ctx: Context, g: Group): MergeMacs {
  const { lin, tensor } = g;
  const before = lin.nodes.reduce((a, k) => a + ctx.nodeCost(ctx.producer.get(k)!), 0);
  const after = emittedCost(ctx, lin, tensor);
  if (ctx.shapes.exact(tensor) && ctx.shapes.exact(lin.src)) {
    const batch = Math.max(1, ctx.shapes.shape(tensor)![0]);
    return { before: before * batch, after: after * batch, unit: "graph" };
  }
  const per = lin.cout * ctx.shapes.area(tensor);
  return { before: before / per, after: after / per, unit: "output element" };
}

/** The Conv node, its initializers and its merge record for one group. */
function emitGroup(ctx: Context, g: Group, name: (base: string) => string) {
  const { lin, producer } = g;
  const node = name(`${producer.name || g.tensor}_fused`);
  const weight: Initializer = {
    name: name(`${node}.weight`),
    dims: [lin.cout, lin.cin / lin.group, lin.kernel[0], lin.kernel[1]],
    data: Float32Array.from(lin.weight()),
  };
  const bias: Initializer = {
    name: name(`${node}.bias`),
    dims: [lin.cout],
    data: Float32Array.from(lin.bias),
  };
  const conv: Node = {
    name: node,
    opType: "Conv",
    inputs: [lin.src, weight.name, bias.name],
    outputs: [g.tensor],
    attributes: {
      kernel_shape: ints(lin.kernel),
      strides: ints(lin.stride),
      pads: ints([...lin.padBegin, ...lin.padEnd]),
      dilations: ints(lin.dilation),
      group: int(lin.group),
    },
    ...(producer.tag ? { tag: { block: producer.tag.block, branch: "conv" } } : {}),
  };
  const nodeName = (k: string) => ctx.producer.get(k)!.name;
  const merge: Merge = {
    node,
    output: g.tensor,
    source: lin.src,
    replaced: lin.nodes.map(nodeName),
    branches: lin.branches.map((b) => ({ ...b, nodes: b.nodes.map(nodeName) })),
    kernel: lin.kernel,
    group: lin.group,
    macs: macs(ctx, g),
  };
  return { conv, initializers: [weight, bias], merge };
}

/**
 * Emits the planned convs into the node list.
 *
 * @param ctx The graph index.
 * @param plan The plan.
 * @returns The new node list (each emitted conv where its group's last node was, removed nodes
 *   dropped, every other node the same object), the new initializers and the merge records.
 */
export function emitGroups(ctx: Context, plan: Plan): {
  nodes: Node[];
  initializers: Initializer[];
  merges: Merge[];
} {
  const name = nameGiver(ctx);
  const byProducer = new Map<Node, Node>();
  const initializers: Initializer[] = [];
  const merges: Merge[] = [];
  for (const g of plan.groups) {
    const out = emitGroup(ctx, g, name);
    byProducer.set(g.producer, out.conv);
    initializers.push(...out.initializers);
    merges.push(out.merge);
  }
  const nodes = ctx.graph.nodes.flatMap((n) => {
    const conv = byProducer.get(n);
    return conv ? [conv] : plan.removed.has(n) ? [] : [n];
  });
  return { nodes, initializers, merges };
}
