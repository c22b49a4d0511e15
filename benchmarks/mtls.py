#!/usr/bin/env python3
"""What mutual TLS costs: throughput and p99 over mTLS against plain HTTP, on kept-alive
connections and with a new connection (a full TLS 1.3 handshake with client certificate and
SPIFFE verification) per request — side by side in one run.

Two `warden serve` processes with the churn model, both on CPU 1: one on mutual TLS (a dev PKI
made at run time by `warden dev-pki`), one on `--insecure-plaintext`. wrk (on CPU 0) drives each
in turn with the same one-row OIP v2 request, alternating order per round; on the mTLS server it
presents a client certificate through ../shared/tools/mtls-load (an LD_PRELOAD shim built here
with gcc and libssl-dev, which scripts/setup.sh installs).

Usage (after `swift build -c release --product warden`):
    python3 benchmarks/mtls.py [--warden .build/release/warden] [--duration 8] [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import ssl
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from paired_wrk import mtls_wrk, one_row_body, start_serve, wrk  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHURN = ROOT / "examples" / "churn"
DOMAIN = "bench.test"


def start(warden: Path, config: dict, work: Path, name: str) -> tuple[subprocess.Popen, int]:
    return start_serve(warden, work, name, {**config, "logging": {"level": "warning"}, "models": [{"directory": str(CHURN)}]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warden", type=Path, default=ROOT / ".build" / "release" / "warden")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if not args.warden.exists():
        sys.exit(f"{args.warden} is missing: swift build -c release --product warden")
    with tempfile.TemporaryDirectory(prefix="warden-mtls-bench-") as tmp:
        work = Path(tmp)
        pki, shim_env = mtls_wrk(args.warden, work, DOMAIN)
        body = work / "body.json"
        body.write_text(json.dumps(one_row_body(json.loads((CHURN / "warden-model.json").read_text()))))

        mtls, mtls_port = start(args.warden, {
            "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"),
                    "client_ca_bundle": str(pki / "ca.pem")},
            "authorization": {"rules": [{"routes": ["infer"], "allow": [f"spiffe://{DOMAIN}/ns/bench/*"]}]},
        }, work, "mtls")
        plain, plain_port = start(args.warden, {"listen": {"insecure_plaintext": True}}, work, "plain")
        try:
            urls = {"mtls": f"https://127.0.0.1:{mtls_port}/v2/models/churn/infer",
                    "plain": f"http://127.0.0.1:{plain_port}/v2/models/churn/infer"}
            check_mtls_answers(urls["mtls"], pki, body)
            results: dict[tuple[str, str], list[dict]] = {}
            for mode, extra in (("keep-alive", {}), ("new connection", {"WRK_CLOSE": "1"})):
                for name, url in urls.items():  # warm-up
                    wrk(url, body, 2, args.connections, {**extra, **(shim_env if name == "mtls" else {})})
                for round_number in range(args.rounds):
                    order = list(urls.items()) if round_number % 2 == 0 else list(reversed(urls.items()))
                    for name, url in order:
                        env = {**extra, **(shim_env if name == "mtls" else {})}
                        results.setdefault((mode, name), []).append(wrk(url, body, args.duration, args.connections, env))
        finally:
            for server in (mtls, plain):
                server.terminate()
                server.wait(timeout=30)

    print("| connections | transport | rounds req/s | median req/s | median p99 µs |\n|---|---|---|---:|---:|")
    for (mode, name), runs in results.items():
        each = ", ".join(f"{r['rps']:.0f}" for r in runs)
        print(f"| {mode} | {name} | {each} | "
              f"{statistics.median(r['rps'] for r in runs):.0f} | {statistics.median(r['p99_us'] for r in runs):.0f} |")
    for mode in ("keep-alive", "new connection"):
        paired = sorted(m["rps"] / p["rps"] for m, p in zip(results[(mode, "mtls")], results[(mode, "plain")]))
        p99 = statistics.median(r["p99_us"] for r in results[(mode, "mtls")]) / statistics.median(
            r["p99_us"] for r in results[(mode, "plain")])
        print(f"\n{mode}: throughput mTLS/plain, median of paired rounds {statistics.median(paired):.3f} "
              f"(rounds {', '.join(f'{r:.3f}' for r in paired)}); p99 mTLS/plain {p99:.2f}")
    print(f"\nwrk -t1 -c{args.connections}, {args.duration}s x {args.rounds} rounds per mode, servers on CPU 1, wrk on CPU 0")


def check_mtls_answers(url: str, pki: Path, body: Path) -> None:
    """The mTLS server really requires and accepts the benchmark's client certificate."""
    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    context.check_hostname = False
    context.load_cert_chain(str(pki / "wrk.pem"), str(pki / "wrk.key"))
    request = urllib.request.Request(url, data=body.read_bytes(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        assert response.status == 200
    try:
        urllib.request.urlopen(request, context=ssl.create_default_context(cafile=str(pki / "ca.pem")), timeout=10)
    except OSError:
        return
    raise SystemExit("the mTLS server answered a client without a certificate")


if __name__ == "__main__":
    main()
