"""A real ONNX model whose cost is set by the request: a chain of dense 256x256 layers, so a
request of N rows costs N times one row. Resilience tests use it as "a model that is slow"."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WIDTH = 256
LAYERS = 8


def write_slow_model(directory: Path, name: str = "slow", width: int = WIDTH, layers: int = LAYERS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    nodes, initializers = [], []
    current = "X"
    for layer in range(layers):
        weight = (rng.standard_normal((width, width)) / np.sqrt(width)).astype(np.float32)
        initializers.append(numpy_helper.from_array(weight, f"W{layer}"))
        product, activated = f"P{layer}", ("Y" if layer == layers - 1 else f"A{layer}")
        nodes.append(helper.make_node("MatMul", [current, f"W{layer}"], [product]))
        nodes.append(helper.make_node("Tanh", [product], [activated]))
        current = activated
    graph = helper.make_graph(
        nodes, "slow",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, width])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, width])],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, directory / "model.onnx")
    (directory / "warden-model.json").write_text(json.dumps({
        "name": name, "version": "1",
        "inputs": [{"name": "X", "datatype": "FP32", "shape": [-1, width]}],
        "outputs": [{"name": "Y", "datatype": "FP32", "shape": [-1, width]}],
    }))
    return directory


def slow_request(rows: int, width: int = WIDTH) -> dict:
    """An OIP v2 request of `rows` rows: its cost grows linearly with `rows`."""
    return {"inputs": [{"name": "X", "datatype": "FP32", "shape": [rows, width], "data": [0.5] * (rows * width)}]}
