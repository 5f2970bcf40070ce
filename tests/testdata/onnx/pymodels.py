"""Small ONNX models written by onnx's own Python helpers, for decode/encode interop tests.

Usage (Debian's python3-onnx 1.12: IR <= 8, opset <= 17):
  python3 pymodels.py make DIR      write exported.onnx, external.onnx (+ .data), legacy.onnx,
                                     functions.onnx into DIR
  python3 pymodels.py check FILE    onnx.checker.check_model(full_check=True)
  python3 pymodels.py same A B      exit 1 with a diff when the models differ, tensors compared by
                                     value (raw_data vs float_data, external vs inline) and
                                     initializers by name; node doc strings ignored, an
                                     opset domain "" the same whether set or not
  python3 pymodels.py fixture DIR   write the committed fixture tiny.onnx + tiny.onnx.data
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)


def weights(name, *shape, raw=True):
    a = rng.standard_normal(shape).astype(np.float32)
    if raw:
        return numpy_helper.from_array(a, name)
    return helper.make_tensor(name, TensorProto.FLOAT, shape, a.flatten().tolist())


def with_model_fields(model):
    model.producer_name = "pytorch"
    model.producer_version = "1.13.1"
    model.domain = "ai.repstem.test"
    model.model_version = 3
    model.doc_string = "exported for the decode/encode tests"
    helper.set_model_props(model, {"author": "repstem", "license": "MIT"})
    return model


def exported():
    """Like a TorchScript export: dynamic batch, Constant nodes, int64 shape initializers."""
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 8, 8])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 10])
    nodes = [
        helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["c"], name="Conv_0",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2], group=1),
        helper.make_node("Constant", [], ["k"], name="Constant_1",
                         value=numpy_helper.from_array(np.array(0.5, np.float32))),
        helper.make_node("Mul", ["c", "k"], ["m"], name="Mul_2"),
        helper.make_node("LeakyRelu", ["m"], ["a"], name="LeakyRelu_3", alpha=0.1),
        helper.make_node("Pad", ["a", "pads"], ["p"], name="Pad_4", mode="reflect"),
        helper.make_node("Reshape", ["p", "shape"], ["f"], name="Reshape_5"),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["output"], name="Gemm_6",
                         alpha=1.0, beta=1.0, transB=1),
    ]
    inits = [
        weights("conv.weight", 4, 3, 3, 3), weights("conv.bias", 4),
        numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads"),
        numpy_helper.from_array(np.array([0, -1], np.int64), "shape"),
        weights("fc.weight", 10, 144), weights("fc.bias", 10),
    ]
    graph = helper.make_graph(nodes, "torch_jit", [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    model = onnx.shape_inference.infer_shapes(with_model_fields(model))
    return model


def legacy():
    """Opset 11, IR 6: initializers listed as inputs, float_data, If subgraphs, com.microsoft."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    w = weights("w", 4, raw=False)
    then_out = helper.make_tensor_value_info("t", TensorProto.FLOAT, None)
    else_out = helper.make_tensor_value_info("e", TensorProto.FLOAT, None)
    then_g = helper.make_graph([helper.make_node("Relu", ["s"], ["t"])], "then", [], [then_out])
    else_g = helper.make_graph([helper.make_node("Neg", ["s"], ["e"])], "else", [], [else_out])
    nodes = [
        helper.make_node("Add", ["x", "w"], ["s"], name="add"),
        helper.make_node("Constant", [], ["cond"], name="cond",
                         value=helper.make_tensor("c", TensorProto.BOOL, [], [True])),
        helper.make_node("If", ["cond"], ["i"], name="if", then_branch=then_g,
                         else_branch=else_g),
        helper.make_node("Gelu", ["i"], ["g"], name="gelu", domain="com.microsoft"),
        helper.make_node("Mul", ["g", "scale"], ["y"], name="mul"),
    ]
    scale = weights("scale", 4)
    inputs = [x, helper.make_tensor_value_info("w", TensorProto.FLOAT, [4]),
              helper.make_tensor_value_info("scale", TensorProto.FLOAT, [4])]
    graph = helper.make_graph(nodes, "legacy", inputs, [y], [w, scale])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 6
    return with_model_fields(model)


def functions():
    """IR 8, opset 17: a model-local function, an int64 input, FLOATS and STRINGS Constants."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    idx = helper.make_tensor_value_info("idx", TensorProto.INT64, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 2])
    fn = helper.make_function(
        "custom.ops", "AddRelu", ["a", "b"], ["r"],
        [helper.make_node("Add", ["a", "b"], ["s"]), helper.make_node("Relu", ["s"], ["r"])],
        [helper.make_opsetid("", 17)])
    nodes = [
        helper.make_node("AddRelu", ["x", "bias"], ["h"], name="fn", domain="custom.ops"),
        helper.make_node("Gather", ["h", "idx"], ["y"], name="gather", axis=1),
        helper.make_node("Constant", [], ["scales"], name="floats", value_floats=[1.0, 2.5]),
        helper.make_node("Constant", [], ["labels"], name="strings", value_strings=["a", "b"]),
    ]
    graph = helper.make_graph(nodes, "functions", [x, idx], [y], [weights("bias", 4)])
    graph.doc_string = "a graph doc string"
    model = helper.make_model(graph, functions=[fn], opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("custom.ops", 1)])
    model.ir_version = 8
    return with_model_fields(model)


def make(folder):
    model = exported()
    onnx.save_model(model, os.path.join(folder, "exported.onnx"))
    onnx.save_model(model, os.path.join(folder, "external.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="external.onnx.data",
                    size_threshold=0, convert_attribute=True)
    onnx.save_model(legacy(), os.path.join(folder, "legacy.onnx"))
    onnx.save_model(functions(), os.path.join(folder, "functions.onnx"))


def fixture(folder):
    """A few-KB committed model with external data, so some interop runs without python."""
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 2, 3, 3])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 4])
    nodes = [
        helper.make_node("Conv", ["input", "w"], ["c"], name="conv", kernel_shape=[3, 3]),
        helper.make_node("Constant", [], ["k"], name="k",
                         value=numpy_helper.from_array(np.array([2.0], np.float32))),
        helper.make_node("Mul", ["c", "k"], ["m"], name="mul"),
        helper.make_node("Reshape", ["m", "shape"], ["output"], name="reshape"),
    ]
    inits = [weights("w", 4, 2, 3, 3), numpy_helper.from_array(np.array([0, -1], np.int64), "shape")]
    graph = helper.make_graph(nodes, "tiny", [x], [y], inits)
    model = with_model_fields(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    model.ir_version = 7
    onnx.checker.check_model(model, full_check=True)
    onnx.save_model(model, os.path.join(folder, "tiny.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="tiny.onnx.data", size_threshold=0,
                    convert_attribute=True)


def all_tensors(model):
    def in_graph(g):
        yield from g.initializer
        for n in g.node:
            yield from in_node(n)

    def in_node(n):
        for a in n.attribute:
            if a.HasField("t"):
                yield a.t
            yield from a.tensors
            if a.HasField("g"):
                yield from in_graph(a.g)
            for g in a.graphs:
                yield from in_graph(g)

    yield from in_graph(model.graph)
    for f in model.functions:
        for n in f.node:
            yield from in_node(n)


def normalized(path):
    model = onnx.load(path)
    for t in all_tensors(model):
        t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t), t.name))
    inits = sorted(model.graph.initializer, key=lambda t: t.name)
    del model.graph.initializer[:]
    model.graph.initializer.extend(inits)
    for n in model.graph.node:
        n.ClearField("doc_string")
    for o in model.opset_import:
        if not o.domain:
            o.ClearField("domain")  # domain "" set or not: the same default domain
    return model


def same(a, b):
    ma, mb = normalized(a), normalized(b)
    if ma != mb:
        import difflib
        diff = difflib.unified_diff(str(ma).splitlines(), str(mb).splitlines(), a, b, lineterm="")
        print("\n".join(list(diff)[:80]))
        sys.exit(1)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "make":
        make(*args)
    elif command == "fixture":
        fixture(*args)
    elif command == "check":
        onnx.checker.check_model(onnx.load(args[0]), full_check=True)
    elif command == "same":
        same(*args)
    else:
        sys.exit(f"unknown command {command}")
