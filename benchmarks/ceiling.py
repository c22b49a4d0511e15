#!/usr/bin/env python3
"""Warden against its own framework's ceiling (issue 25, item 1): a bare Hummingbird handler
of the infer route's shape (read the body, answer a fixed OIP v2 response; warden-http-bench,
built from benchmarks/HTTPBench) and `warden serve`, side by side in one run, on one pinned core.

Three pairs, each ceiling and Warden loaded in turn, order alternating per round:
  plain  — plain HTTP: the ceiling; Warden with --insecure-plaintext (its defaults: the
           contract, JSON logs at info, metrics);
  mtls   — mutual TLS 1.3 with a client certificate: the ceiling (certificate chained to the
           CA); Warden (SPIFFE ID parsed and authorized per route), otherwise as plain;
  full   — the production stack: Warden as mtls plus 10 % trace sampling exported over
           OTLP/HTTP to a sink in this process; its ceiling is the mTLS one.
The request is the quickstart's two-row churn request (examples/requests/churn-infer.json).
Servers on CPU 1; wrk -t1 and this script (the OTLP sink) on CPU 0; mTLS through
../shared/tools/mtls-load (an LD_PRELOAD shim built here). Prints req/s and p99 per round and
the median of the paired ratios Warden ÷ ceiling. Goals: full ≥ 0.5× the plain ceiling,
plain ≥ 0.6×.

Usage (release builds; docs/benchmarks.md records what it printed):
    swift build -c release --product warden && swift build -c release --product warden-http-bench
    .venv/bin/python benchmarks/ceiling.py [--duration 8] [--rounds 3] [--connections 16]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from observability import Collector  # noqa: E402
from paired_wrk import free_port, mtls_wrk, start_serve, wrk  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / ".build" / "release"
CHURN = ROOT / "examples" / "churn"
BODY = ROOT / "examples" / "requests" / "churn-infer.json"
DOMAIN = "bench.test"


def start_ceiling(work: Path, tls: list[str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = open(work / f"ceiling-{port}.log", "w")
    process = subprocess.Popen(["taskset", "-c", "1", str(RELEASE / "warden-http-bench"), str(port), *tls], stdout=log, stderr=log)
    time.sleep(1)
    if process.poll() is not None:
        sys.exit(f"the ceiling did not start; see {log.name}")
    return process, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--sampling", type=float, default=0.1)
    parser.add_argument("--warden", type=Path, default=RELEASE / "warden", help="the warden binary (default: the release build)")
    args = parser.parse_args()
    for binary in (args.warden, RELEASE / "warden-http-bench"):
        if not binary.exists():
            sys.exit(f"{binary} is missing: swift build -c release --product {binary.name}")
    os.sched_setaffinity(0, {0})  # the OTLP sink answers on the load's core, not the server's

    with tempfile.TemporaryDirectory(prefix="warden-ceiling-") as tmp:
        work = Path(tmp)
        pki, mtls_env = mtls_wrk(args.warden, work, DOMAIN)
        tls_files = [str(pki / "server.pem"), str(pki / "server.key"), str(pki / "ca.pem")]
        tls_config = {
            "tls": {"certificate": tls_files[0], "private_key": tls_files[1], "client_ca_bundle": tls_files[2]},
            "authorization": {"rules": [{"routes": ["infer"], "allow": [f"spiffe://{DOMAIN}/ns/bench/*"]}]},
        }
        collector = Collector()
        models = {"models": [{"directory": str(CHURN)}]}
        servers = {
            "ceiling plain": start_ceiling(work, []),
            "ceiling mtls": start_ceiling(work, tls_files),
            "warden plain": start_serve(args.warden, work, "plain", {"listen": {"insecure_plaintext": True}, **models}),
            "warden mtls": start_serve(args.warden, work, "mtls", {**tls_config, **models}),
            "warden full": start_serve(args.warden, work, "full", {
                **tls_config, **models,
                "telemetry": {"otlp_endpoint": collector.endpoint, "trace_sampling_ratio": args.sampling}}),
        }
        pairs = {"plain": ("warden plain", "ceiling plain"), "mtls": ("warden mtls", "ceiling mtls"),
                 "full": ("warden full", "ceiling mtls")}
        results: dict[str, list[dict]] = {}
        try:
            def load(name: str, seconds: int) -> dict:
                scheme = "https" if name.endswith(("mtls", "full")) else "http"
                url = f"{scheme}://127.0.0.1:{servers[name][1]}/v2/models/churn/infer"
                return wrk(url, BODY, seconds, args.connections, mtls_env if scheme == "https" else None)

            for name in servers:
                load(name, 2)  # warm-up
            for round_number in range(args.rounds):
                order = list(servers) if round_number % 2 == 0 else list(reversed(servers))
                for name in order:
                    results.setdefault(name, []).append(load(name, args.duration))
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(timeout=30)

    print(f"wrk -t1 -c{args.connections}, {args.duration} s x {args.rounds} rounds; servers on CPU 1, wrk on CPU 0; "
          f"the quickstart's two-row churn request")
    print("| server | rounds req/s | median req/s | median p99 ms |\n|---|---|---:|---:|")
    for name, runs in results.items():
        each = ", ".join(f"{r['rps']:.0f}" for r in runs)
        print(f"| {name} | {each} | {statistics.median(r['rps'] for r in runs):.0f} | "
              f"{statistics.median(r['p99_us'] for r in runs) / 1000:.2f} |")
    print()
    for pair, (warden, ceiling) in pairs.items():
        ratios = [w["rps"] / c["rps"] for w, c in zip(results[warden], results[ceiling])]
        print(f"{pair}: Warden / its ceiling = {statistics.median(ratios):.3f} (rounds {', '.join(f'{r:.3f}' for r in ratios)})")
    full_vs_plain = [w["rps"] / c["rps"] for w, c in zip(results["warden full"], results["ceiling plain"])]
    print(f"full stack / plain ceiling = {statistics.median(full_vs_plain):.3f} (goal ≥ 0.5); "
          f"plain / plain ceiling as above (goal ≥ 0.6); OTLP exports received: {collector.exports}")


if __name__ == "__main__":
    main()
