/**
 * Memory-traffic models over a node sequence: the lower bound of a set of nodes run alone, and
 * a tensor-granular LRU write-back cache simulation. Private to src/profile: counts.ts states
 * the conventions and is the public entry point.
 *
 * Both work on a {@linkcode Topology}: the graph's tensors numbered once per graph structure
 * (what each node reads and writes, last readers, graph outputs), so that counting the same
 * structure at another input shape only sums and simulates over arrays of sizes.
 *
 * @module
 */
/** The graph's dataflow over numbered tensors: what the traffic models need. */
export interface Topology {
  /** How many tensor ids there are (0 to size - 1). */
  readonly size: number;
  /** Per node: its distinct inputs in first-read order (a tensor read twice counts once). */
  readonly inputs: readonly (readonly number[])[];
  /** Per node: its outputs, in order (skipped ones left out). */
  readonly outputs: readonly (readonly number[])[];
  /** Per tensor: index of the last node reading it, -1 when none does. */
  readonly lastUse: readonly number[];
  /** Per tensor: whether it is a graph output. */
  readonly isOutput: readonly boolean[];
}

/**
 * The dataflow of a node sequence whose tensors are numbered (by shape inference's index).
 *
 * @param size How many tensor ids there are.
 * @param inputSlots Per node: the id at each input position, -1 for a skipped input ("").
 * @param outputSlots Per node: the id at each output position, -1 for a skipped output.
 * @param graphOutputs Ids of the graph outputs.
 * @returns The topology.
 */
export function compileTopology(
  size: number,
  inputSlots: readonly (readonly number[])[],
  outputSlots: readonly (readonly number[])[],
  graphOutputs: readonly number[],
): Topology {
  // Plain arrays: a typed array costs about a microsecond to make, a few elements' array little
  // The slots themselves where nothing is skipped or repeated (almost always): no copy
  const inputs = inputSlots.map((slots) => {
    const plain = slots.every((t, k) => t >= 0 && slots.indexOf(t) === k);
    if (plain) return slots;
    const seen: number[] = [];
    for (const t of slots) if (t >= 0 && !seen.includes(t)) seen.push(t);
    return seen;
  });
  const outputs = outputSlots.map((slots) =>
    slots.every((t) => t >= 0) ? slots : slots.filter((t) => t >= 0)
  );
  const lastUse = new Array<number>(size).fill(-1);
  inputs.forEach((ins, i) => {
    for (const t of ins) lastUse[t] = i;
  });
  const isOutput = new Array<boolean>(size).fill(false);
  for (const t of graphOutputs) isOutput[t] = true;
  return { size, inputs, outputs, lastUse, isOutput };
}

/**
 * The tensors whose bytes make the lower bound on the traffic of a set of nodes run alone with
 * an unbounded cache: every tensor its nodes read that none of them produces (graph inputs,
 * initializers, tensors from other nodes) once, plus every tensor they produce that leaves the
 * set (a graph output, or read by a node outside the set) once. Depends on the structure only;
 * {@linkcode sumSizes} over them gives the bytes.
 *
 * @param topology The graph's topology.
 * @param members Indices of the nodes in the set, ascending.
 * @returns Tensor ids, in the order their bytes are summed.
 */
export function minimumTensors(topology: Topology, members: readonly number[]): number[] {
  // Flags are stamps (equal to this call's stamp when set) in shared arrays: nothing to clear
  const stamp = ++marks.stamp;
  const [member, isProduced, isRead, readOutside] = [
    grow(marks.member, topology.inputs.length, 0),
    grow(marks.produced, topology.size, 0),
    grow(marks.read, topology.size, 0),
    grow(marks.outside, topology.size, 0),
  ];
  for (const i of members) member[i] = stamp;
  // Insertion-ordered sets, as the reference algorithm's Sets: produced, read, read outside
  const produced: number[] = [];
  const read: number[] = [];
  for (const i of members) {
    for (const t of topology.outputs[i]) {
      if (isProduced[t] !== stamp) (isProduced[t] = stamp, produced.push(t));
    }
  }
  topology.inputs.forEach((ins, i) => {
    for (const t of ins) {
      if (member[i] !== stamp) readOutside[t] = stamp;
      else if (isRead[t] !== stamp) (isRead[t] = stamp, read.push(t));
    }
  });
  const out: number[] = [];
  for (const t of read) if (isProduced[t] !== stamp) out.push(t);
  for (const t of produced) if (topology.isOutput[t] || readOutside[t] === stamp) out.push(t);
  return out;
}

/** The stamps of {@linkcode minimumTensors}, shared by every call, grown. */
const marks = {
  stamp: 0,
  member: [] as number[],
  produced: [] as number[],
  read: [] as number[],
  outside: [] as number[],
};

/** Sum of the sizes of some tensors, in the order given. */
export function sumSizes(tensors: readonly number[], sizes: readonly number[]): number {
  let bytes = 0;
  for (let k = 0; k < tensors.length; k++) bytes += sizes[tensors[k]];
  return bytes;
}

/** The simulation's per-tensor state, shared by every run (runs are synchronous), grown. */
const state = {
  producer: [] as number[],
  resident: [] as boolean[],
  dirty: [] as boolean[],
  entrySize: [] as number[],
  prev: [] as number[],
  next: [] as number[],
  pending: [] as boolean[],
};

function grow<T>(a: T[], n: number, value: T): T[] {
  while (a.length < n) a.push(value);
  return a;
}

/**
 * Simulates a tensor-granular LRU write-back cache of `cacheBytes` over the node sequence of a
 * topology and gives the off-chip bytes attributed to each node.
 *
 * Per node: each distinct input that is resident costs 0, otherwise its size (it then becomes
 * resident, clean, if it fits). Inputs dead after the node (no later reader, not a graph
 * output) are dropped free. Each output that fits becomes resident and dirty (dropped free when
 * nothing reads it and it is not a graph output); one larger than the cache is streamed out at
 * its size. Evicting a dirty tensor still needed (a later reader, an unread input of the
 * current node, or a graph output) costs its size, charged to its producer; at the end, dirty
 * graph outputs are written back, also charged to their producers.
 *
 * The cache is a doubly linked list over tensor ids (least recently used at the head), so a
 * hit, an insertion and an eviction each cost O(1); its arrays are shared by every run.
 *
 * @param topology The graph's topology.
 * @param sizes Bytes of each tensor, by id.
 * @param cacheBytes Cache capacity in bytes (0 gives the naive sum; Infinity the minimum).
 * @param cost Bytes per node, in node order: the first `topology.inputs.length` are zeroed, then
 *   filled.
 */
export function simulateCache(
  topology: Topology,
  sizes: readonly number[],
  cacheBytes: number,
  cost: number[],
): void {
  const { inputs, outputs, lastUse, isOutput } = topology;
  const n = topology.size;
  // Plain arrays: typed arrays' backing stores cost far more to make (and to collect)
  const producer = grow(state.producer, n, -1).fill(-1, 0, n);
  const resident = grow(state.resident, n, false).fill(false, 0, n);
  const dirty = grow(state.dirty, n, false).fill(false, 0, n);
  const entrySize = grow(state.entrySize, n, 0);
  const prev = grow(state.prev, n, -1);
  const next = grow(state.next, n, -1);
  const pending = grow(state.pending, n, false).fill(false, 0, n);
  cost.fill(0, 0, inputs.length);
  let head = -1;
  let tail = -1;
  let used = 0;
  let current = 0;

  const needed = (t: number) => isOutput[t] || lastUse[t] > current || pending[t];
  const unlink = (t: number) => {
    const p = prev[t], q = next[t];
    if (p < 0) head = q;
    else next[p] = q;
    if (q < 0) tail = p;
    else prev[q] = p;
  };
  const append = (t: number) => {
    prev[t] = tail;
    next[t] = -1;
    if (tail < 0) head = t;
    else next[tail] = t;
    tail = t;
  };
  const drop = (t: number) => {
    if (!resident[t]) return;
    resident[t] = false;
    unlink(t);
    used -= entrySize[t];
  };
  /** Makes a tensor that fits resident, evicting least recently used tensors first. */
  const insert = (t: number, size: number, isDirty: boolean) => {
    while (used + size > cacheBytes) {
      const victim = head;
      if (victim < 0) throw new RangeError("Cannot simulate the cache as its bookkeeping broke");
      drop(victim);
      if (dirty[victim] && needed(victim)) cost[producer[victim]] += entrySize[victim];
    }
    // A tensor already resident (a node writing a name it also reads) keeps its place, as a
    // Map's set() of an existing key does
    if (!resident[t]) {
      resident[t] = true;
      append(t);
    }
    entrySize[t] = size;
    dirty[t] = isDirty;
    used += size;
  };

  for (let i = 0; i < inputs.length; i++) {
    current = i;
    const ins = inputs[i];
    for (let k = 0; k < ins.length; k++) pending[ins[k]] = true;
    for (let k = 0; k < ins.length; k++) {
      const t = ins[k];
      pending[t] = false;
      if (resident[t]) {
        unlink(t);
        append(t);
        continue;
      }
      const size = sizes[t];
      cost[i] += size;
      if (size <= cacheBytes) insert(t, size, false);
    }
    for (let k = 0; k < ins.length; k++) if (!needed(ins[k])) drop(ins[k]);
    const outs = outputs[i];
    for (let k = 0; k < outs.length; k++) {
      const t = outs[k];
      producer[t] = i;
      const size = sizes[t];
      if (!(size <= cacheBytes)) cost[i] += size;
      else if (needed(t)) insert(t, size, true);
    }
  }
  for (let t = head; t >= 0; t = next[t]) {
    if (dirty[t] && isOutput[t]) cost[producer[t]] += entrySize[t];
  }
}
