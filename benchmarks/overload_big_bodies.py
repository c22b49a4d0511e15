#!/usr/bin/env python3
"""Goodput under closed-loop overload with batch bodies (issue 25, item 3).

RandomForest (Tests/WardenONNXTests/Fixtures/random_forest.onnx) with 1,024-row OIP JSON bodies
(~64 KB). wrk on CPU 0 with no back-off (it ignores Retry-After), the server pinned to CPU 1:
first 4 connections (the capacity), then 512 (overload), in the same run. Prints goodput
(200s per second), refusals per second and p99 for each, and the ratio of the two goodputs.

Usage (a release build is what docs/benchmarks.md records; a debug build shows the same shape):
    .venv/bin/python benchmarks/overload_big_bodies.py [.build/release/warden] [--seconds 8]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from paired_wrk import start_serve  # noqa: E402

ROWS = 1024


def body(rows: int) -> str:
    import numpy as np

    x = np.random.default_rng(0).normal(40, 25, size=(rows, 8)).round(3)
    return json.dumps({"inputs": [{"name": "X", "datatype": "FP32", "shape": [rows, 8], "data": x.flatten().tolist()}]})


def run_wrk(port: int, body_file: Path, connections: int, seconds: int) -> dict:
    out = subprocess.run(
        ["taskset", "-c", "0", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(ROOT / "benchmarks" / "wrk_post.lua"), f"http://127.0.0.1:{port}/v2/models/random_forest/infer"],
        capture_output=True, text=True, env=dict(os.environ, WRK_BODY=str(body_file)), check=True)
    summary = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("WRK_JSON "))[9:])
    seconds_run = summary["duration_us"] / 1e6
    refused = summary["errors"]["status"]
    return {"connections": connections, "goodput": (summary["requests"] - refused) / seconds_run,
            "refused": refused / seconds_run, "p99_ms": summary["latency_us"]["p99"] / 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("warden", nargs="?", default=str(ROOT / ".build" / "release" / "warden"))
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="overload-big-"))
    model = work / "random_forest"
    model.mkdir()
    shutil.copyfile(ROOT / "Tests" / "WardenONNXTests" / "Fixtures" / "random_forest.onnx", model / "model.onnx")
    body_file = work / "body.json"
    body_file.write_text(body(ROWS))
    proc, port = start_serve(Path(args.warden), work, "big-bodies", {
        "listen": {"insecure_plaintext": True}, "models": [{"directory": str(model)}],
        "logging": {"level": "warning"}, "limits": {"max_body_bytes": 8 << 20}}, cpus="1")
    try:
        capacity = run_wrk(port, body_file, 4, args.seconds)
        overload = run_wrk(port, body_file, 512, args.seconds)
    finally:
        proc.kill()
        proc.wait()
    print(f"body: {body_file.stat().st_size} bytes, {ROWS} rows; server {args.warden}")
    print("| connections | goodput (200/s) | refused/s | p99 ms |")
    print("|---:|---:|---:|---:|")
    for row in (capacity, overload):
        print(f"| {row['connections']} | {row['goodput']:.1f} | {row['refused']:.1f} | {row['p99_ms']:.0f} |")
    print(f"goodput at 512 ÷ capacity at 4: {overload['goodput'] / capacity['goodput']:.2f}")


if __name__ == "__main__":
    main()
