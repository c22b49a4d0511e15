#!/usr/bin/env python3
"""gRPC against REST on the churn model, and against a bare grpc-swift handler (issue 22, item 6).

All three servers are pinned to CPU 1 and loaded from CPU 0, one after the other in one run:
  1. warden serve, REST: wrk POSTing the one-row OIP JSON request (what tritonclient.http sends
     without binary data);
  2. the same warden serve, gRPC: warden-grpc-bench's load client sending the same row as a
     ModelInferRequest with raw contents (what tritonclient.grpc sends);
  3. warden-grpc-bench's ceiling: a bare grpc-swift unary ModelInfer handler answering a fixed
     response, loaded by the same client: what this gRPC stack can do on that core at all.
Prints requests/s, p50 and p99 of each, the server's and the load client's CPU share (a server
under 100 % means the client, not the server, was the limit) and the ratios gRPC/REST and
gRPC/ceiling.

Usage (release builds; docs/benchmarks.md records what it printed):
    swift build -c release --product warden && swift build -c release --product warden-grpc-bench
    .venv/bin/python benchmarks/grpc_vs_rest.py [--seconds 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from paired_wrk import CHURN_ROW, free_port, one_row_body, start_serve, wrk  # noqa: E402

RELEASE = ROOT / ".build" / "release"


def grpc_request(contract: dict) -> bytes:
    """The churn row as a serialized ModelInferRequest with raw contents, made by tritonclient."""
    import numpy as np
    from tritonclient.grpc import service_pb2

    numpy_types = {"INT64": np.int64, "FP32": np.float32}
    request = service_pb2.ModelInferRequest(model_name="churn")
    for spec in contract["inputs"]:
        request.inputs.add(name=spec["name"], datatype=spec["datatype"], shape=[1, 1])
        value = CHURN_ROW[spec["name"]]
        if spec["datatype"] == "BYTES":
            encoded = str(value).encode()
            request.raw_input_contents.append(len(encoded).to_bytes(4, "little") + encoded)
        else:
            request.raw_input_contents.append(np.array([[value]], dtype=numpy_types[spec["datatype"]]).tobytes())
    return request.SerializeToString()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks of 1/100 s


def grpc_load(port: int, request: Path, callers: int, seconds: int, server_pid: int) -> dict:
    server_before = cpu_seconds(server_pid)
    process = subprocess.Popen(["taskset", "-c", "0", str(RELEASE / "warden-grpc-bench"), "load", str(port), str(request),
                                str(callers), str(seconds)], stdout=subprocess.PIPE, text=True)
    used = 0.0
    while process.poll() is None:
        try:
            used = cpu_seconds(process.pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.2)
    result = json.loads(process.stdout.read())
    return {"rps": result["requests"] / seconds, "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"],
            "errors": result["errors"], "client_cpu": used / seconds, "server_cpu": (cpu_seconds(server_pid) - server_before) / seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grpc-vs-rest-"))
    contract = json.loads((ROOT / "examples" / "churn" / "warden-model.json").read_text())
    body = work / "row.json"
    body.write_text(json.dumps(one_row_body(contract)))
    request = work / "row.pb"
    request.write_bytes(grpc_request(contract))

    grpc_port = free_port()
    config = {"listen": {"insecure_plaintext": True, "grpc_port": grpc_port},
              "models": [{"directory": str(ROOT / "examples" / "churn")}]}
    server, port = start_serve(RELEASE / "warden", work, "warden", config)
    try:
        wrk(f"http://127.0.0.1:{port}/v2/models/churn/infer", body, 2, args.connections)  # warm-up
        before = cpu_seconds(server.pid)
        rest = wrk(f"http://127.0.0.1:{port}/v2/models/churn/infer", body, args.seconds, args.connections)
        rest["server_cpu"] = (cpu_seconds(server.pid) - before) / args.seconds
        grpc_load(grpc_port, request, args.connections, 2, server.pid)  # warm-up
        grpc = grpc_load(grpc_port, request, args.connections, args.seconds, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    ceiling_port = free_port()
    ceiling_server = subprocess.Popen(["taskset", "-c", "1", str(RELEASE / "warden-grpc-bench"), "ceiling", str(ceiling_port)])
    try:
        time.sleep(1)
        grpc_load(ceiling_port, request, args.connections, 2, ceiling_server.pid)  # warm-up
        ceiling = grpc_load(ceiling_port, request, args.connections, args.seconds, ceiling_server.pid)
    finally:
        ceiling_server.terminate()
        ceiling_server.wait(timeout=30)

    print(f"churn, one row, {args.connections} connections, {args.seconds} s each; servers on CPU 1, load on CPU 0")
    print(f"{'':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'server CPU':>10} {'client CPU':>10}")
    print(f"{'warden REST (wrk, JSON)':28} {rest['rps']:9.0f} {'':>8} {rest['p99_us'] / 1000:8.2f} {rest['server_cpu']:10.0%}")
    for name, row in (("warden gRPC (raw contents)", grpc), ("bare grpc-swift handler", ceiling)):
        print(f"{name:28} {row['rps']:9.0f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} {row['server_cpu']:10.0%} "
              f"{row['client_cpu']:10.0%}")
    print(f"gRPC / REST = {grpc['rps'] / rest['rps']:.2f}; gRPC / bare handler = {grpc['rps'] / ceiling['rps']:.2f}"
          f"; errors: gRPC {grpc['errors']}, ceiling {ceiling['errors']}")


if __name__ == "__main__":
    main()
