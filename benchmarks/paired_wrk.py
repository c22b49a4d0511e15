"""Shared by the A/B benchmarks (contract.py, observability.py): a free loopback port, one
pinned wrk run read from wrk_post.lua's summary line, and the churn row they all send."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

LUA = Path(__file__).resolve().parent / "wrk_post.lua"
SHIM = Path(__file__).resolve().parent.parent.parent / "shared" / "tools" / "mtls-load"
CHURN_ROW = {"tenure": 3, "monthly_charges": 99.5, "total_charges": 300.0, "support_calls": 5, "num_services": 6,
             "data_usage_gb": 12.0, "days_since_login": 40.0, "age": 30.0, "contract": "month-to-month", "payment": "check"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(probe_port: int, attempts: int = 400) -> bool:
    """Whether `warden serve`'s probe port answers /readyz 200 within `attempts` x 50 ms."""
    for _ in range(attempts):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{probe_port}/readyz", timeout=1).status == 200:
                return True
        except OSError:
            time.sleep(0.05)
    return False


def start_serve(warden: Path, work: Path, name: str, config: dict, cpus: str = "1") -> tuple[subprocess.Popen, int]:
    """`warden serve` with `config` (its `listen` completed with free loopback ports), pinned to
    `cpus`, its output in NAME.log under `work`: the process and its serving port, once ready."""
    port, probe = free_port(), free_port()
    config = {**config, "listen": {**config.get("listen", {}), "host": "127.0.0.1", "port": port, "probe_port": probe}}
    path = work / f"{name}.yaml"
    path.write_text(json.dumps(config))
    log = open(work / f"{name}.log", "w")
    process = subprocess.Popen(["taskset", "-c", cpus, str(warden), "serve", "--config", str(path)], stdout=log, stderr=log)
    if wait_ready(probe):
        return process, port
    process.kill()
    sys.exit(f"{name} did not become ready; see {work / (name + '.log')}")


def one_row_body(contract: dict) -> dict:
    """The churn row as an OIP v2 request, shapes [1, 1], datatypes from the contract."""
    return {"inputs": [{"name": i["name"], "datatype": i["datatype"], "shape": [1, 1], "data": [CHURN_ROW[i["name"]]]}
                       for i in contract["inputs"]]}


def wrk(url: str, body: Path, duration: int, connections: int, env: dict | None = None) -> dict:
    """One wrk run on CPU 0 (the servers under test are on CPU 1): req/s and p99 in µs. `env`
    adds variables (the mTLS shim's LD_PRELOAD, WRK_CLOSE, ...)."""
    out = subprocess.run(["taskset", "-c", "0", "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "-s", str(LUA), url],
                         capture_output=True, text=True, env=dict(os.environ, WRK_BODY=str(body), **(env or {})),
                         check=True).stdout
    summary = json.loads(next(line for line in out.splitlines() if line.startswith("WRK_JSON "))[9:])
    errors = dict(summary["errors"])
    if (env or {}).get("WRK_CLOSE") == "1":
        # With Connection: close, wrk counts each server close as a read error (plain and TLS
        # alike): one per request is expected, more would be a real failure.
        assert errors["read"] <= summary["requests"], f"wrk saw more read errors than requests: {errors}"
        errors["read"] = 0
    assert sum(errors.values()) == 0, f"wrk saw errors: {summary['errors']}"
    return {"rps": summary["requests"] / (summary["duration_us"] / 1e6), "p99_us": summary["latency_us"]["p99"]}


def mtls_wrk(warden: Path, work: Path, domain: str) -> tuple[Path, dict]:
    """A dev PKI made by `warden dev-pki` under WORK (with a client "wrk" of DOMAIN), and the
    environment that lets wrk present its certificate: ../shared/tools/mtls-load, an
    LD_PRELOAD shim built here with gcc and libssl-dev (scripts/setup.sh installs them)."""
    if not (SHIM / "build.sh").exists():
        sys.exit(f"{SHIM} is missing: the mTLS wrk shim comes from ../shared/tools")
    pki = work / "pki"
    subprocess.run([str(warden), "dev-pki", "--out", str(pki), "--trust-domain", domain, "--client", "wrk=ns/bench/sa/wrk"],
                   check=True, capture_output=True)
    shim = work / "libmtls.so"
    subprocess.run(["bash", str(SHIM / "build.sh"), str(shim)], check=True, capture_output=True)
    return pki, {"LD_PRELOAD": str(shim), "MTLS_CERT": str(pki / "wrk.pem"), "MTLS_KEY": str(pki / "wrk.key")}
