/**
 * Finding what to fuse: walk the graph in order, build an expression per tensor that is linear
 * in one source, decide which of them must exist as tensors (materialized), and choose the
 * fan-out tensors that stay boundaries so that the fused graph never costs more MACs.
 *
 * A linear tensor is materialized when it is a graph output, is named inside a subgraph, has no
 * consumer at all, or has a consumer that did not absorb its expression (an opaque node, a conv
 * that started a new expression over it, a sum that could not merge). Each materialized tensor is
 * a group: the original nodes its expression composes. A group of one node is kept as it is; a
 * group whose conv would cost more than its nodes first loses its sums (their Add / Sub nodes are
 * treated as opaque), or else is kept.
 *
 * Boundaries: a tensor read more than once (or read and also an output) may be both
 * materialized and composed into its consumers, which duplicates its work. Planning starts with
 * every such tensor as a boundary (a new source for its consumers: no duplication, so never more
 * expensive than the original), then lets each one be composed through, in graph order, only
 * where that lowers the total MACs.
 *
 * @module
 */
import type { Node } from "../../onnx/ir.ts";
import type { Context } from "./_context.ts";
import { emittedCost, type Env, linearize } from "./_rules.ts";
import type { Lin } from "./linear.ts";

/** A materialized tensor that one emitted conv computes. */
export interface Group {
  /** The tensor, which keeps its name. */
  readonly tensor: string;
  /** The original node that wrote it (the group's last node). */
  readonly producer: Node;
  /** Its expression. */
  readonly lin: Lin;
}

/** The outcome of planning. */
export interface Plan {
  /** Groups to emit as one conv each, in graph order. */
  readonly groups: readonly Group[];
  /** Original nodes that the emitted convs replace or absorb. */
  readonly removed: ReadonlySet<Node>;
  /** MACs of the emitted convs minus MACs of the removed nodes (negative: the graph got cheaper). */
  readonly cost: number;
  /** Tensors that are linear in a source under this plan, with their expressions. */
  readonly linear: ReadonlyMap<string, Lin>;
}

interface Expressions {
  readonly lin: ReadonlyMap<string, Lin>;
  readonly via: ReadonlyMap<string, readonly string[]>;
}

/** Builds every tensor's expression under the given boundaries and opaque nodes. */
function expressions(ctx: Context, boundaries: ReadonlySet<string>, opaque: ReadonlySet<string>) {
  const lin = new Map<string, Lin>();
  const via = new Map<string, readonly string[]>();
  const env: Env = { ctx, continued: (t) => (boundaries.has(t) ? undefined : lin.get(t)) };
  for (const node of ctx.graph.nodes) {
    const out = node.outputs[0];
    if (!out || opaque.has(out)) continue;
    const step = linearize(env, node);
    if (step) (lin.set(out, step.lin), via.set(out, step.via));
  }
  return { lin, via };
}

function isMaterialized(ctx: Context, t: string, e: Expressions): boolean {
  const consumers = ctx.consumers.get(t) ?? [];
  return ctx.outputs.has(t) || ctx.external.has(t) || consumers.length === 0 ||
    consumers.some((n) => !e.via.get(n.outputs[0])?.includes(t));
}

const sumCost = (ctx: Context, keys: Iterable<string>) =>
  [...keys].reduce((a, k) => a + ctx.nodeCost(ctx.producer.get(k)!), 0);

/** Splits materialized tensors into groups to emit and node keys to keep; undefined to retry. */
function classify(ctx: Context, e: Expressions, opaque: Set<string>) {
  const keep = new Set<string>();
  const emit: Group[] = [];
  let retry = false;
  for (const [t, lin] of e.lin) {
    if (!isMaterialized(ctx, t, e)) continue;
    const dead = !ctx.outputs.has(t) && (ctx.consumers.get(t)?.length ?? 0) === 0;
    const tooCostly = emittedCost(ctx, lin, t) > sumCost(ctx, lin.nodes);
    if (tooCostly && lin.sums.length > 0) {
      lin.sums.forEach((s) => opaque.add(s));
      retry = true;
    } else if (dead || tooCostly || lin.nodes.length < 2) {
      lin.nodes.forEach((k) => keep.add(k));
    } else emit.push({ tensor: t, producer: ctx.producer.get(t)!, lin });
  }
  return retry ? undefined : { keep, emit };
}

/**
 * Plans the fusion for a fixed set of boundaries.
 *
 * @param ctx The graph index.
 * @param boundaries Tensors whose consumers start new expressions over them.
 * @returns The plan.
 */
export function analyze(ctx: Context, boundaries: ReadonlySet<string>): Plan {
  const opaque = new Set<string>();
  for (;;) {
    const e = expressions(ctx, boundaries, opaque);
    const split = classify(ctx, e, opaque);
    if (!split) continue;
    const { keep } = split;
    let groups = split.emit;
    // a group whose last node must stay (it computes a kept group's input) is kept as well
    for (let moved = true; moved;) {
      const stay = groups.filter((g) => keep.has(g.tensor));
      stay.forEach((g) => g.lin.nodes.forEach((k) => keep.add(k)));
      groups = groups.filter((g) => !keep.has(g.tensor));
      moved = stay.length > 0;
    }
    const removedKeys = [...e.lin.keys()].filter((k) => !keep.has(k));
    const emitted = groups.reduce((a, g) => a + emittedCost(ctx, g.lin, g.tensor), 0);
    return {
      groups,
      removed: new Set(removedKeys.map((k) => ctx.producer.get(k)!)),
      cost: emitted - sumCost(ctx, removedKeys),
      linear: e.lin,
    };
  }
}

/** Tensors read more than once, or read and also needed as they are (output, subgraph). */
function fanOuts(ctx: Context): string[] {
  const order = [
    ...ctx.graph.inputs.map((i) => i.name),
    ...ctx.graph.nodes.flatMap((n) => n.outputs),
  ];
  return order.filter((t) => {
    const uses = ctx.uses.get(t) ?? 0;
    return uses >= 2 || (uses >= 1 && (ctx.outputs.has(t) || ctx.external.has(t)));
  });
}

/** Whether an expression computes a Conv of its own (not only BN, scales, sums of its source). */
const hasConv = (ctx: Context, lin: Lin) =>
  lin.nodes.some((k) => ctx.producer.get(k)?.opType === "Conv");

/**
 * Plans the fusion of a whole graph: every fan-out starts as a boundary, then each linear one,
 * in graph order, is composed through where that lowers the total MACs. A fan-out tensor that a
 * Conv computes and that several nodes (or the graph's outputs) read stays a boundary: composing it into a consumer conv would merge two layers the
 * network keeps apart (its other reader needs it anyway), which is not reparameterization, and
 * would change the network's weights beyond what its deploy form has. Folding a BN or a scale
 * into copies for each reader is allowed where it removes work.
 *
 * @param ctx The graph index.
 * @returns The cheapest plan found.
 */
export function planFusion(ctx: Context): Plan {
  const candidates = fanOuts(ctx);
  const boundaries = new Set(candidates);
  let plan = analyze(ctx, boundaries);
  for (const t of candidates) {
    const lin = plan.linear.get(t);
    const readers = new Set(ctx.consumers.get(t) ?? []).size;
    const shared = readers > 1 || ctx.outputs.has(t) || ctx.external.has(t);
    if (!lin || (shared && hasConv(ctx, lin))) continue;
    boundaries.delete(t);
    const trial = analyze(ctx, boundaries);
    if (trial.cost < plan.cost - 1e-9 * Math.max(1, Math.abs(plan.cost))) plan = trial;
    else boundaries.add(t);
  }
  return plan;
}
