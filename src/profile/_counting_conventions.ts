/**
 * The counting conventions in words, as results and reports carry them. Private to src/profile:
 * counts.ts re-exports them as `COUNTING_CONVENTIONS`; keep them in step with _count_rules.ts.
 *
 * @module
 */

/** What each count means, in words, to be written into results and reports. */
export const COUNTING_CONVENTIONS: Record<string, string> = Object.freeze({
  flop: "One FLOP is one scalar add, multiply, divide or comparison (max, min); one MAC " +
    "(multiply-accumulate) is 2 FLOPs; a transcendental (exp, erf, tanh, sqrt) counts 1.",
  params: "Learnable elements: float constant tensors (initializers and Constant nodes' " +
    "values) read as weights or biases of Conv, ConvTranspose, Gemm, BatchNormalization " +
    "(scale gamma, bias beta), LayerNormalization, InstanceNormalization, GroupNormalization " +
    "and PRelu's slope, whatever their size, and every other float constant tensor of more " +
    "than 1 element (MatMul weights, layer-scale factors) unless it is a buffer or a setting; " +
    "in a quantized (QDQ) model, the int8 weights and int32 biases a DequantizeLinear reads. " +
    "Each tensor counts once, at the first node that reads it.",
  buffers: "BatchNormalization running mean and var elements, reported apart from params.",
  constants: "Elements of every other constant tensor, at their first reader: non-float ones " +
    "(int64 shapes, zero points), float ones of at most 1 element (e.g. the GELU scalars " +
    "sqrt(2), 1, 0.5) and settings (Resize roi/scales/sizes, Upsample scales, Clip bounds, Pad " +
    "pads/value/axes, Range bounds, ConstantOfShape shape, QuantizeLinear/DequantizeLinear " +
    "scale and zero point); unused ones count in the graph total only.",
  macs: "Conv: N * Cout * Hout * Wout * (Cin / groups) * kh * kw (any number of spatial dims), " +
    "batch N included, as papers and timm count them; ConvTranspose: N * Cin * Hin * Win * " +
    "(Cout / groups) * kh * kw; Gemm: M * N * K; MatMul: batch * M * N * K with numpy " +
    "broadcasting of the batch dims. Biases are not MACs.",
  convFlops: "2 * MACs (the field is named conv; it covers Gemm and MatMul too).",
  elementwiseFlops: "Per output element: BatchNormalization 2; LayerNormalization, " +
    "InstanceNormalization and GroupNormalization 7 (mean, subtract, square, sum, normalize, " +
    "scale, bias; 6 without bias); Softmax and LogSoftmax 5 (max, subtract, exp, sum, divide); " +
    "Conv, ConvTranspose and Gemm bias 1 (Gemm alpha != 1 and beta != 1 one more each); " +
    "Add/Sub/Mul/Div/Pow/Mod, comparisons, And/Or/Xor/Not and Where 1; Relu 1, Sigmoid 1, " +
    "Erf 1 and Gelu 1, likewise LeakyRelu, PRelu, Elu, Selu, Celu, Tanh, Exp, Log, Sqrt, " +
    "Reciprocal, Neg, Abs, Softplus, Softsign, rounding and trigonometric ops (a convention: " +
    "transcendental ops take many more instructions); " +
    "Clip 2 (min, max); Mish 3; HardSigmoid 4 (multiply, add, min, max); HardSwish 5; " +
    "QuantizeLinear and DequantizeLinear 2; Sum, Max, Min (inputs - 1), Mean inputs; Resize " +
    "and Upsample nearest 0, linear 7 (4 neighbours: 4 multiplies, 3 adds), cubic 31; " +
    "Identity and Dropout 0. Per input element: GlobalAveragePool, GlobalMaxPool 1; Reduce* 1 " +
    "(ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSumExp 2); ArgMax, ArgMin, TopK 1. " +
    "MaxPool, AveragePool, LpPool: kernel elements per output element. " +
    "Exact GELU built from Div, Erf, Add, Mul, Mul thus costs 5 per element.",
  dataMovement: "Reshape, Flatten, Transpose, Concat, Split, Slice, Gather, GatherElements, " +
    "GatherND, Squeeze, Unsqueeze, Expand, Tile, Pad, DepthToSpace, SpaceToDepth, Cast, " +
    "CastLike, Identity, Dropout, Shape, Size, Constant, ConstantOfShape, Range, Trilu and the " +
    "Scatter ops: 0 FLOPs, their bytes counted. A node whose every output shape inference folds " +
    "to a constant (Shape -> Gather -> Unsqueeze -> Concat chains computing a Reshape's target, " +
    "integer arithmetic on them) costs 0 FLOPs whatever its op.",
  uncounted: "A node whose op has no rule (another domain's op, Einsum, LSTM, ...), or whose " +
    "shapes cannot be inferred (data-dependent shapes, unknown inputs, and everything computed " +
    "from them), counts 0 MACs and 0 FLOPs and is listed in uncounted with the reason; it stays " +
    "in the nodes histogram. Tensors without an inferred shape count 0 bytes.",
  bytesRead: "Per node: every distinct input tensor, activations and constants, at " +
    "elementBytes per float32 element and at their own element size otherwise (int64 8, " +
    "float16 2, bool and int8 1).",
  bytesWritten: "Per node: every output tensor, sized as bytesRead.",
  naiveBytes: "Sum over nodes of read + written: no fusion, no cache (upper bound).",
  minimumBytes: "Graph: graph inputs and initializers read by some node, plus graph outputs " +
    "(lower bound). Block: the block run alone with an unbounded cache, i.e. what its nodes " +
    "read from outside the block (its input, its weights) plus what they produce that leaves " +
    "the block; block minimums therefore do not sum to the graph minimum.",
  cachedBytes: "An LRU cache of cacheBytes holding whole tensors, write-back, over the node " +
    "order: a resident input costs 0, a missing one its size (then resident if it fits); an " +
    "output that fits stays resident and dirty, a larger one is streamed out at its size; " +
    "evicting a dirty tensor still needed or a graph output costs its size, charged to its " +
    "producer, as are dirty graph outputs at the end; dead tensors are dropped free. " +
    "minimum <= cached <= naive; cached == naive at cacheBytes 0.",
  arithmeticIntensity: "Per node: total FLOPs / naive bytes.",
  blocks: "Block totals sum their tagged nodes; untagged nodes are in no block.",
});
