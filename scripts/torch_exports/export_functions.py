"""The MobileOne train network of export.py exported with its modules as ONNX local functions.

torch.onnx.export(..., export_modules_as_functions=True) (and the dynamo exporter of torch 2.1 to
2.4) puts every Conv / BatchNormalization inside FunctionProtos; the main graph holds one node
(export.MobileOneNet) calling the nested functions. The fixture of the inlining tests
(tests/onnx/inline_test.ts): inlined, then fused, it must match mobileone.deploy.onnx.

  mobileone.train_functions.onnx   export.build(MobileOneNet, seed 1) as NAME.train.onnx
                                   (TrainingMode.EVAL, constant folding, dynamic batch) but
                                   opset 15 (the least that exports modules as functions)

Not byte-for-byte deterministic: the order of the functions and of their attribute lists varies
between runs (torch 1.13's exporter iterates sets of objects); the weights and graphs do not.
Not in manifest.json (export.py's tests read every file there as a flat graph).

Usage: /usr/bin/python3 scripts/torch_exports/export_functions.py [OUT_DIR]
       (default tests/testdata/torch)
"""
import os
import sys

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export as E  # noqa: E402


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "testdata", "torch")
    os.makedirs(out, exist_ok=True)
    torch.set_grad_enabled(False)
    name, cls, seed = E.NETWORKS[0]
    assert name == "mobileone"
    model = E.build(cls, seed)
    path = os.path.join(out, f"{name}.train_functions.onnx")
    torch.manual_seed(0)
    x = torch.randn(*E.INPUT_SHAPE)
    torch.onnx.export(model, x, path, input_names=[E.INPUT_NAME], output_names=[E.OUTPUT_NAME],
                      opset_version=15, training=torch.onnx.TrainingMode.EVAL,
                      do_constant_folding=True, export_modules_as_functions=True,
                      dynamic_axes={E.INPUT_NAME: {0: "batch"}, E.OUTPUT_NAME: {0: "batch"}})
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    print(f"{path}: {os.path.getsize(path)} bytes, {len(m.functions)} functions, main graph "
          f"{[n.domain + '.' + n.op_type for n in m.graph.node]}")


if __name__ == "__main__":
    main()
