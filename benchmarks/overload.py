#!/usr/bin/env python3
"""Goodput and p99 against offered load, with and without load shedding.

An open-loop generator (asyncio, uvloop when installed) sends requests at a fixed rate —
0.5x, 1x, 2x, 5x and 10x the server's measured capacity — whatever the server does, and
times each from its *scheduled* send time, so a backlog shows up in the latency instead of
slowing the load down (no coordinated omission). Each (setting, load) pair gets a fresh
`warden serve` on CPU 1; the generator runs on CPU 0.

The model is a dense chain (tests/interop/slow_model.py, 512 wide, 16 layers) with one
inference slot, so capacity is set by the model rather than by HTTP. Settings:

- shedding: Warden's admission, tuned for latency — one queue place, a maximum queue wait of
  half a service time, refusals at arrival when the predicted wait is too long.
- no shedding: the queue and deadline made unbounded (what a server that queues everything
  does): every request is eventually served, however late.

Goodput counts 200 responses answered within the SLO (default 250 ms) per second. Prints a
Markdown table and writes a PNG (needs matplotlib: requirements/bench.txt).

Usage (after `swift build -c release --product warden`):
    .venv-bench/bin/python benchmarks/overload.py [--duration 6] [--png docs/overload.png]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "interop"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from paired_wrk import start_serve  # noqa: E402
from slow_model import slow_request, write_slow_model  # noqa: E402

WIDTH, LAYERS, ROWS = 512, 16, 4
LOADS = [0.5, 1, 2, 5, 10]
PIN_SERVER = ["taskset", "-c", "1"]
# How late the generator sent each request (its own lag): reported, since it inflates latencies.
lags: list[float] = []


class Server:
    started = 0

    def __init__(self, warden: Path, model_dir: Path, workdir: Path, resilience: dict):
        Server.started += 1
        self.proc, self.port = start_serve(warden, workdir, f"serve-{Server.started}", {
            "listen": {"insecure_plaintext": True}, "models": [{"directory": str(model_dir)}], "resilience": resilience,
            "logging": {"level": "warning"}}, cpus=PIN_SERVER[2])

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def http_request(port: int, body: bytes) -> bytes:
    return (f"POST /v2/models/slow/infer HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    await reader.readexactly(length)
    return status


async def open_loop(port: int, request: bytes, rate: float, duration: float, timeout: float,
                    max_connections: int = 900) -> list[tuple[int | None, float]]:
    """Sends `rate` requests per second for `duration` seconds; (status, latency) for each,
    status None when the request failed or took longer than `timeout`."""
    loop = asyncio.get_running_loop()
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    slots = asyncio.Semaphore(max_connections)
    results: list[tuple[int | None, float]] = []
    lags.clear()

    async def one(scheduled: float) -> None:
        async with slots:
            connection = idle.pop() if idle else await asyncio.open_connection("127.0.0.1", port)
            try:
                lags.append(loop.time() - scheduled)
                connection[1].write(request)
                status = await asyncio.wait_for(read_response(connection[0]), timeout)
                results.append((status, loop.time() - scheduled))
                idle.append(connection)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
                results.append((None, loop.time() - scheduled))
                connection[1].close()

    start = loop.time() + 0.05
    tasks = []
    for index in range(int(rate * duration)):
        scheduled = start + index / rate
        if (wait := scheduled - loop.time()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    for _, writer in idle:
        writer.close()
    return results


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def measure_capacity(port: int, request: bytes) -> tuple[float, float]:
    """Closed loop, 4 connections for 4 s: requests per second and the median latency at one."""
    async def run() -> tuple[float, float]:
        single = await open_loop(port, request, 20, 2, 10)
        connections = [await asyncio.open_connection("127.0.0.1", port) for _ in range(4)]
        done = 0
        end = time.monotonic() + 4

        async def worker(reader, writer):
            nonlocal done
            while time.monotonic() < end:
                writer.write(request)
                if await read_response(reader) == 200:
                    done += 1

        await asyncio.gather(*(worker(r, w) for r, w in connections))
        for _, writer in connections:
            writer.close()
        return done / 4, percentile([latency for _, latency in single], 50)

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warden", type=Path, default=ROOT / ".build" / "release" / "warden")
    parser.add_argument("--duration", type=float, default=6)
    parser.add_argument("--slo-ms", type=float, default=250)
    parser.add_argument("--png", type=Path, default=ROOT / "docs" / "overload.png")
    parser.add_argument("--loads", type=float, nargs="*", default=LOADS)
    parser.add_argument("--server-cpus", default="1", help="CPUs for warden serve (taskset list); the generator is on CPU 0")
    parser.add_argument("--settings", nargs="*", default=["shedding", "no shedding"])
    args = parser.parse_args()
    if not args.warden.exists():
        sys.exit(f"{args.warden} is missing: swift build -c release --product warden")
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    os.sched_setaffinity(0, {0})
    PIN_SERVER[2] = args.server_cpus

    with tempfile.TemporaryDirectory(prefix="warden-overload-") as tmp:
        work = Path(tmp)
        model_dir = write_slow_model(work / "slow", width=WIDTH, layers=LAYERS)
        body = json.dumps(slow_request(ROWS, width=WIDTH)).encode()

        unbounded = {"concurrency": 1, "queue_capacity": 1_000_000, "max_queue_wait_seconds": 3600,
                     "infer_deadline_seconds": 3600}
        server = Server(args.warden, model_dir, work, unbounded)
        capacity, service_s = measure_capacity(server.port, http_request(server.port, body))
        server.stop()
        settings = {
            "shedding": {"concurrency": 1, "queue_capacity": 1, "max_queue_wait_seconds": round(service_s / 2, 4)},
            "no shedding": unbounded,
        }
        print(f"capacity {capacity:.0f} req/s (one slot, closed loop), service {service_s * 1000:.2f} ms; "
              f"{args.duration:g} s per point, SLO {args.slo_ms:g} ms\n")
        print("| setting | offered | offered req/s | goodput req/s | 200 req/s | 503 req/s | failed | p99 of 200s ms | p99 of 503s ms | p99 send lag ms |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        rows = []
        for name, resilience in settings.items():
            if name not in args.settings:
                continue
            for load in args.loads:
                server = Server(args.warden, model_dir, work, resilience)
                rate = load * capacity
                results = asyncio.run(open_loop(server.port, http_request(server.port, body), rate, args.duration,
                                                timeout=2 * args.duration))
                server.stop()
                ok = [latency for status, latency in results if status == 200]
                shed = [latency for status, latency in results if status == 503]
                failed = sum(1 for status, _ in results if status not in (200, 503))
                good = sum(1 for latency in ok if latency * 1000 <= args.slo_ms)
                row = {"setting": name, "load": load, "rate": rate, "goodput": good / args.duration,
                       "ok": len(ok) / args.duration, "shed": len(shed) / args.duration, "failed": failed,
                       "p99": percentile(ok, 99) * 1000, "shed_p99": percentile(shed, 99) * 1000}
                rows.append(row)
                print(f"| {name} | {load:g}x | {rate:.0f} | {row['goodput']:.0f} | {row['ok']:.0f} | {row['shed']:.0f} | "
                      f"{failed} | {row['p99']:.1f} | {row['shed_p99']:.2f} | {percentile(lags, 99) * 1000:.2f} |", flush=True)
        plot(rows, capacity, args.slo_ms, args.png)


def plot(rows: list[dict], capacity: float, slo_ms: float, png: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\nmatplotlib is not installed: no plot (requirements/bench.txt)")
        return
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for name, style in (("shedding", "o-"), ("no shedding", "s--")):
        mine = [r for r in rows if r["setting"] == name]
        loads = [r["load"] for r in mine]
        left.plot(loads, [r["goodput"] for r in mine], style, label=name)
        right.plot(loads, [r["p99"] for r in mine], style, label=name)
    left.axhline(capacity, color="grey", linewidth=0.8, linestyle=":", label="capacity")
    left.set(xscale="log", xlabel="offered load (x capacity)", ylabel=f"goodput (200 within {slo_ms:g} ms, req/s)",
             title="Goodput")
    right.axhline(slo_ms, color="grey", linewidth=0.8, linestyle=":", label="SLO")
    right.set(xscale="log", yscale="log", xlabel="offered load (x capacity)", ylabel="p99 of 200 responses (ms)",
              title="Latency of served requests")
    for axis in (left, right):
        axis.set_xticks(LOADS, [f"{x:g}" for x in LOADS])
        axis.legend()
    figure.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png, dpi=110)
    print(f"\nplot: {png}")


if __name__ == "__main__":
    main()
