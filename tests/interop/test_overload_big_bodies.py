"""Closed-loop overload with batch bodies (issue 25, item 3): wrk with no back-off sends
1,024-row OIP bodies (~64 KB) to the random forest, first on 4 connections (the capacity),
then on 512, in one test. Clients that ignore Retry-After and reconnect at once used to make
Warden spend its core refusing them (goodput fell to 0.08 of capacity, then 0.35 once shed
requests' bodies were no longer drained). The accept gate leaves connections it could not
admit in the kernel's backlog, so the requests it does admit keep the core.

Asserted loosely (a debug build, on the CI machine's 2 cores shared with wrk): goodput at 512
connections at least 0.6 of the 4-connection capacity, admitted requests' server-side p99 within
twice the unloaded one (the admission settings of test_overload: one slot, one queue place, a
queue wait of half a service time), memory bounded, ready within 1 s of the load stopping, and
serving a new connection soon after. benchmarks/overload_big_bodies.py measures it on a release
build."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import requests

from test_overload import rss_kib, wrk_binary, wrk_summary

ROOT = Path(__file__).resolve().parents[2]
LUA = ROOT / "benchmarks" / "wrk_post.lua"
ROWS = 1024


@pytest.fixture(scope="module")
def big_body(tmp_path_factory) -> Path:
    x = np.random.default_rng(0).normal(40, 25, size=(ROWS, 8)).round(3)
    path = tmp_path_factory.mktemp("bodies") / "rows-1024.json"
    path.write_text(json.dumps({"inputs": [{"name": "X", "datatype": "FP32", "shape": [ROWS, 8],
                                            "data": x.flatten().tolist()}]}))
    return path


def pin(pid: int, cpu: int) -> None:
    """Every thread of the server on one CPU, wrk on the other: the benchmark's topology."""
    subprocess.run(["taskset", "-a", "-p", "-c", str(cpu), str(pid)], check=True, capture_output=True)


def infer(server, body: bytes) -> requests.Response:
    # A new connection each time, as a client arriving during the overload would have.
    return requests.post(f"{server.url}/v2/models/random_forest/infer", data=body,
                         headers={"Content-Type": "application/json", "Connection": "close"}, timeout=30)


def run_wrk(server, body: Path, connections: int, seconds: int) -> dict:
    out = subprocess.run(
        ["taskset", "-c", "0", wrk_binary(), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
         "-s", str(LUA), f"{server.url}/v2/models/random_forest/infer"],
        capture_output=True, text=True, env=dict(os.environ, WRK_BODY=str(body)), check=True)
    summary = wrk_summary(out.stdout)
    elapsed = summary["duration_us"] / 1e6
    return {"connections": connections, "goodput_rps": (summary["requests"] - summary["errors"]["status"]) / elapsed,
            "refused_rps": summary["errors"]["status"] / elapsed, "errors": summary["errors"]}


def admitted_latencies(server, since: int) -> np.ndarray:
    return np.array([float(r["latency_ms"]) for r in server.request_records(since) if r.get("status") == 200])


def test_goodput_holds_at_512_connections_with_big_bodies(start_warden, random_forest_dir, big_body):
    data = big_body.read_bytes()
    calibrate = start_warden(model_dir=random_forest_dir, label="calibrate")
    pin(calibrate.pid, 1)
    mark = calibrate.mark()
    for _ in range(12):
        assert infer(calibrate, data).status_code == 200
    time.sleep(0.3)
    service_ms = float(np.median(admitted_latencies(calibrate, mark)))
    calibrate.stop()

    server = start_warden(label="big-bodies", config={
        "models": [{"directory": str(random_forest_dir)}],
        "limits": {"max_body_bytes": 8 << 20},
        "resilience": {"concurrency": 1, "queue_capacity": 1, "max_queue_wait_seconds": round(service_ms / 2000, 4)},
    })
    pin(server.pid, 1)
    mark = server.mark()
    for _ in range(20):
        assert infer(server, data).status_code == 200
    time.sleep(0.3)
    unloaded_p99 = float(np.percentile(admitted_latencies(server, mark), 99))
    rss_before = rss_kib(server.pid)

    capacity = run_wrk(server, big_body, 4, 6)
    mark = server.mark()
    overload = run_wrk(server, big_body, 512, 8)
    rss_peak = rss_kib(server.pid)

    stopped = time.monotonic()
    assert requests.get(f"{server.probe_url}/readyz", timeout=5).status_code == 200
    ready_ms = (time.monotonic() - stopped) * 1000
    while infer(server, data).status_code != 200 and time.monotonic() - stopped < 5:
        time.sleep(0.02)
    serving_ms = (time.monotonic() - stopped) * 1000

    time.sleep(0.5)
    admitted = admitted_latencies(server, mark)
    others = sorted({r["status"] for r in server.request_records(mark)} - {200, 503})
    report = {
        "service_ms": round(service_ms, 1), "capacity": capacity, "overload": overload,
        "ratio": round(overload["goodput_rps"] / capacity["goodput_rps"], 2),
        "unloaded_p99_ms": round(unloaded_p99, 1), "admitted_p99_ms": round(float(np.percentile(admitted, 99)), 1),
        "rss_before_mib": round(rss_before / 1024, 1), "rss_after_mib": round(rss_peak / 1024, 1),
        "ready_ms": round(ready_ms, 1), "serving_ms": round(serving_ms, 1),
    }
    print("BIG_BODIES", json.dumps(report))
    assert not others, f"statuses other than 200 and 503: {others}"
    assert report["ratio"] >= 0.6, report
    assert report["admitted_p99_ms"] <= 2 * unloaded_p99, report
    assert rss_peak - rss_before < 256 * 1024, report
    # Ready at once; a new connection waits behind the short backlog of clients that left
    # (0.4 s measured here; 2 s with the default backlog of 256, and up to 7 s when its SYN
    # was dropped by a full one).
    assert ready_ms < 1000 and serving_ms < 2000, report
