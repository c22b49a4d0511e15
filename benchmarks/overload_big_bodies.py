#!/usr/bin/env python3
"""Goodput under closed-loop overload with batch bodies (issue 25, item 3).

RandomForest (Tests/WardenONNXTests/Fixtures/random_forest.onnx) with 1,024-row OIP JSON bodies
(~64 KB). wrk on CPU 0 with no back-off (it ignores Retry-After), the server pinned to CPU 1
(this script pins itself to CPU 0 too): first 4 connections (the capacity), then 512
(overload), in the same run. For each server configuration it prints:

- per wrk run: goodput (200s per second), refusals per second, wrk's p50/p99 (a round trip,
  so it includes the time a connection waits in the kernel's accept backlog), wrk's socket
  errors (connect/read/write/timeout), and the server-side p50/p99 of the admitted requests:
  the delta, over the run, of `warden_http_request_duration_seconds` on the infer route with
  status_class="2xx" (the histogram has no `status` label; on this route every 2xx is a 200),
  summed across its other labels, interpolated within buckets as histogram_quantile does;
- the unloaded service time, measured first: 20 sequential requests on one keep-alive
  connection (after 2 uncounted warm-ups), by round trip (median) and server-side (p50/p99);
- Warden's peak RSS (VmHWM), and, after the 512-connection run ends, how long until /readyz on
  the probe port answers 200 and until a POST of the same body on a fresh connection does.

With --tuned, a second configuration runs after the default one: one slot, one queue place and
a maximum queue wait of half the default server's median unloaded service time.

Usage (a release build is what docs/benchmarks.md records; a debug build shows the same shape):
    .venv/bin/python benchmarks/overload_big_bodies.py [.build/release/warden] [--seconds 8] [--tuned]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from paired_wrk import free_port, wait_ready  # noqa: E402

ROWS = 1024
INFER = "/v2/models/random_forest/infer"
HISTOGRAM = "warden_http_request_duration_seconds"
UNLOADED, WARMUP = 20, 2
POLL, GIVE_UP = 0.02, 10.0


def body(rows: int) -> str:
    import numpy as np

    x = np.random.default_rng(0).normal(40, 25, size=(rows, 8)).round(3)
    return json.dumps({"inputs": [{"name": "X", "datatype": "FP32", "shape": [rows, 8], "data": x.flatten().tolist()}]})


def start(warden: Path, work: Path, name: str, config: dict) -> tuple[subprocess.Popen, int, int]:
    """`warden serve` with `config` on CPU 1, like paired_wrk.start_serve (which picks its own
    ports and returns only the serving one), but returning the probe port as well: the
    process, its serving port and its probe port, once ready."""
    port, probe = free_port(), free_port()
    config = {**config, "listen": {**config.get("listen", {}), "host": "127.0.0.1", "port": port, "probe_port": probe}}
    path = work / f"{name}.yaml"
    path.write_text(json.dumps(config))
    log = open(work / f"{name}.log", "w")
    # taskset execs into warden, so this pid is warden's (peak_rss_mib checks).
    process = subprocess.Popen(["taskset", "-c", "1", str(warden), "serve", "--config", str(path)], stdout=log, stderr=log)
    if wait_ready(probe):
        return process, port, probe
    process.kill()
    sys.exit(f"{name} did not become ready; see {work / (name + '.log')}")


def post(connection: http.client.HTTPConnection, payload: bytes, headers: dict | None = None) -> int:
    """One inference POST of `payload` on `connection`, its response read whole: the status."""
    connection.request("POST", INFER, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
    response = connection.getresponse()
    response.read()
    return response.status


def scrape(port: int) -> dict[float, float]:
    """The cumulative buckets (upper bound -> count) of HISTOGRAM on the infer route with
    status_class 2xx, summed across its other labels (protocol, model, version)."""
    # Right after an overload the listener may refuse a new connection from this source (its
    # cap on connections that have sent nothing yet, filled by the backlog of departed clients):
    # retry for a while.
    for attempt in range(50):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", "/metrics")
            text = connection.getresponse().read().decode()
            break
        except ConnectionError:
            time.sleep(0.1)
        finally:
            connection.close()
    else:
        raise RuntimeError("GET /metrics kept failing")
    buckets: dict[float, float] = {}
    for match in re.finditer(rf"^{HISTOGRAM}_bucket\{{(.*)\}} (\S+)$", text, re.M):
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(1)))
        if labels.get("route") == "/v2/models/{model}/infer" and labels.get("status_class") == "2xx":
            bound = float(labels["le"])  # "+Inf" parses as inf
            buckets[bound] = buckets.get(bound, 0.0) + float(match.group(2))
    return buckets


def delta(before: dict[float, float], after: dict[float, float]) -> dict[float, float]:
    """The buckets of the requests recorded between two scrapes."""
    return {bound: count - before.get(bound, 0.0) for bound, count in after.items()}


def quantile(q: float, buckets: dict[float, float]) -> float:
    """Prometheus histogram_quantile over cumulative `buckets`, in seconds: linear within the
    bucket holding rank q x total (from 0 for the first), the highest finite bound if that is
    the +Inf bucket; NaN without observations."""
    bounds = sorted(buckets)
    total = buckets.get(math.inf, 0.0)
    if total <= 0:
        return math.nan
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - below) / (count - below) if count > below else lower
        lower, below = bound, count
    return lower


def server_side(buckets: dict[float, float]) -> dict:
    """Count and p50/p99 (ms) of the 2xx recorded in `buckets`."""
    return {"count": int(buckets.get(math.inf, 0)), "p50_ms": quantile(0.5, buckets) * 1000,
            "p99_ms": quantile(0.99, buckets) * 1000}


def unloaded(port: int, payload: bytes) -> dict:
    """UNLOADED sequential POSTs on one keep-alive connection (after WARMUP uncounted ones): the
    median round trip (ms) and the server-side p50/p99 over them."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for _ in range(WARMUP):
            assert post(connection, payload) == 200
        before = scrape(port)
        round_trips = []
        for _ in range(UNLOADED):
            started = time.perf_counter()
            assert post(connection, payload) == 200
            round_trips.append(time.perf_counter() - started)
    finally:
        connection.close()
    return {"median_rtt_ms": statistics.median(round_trips) * 1000, **server_side(delta(before, scrape(port)))}


def run_wrk(port: int, body_file: Path, connections: int, seconds: int) -> dict:
    """One wrk run: goodput, refusals/s, wrk's p50/p99 (ms) and socket errors, and the
    server-side latency of the 2xx recorded over it (`admitted`)."""
    before = scrape(port)
    out = subprocess.run(
        ["taskset", "-c", "0", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(ROOT / "benchmarks" / "wrk_post.lua"), f"http://127.0.0.1:{port}{INFER}"],
        capture_output=True, text=True, env=dict(os.environ, WRK_BODY=str(body_file)), check=True)
    ended = time.monotonic()
    summary = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("WRK_JSON "))[9:])
    seconds_run = summary["duration_us"] / 1e6
    errors = summary["errors"]
    refused = errors["status"]
    return {"connections": connections, "goodput": (summary["requests"] - refused) / seconds_run,
            "refused": refused / seconds_run, "p50_ms": summary["latency_us"]["p50"] / 1000,
            "p99_ms": summary["latency_us"]["p99"] / 1000,
            "errors": {k: errors[k] for k in ("connect", "read", "write", "timeout")}, "ended": ended, "before": before}


def admitted(port: int, row: dict) -> None:
    """Adds to a wrk `row` the server-side latency of the 2xx recorded since its first scrape."""
    row["admitted"] = server_side(delta(row.pop("before"), scrape(port)))


def until_200(attempt, since: float) -> float | None:
    """Milliseconds from `since` (time.monotonic) until `attempt(timeout)` returns 200, trying
    every POLL seconds; None after GIVE_UP seconds. A refused or failed attempt counts as not yet."""
    deadline = since + GIVE_UP
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            if attempt(remaining) == 200:
                return (time.monotonic() - since) * 1000
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(POLL)
    return None


def readyz(probe: int, timeout: float) -> int:
    """The status of GET /readyz on the probe port, on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", probe, timeout=timeout)
    try:
        connection.request("GET", "/readyz")
        return connection.getresponse().status
    finally:
        connection.close()


def fresh_post(port: int, payload: bytes, timeout: float) -> int:
    """The status of one inference POST on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        return post(connection, payload, {"Connection": "close"})
    finally:
        connection.close()


def recovery(port: int, probe: int, payload: bytes, since: float) -> dict:
    """Both timed from `since` (the end of the overload run), concurrently: ms until /readyz
    answers 200 and until a POST on a fresh connection does (None: not within GIVE_UP)."""
    result: dict = {}
    checks = {"ready_ms": lambda t: readyz(probe, t), "serving_ms": lambda t: fresh_post(port, payload, t)}
    threads = [threading.Thread(target=lambda k=k, f=f: result.__setitem__(k, until_200(f, since))) for k, f in checks.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


def peak_rss_mib(pid: int) -> float:
    """VmHWM of process `pid` (warden: taskset has exec'd into it), in MiB."""
    assert Path(f"/proc/{pid}/comm").read_text().strip() == "warden", "the Popen pid is not warden's"
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) / 1024


def measure(warden: Path, work: Path, name: str, config: dict, body_file: Path, seconds: int) -> dict:
    """One server configuration, end to end: unloaded service time, 4 then 512 connections,
    recovery after the 512, peak RSS. The recovery POST that gets a 200 is recorded before the
    512 run's closing scrape, so the admitted latencies at 512 include that one request."""
    payload = body_file.read_bytes()
    proc, port, probe = start(warden, work, name, config)
    try:
        result = {"name": name, "config": config, "unloaded": unloaded(port, payload)}
        capacity = run_wrk(port, body_file, 4, seconds)
        admitted(port, capacity)
        overload = run_wrk(port, body_file, 512, seconds)
        result["recovery"] = recovery(port, probe, payload, overload["ended"])
        admitted(port, overload)
        result["rows"] = [capacity, overload]
        result["peak_rss_mib"] = peak_rss_mib(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    return result


def queue_wait_seconds(ms: int) -> float:
    """`ms` as seconds that Warden reads back as exactly `ms` milliseconds (it truncates
    seconds x 1000 to an integer)."""
    seconds = ms / 1000
    return seconds if int(seconds * 1000) == ms else math.nextafter(seconds, math.inf)


def ms(value: float | None) -> str:
    """A millisecond cell: one decimal, or n/a."""
    return "n/a" if value is None or math.isnan(value) else f"{value:.1f}"


def report(result: dict) -> None:
    """The Markdown table of one configuration and its summary lines."""
    print(f"\n### {result['name']}: resilience {json.dumps(result['config'].get('resilience', 'default'))}")
    print("| connections | goodput (200/s) | refused/s | wrk p50 ms | wrk p99 ms | admitted p50 ms (server) "
          "| admitted p99 ms (server) | 2xx counted (server) | errors connect/read/write/timeout |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in result["rows"]:
        a, e = row["admitted"], row["errors"]
        print(f"| {row['connections']} | {row['goodput']:.1f} | {row['refused']:.1f} | {ms(row['p50_ms'])} "
              f"| {ms(row['p99_ms'])} | {ms(a['p50_ms'])} | {ms(a['p99_ms'])} | {a['count']} "
              f"| {e['connect']}/{e['read']}/{e['write']}/{e['timeout']} |")
    capacity, overload = result["rows"]
    u = result["unloaded"]
    print(f"goodput at 512 ÷ capacity at 4: {overload['goodput'] / capacity['goodput']:.2f}")
    print(f"unloaded ({UNLOADED} sequential, keep-alive): median round trip {ms(u['median_rtt_ms'])} ms; "
          f"server p50 {ms(u['p50_ms'])} ms, p99 {ms(u['p99_ms'])} ms")
    print(f"admitted server p99 at 512 ÷ unloaded server p99: {overload['admitted']['p99_ms'] / u['p99_ms']:.2f}")
    print(f"peak RSS (VmHWM): {result['peak_rss_mib']:.1f} MiB")
    print(f"after the 512 run: ready (/readyz 200) after {ms(result['recovery']['ready_ms'])} ms, "
          f"serving (fresh-connection POST 200) after {ms(result['recovery']['serving_ms'])} ms "
          f"(polled every {POLL * 1000:.0f} ms, n/a = not within {GIVE_UP:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("warden", nargs="?", default=str(ROOT / ".build" / "release" / "warden"))
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--tuned", action="store_true",
                        help="then run concurrency 1, queue 1, max queue wait = half the median unloaded service time")
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})  # this script's own requests and scrapes stay off the server's CPU
    work = Path(tempfile.mkdtemp(prefix="overload-big-"))
    model = work / "random_forest"
    model.mkdir()
    shutil.copyfile(ROOT / "Tests" / "WardenONNXTests" / "Fixtures" / "random_forest.onnx", model / "model.onnx")
    body_file = work / "body.json"
    body_file.write_text(body(ROWS))
    base = {"listen": {"insecure_plaintext": True}, "models": [{"directory": str(model)}],
            "logging": {"level": "warning"}, "limits": {"max_body_bytes": 8 << 20}}
    results = [measure(Path(args.warden), work, "default", base, body_file, args.seconds)]
    if args.tuned:
        wait_ms = max(1, round(results[0]["unloaded"]["median_rtt_ms"] / 2))
        resilience = {"concurrency": 1, "queue_capacity": 1, "max_queue_wait_seconds": queue_wait_seconds(wait_ms)}
        tuned = {**base, "resilience": resilience}
        results.append(measure(Path(args.warden), work, "tuned", tuned, body_file, args.seconds))
    print(f"body: {body_file.stat().st_size} bytes, {ROWS} rows; server {args.warden}")
    for result in results:
        report(result)


if __name__ == "__main__":
    main()
