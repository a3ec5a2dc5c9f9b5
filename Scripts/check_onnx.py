#!/usr/bin/env python3
"""Checks an ONNX file written by stylectl with the onnx package and runs it with ONNX Runtime.

Usage (with .build-goldens/venv/bin/python, the venv Scripts/test makes with PyPI's onnx and
onnxruntime, pinned; the Swift tests of `stylectl export` run it):

  check_onnx.py describe MODEL
      onnx.load's view of the file as JSON on standard output: ir_version, opset_import,
      producer, the graph's nodes (name, op_type, inputs, outputs, attributes), initializers
      (name, data_type, dims, values: null for more than 4096) and inputs and outputs (name,
      elem_type, dims: a number or the dim_param's name).

  check_onnx.py run MODEL --content RAW H W --style RAW H W --alpha A --output OUT
      onnx.checker.check_model(MODEL, full_check=True) (with shape inference), then ONNX Runtime
      (CPU, 2 threads) on content_img (1,3,H,W) and style_img (1,3,H,W), read as raw little-endian
      float32 files, and alpha (shape [1]); writes output_img as raw little-endian float32 to OUT and
      its shape as JSON on standard output.

Any failure (the checker's, ONNX Runtime's) ends with a non-zero exit code and the message on
standard error.
"""

import argparse
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def attribute_value(attribute):
    value = onnx.helper.get_attribute_value(attribute)
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, onnx.TensorProto):
        return {"dims": list(value.dims), "data_type": value.data_type, "values": numpy_helper.to_array(value).ravel().tolist()}
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def small_values(array):
    """The values of a tensor of at most 4096 elements, else None (a network's weights would make
    tens of MB of JSON)."""
    return array.ravel().tolist() if array.size <= 4096 else None


def value_info(info):
    tensor = info.type.tensor_type
    dims = [d.dim_param if d.HasField("dim_param") else d.dim_value for d in tensor.shape.dim]
    return {"name": info.name, "elem_type": tensor.elem_type, "dims": dims}


def describe(path):
    model = onnx.load(path)
    graph = model.graph
    return {
        "ir_version": model.ir_version,
        "opset_import": [{"domain": o.domain, "version": o.version} for o in model.opset_import],
        "producer_name": model.producer_name,
        "producer_version": model.producer_version,
        "graph_name": graph.name,
        "nodes": [
            {
                "name": n.name,
                "op_type": n.op_type,
                "inputs": list(n.input),
                "outputs": list(n.output),
                "attributes": {a.name: attribute_value(a) for a in n.attribute},
            }
            for n in graph.node
        ],
        "initializers": [
            {"name": t.name, "data_type": t.data_type, "dims": list(t.dims), "values": small_values(numpy_helper.to_array(t))}
            for t in graph.initializer
        ],
        "inputs": [value_info(i) for i in graph.input],
        "outputs": [value_info(o) for o in graph.output],
    }


def read_image(path, height, width):
    values = np.fromfile(path, dtype="<f4")
    if values.size != 3 * height * width:
        raise SystemExit(f"{path}: {values.size} floats, expected 3x{height}x{width}")
    return values.reshape(1, 3, height, width)


def run(args):
    import onnxruntime

    onnx.checker.check_model(args.model, full_check=True)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    session = onnxruntime.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    feeds = {
        "content_img": read_image(args.content[0], int(args.content[1]), int(args.content[2])),
        "style_img": read_image(args.style[0], int(args.style[1]), int(args.style[2])),
        "alpha": np.array([args.alpha], dtype=np.float32),
    }
    (output,) = session.run(["output_img"], feeds)
    output.astype("<f4").tofile(args.output)
    return {"shape": list(output.shape)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    describe_command = commands.add_parser("describe")
    describe_command.add_argument("model")
    run_command = commands.add_parser("run")
    run_command.add_argument("model")
    run_command.add_argument("--content", nargs=3, required=True, metavar=("RAW", "H", "W"))
    run_command.add_argument("--style", nargs=3, required=True, metavar=("RAW", "H", "W"))
    run_command.add_argument("--alpha", type=float, required=True)
    run_command.add_argument("--output", required=True)
    args = parser.parse_args()
    result = describe(args.model) if args.command == "describe" else run(args)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
