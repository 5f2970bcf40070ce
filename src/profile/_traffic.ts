/**
 * Memory-traffic models over a node sequence: the lower bound of a set of nodes run alone, and
 * a tensor-granular LRU write-back cache simulation. Private to src/profile: counts.ts states
 * the conventions and is the public entry point.
 *
 * @module
 */
import type { Node } from "../onnx/ir.ts";

/** Bytes of a tensor, by name. */
export type SizeOf = (name: string) => number;

/** The distinct, non-empty input names of a node (a tensor read twice by one node is read once). */
export function distinctInputs(node: Node): string[] {
  return [...new Set(node.inputs.filter((name) => name !== ""))];
}

/** The non-empty output names of a node. */
export function nodeOutputs(node: Node): string[] {
  return node.outputs.filter((name) => name !== "");
}

/**
 * Lower bound on the traffic of a set of nodes run alone with an unbounded cache: every tensor
 * its nodes read that none of them produces (graph inputs, initializers, tensors from other
 * nodes) once, plus every tensor they produce that leaves the set (a graph output, or read by a
 * node outside the set) once.
 *
 * @param nodes All nodes of the graph, in topological order.
 * @param members Indices of the nodes in the set.
 * @param sizeOf Bytes of a tensor.
 * @param graphOutputs Names of the graph outputs.
 * @returns Bytes.
 */
export function minimumTraffic(
  nodes: readonly Node[],
  members: ReadonlySet<number>,
  sizeOf: SizeOf,
  graphOutputs: ReadonlySet<string>,
): number {
  const produced = new Set<string>();
  const read = new Set<string>();
  const readOutside = new Set<string>();
  nodes.forEach((node, i) => {
    if (members.has(i)) nodeOutputs(node).forEach((t) => produced.add(t));
  });
  nodes.forEach((node, i) => {
    for (const t of distinctInputs(node)) (members.has(i) ? read : readOutside).add(t);
  });
  let bytes = 0;
  for (const t of read) if (!produced.has(t)) bytes += sizeOf(t);
  for (const t of produced) if (graphOutputs.has(t) || readOutside.has(t)) bytes += sizeOf(t);
  return bytes;
}

interface Entry {
  readonly size: number;
  dirty: boolean;
}

/** A byte-capacity LRU of whole tensors; a Map's insertion order is the recency order. */
class LruCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, Entry>();
  #used = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  fits(size: number): boolean {
    return size <= this.#capacity;
  }

  /** Marks a tensor most recently used; false when it is not resident. */
  touch(name: string): boolean {
    const entry = this.#entries.get(name);
    if (!entry) return false;
    this.#entries.delete(name);
    this.#entries.set(name, entry);
    return true;
  }

  /** Makes a tensor that fits resident, evicting least recently used tensors first. */
  insert(name: string, entry: Entry, onEvict: (name: string, entry: Entry) => void): void {
    while (this.#used + entry.size > this.#capacity) {
      const [victim, e] = this.#entries.entries().next().value!;
      this.drop(victim);
      onEvict(victim, e);
    }
    this.#entries.set(name, entry);
    this.#used += entry.size;
  }

  drop(name: string): void {
    const entry = this.#entries.get(name);
    if (!entry) return;
    this.#entries.delete(name);
    this.#used -= entry.size;
  }

  entries(): IterableIterator<[string, Entry]> {
    return this.#entries.entries();
  }
}

/**
 * Simulates a tensor-granular LRU write-back cache of `cacheBytes` over the node sequence and
 * returns the off-chip bytes attributed to each node.
 *
 * Per node: each distinct input that is resident costs 0, otherwise its size (it then becomes
 * resident, clean, if it fits). Inputs dead after the node (no later reader, not a graph
 * output) are dropped free. Each output that fits becomes resident and dirty (dropped free when
 * nothing reads it and it is not a graph output); one larger than the cache is streamed out at
 * its size. Evicting a dirty tensor still needed (a later reader, an unread input of the
 * current node, or a graph output) costs its size, charged to its producer; at the end, dirty
 * graph outputs are written back, also charged to their producers.
 *
 * @param nodes The graph's nodes, in topological order.
 * @param sizeOf Bytes of a tensor.
 * @param graphOutputs Names of the graph outputs.
 * @param cacheBytes Cache capacity in bytes (0 gives the naive sum; Infinity the minimum).
 * @returns Bytes per node, in node order.
 */
export function simulateCache(
  nodes: readonly Node[],
  sizeOf: SizeOf,
  graphOutputs: ReadonlySet<string>,
  cacheBytes: number,
): number[] {
  const lastUse = new Map<string, number>();
  nodes.forEach((node, i) => distinctInputs(node).forEach((t) => lastUse.set(t, i)));
  const producer = new Map<string, number>();
  const cost = nodes.map(() => 0);
  const cache = new LruCache(cacheBytes);
  let current = 0;
  let pending = new Set<string>();
  const needed = (t: string) =>
    graphOutputs.has(t) || (lastUse.get(t) ?? -1) > current || pending.has(t);
  const onEvict = (t: string, e: Entry) => {
    if (e.dirty && needed(t)) cost[producer.get(t)!] += e.size;
  };
  for (const [i, node] of nodes.entries()) {
    current = i;
    const inputs = distinctInputs(node);
    pending = new Set(inputs);
    for (const t of inputs) {
      pending.delete(t);
      if (cache.touch(t)) continue;
      const size = sizeOf(t);
      cost[i] += size;
      if (cache.fits(size)) cache.insert(t, { size, dirty: false }, onEvict);
    }
    for (const t of inputs) if (!needed(t)) cache.drop(t);
    for (const t of nodeOutputs(node)) {
      producer.set(t, i);
      const size = sizeOf(t);
      if (!cache.fits(size)) cost[i] += size;
      else if (needed(t)) cache.insert(t, { size, dirty: true }, onEvict);
    }
  }
  for (const [t, e] of cache.entries()) {
    if (e.dirty && graphOutputs.has(t)) cost[producer.get(t)!] += e.size;
  }
  return cost;
}
