#!/usr/bin/env python3
"""Warden's ONNX engine against onnxruntime, side by side, in one run on this machine.

Trains the benchmark models (the churn logistic pipeline, RandomForest with 100 trees,
XGBoost with 100 trees of depth 6, LightGBM with 100 trees, an MLP), converts them with the
real converters, then for each model times:

- batch 1: median and p99 latency of one call, over --calls calls (default 2000);
- batch 1024: rows per second.

onnxruntime runs in this Python process with intra_op_num_threads=1 (and one inter-op
thread), as a single-core serving worker would; its per-call time includes the Python
binding, which is what a Python server pays. Warden runs in its own process through
`warden onnx bench`, which times `InferenceSession.run` alone. Both see the same rows.

Usage (after `swift build -c release`):
    .venv/bin/python benchmarks/onnx_engine.py [--warden .build/release/warden] [--calls 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts" / "fixtures"))

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

import make_onnx_fixtures as fixtures  # noqa: E402  (data generator and converters)


def train_models(rows: int):
    """The benchmark models, as (name, onnx model, feed builder)."""
    import lightgbm as lgb
    import onnxmltools
    import xgboost as xgb
    from onnxmltools.convert.common.data_types import FloatTensorType as MLFloat
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from skl2onnx import convert_sklearn

    rng = np.random.default_rng(7)
    frame, targets = fixtures.make_churn(rows, rng)
    y = targets["churn"]
    raw = fixtures.numeric_matrix(frame)
    imputed = SimpleImputer(strategy="median").fit_transform(raw).astype(np.float32)

    models = []
    pipe = fixtures.build_pipeline(frame, y)
    pipe_onnx = convert_sklearn(pipe, initial_types=fixtures.pipeline_initial_types(frame), options={"zipmap": False})
    models.append(("logistic pipeline", pipe_onnx, "columns", frame))

    rf = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1, max_depth=12).fit(imputed, y)
    models.append(("RandomForest(100)", fixtures.skl_matrix(rf, imputed), "matrix", imputed))

    xb = xgb.XGBClassifier(n_estimators=100, max_depth=6, random_state=0, n_jobs=1, tree_method="hist").fit(raw, y)
    types = [("input", MLFloat([None, raw.shape[1]]))]
    models.append(("XGBoost(100, depth 6)", onnxmltools.convert_xgboost(xb, initial_types=types), "matrix", raw))

    lb = lgb.LGBMClassifier(n_estimators=100, num_leaves=31, random_state=0, n_jobs=1, verbose=-1).fit(raw, y)
    lgb_onnx = onnxmltools.convert_lightgbm(lb, initial_types=types, zipmap=False)
    models.append(("LightGBM(100)", lgb_onnx, "matrix", raw))

    mlp = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=300, random_state=0))
    mlp.fit(imputed, y)
    models.append(("MLP(64, 32)", fixtures.skl_matrix(mlp, imputed), "matrix", imputed))
    return models


def feed(model, kind: str, data, rows: slice) -> dict[str, np.ndarray]:
    if kind == "matrix":
        (inp,) = model.graph.input
        return {inp.name: np.ascontiguousarray(data[rows])}
    part = data.iloc[rows]
    result = {}
    for inp in model.graph.input:
        column = part[[inp.name]].to_numpy()
        elem = inp.type.tensor_type.elem_type
        if elem == 8:
            result[inp.name] = column.astype(str).astype(object)
        elif elem == 7:
            result[inp.name] = column.astype(np.int64)
        else:
            result[inp.name] = column.astype(np.float64).astype(np.float32)
    return result


def ort_timings(model, batch: dict, calls: int) -> list[float]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    for _ in range(min(200, calls)):
        session.run(None, batch)
    samples = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        session.run(None, batch)
        samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def summarize(samples: list[float], rows: int) -> dict:
    ordered = sorted(samples)
    return {
        "median_us": ordered[len(ordered) // 2],
        "p99_us": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "rows_per_s": rows * len(samples) / (sum(samples) / 1e6),
    }


def warden_timings(warden: str, model_path: Path, batch_path: Path, calls: int) -> dict:
    out = subprocess.run(
        [warden, "onnx", "bench", str(model_path), "--input", str(batch_path), "--iterations", str(calls)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warden", default=str(ROOT / ".build" / "release" / "warden"))
    parser.add_argument("--calls", type=int, default=2000, help="timed batch-1 calls")
    parser.add_argument("--big-calls", type=int, default=100, help="timed batch-1024 calls")
    parser.add_argument("--rows", type=int, default=20000, help="training rows")
    parser.add_argument("--only", help="run only models whose name contains this text")
    parser.add_argument("--save", help="also keep each model and its batch-1024 input in this directory (for profiling)")
    args = parser.parse_args()

    print(f"onnxruntime {ort.__version__}, intra_op_num_threads=1; warden: {args.warden}", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, model, kind, data in train_models(args.rows):
            if args.only and args.only.lower() not in name.lower():
                continue
            model_path = Path(tmp) / "model.onnx"
            model_path.write_bytes(model.SerializeToString())
            row = {"model": name}
            for batch_size, calls in ((1, args.calls), (1024, args.big_calls)):
                start = 100
                batch = feed(model, kind, data, slice(start, start + batch_size))
                batch_path = Path(tmp) / "batch.json"
                batch_path.write_text(json.dumps(batch_json(batch)))
                if args.save:
                    stem = Path(args.save) / "".join(c if c.isalnum() else "_" for c in name)
                    Path(args.save).mkdir(parents=True, exist_ok=True)
                    stem.with_suffix(".onnx").write_bytes(model.SerializeToString())
                    (stem.parent / f"{stem.name}.b{batch_size}.json").write_text(batch_path.read_text())
                ort_stats = summarize(ort_timings(model, batch, calls), batch_size)
                warden_stats = warden_timings(args.warden, model_path, batch_path, calls)
                row[batch_size] = (ort_stats, warden_stats)
            results.append(row)
            print(format_row(row), flush=True)
    print()
    print(table(results))


def batch_json(batch: dict[str, np.ndarray]) -> dict:
    out = {}
    for name, array in batch.items():
        if array.dtype == object:
            out[name] = array.tolist()
        elif array.dtype.kind == "f":
            out[name] = [[None if np.isnan(v) else float(v) for v in row] for row in array.tolist()]
        else:
            out[name] = array.tolist()
    return out


def format_row(row: dict) -> str:
    (o1, w1), (o2, w2) = row[1], row[1024]
    return (f"{row['model']}: batch 1 median ORT {o1['median_us']:.1f} µs, Warden {w1['median_us']:.1f} µs; "
            f"batch 1024 ORT {o2['rows_per_s']:,.0f} rows/s, Warden {w2['rows_per_s']:,.0f} rows/s")


def table(results: list[dict]) -> str:
    lines = [
        "| model | ORT b1 median µs | Warden b1 median µs | ratio | ORT b1 p99 µs | Warden b1 p99 µs |"
        " ORT b1024 rows/s | Warden b1024 rows/s | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results:
        (o1, w1), (o2, w2) = row[1], row[1024]
        lines.append(
            f"| {row['model']} | {o1['median_us']:.1f} | {w1['median_us']:.1f} | {o1['median_us'] / w1['median_us']:.2f}× faster |"
            f" {o1['p99_us']:.1f} | {w1['p99_us']:.1f} | {o2['rows_per_s']:,.0f} | {w2['rows_per_s']:,.0f} |"
            f" {w2['rows_per_s'] / o2['rows_per_s']:.2f}× |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
