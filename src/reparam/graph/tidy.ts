/**
 * Tidying a rewritten graph: Identity nodes and Adds / Subs of zero become aliases of their
 * input, and what the rewrite left dead (absorbed nodes' Constant nodes, weights, value infos)
 * is removed. What was already dead in the original graph is left as it was.
 *
 * @module
 */
import type { Graph, Node } from "../../onnx/ir.ts";
import type { Context } from "./_context.ts";
import { broadcast } from "./_shapes.ts";

/** The tensor a node passes through unchanged, or undefined. */
function passThrough(ctx: Context, node: Node): string | undefined {
  const [out, ...rest] = node.outputs;
  if (!out || rest.length > 0 || ctx.outputs.has(out) || ctx.external.has(out)) return;
  if (node.opType === "Identity" && node.inputs.length === 1) return node.inputs[0];
  if ((node.opType !== "Add" && node.opType !== "Sub") || node.inputs.length !== 2) return;
  const [a, b] = node.inputs.map((i) => ctx.constant(i));
  const zero = node.opType === "Add" ? (b ?? a) : b;
  const t = zero === b ? node.inputs[0] : node.inputs[1];
  const shape = ctx.shapes.shape(t);
  if (!zero || ctx.constant(t) || !shape || !zero.data.every((v) => v === 0)) return;
  const out2 = broadcast(shape, zero.dims);
  return out2 && out2.length === shape.length && out2.every((d, i) => d === shape[i])
    ? t
    : undefined;
}

/** Replaces pass-through nodes by aliases; consumers read the input instead. */
function removeAliases(ctx: Context, nodes: readonly Node[]): Node[] {
  const alias = new Map<string, string>();
  const kept: Node[] = [];
  for (const n of nodes) {
    const t = passThrough(ctx, n);
    if (t !== undefined) alias.set(n.outputs[0], alias.get(t) ?? t);
    else kept.push(n);
  }
  if (alias.size === 0) return kept;
  return kept.map((n) =>
    n.inputs.some((i) => alias.has(i))
      ? { ...n, inputs: n.inputs.map((i) => alias.get(i) ?? i) }
      : n
  );
}

/** Nodes and tensors that the graph's outputs (and subgraph references) depend on. */
function live(graph: Graph, external: ReadonlySet<string>, keep: (n: Node) => boolean) {
  const tensors = new Set<string>([...graph.outputs.map((o) => o.name), ...external]);
  const nodes = new Set<Node>();
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i];
    if (!keep(n) && !n.outputs.some((o) => tensors.has(o))) continue;
    nodes.add(n);
    n.inputs.forEach((t) => tensors.add(t));
  }
  return { nodes, tensors };
}

/**
 * Tidies a rewritten graph.
 *
 * @param ctx The index of the original graph.
 * @param rewritten The graph after emission.
 * @returns The graph without aliases (when `ctx.options.tidy`) and without what became dead.
 */
export function tidyGraph(ctx: Context, rewritten: Graph): Graph {
  const original = ctx.graph;
  const nodes = ctx.options.tidy ? removeAliases(ctx, rewritten.nodes) : [...rewritten.nodes];
  const before = live(original, ctx.external, () => false);
  const originalNodes = new Set(original.nodes);
  const wasDead = (n: Node) => originalNodes.has(n) && !before.nodes.has(n);
  const after = live({ ...rewritten, nodes }, ctx.external, wasDead);
  const originalTensors = new Set([
    ...original.initializers.map((t) => t.name),
    ...(original.otherInitializers ?? []).map((t) => t.name),
  ]);
  // kept when still used, or when the original did not use it either (untouched)
  const keepTensor = (name: string) =>
    after.tensors.has(name) || (originalTensors.has(name) && !before.tensors.has(name));
  const defined = new Set<string>([
    ...rewritten.inputs.map((i) => i.name),
    ...nodes.filter((n) => after.nodes.has(n)).flatMap((n) => n.outputs),
  ]);
  const definedBefore = new Set(original.nodes.flatMap((n) => n.outputs));
  return {
    ...rewritten,
    nodes: nodes.filter((n) => after.nodes.has(n)),
    initializers: rewritten.initializers.filter((t) => keepTensor(t.name)),
    ...(rewritten.otherInitializers
      ? { otherInitializers: rewritten.otherInitializers.filter((t) => keepTensor(t.name)) }
      : {}),
    ...(rewritten.valueInfo
      ? {
        valueInfo: rewritten.valueInfo.filter((v) =>
          defined.has(v.name) || !definedBefore.has(v.name)
        ),
      }
      : {}),
  };
}
