#!/usr/bin/env python3
"""What observability costs: infer throughput with everything on (a JSON log line per request,
metrics, every request traced and exported over OTLP/HTTP) against logging and tracing off
(warning-level logs, no tracer; metrics stay, they cannot be turned off), side by side.

Two `warden serve` processes, one per setting, serve the churn example; `wrk` drives each in
turn with the same one-row OIP v2 request, alternating which goes first each round. Both
servers are pinned to CPU 1 (only the one under load is busy), wrk to CPU 0. The
OTLP collector is a minimal HTTP server in this process (CPU 0) that reads each export and
answers 200 without decoding it. Reported: req/s and p99 per round, the median of the
adjacent-round ratios (goal >= 0.9), and how many spans reached the collector.

Usage (after `swift build -c release --product warden`; wrk from scripts/setup.sh):
    python3 benchmarks/observability.py [--warden .build/release/warden] [--duration 8] [--rounds 6] [--sampling 1.0]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from paired_wrk import one_row_body, start_serve, wrk  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHURN = ROOT / "examples" / "churn"


class Collector:
    """Accepts OTLP/HTTP exports and counts their bytes; decoding is not what is measured."""

    def __init__(self) -> None:
        self.exports = 0
        self.bytes = 0
        collector = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                size = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(size)
                collector.exports += 1
                collector.bytes += size
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"




def start(warden: Path, work: Path, name: str, extra: dict) -> tuple[subprocess.Popen, int]:
    return start_serve(warden, work, name, {"listen": {"insecure_plaintext": True}, "models": [{"directory": str(CHURN)}], **extra})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warden", type=Path, default=ROOT / ".build" / "release" / "warden")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--sampling", type=float, default=1.0, help="trace_sampling_ratio of the traced servers")
    args = parser.parse_args()
    if not args.warden.exists():
        sys.exit(f"{args.warden} is missing: swift build -c release --product warden")
    contract = json.loads((CHURN / "warden-model.json").read_text())
    collector = Collector()
    with tempfile.TemporaryDirectory(prefix="warden-observability-bench-") as tmp:
        work = Path(tmp)
        body = work / "body.json"
        body.write_text(json.dumps(one_row_body(contract)))
        settings = {
            "full": {"logging": {"level": "info"}, "telemetry": {"otlp_endpoint": collector.endpoint, "trace_sampling_ratio": args.sampling}},
            "quiet": {"logging": {"level": "warning"}},
            # Each alone, to tell their costs apart.
            "logs": {"logging": {"level": "info"}},
            "traces": {"logging": {"level": "warning"}, "telemetry": {"otlp_endpoint": collector.endpoint, "trace_sampling_ratio": args.sampling}},
        }
        servers = {name: start(args.warden, work, name, extra) for name, extra in settings.items()}
        try:
            urls = {name: f"http://127.0.0.1:{port}/v2/models/churn/infer" for name, (_, port) in servers.items()}
            for url in urls.values():
                wrk(url, body, args.warmup, args.connections)
            rounds: dict[str, list[dict]] = {name: [] for name in urls}
            for number in range(args.rounds):
                order = list(urls) if number % 2 == 0 else list(reversed(urls))  # each pair adjacent to "quiet" both ways
                for name in order:
                    rounds[name].append(wrk(urls[name], body, args.duration, args.connections))
            time.sleep(1.5)
            log_lines = sum(1 for _ in open(work / "full.log"))
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(timeout=30)

    print("## Observability overhead (churn, one row)\n")
    print("| setting | rounds req/s | median req/s | median p99 µs |\n|---|---|---:|---:|")
    sampled = f"{args.sampling:.0%} sampled"
    labels = {"full": f"logs (info) + metrics + traces ({sampled}, OTLP)", "quiet": "metrics only (logs at warning, no tracer)",
              "logs": "logs (info) + metrics", "traces": f"metrics + traces ({sampled}, OTLP)"}
    for name, runs in rounds.items():
        each = ", ".join(f"{r['rps']:.0f}" for r in runs)
        print(f"| {labels[name]} | {each} | {statistics.median(r['rps'] for r in runs):.0f} | "
              f"{statistics.median(r['p99_us'] for r in runs):.0f} |")
    for name in ("full", "logs", "traces"):
        paired = sorted(f["rps"] / q["rps"] for f, q in zip(rounds[name], rounds["quiet"]))
        print(f"\nthroughput ratio {name}/quiet: median of paired rounds {statistics.median(paired):.3f} "
              f"(rounds {', '.join(f'{r:.3f}' for r in paired)}){'; goal >= 0.9' if name == 'full' else ''}")
    print(f"collector received {collector.exports} exports, {collector.bytes / 1e6:.1f} MB; the full server wrote {log_lines} log lines")
    print(f"wrk -t1 -c{args.connections}, {args.duration}s x {args.rounds} rounds, server on CPU 1, wrk and collector on CPU 0")


if __name__ == "__main__":
    main()
