#!/usr/bin/env python3
"""Warden against MLServer and KServe's Python model server, serving the same churn model.

One run, side by side, on this machine's loopback: each server in turn serves the churn
pipeline of examples/churn, `wrk` drives it with the same settings and the same one-row
request, and a markdown table gives req/s, p50 and p99 for each, with ratios against Warden.

- Warden serves examples/churn/model.onnx (the skl2onnx conversion of the pipeline).
- The peers serve the scikit-learn pipeline itself: this script retrains it with the code and
  data that made model.onnx (scripts/fixtures/make_onnx_fixtures.py: make_churn(20_000) on
  default_rng(SEED + 1), first 16,000 rows, build_pipeline), saves it with joblib in a temp
  dir, and checks before any timing that sklearn's predict_proba on the benchmark row matches
  Warden's answer within 1e-5, and that every server's answer matches too.
- MLServer 1.7.1 + mlserver-sklearn (SKLearnModel, "parallel_workers": 0) on OIP v2, with the
  request parameter content_type "pd" and content_type "str" on the BYTES inputs, as MLServer
  documents for DataFrame models; outputs: predict_proba only (one pipeline pass, as in
  Warden; asking for predict too would run the pipeline twice).
- KServe 0.21 ModelServer (workers=1) with a small kserve.Model subclass
  (benchmarks/kserve_churn.py) on KServe v1 and OIP v2; one predict_proba per request.
- Fairness: every server is pinned to CPU 1 and wrk to CPU 0 with taskset; same wrk settings
  (threads, connections, duration, a warm-up run first), same row. One extra row serves
  Warden unpinned (both cores, sharing CPU 0 with wrk), for information.
- Each server keeps its default logging (Warden: one JSON line per request; KServe: a latency
  line per request), written to a log file in the temp dir.

Noise: the "other load" column is the share of each core that neither the server nor wrk
used during the timed run; anything above a few percent means something else was running
and the numbers are disturbed.

Setup (once):
    apt-get install wrk
    python3 -m venv .venv-bench && .venv-bench/bin/pip install -r requirements/bench.txt
    python3 -m venv .venv-bench-kserve && \\
        .venv-bench-kserve/bin/pip install -r requirements/bench-kserve.txt
    swift build -c release

Usage:
    .venv-bench/bin/python benchmarks/serving.py [--warden .build/release/warden] [--duration 15]
        [--warmup 5] [--connections 16] [--only warden,mlserver,kserve]

The whole run takes about 6 x (warm-up + duration) seconds plus start-ups: under 3 minutes
with the defaults. Every server listens on 127.0.0.1 only; every process started here is
stopped at the end, on failure or on Ctrl-C as well.
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts" / "fixtures"))

MODEL_DIR = ROOT / "examples" / "churn"
LUA = ROOT / "benchmarks" / "wrk_post.lua"
KSERVE_MODEL = ROOT / "benchmarks" / "kserve_churn.py"
HOST = "127.0.0.1"
SERVER_CPU = "1"
WRK_CPU = "0"
TOLERANCE = 1e-5
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The benchmark row: the first row of examples/requests/churn-infer.json. Every float is
# exact in float32, so FP32 (Warden, MLServer) and float64 (JSON -> pandas) see one value.
ROW = {
    "tenure": 3,
    "monthly_charges": 99.5,
    "total_charges": 300.0,
    "support_calls": 5,
    "num_services": 6,
    "data_usage_gb": 12.0,
    "days_since_login": 40.0,
    "age": 30.0,
    "contract": "month-to-month",
    "payment": "check",
}


# --------------------------------------------------------------------------
# Request bodies and answer readers
# --------------------------------------------------------------------------


def contract_inputs() -> list[dict]:
    return json.loads((MODEL_DIR / "warden-model.json").read_text())["inputs"]


def v2_body() -> dict:
    """OIP v2, one row, shapes [1, 1] and datatypes as in the model contract."""
    return {"inputs": [{"name": i["name"], "datatype": i["datatype"], "shape": [1, 1],
                        "data": [ROW[i["name"]]]} for i in contract_inputs()]}


def v1_body() -> dict:
    return {"instances": [dict(ROW)]}


def mlserver_body() -> dict:
    """OIP v2 for MLServer's pandas codec: one column per input (shape [1]), strings marked
    as str, the whole request as a DataFrame ("pd"); the answer is predict_proba."""
    inputs = []
    for i in contract_inputs():
        tensor = {"name": i["name"], "datatype": i["datatype"], "shape": [1], "data": [ROW[i["name"]]]}
        if i["datatype"] == "BYTES":
            tensor["parameters"] = {"content_type": "str"}
        inputs.append(tensor)
    return {"parameters": {"content_type": "pd"}, "inputs": inputs,
            "outputs": [{"name": "predict_proba"}]}


def read_v2(answer: dict) -> tuple[int, list[float]]:
    outs = {o["name"]: o for o in answer["outputs"]}
    return int(outs["label"]["data"][0]), [float(x) for x in outs["probabilities"]["data"][:2]]


def read_v1(answer: dict) -> tuple[int, list[float]]:
    pred = answer["predictions"][0]
    return int(pred["label"]), [float(x) for x in pred["probabilities"]]


def read_mlserver(answer: dict) -> tuple[int, list[float]]:
    (out,) = answer["outputs"]
    if out["name"] != "predict_proba" or out["shape"] != [1, 2]:
        raise ValueError(f"unexpected output {out['name']} {out['shape']}")
    proba = [float(x) for x in out["data"]]
    return int(proba[1] > proba[0]), proba


# --------------------------------------------------------------------------
# The reference model
# --------------------------------------------------------------------------


def train_pipeline(out: Path):
    """Retrain the example's pipeline exactly as write_example() does; save it with joblib."""
    import joblib
    import numpy as np
    import pandas as pd

    import make_onnx_fixtures as fixtures

    frame, targets = fixtures.make_churn(20_000, np.random.default_rng(fixtures.SEED + 1))
    pipe = fixtures.build_pipeline(frame.iloc[:16_000], targets["churn"][:16_000])
    joblib.dump(pipe, out)
    row = pd.DataFrame({k: [v] for k, v in ROW.items()})[fixtures.COLUMNS]
    proba = pipe.predict_proba(row)[0]
    return int(pipe.predict(row)[0]), [float(p) for p in proba]


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------

_RUNNING: list["Server"] = []
_WRK: list[subprocess.Popen] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def session_pids(sid: int) -> list[int]:
    """Processes of one session (a server started with start_new_session: sid == its pid)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid:  # field 6 of stat: session id
            pids.append(int(entry))
    return pids


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def core_ticks() -> dict[str, tuple[int, int]]:
    """(busy, total) clock ticks per core, from /proc/stat."""
    out = {}
    for line in Path("/proc/stat").read_text().splitlines():
        m = re.match(r"cpu(\d+)\s+(.*)", line)
        if m:
            v = [int(x) for x in m.group(2).split()[:8]]
            idle = v[3] + v[4]
            out[m.group(1)] = (sum(v) - idle, sum(v))
    return out


@dataclass
class Server:
    name: str
    argv: list[str]
    ready_url: str
    log: Path
    cpus: str | None = SERVER_CPU
    env: dict = field(default_factory=dict)
    cwd: Path | None = None
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        cmd = (["taskset", "-c", self.cpus] if self.cpus else []) + self.argv
        env = dict(os.environ, **self.env)
        self.proc = subprocess.Popen(cmd, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.cwd, env=env,
                                     start_new_session=True)
        _RUNNING.append(self)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self, timeout: float) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2) as r:
                    if r.status == 200:
                        time.sleep(0.3)  # a process that lost its port to another exits now
                        if not self.alive():
                            continue
                        return time.monotonic() - start
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def pids(self) -> list[int]:
        return session_pids(self.proc.pid) if self.proc else []

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        # The group may outlive its leader (worker processes): make sure all of it is gone.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if self in _RUNNING:
            _RUNNING.remove(self)


def stop_all() -> None:
    for proc in list(_WRK):
        if proc.poll() is None:
            proc.kill()
    for server in list(_RUNNING):
        server.stop()


def _on_signal(signum, _frame):
    stop_all()
    print(f"\ninterrupted by signal {signum}; servers stopped", file=sys.stderr)
    sys.exit(128 + signum)


# --------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------


@dataclass
class Result:
    server: str
    protocol: str
    cpus: str
    rps: float = math.nan
    p50_ms: float = math.nan
    p99_ms: float = math.nan
    errors: int = 0
    server_cpu: float = math.nan
    wrk_cpu: float = math.nan
    other: str = "-"
    rss: float = math.nan
    note: str = ""


def post(url: str, body: bytes) -> dict:
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"HTTP {e.code}: {e.read()[:300]!r}") from None


def run_wrk(args, url: str, body_file: Path, seconds: int, log: Path) -> tuple[dict, float]:
    """Run wrk on CPU 0; return its WRK_JSON summary (+ non-2xx count) and its CPU seconds."""
    cmd = ["taskset", "-c", WRK_CPU, args.wrk, f"-t{args.threads}", f"-c{args.connections}",
           f"-d{seconds}s", "--latency", "--timeout", "5s", "-s", str(LUA), url]
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(cmd)}\n".encode())
        out.flush()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=dict(os.environ, WRK_BODY=str(body_file)))
        _WRK.append(proc)
        timer = threading.Timer(seconds + 30, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            _WRK.remove(proc)
        proc.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text(errors="replace").rsplit("\n$ ", 1)[-1]
    if proc.returncode != 0:
        raise RuntimeError(f"wrk exited with {proc.returncode}:\n{text[-800:]}")
    m = re.search(r"^WRK_JSON (.*)$", text, re.M)
    if not m:
        raise RuntimeError(f"no summary in wrk's output:\n{text[-800:]}")
    summary = json.loads(m.group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    summary["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    return summary, usage.ru_utime + usage.ru_stime


def measure(args, server: Server, name: str, protocol: str, url: str, body: dict,
            reader, expected, work: Path) -> Result:
    res = Result(name, protocol, server.cpus or "0,1")
    raw = json.dumps(body, separators=(",", ":")).encode()
    body_file = work / f"body-{name.split()[0].lower()}-{protocol}.json"
    body_file.write_bytes(raw)

    # Same model, same answer: checked before anything is timed.
    label, proba = reader(post(url, raw))
    gap = max(abs(a - b) for a, b in zip(proba, expected[1]))
    if label != expected[0] or len(proba) != 2 or gap > TOLERANCE:
        raise RuntimeError(f"{name} {protocol}: answered label {label}, probabilities {proba}; "
                           f"sklearn says {expected[0]}, {expected[1]}")
    print(f"  {name} {protocol}: answer matches sklearn (label {label}, max gap {gap:.1e})", flush=True)

    wrk_log = work / "wrk.log"
    if args.warmup > 0:
        run_wrk(args, url, body_file, args.warmup, wrk_log)
    pids = server.pids()
    ticks0, cores0, t0 = cpu_ticks(pids), core_ticks(), time.monotonic()
    summary, wrk_cpu = run_wrk(args, url, body_file, args.duration, wrk_log)
    ticks1, cores1, elapsed = cpu_ticks(pids), core_ticks(), time.monotonic() - t0

    lat = summary["latency_us"]
    res.rps = summary["requests"] / (summary["duration_us"] / 1e6)
    res.p50_ms, res.p99_ms = lat["p50"] / 1000, lat["p99"] / 1000
    res.errors = summary["non2xx"] + sum(summary["errors"].values())
    server_s = (ticks1 - ticks0) / CLK_TCK
    res.server_cpu = 100 * server_s / elapsed
    res.wrk_cpu = 100 * wrk_cpu / elapsed
    res.rss = rss_mb(pids)
    if server.cpus == SERVER_CPU:
        # Busy time on each core that is neither wrk's (CPU 0) nor the server's (CPU 1).
        def busy(core):
            return (cores1[core][0] - cores0[core][0]) / CLK_TCK
        other0 = max(0.0, busy(WRK_CPU) - wrk_cpu) / elapsed
        other1 = max(0.0, busy(SERVER_CPU) - server_s) / elapsed
        res.other = f"{100 * other0:.0f}% / {100 * other1:.0f}%"
    print(f"  {name} {protocol}: {res.rps:,.0f} req/s, p50 {res.p50_ms:.2f} ms, "
          f"p99 {res.p99_ms:.2f} ms, errors {res.errors}", flush=True)
    return res


# --------------------------------------------------------------------------
# The servers
# --------------------------------------------------------------------------


def warden_server(args, work: Path, cpus: str | None) -> tuple[Server, int]:
    port, probe = free_port(), free_port()
    server = Server("Warden", [args.warden, "serve", "--model-dir", str(MODEL_DIR), "--host", HOST,
                               "--port", str(port), "--probe-port", str(probe),
                               # The peers serve plain HTTP here; Warden does too, for a like-for-like comparison.
                               "--insecure-plaintext"],
                    f"http://{HOST}:{probe}/readyz", work / f"warden-{cpus or 'all'}.log", cpus=cpus)
    return server, port


def mlserver_server(args, work: Path, joblib_path: Path) -> tuple[Server, int]:
    port, grpc, metrics = free_port(), free_port(), free_port()
    repo = work / "mlserver"
    (repo / "churn").mkdir(parents=True)
    (repo / "settings.json").write_text(json.dumps({
        "host": HOST, "http_port": port, "grpc_port": grpc, "metrics_port": metrics,
        "parallel_workers": 0,
    }, indent=2))
    shutil.copy(joblib_path, repo / "churn" / "model.joblib")
    (repo / "churn" / "model-settings.json").write_text(json.dumps({
        "name": "churn", "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": "./model.joblib", "version": "1"},
    }, indent=2))
    server = Server("MLServer", [args.mlserver, "start", str(repo)],
                    f"http://{HOST}:{port}/v2/models/churn/ready", work / "mlserver.log", cwd=repo)
    return server, port


def kserve_server(args, work: Path, joblib_path: Path) -> tuple[Server, int]:
    port = free_port()
    server = Server("KServe", [args.kserve_python, str(KSERVE_MODEL), "--model_path", str(joblib_path),
                               "--model_name", "churn", "--http_port", str(port),
                               "--enable_grpc", "false", "--workers", "1"],
                    f"http://{HOST}:{port}/v1/models/churn", work / "kserve.log")
    return server, port


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def fmt(x: float, spec: str) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def table(results: list[Result]) -> str:
    ref = {r.protocol: r for r in results if r.server == "Warden" and not math.isnan(r.rps)}
    head = ("| server | protocol | server CPUs | req/s | p50 ms | p99 ms | Warden req/s ÷ this "
            "| p50 ÷ Warden | p99 ÷ Warden | errors | server CPU | wrk CPU | RSS MB | other load CPU0 / CPU1 |")
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in results:
        w = ref.get(r.protocol)
        if math.isnan(r.rps):
            lines.append(f"| {r.server} | {r.protocol} | {r.cpus} | {r.note} |" + " - |" * 10)
            continue
        speed = w.rps / r.rps if w else math.nan
        p50 = r.p50_ms / w.p50_ms if w else math.nan
        p99 = r.p99_ms / w.p99_ms if w else math.nan
        lines.append(
            f"| {r.server} | {r.protocol} | {r.cpus} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} "
            f"| {fmt(speed, '.2f')}× | {fmt(p50, '.2f')}× | {fmt(p99, '.2f')}× | {r.errors} "
            f"| {r.server_cpu:.0f}% | {r.wrk_cpu:.0f}% | {fmt(r.rss, '.0f')} | {r.other} |")
    return "\n".join(lines)


def versions(args) -> str:
    def pkg_versions(python: str, pkgs: list[str]) -> str:
        code = ("import importlib.metadata as m\n"
                f"print(', '.join(p + ' ' + m.version(p) for p in {pkgs!r}))")
        try:
            return subprocess.run([python, "-c", code], capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"
    wrk = subprocess.run([args.wrk, "--version"], capture_output=True, text=True).stdout
    wrk_version = (wrk.splitlines() or ["?"])[0].split(" [")[0]
    parts = [pkg_versions(sys.executable, ["mlserver", "mlserver-sklearn", "scikit-learn", "pandas"])]
    if Path(args.kserve_python).exists():
        parts.append(pkg_versions(args.kserve_python, ["kserve"]))
    return "; ".join(parts + [wrk_version])


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warden", default=str(ROOT / ".build" / "release" / "warden"))
    ap.add_argument("--mlserver", default=str(Path(sys.executable).parent / "mlserver"))
    ap.add_argument("--kserve-python", default=str(ROOT / ".venv-bench-kserve" / "bin" / "python"))
    ap.add_argument("--wrk", default="wrk")
    ap.add_argument("--duration", type=int, default=15, help="seconds of each timed wrk run")
    ap.add_argument("--warmup", type=int, default=5, help="seconds of the untimed wrk run before it")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections")
    ap.add_argument("--only", default="warden,mlserver,kserve",
                    help="comma-separated subset of warden,mlserver,kserve (Warden always runs)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, bodies, model)")
    args = ap.parse_args()
    only = {x.strip() for x in args.only.split(",") if x.strip()}

    if shutil.which(args.wrk) is None:
        sys.exit("wrk not found: apt-get install wrk")
    if shutil.which("taskset") is None:
        sys.exit("taskset not found (util-linux)")
    if not os.access(args.warden, os.X_OK):
        sys.exit(f"no Warden binary at {args.warden}: swift build -c release, or pass --warden")
    if (os.cpu_count() or 1) < 2:
        sys.exit("needs at least 2 cores (server on CPU 1, wrk on CPU 0)")

    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="warden-serving-bench-"))
    results: list[Result] = []
    problems: list[str] = []
    load_before = os.getloadavg()
    try:
        print(f"temp dir {work}", flush=True)
        joblib_path = work / "churn.joblib"
        t = time.monotonic()
        expected = train_pipeline(joblib_path)
        print(f"retrained the churn pipeline in {time.monotonic() - t:.1f}s: sklearn says label "
              f"{expected[0]}, probabilities {expected[1]}", flush=True)
        v2, v1, mls = v2_body(), v1_body(), mlserver_body()

        def session(label, make, endpoints, required=False, ready_timeout=60.0):
            """Start one server, time each (protocol, url, body, reader), stop it."""
            server = None
            try:
                server, port = make()
                server.start()
                secs = server.wait_ready(ready_timeout)
                print(f"{label} ready in {secs:.1f}s (pid {server.proc.pid})", flush=True)
                for protocol, path, body, reader in endpoints:
                    url = f"http://{HOST}:{port}{path}"
                    try:
                        results.append(measure(args, server, label, protocol, url, body, reader,
                                               expected, work))
                    except Exception as exc:  # noqa: BLE001 - reported in the table
                        if required:
                            raise
                        problems.append(f"{label} {protocol}: {exc}")
                        results.append(Result(label, protocol, server.cpus or "0,1",
                                              note=f"failed: {str(exc).splitlines()[0][:80]}"))
                        if not server.alive():
                            break
            except Exception as exc:  # noqa: BLE001
                if required:
                    raise
                problems.append(f"{label}: {exc}")
                results.append(Result(label, "-", SERVER_CPU,
                                      note=f"failed: {str(exc).splitlines()[0][:80]}"))
            finally:
                if server is not None:
                    server.stop()

        session("Warden", lambda: warden_server(args, work, SERVER_CPU),
                [("v2", "/v2/models/churn/infer", v2, read_v2),
                 ("v1", "/v1/models/churn:predict", v1, read_v1)], required=True)
        if "mlserver" in only:
            session("MLServer", lambda: mlserver_server(args, work, joblib_path),
                    [("v2", "/v2/models/churn/infer", mls, read_mlserver)])
        if "kserve" in only:
            if Path(args.kserve_python).exists():
                session("KServe", lambda: kserve_server(args, work, joblib_path),
                        [("v1", "/v1/models/churn:predict", v1, read_v1),
                         ("v2", "/v2/models/churn/infer", v2, read_v2)])
            else:
                problems.append(f"KServe skipped: no {args.kserve_python} "
                                "(see requirements/bench-kserve.txt)")
        session("Warden (unpinned)", lambda: warden_server(args, work, None),
                [("v2", "/v2/models/churn/infer", v2, read_v2)], required=True)
    except Exception as exc:  # noqa: BLE001
        stop_all()
        print(f"\nbenchmark failed: {exc}\nlogs in {work}", file=sys.stderr)
        return 1
    finally:
        stop_all()

    # Warden (unpinned) compares with pinned Warden on the same protocol, for information.
    for r in results:
        if r.server == "Warden (unpinned)":
            r.cpus = "0,1 (shared with wrk)"
    print()
    print(f"## Serving the churn model: {args.duration}s per run after a {args.warmup}s warm-up, "
          f"wrk -t{args.threads} -c{args.connections}, one row per request\n")
    print(table(results))
    print()
    print(f"- Ratios compare with pinned Warden on the same protocol: \"Warden req/s ÷ this\" > 1 "
          f"means Warden served more; \"p50/p99 ÷ Warden\" > 1 means this server was slower.")
    print(f"- Servers on CPU {SERVER_CPU}, wrk on CPU {WRK_CPU} (taskset). \"server CPU\" and "
          f"\"wrk CPU\" are their CPU time over the timed run (100% = one core: the server is the "
          f"bottleneck when it is near 100% and wrk is well below); \"other load\" is the busy "
          f"share of each core used by neither wrk nor the server: noise from other work on the "
          f"machine, which disturbs the figures when it is more than a few percent.")
    print(f"- Versions: Warden {args.warden}; {versions(args)}.")
    load_after = os.getloadavg()
    print(f"- Load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
          f"whole run {time.monotonic() - started:.0f}s.")
    for p in problems:
        print(f"- Problem: {p.splitlines()[0]}")
    if args.keep or problems:
        print(f"- Logs, bodies and model kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
