/**
 * Independent check of the shape rules: the same small models are built with python's
 * onnx.helper at test time and onnx's own shape inference (with data propagation) must agree
 * with inferShapes on every shape it infers. Skipped when /usr/bin/python3 cannot import onnx.
 */
import assert from "node:assert/strict";
import type { Attribute, Tensor } from "../../src/onnx/ir.ts";
import { inferShapes } from "../../src/onnx/shapes.ts";
import { attr, f32, graphOf, int64, op } from "./_graphs.ts";

// _helpers.ts loads onnxruntime's native binding (needs --allow-ffi): imported lazily so that a
// run without ffi or without python's onnx skips this test instead of failing at load
const has = await import("../_helpers.ts").then((h) => h.hasPythonOnnx(), () => false);

interface Const {
  readonly name: string;
  readonly dims: number[];
  readonly type: "float" | "int64";
  readonly values: number[];
}
interface Case {
  readonly name: string;
  readonly opset: number;
  readonly inputs: Record<string, number[]>;
  readonly consts?: Const[];
  readonly nodes: [string, string[], string[], Record<string, Attribute>?][];
}

const i64 = (name: string, values: number[], dims = [values.length]): Const => ({
  name,
  dims,
  type: "int64",
  values,
});
const fl = (name: string, dims: number[], values?: number[]): Const => ({
  name,
  dims,
  type: "float",
  values: values ?? new Array(dims.reduce((a, b) => a * b, 1)).fill(0.5),
});
const { int, ints, string } = attr;
const s2 = { strides: ints([2, 2]) };

const CASES: Case[] = [
  ...[11, 13].map((opset): Case => ({
    name: `PyTorch view(N, -1), opset ${opset}`,
    opset,
    inputs: { x: [2, 8, 4, 4] },
    consts: [i64("zero", [0], []), i64("minus1", [-1]), ...(opset >= 13 ? [i64("ax", [0])] : [])],
    nodes: [
      ["Shape", ["x"], ["s"]],
      ["Gather", ["s", "zero"], ["n"], { axis: int(0) }],
      opset >= 13
        ? ["Unsqueeze", ["n", "ax"], ["n1"]]
        : ["Unsqueeze", ["n"], ["n1"], { axes: ints([0]) }],
      ["Concat", ["n1", "minus1"], ["target"], { axis: int(0) }],
      ["Reshape", ["x", "target"], ["y"]],
    ],
  })),
  {
    name: "Conv auto_pad, dilation, groups",
    opset: 13,
    inputs: { x: [1, 4, 7, 7] },
    consts: [fl("w", [8, 4, 3, 3]), fl("dw", [4, 1, 3, 3])],
    nodes: [
      ["Conv", ["x", "w"], ["su"], { ...s2, auto_pad: string("SAME_UPPER") }],
      ["Conv", ["x", "w"], ["sl"], { ...s2, auto_pad: string("SAME_LOWER") }],
      ["Conv", ["x", "w"], ["va"], { ...s2, auto_pad: string("VALID") }],
      ["Conv", ["x", "w"], ["di"], { dilations: ints([2, 2]), pads: ints([1, 0, 2, 1]) }],
      ["Conv", ["x", "dw"], ["gr"], { group: int(4), pads: ints([1, 1, 1, 1]), ...s2 }],
    ],
  },
  {
    name: "pools",
    opset: 13,
    inputs: { x: [1, 3, 6, 6] },
    nodes: [
      ["MaxPool", ["x"], ["mp"], { kernel_shape: ints([3, 3]), ...s2 }],
      ["MaxPool", ["x"], ["mc"], { kernel_shape: ints([3, 3]), ...s2, ceil_mode: int(1) }],
      ["AveragePool", ["x"], ["ap"], {
        kernel_shape: ints([3, 3]),
        pads: ints([1, 1, 1, 1]),
        ...s2,
      }],
      ["MaxPool", ["x"], ["ms"], {
        kernel_shape: ints([2, 2]),
        ...s2,
        auto_pad: string("SAME_UPPER"),
      }],
      ["GlobalAveragePool", ["x"], ["gp"]],
    ],
  },
  {
    name: "Slice, opset 13 inputs",
    opset: 13,
    inputs: { x: [1, 3, 10, 10] },
    consts: [i64("st", [1, -1]), i64("en", [1000, -1000]), i64("ax", [2, 3]), i64("sp", [2, -1])],
    nodes: [["Slice", ["x", "st", "en", "ax", "sp"], ["y"]], ["Slice", ["x", "st", "en"], ["z"]]],
  },
  {
    name: "Slice, opset 9 attributes",
    opset: 9,
    inputs: { x: [1, 3, 10, 10] },
    nodes: [["Slice", ["x"], ["y"], {
      starts: ints([1, -3]),
      ends: ints([1000, -1]),
      axes: ints([2, 3]),
    }]],
  },
  {
    name: "Gemm, MatMul",
    opset: 13,
    inputs: { x: [1, 512], a: [2, 1, 4, 8], b: [3, 8, 5], v: [8] },
    consts: [fl("w", [1000, 512]), fl("bias", [1000])],
    nodes: [
      ["Gemm", ["x", "w", "bias"], ["fc"], { transB: int(1) }],
      ["MatMul", ["a", "b"], ["ab"]],
      ["MatMul", ["v", "b"], ["vb"]],
      ["MatMul", ["a", "v"], ["av"]],
    ],
  },
  {
    name: "Reshape, Flatten, Transpose, Concat, Split",
    opset: 13,
    inputs: { x: [2, 3, 4, 5] },
    consts: [i64("shape", [0, -1, 5]), i64("parts", [1, 2])],
    nodes: [
      ["Reshape", ["x", "shape"], ["r"]],
      ["Flatten", ["x"], ["f"], { axis: int(2) }],
      ["Transpose", ["x"], ["t"], { perm: ints([0, 2, 3, 1]) }],
      ["Transpose", ["x"], ["tr"]],
      ["Concat", ["x", "x"], ["c"], { axis: int(-1) }],
      ["Split", ["x", "parts"], ["s1", "s2"], { axis: int(1) }],
      ["Split", ["x"], ["h1", "h2"], { axis: int(2) }],
    ],
  },
  {
    name: "Split, Squeeze, Unsqueeze, ReduceMean, opset 11 attributes",
    opset: 11,
    inputs: { x: [1, 6, 4, 4] },
    nodes: [
      ["Split", ["x"], ["a", "b"], { axis: int(1), split: ints([2, 4]) }],
      ["ReduceMean", ["x"], ["m"], { axes: ints([2, 3]), keepdims: int(0) }],
      ["Unsqueeze", ["m"], ["u"], { axes: ints([0, 3]) }],
      ["Squeeze", ["u"], ["q"], { axes: ints([0]) }],
    ],
  },
  {
    name: "Resize, Pad, ReduceSum, Expand, Tile, Clip, opset 13 inputs",
    opset: 13,
    inputs: { x: [1, 3, 8, 8] },
    consts: [
      fl("sc", [4], [1, 1, 2, 2]),
      fl("roi", [0], []),
      i64("sz", [1, 3, 5, 12]),
      i64("pads", [0, 0, 1, 2, 0, 0, 1, 2]),
      i64("rax", [1]),
      i64("eshape", [2, 1, 1, 1]),
      i64("reps", [1, 2, 1, 3]),
      fl("lo", [], [0]),
      fl("hi", [], [6]),
    ],
    nodes: [
      ["Resize", ["x", "roi", "sc"], ["r1"], { mode: string("nearest") }],
      ["Resize", ["x", "roi", "", "sz"], ["r2"], { mode: string("linear") }],
      ["Pad", ["x", "pads"], ["p"]],
      ["ReduceSum", ["x", "rax"], ["rs"]],
      ["Expand", ["x", "eshape"], ["e"]],
      ["Tile", ["x", "reps"], ["t"]],
      ["Clip", ["x", "lo", "hi"], ["c"]],
    ],
  },
  {
    name: "activations, norms, ConvTranspose, DepthToSpace, Cast",
    opset: 17,
    inputs: { x: [1, 8, 4, 4], s: [8, 1, 1] },
    consts: [fl("g", [4]), fl("b", [4]), fl("wt", [8, 4, 2, 2])],
    nodes: [
      ["HardSwish", ["x"], ["hs"]],
      ["HardSigmoid", ["x"], ["hsg"]],
      ["Mul", ["x", "s"], ["ms"]],
      ["Sigmoid", ["ms"], ["sg"]],
      ["Softmax", ["x"], ["sm"], { axis: int(1) }],
      ["LayerNormalization", ["x", "g", "b"], ["ln"], { axis: int(-1) }],
      ["ConvTranspose", ["x", "wt"], ["ct"], { ...s2 }],
      ["DepthToSpace", ["x"], ["d2s"], { blocksize: int(2) }],
      ["Cast", ["x"], ["h"], { to: int(10) }],
      ["Erf", ["x"], ["erf"]],
    ],
  },
];

function irGraph(c: Case) {
  const tensors: Tensor[] = (c.consts ?? []).map((k) =>
    k.type === "float" ? f32(k.name, k.dims, k.values) : int64(k.name, k.values, k.dims)
  );
  const nodes = c.nodes.map(([o, ins, outs, a]) => op(o, ins, outs, a ?? {}));
  return graphOf(nodes, c.inputs, [], tensors, c.opset);
}

const SCRIPT = `
import json, sys
from onnx import helper, TensorProto, shape_inference
def attr(k, a):
    t, v = a["type"], a["value"]
    conv = {"int": int, "float": float, "string": str}
    if t in conv: return helper.make_attribute(k, conv[t](v))
    return helper.make_attribute(k, [int(x) if t == "ints" else float(x) for x in v])
results = []
for m in json.load(sys.stdin):
    nodes = []
    for o, ins, outs, *a in m["nodes"]:
        a = a[0] if a else {}
        n = helper.make_node(o, ins, outs, name=outs[0])
        n.attribute.extend(attr(k, v) for k, v in a.items())
        nodes.append(n)
    inits = [helper.make_tensor(c["name"], TensorProto.FLOAT if c["type"] == "float"
             else TensorProto.INT64, c["dims"], c["values"]) for c in m.get("consts") or []]
    ins = [helper.make_tensor_value_info(k, TensorProto.FLOAT, v) for k, v in m["inputs"].items()]
    g = helper.make_graph(nodes, "t", ins, [], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", m["opset"])])
    inferred = shape_inference.infer_shapes(model, data_prop=True)
    shapes = {}
    for v in inferred.graph.value_info:
        dims = v.type.tensor_type.shape.dim
        if v.type.tensor_type.HasField("shape"):
            shapes[v.name] = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    results.append(shapes)
print(json.dumps(results))
`;

async function onnxShapes(cases: Case[]): Promise<Record<string, (number | null)[]>[]> {
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", SCRIPT],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(cases)));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  assert.ok(success, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

Deno.test({
  name: "inferShapes() agrees with onnx.shape_inference on every shape onnx infers",
  ignore: !has,
  fn: async () => {
    const expected = await onnxShapes(CASES);
    CASES.forEach((c, k) => {
      const ours = inferShapes(irGraph(c));
      const outputs = c.nodes.flatMap(([, , outs]) => outs);
      // onnx 1.12 leaves a few dims open (a Reshape fed by a Shape chain, Slice-1); compare the
      // rank and every dim it knows, and require it to know the rank of all outputs but one
      const compared = outputs.filter((o) => expected[k][o]);
      assert.ok(compared.length >= outputs.length - 1, `${c.name}: onnx inferred ${compared}`);
      for (const o of outputs) {
        const shape = ours.get(o);
        assert.ok(shape, `${c.name}: ${o} has no shape`);
        if (!expected[k][o]) continue;
        const open = expected[k][o].map((d, i) => (d === null ? shape[i] : d));
        assert.deepEqual(shape, open, `${c.name}: ${o} vs onnx [${expected[k][o]}]`);
      }
    });
  },
});
