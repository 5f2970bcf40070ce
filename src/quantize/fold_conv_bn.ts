/**
 * Folds each BatchNormalization that directly follows a Conv into that Conv, and nothing else:
 * what onnxruntime's quantization pre-processing does before a model is quantized, so that a
 * train-time multi-branch form is quantized branch by branch (each branch's conv with its BN
 * folded, its own Q/DQ) rather than with a float BN after an int8 conv. Branches are not merged:
 * that is reparameterization. Pure.
 *
 * @module
 */
import type { Graph, Initializer, Node } from "../onnx/ir.ts";
import { foldBatchNorm } from "../reparam/fold_bn.ts";

function attrFloat(node: Node, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a && a.type === "float" ? a.value : fallback;
}

/**
 * Folds every `Conv -> BatchNormalization` pair whose conv output only the BatchNormalization
 * reads (and is not a graph output), whose weight, bias and BN parameters are float32
 * initializers of matching sizes. The conv then writes the BN's output, with the folded weight
 * and a bias; the BN node is gone. Anything else is left as it is.
 *
 * @param graph The float graph.
 * @returns The graph with those pairs folded, and how many were.
 * @example
 * ```ts
 * import { foldConvBatchNorm } from "./fold_conv_bn.ts";
 * const f = (name: string, data: number[]) => ({ name, dims: [data.length], data: new Float32Array(data) });
 * const { graph, folded } = foldConvBatchNorm({
 *   name: "g", opset: 17,
 *   inputs: [{ name: "x", shape: [1, 1, 1, 1] }], outputs: [{ name: "y", shape: [1, 1, 1, 1] }],
 *   initializers: [
 *     { name: "w", dims: [1, 1, 1, 1], data: new Float32Array([2]) },
 *     f("g", [3]), f("b", [1]), f("m", [0.5]), f("v", [1]),
 *   ],
 *   nodes: [
 *     { name: "c", opType: "Conv", inputs: ["x", "w"], outputs: ["t"], attributes: {} },
 *     { name: "bn", opType: "BatchNormalization", inputs: ["t", "g", "b", "m", "v"], outputs: ["y"],
 *       attributes: { epsilon: { type: "float", value: 0 } } },
 *   ],
 * });
 * // y = 3 (2x - 0.5) + 1 = 6x - 0.5
 * const w = graph.initializers.find((i) => i.name === graph.nodes[0].inputs[1])!;
 * const bias = graph.initializers.find((i) => i.name === graph.nodes[0].inputs[2])!;
 * if (folded !== 1 || graph.nodes.length !== 1 || w.data[0] !== 6 || bias.data[0] !== -0.5) {
 *   throw new Error();
 * }
 * ```
 */
export function foldConvBatchNorm(graph: Graph): { graph: Graph; folded: number } {
  const inits = new Map(graph.initializers.map((i) => [i.name, i]));
  const readers = new Map<string, number>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  }
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const taken = new Set(graph.initializers.map((i) => i.name));
  const unique = (wanted: string) => {
    let name = wanted;
    for (let k = 1; taken.has(name); k++) name = `${wanted}_${k}`;
    taken.add(name);
    return name;
  };
  const replaced = new Map<Node, Node>(); // conv -> folded conv (by node, names may repeat)
  const removed = new Set<Node>(); // the folded BNs
  const added: Initializer[] = [];
  for (const bn of graph.nodes) {
    if (bn.opType !== "BatchNormalization" || bn.outputs.length !== 1) continue;
    const conv = producer.get(bn.inputs[0]);
    if (!conv || conv.opType !== "Conv" || replaced.has(conv)) continue;
    if (readers.get(conv.outputs[0]) !== 1 || outputs.has(conv.outputs[0])) continue;
    const [gamma, beta, mean, variance] = bn.inputs.slice(1).map((n) => inits.get(n));
    const weight = inits.get(conv.inputs[1]);
    const bias = conv.inputs[2] ? inits.get(conv.inputs[2]) : undefined;
    if (!gamma || !beta || !mean || !variance || !weight) continue;
    if (conv.inputs[2] && !bias) continue;
    const channels = weight.dims[0];
    if (
      [gamma, beta, mean, variance, ...(bias ? [bias] : [])].some((t) => t.data.length !== channels)
    ) {
      continue;
    }
    // BN(conv + b) = BN'(conv) with mean' = mean - b
    const shiftedMean = bias ? mean.data.map((m, c) => m - bias.data[c]) : mean.data;
    const fused = foldBatchNorm(weight.data, {
      gamma: gamma.data,
      beta: beta.data,
      mean: new Float32Array(shiftedMean),
      variance: variance.data,
      epsilon: attrFloat(bn, "epsilon", 1e-5),
    });
    const w = unique(`${conv.name}_bn_folded_W`);
    const b = unique(`${conv.name}_bn_folded_B`);
    added.push({ name: w, dims: weight.dims, data: fused.weight });
    added.push({ name: b, dims: [channels], data: fused.bias });
    replaced.set(conv, {
      ...conv,
      inputs: [conv.inputs[0], w, b],
      outputs: [bn.outputs[0]],
    });
    removed.add(bn);
  }
  if (removed.size === 0) return { graph, folded: 0 };
  const nodes = graph.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  const read = new Set(nodes.flatMap((n) => n.inputs));
  const initializers = [...graph.initializers, ...added].filter((i) => read.has(i.name));
  return { graph: { ...graph, nodes, initializers }, folded: removed.size };
}
