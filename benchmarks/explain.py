#!/usr/bin/env python3
"""Warden's explanations against shap.TreeExplainer and XGBoost pred_contribs, one core each (issue 28, item 5).

Warden explains a prediction when the OIP v2 request asks for it
(`POST /v2/models/{m}/infer` with `"parameters": {"explain": {"top_k": 5}}`): exact
path-dependent TreeSHAP in its own engine, answered as `<output>__attributions`,
`<output>__base_value` and `reason_codes` next to the usual outputs. This script trains two
models at run time (fixed seed, the churn data of scripts/fixtures/make_onnx_fixtures.py),
serves each with Warden and times, side by side in one run:

- XGBoost: XGBClassifier(n_estimators=100, max_depth=6), trained with its missing values.
  Peers: `booster.predict(DMatrix, pred_contribs=True)` with nthread=1, and
  `shap.TreeExplainer(model).shap_values(X)` (which hands XGBoost models to pred_contribs).
- RandomForest: RandomForestClassifier(n_estimators=100, max_depth=10) on median-imputed
  features (--rf-max-depth; 10 gives ~1,100-node trees on the 20,000 training rows, while
  max_depth=None grows ~8,000-node trees of depth ~37 whose exact TreeSHAP takes ~100 ms a
  row in shap). Peer: `shap.TreeExplainer(model).shap_values(X)`, class 1 (Warden explains
  the forest's one ONNX score, the probability of class 1).

For each: batch-1 latency (p50, p99 per explanation, one row per call, cycling over 256
held-out rows) and batch-1024 throughput (rows/s). Goals: a batch-1 explanation under 1 ms,
and Warden's single-thread throughput at least 1x XGBoost's single-thread pred_contribs.

How it is measured:

- Models are converted as users convert them (onnxmltools convert_xgboost, skl2onnx to_onnx
  with zipmap=False) and served from a temp dir with `taskset -c 1 warden serve --model-dir
  DIR --insecure-plaintext --port P --probe-port P2` (with --infer-deadline S: the same
  server from a generated --config whose resilience.infer_deadline_seconds is S, for builds
  or batches where one call takes longer than Warden's 2 s default deadline; a call that
  gets 504 is reported, not timed, and the run goes on). The contract's explanations.tree_cover
  comes from scripts/fixtures/make_explanation_fixtures.py (imported, not copied): its
  per-converter cover extraction (xgb_sources, sk_sources) and its node-id mapping
  (read_ensemble, map_trees), which walks each library tree and its ONNX tree side by side
  and asserts that every node agrees. With --table-memory-mb N the contract also sets
  explanations.table_memory_mb: N, the memory Warden may give Fast TreeSHAP v2's per-leaf
  tables (trees past it keep Algorithm 2); without it the key is left out and Warden's
  default, 64, applies. What Warden made of it is reported: the `method` of the
  `"event":"model_explainability"` line it logs at load (e.g. "tree ensemble (TreeSHAP;
  Fast TreeSHAP v2 tables for 100 of 100 trees, 3 MiB)"), and its peak resident memory
  (VmHWM of /proc/PID/status, read just before it is stopped: model load, tables and every
  timed run).
- Warden: this script is the client, pinned to CPU 0, with one keep-alive connection,
  http.client unless --client says otherwise. Not requests.Session: on the machine this was
  written on it adds ~0.7 ms of client-side Python to every call (infer-only round trip
  1,058 µs with requests against 337 µs with http.client, Warden's own time ~80 µs in
  both), which would be charged to Warden's round trip. Each call's round trip
  (send the JSON body, read the whole answer; the answer is not parsed) is timed, and so is
  Warden's own handler time (the `latency_ms` of its per-request log line: from the request
  reaching the router to the response being built). Every Warden figure is measured twice,
  infer with explain and infer without; their difference is the explanation's own cost
  (p50 minus p50; per-row time minus per-row time for throughput).
- Peers: in this process, pinned to CPU 1 (os.sched_setaffinity on every thread) and single
  threaded (nthread=1, OMP/BLAS one thread); the call alone is timed, with its input already
  built (a prebuilt DMatrix for pred_contribs; a float32 array for shap, with
  check_additivity=False).
- Rounds alternate Warden and the peers so drift hits all of them; batch-1 percentiles pool
  the calls of every round, throughput is the median over rounds. "other load" is the busy
  share of CPU 1 that the timed process did not use (noise from anything else on the
  machine: figures are disturbed when it is above a few percent).
- Before timing, Warden's attributions and base value are checked against every peer on a
  few held-out rows (XGBoost with missing values): within 1e-5 of max(1, |margin|) for
  XGBoost (float32 TreeSHAP), 1e-6 for the forest (float64 shap); and its probabilities
  against the library's. A binary that cannot explain (a stale build refuses the contract's
  "explanations" key) is reported and nothing is timed for it.

Setup (once):
    python3 -m venv .venv-explain && .venv-explain/bin/pip install -r requirements/explain-fixtures.txt
    swift build -c release
    (optional, only for --client requests or auto: .venv-explain/bin/pip install requests==2.34.2,
    the version pinned in requirements/test.txt; the default client, http.client, needs nothing)

Usage:
    .venv-explain/bin/python benchmarks/explain.py [--warden .build/release/warden]
        [--duration 5] [--warmup 1] [--rounds 3] [--batch-size 1024] [--rf-max-depth 10]
        [--infer-deadline SECONDS] [--table-memory-mb N] [--only xgboost|forest]
        [--client http.client|requests|auto] [--keep]

Each round runs 14 timed runs of --duration seconds, each after --warmup seconds (at least
one call each, so a 1024-row call that takes seconds stretches them): about 6 minutes with
the defaults and a release build. A debug build explains far more slowly (about 30 ms a
row for the XGBoost model and 0.5 s a row for the forest on the machine this was written
on); to smoke-test one:
    ... --warden /path/to/debug/warden --rounds 1 --duration 1 --warmup 0.3 \
        --batch-size 64 --infer-deadline 120
Warden listens on 127.0.0.1 only and is stopped at the end, on failure or on Ctrl-C as
well. Exit status 1 when something could not be measured (the reason is printed).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.metadata
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts" / "fixtures"))

import numpy as np  # noqa: E402
import onnx  # noqa: E402

import make_explanation_fixtures as explain_fixtures  # noqa: E402  (tree covers, node-id mapping)
import make_onnx_fixtures as fixtures  # noqa: E402  (data generator, converters' helpers)

HOST = "127.0.0.1"
CLIENT_CPU = 0
BENCH_CPU = 1          # Warden (taskset) and the Python peers (sched_setaffinity)
CLK_TCK = os.sysconf("SC_CLK_TCK")
GOAL_LATENCY_US = 1000.0
B1_ROWS = 256          # distinct rows the batch-1 calls cycle through
F = len(fixtures.NUMERIC)


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


@dataclass
class Peer:
    name: str
    prepare: Callable[[np.ndarray], object]                    # untimed: the call's input
    call: Callable[[object], object]                           # timed
    explain: Callable[[np.ndarray], tuple[np.ndarray, float]]  # (attributions [rows, F], base value)
    tolerance: float                                           # relative to max(1, |margin|)


@dataclass
class Bench:
    key: str
    title: str
    details: str
    folder: Path
    name: str
    input_name: str
    pool: np.ndarray                                  # float32 held-out rows
    check_rows: np.ndarray
    proba1: Callable[[np.ndarray], np.ndarray]        # the library's probability of class 1
    peers: list[Peer] = field(default_factory=list)


def tree_shape(ens) -> str:
    """Nodes, leaves and depth per ONNX tree."""
    nodes, leaves, depths = [], [], []
    for tree in ens.trees.values():
        nodes.append(len(tree))
        leaves.append(sum(n.mode == "LEAF" for n in tree.values()))
        depth, stack = 0, [(0, 0)]
        while stack:
            i, d = stack.pop()
            depth = max(depth, d)
            if tree[i].mode != "LEAF":
                stack += [(tree[i].true, d + 1), (tree[i].false, d + 1)]
        depths.append(depth)
    return (f"{len(nodes)} trees; nodes per tree {min(nodes):,}-{max(nodes):,} (mean {statistics.mean(nodes):,.0f}), "
            f"leaves {min(leaves):,}-{max(leaves):,}, depth {min(depths)}-{max(depths)}")


def write_model(folder: Path, name: str, model: onnx.ModelProto, sources, threshold_rule, sample: np.ndarray,
                description: str, table_memory_mb: int | None) -> str:
    """model.onnx and warden-model.json with explanations.tree_cover, mapped node by node by
    make_explanation_fixtures (which asserts that the library's and the graph's trees agree),
    and explanations.table_memory_mb when given (None: left out, Warden's default applies)."""
    fixtures.make_reproducible(model, name.replace("-", "_"))
    onnx.checker.check_model(model)
    ens = explain_fixtures.read_ensemble(model)
    mapping = explain_fixtures.map_trees(name, sources, ens, threshold_rule, weight_rtol=1e-6)
    sess = fixtures.ort_session(model)
    got = explain_fixtures.ort_outputs(sess, {sess.get_inputs()[0].name: sample[:2]})
    inputs, outputs = explain_fixtures.contract_io(sess, got)
    explanations: dict = {"tree_cover": mapping.cover}
    if table_memory_mb is not None:
        explanations["table_memory_mb"] = table_memory_mb
    contract = {
        "name": name,
        "version": "1",
        "description": f"{description}. Written by benchmarks/explain.py.",
        "inputs": inputs,
        "outputs": outputs,
        "features": list(fixtures.NUMERIC),
        "explanations": explanations,
    }
    folder.mkdir(parents=True)
    onnx.save_model(model, folder / "model.onnx")
    (folder / "warden-model.json").write_text(json.dumps(contract, separators=(",", ":")) + "\n")
    for note in mapping.notes:
        print(f"  note ({name}): {note}", flush=True)
    return tree_shape(ens)


def build_xgboost(work: Path, frame, targets, pool: np.ndarray, table_memory_mb: int | None) -> Bench:
    import onnxmltools
    import shap
    import xgboost as xgb
    from onnxmltools.convert.common.data_types import FloatTensorType

    X = fixtures.numeric_matrix(frame)  # float32 with the data's missing values (NaN)
    est = xgb.XGBClassifier(n_estimators=100, max_depth=6, random_state=0, n_jobs=1,
                            tree_method="hist").fit(X, targets["churn"])
    booster = est.get_booster()
    booster.set_param({"nthread": 1})
    name = "bench-xgboost"
    model = onnxmltools.convert_xgboost(est, initial_types=[("input", FloatTensorType([None, F]))])
    details = write_model(work / name, name, model, explain_fixtures.xgb_sources(booster, 2), explain_fixtures.f32,
                          X, "XGBClassifier(n_estimators=100, max_depth=6), binary churn", table_memory_mb)

    def dmatrix(A):
        return xgb.DMatrix(A, missing=np.nan, nthread=1)

    def contribs(A):
        c = booster.predict(dmatrix(A), pred_contribs=True)
        return c[:, :-1].astype(np.float64), float(c[0, -1])

    explainer = shap.TreeExplainer(est)  # no data: path-dependent TreeSHAP
    assert explainer.feature_perturbation == "tree_path_dependent"

    def shap_explain(A):
        sv = np.asarray(explainer.shap_values(A, check_additivity=False), dtype=np.float64).reshape(len(A), F)
        return sv, float(np.ravel(explainer.expected_value)[0])

    # Rows for the check: held-out rows (some with missing values) and two with NaN on purpose.
    check = pool[:14].copy()
    extra = pool[14:16].copy()
    extra[0, fixtures.NUMERIC.index("total_charges")] = np.nan
    extra[1, :] = np.nan
    return Bench(
        "xgboost", "XGBoost(100 trees, depth 6)", details, work / name, name, "input", pool,
        np.vstack([check, extra]), lambda A: est.predict_proba(A)[:, 1],
        [Peer(f"XGBoost {xgb.__version__} pred_contribs, nthread=1", dmatrix,
              lambda dm: booster.predict(dm, pred_contribs=True), contribs, 1e-5),
         Peer(f"shap {shap.__version__} TreeExplainer", lambda A: A,
              lambda A: explainer.shap_values(A, check_additivity=False), shap_explain, 1e-5)])


def build_forest(work: Path, frame, targets, pool_raw: np.ndarray, max_depth: int | None,
                 table_memory_mb: int | None) -> Bench:
    import shap
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer

    X_raw = fixtures.numeric_matrix(frame)
    imputer = SimpleImputer(strategy="median").fit(X_raw)
    X = imputer.transform(X_raw).astype(np.float32)
    pool = imputer.transform(pool_raw).astype(np.float32)
    rf = RandomForestClassifier(n_estimators=100, max_depth=max_depth, random_state=0, n_jobs=1).fit(X, targets["churn"])
    name = "bench-random-forest"
    model = fixtures.skl_matrix(rf, X)  # to_onnx, zipmap=False
    details = write_model(work / name, name, model, explain_fixtures.sk_sources(rf.estimators_, 1 / rf.n_estimators, True),
                          explain_fixtures.largest_f32_at_most, X,
                          f"RandomForestClassifier(n_estimators=100, max_depth={max_depth}), binary churn",
                          table_memory_mb)
    explainer = shap.TreeExplainer(rf)
    assert explainer.feature_perturbation == "tree_path_dependent"

    def shap_explain(A):
        sv = np.asarray(explainer.shap_values(A, check_additivity=False), dtype=np.float64).reshape(len(A), F, 2)
        return sv[:, :, 1], float(np.ravel(explainer.expected_value)[1])

    return Bench(
        "forest", f"RandomForest(100 trees, max_depth={max_depth})", details, work / name, name,
        model.graph.input[0].name, pool, pool[:16].copy(), lambda A: rf.predict_proba(A)[:, 1],
        [Peer(f"shap {shap.__version__} TreeExplainer (class 1)", lambda A: A,
              lambda A: explainer.shap_values(A, check_additivity=False), shap_explain, 1e-6)])


# --------------------------------------------------------------------------
# Warden
# --------------------------------------------------------------------------


class WardenUnavailable(Exception):
    pass


class DeadlineExceeded(RuntimeError):
    """504: the call outlived Warden's deadline (2 s unless --infer-deadline)."""


STALE_HINT = ("this Warden binary does not serve explanations (a stale build?): rebuild with "
              "`swift build -c release`, or pass --warden")


def find_values(obj, key: str):
    """Every value of `key` in a JSON value, at any depth (dicts and lists)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key:
                yield v
            yield from find_values(v, key)
    elif isinstance(obj, list):
        for v in obj:
            yield from find_values(v, key)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Warden:
    """One `warden serve` on CPU 1, in its own session; its log is a file in the temp dir."""

    running: list["Warden"] = []

    def __init__(self, binary: str, folder: Path, log: Path, deadline: float | None):
        self.binary, self.folder, self.log, self.deadline = binary, folder, log, deadline
        self.port, self.probe = free_port(), free_port()
        self.proc: subprocess.Popen | None = None
        self.log_read = 0                   # bytes of the log parsed so far
        self.latencies: list[float] = []    # µs, per infer request, in order
        self.peak_rss_kib: int | None = None  # VmHWM, read by stop() just before the server is stopped

    def command(self) -> list[str]:
        if self.deadline is None:
            return [self.binary, "serve", "--model-dir", str(self.folder), "--insecure-plaintext",
                    "--port", str(self.port), "--probe-port", str(self.probe)]
        # The same server from a configuration file, for the one setting flags do not reach:
        # the route's deadline (default 2 s), which a slow build or a big batch may need.
        config = self.log.with_suffix(".yaml")
        config.write_text(json.dumps({
            "listen": {"host": HOST, "port": self.port, "probe_port": self.probe, "insecure_plaintext": True},
            "models": [{"directory": str(self.folder)}],
            "resilience": {"infer_deadline_seconds": self.deadline},
        }, indent=2) + "\n")
        return [self.binary, "serve", "--config", str(config)]

    def start(self, timeout: float) -> float:
        cmd = ["taskset", "-c", str(BENCH_CPU)] + self.command()
        self.proc = subprocess.Popen(cmd, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        Warden.running.append(self)
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.proc.poll() is not None:
                raise WardenUnavailable(self.failure(f"warden serve exited with {self.proc.returncode}"))
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.probe}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic() - start
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise WardenUnavailable(self.failure(f"not ready after {timeout:.0f}s"))

    def failure(self, what: str) -> str:
        text = self.log.read_text(errors="replace")
        hint = f"\n  {STALE_HINT}" if 'unknown key \\"explanations\\"' in text else ""
        lines = text.splitlines()
        worst = [line for line in lines if '"level":"critical"' in line or '"level":"error"' in line] or lines[-3:]
        tail = "\n".join("    " + line[:300] for line in worst[-3:])
        return f"{what}{hint}\n  log ({self.log}):\n{tail}"

    def infer_latencies_us(self, count: int) -> list[float] | None:
        """latency_ms of the first `count` infer requests in the log (the client is sequential, so
        the n-th line is its n-th call), waiting up to 3 s for the lines to be written."""
        deadline = time.monotonic() + 3
        while True:
            with self.log.open("rb") as f:
                f.seek(self.log_read)
                chunk = f.read()
            end = chunk.rfind(b"\n") + 1
            self.log_read += end
            for line in chunk[:end].decode(errors="replace").splitlines():
                if '"msg":"request"' not in line:
                    continue
                try:
                    record = json.loads(line)
                    if record.get("route", "").endswith("/infer"):
                        self.latencies.append(float(record["latency_ms"]) * 1000)
                except (ValueError, KeyError, AttributeError):
                    continue
            if len(self.latencies) >= count:
                return self.latencies[:count]
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def explainer_method(self, wait: float = 3) -> str | None:
        """What Warden made of the contract's explanations: the `method` of the
        `"event":"model_explainability"` line it logs at load (for a model it cannot explain,
        "not explainable: <reason>"). Each line is parsed as JSON and searched at any depth, so
        the fields may sit at the top level or nested. Waits up to `wait` s for the line to
        reach the file; None when it never does."""
        deadline = time.monotonic() + wait
        while True:
            for line in self.log.read_text(errors="replace").splitlines():
                if "model_explainability" not in line:
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if "model_explainability" not in find_values(record, "event"):
                    continue
                method = next((v for v in find_values(record, "method") if isinstance(v, str)), None)
                if method is not None:
                    return method
                reason = next(find_values(record, "reason"), None)
                return f"not explainable: {reason}" if reason is not None else f"no method in {line[:300]}"
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def read_peak_rss_kib(self) -> int | None:
        """VmHWM of the running server (its peak resident set so far), in KiB. taskset execs
        warden, so the child's pid is Warden's own. None once it has exited."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])  # "VmHWM:    123456 kB"
        except (OSError, ValueError, IndexError):
            pass
        return None

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.peak_rss_kib = self.read_peak_rss_kib()
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                pass
        if self in Warden.running:
            Warden.running.remove(self)


def stop_all() -> None:
    for server in list(Warden.running):
        server.stop()


def _on_signal(signum, _frame):
    stop_all()
    print(f"\ninterrupted by signal {signum}; Warden stopped", file=sys.stderr)
    sys.exit(128 + signum)


class Client:
    """One keep-alive HTTP/1.1 connection: http.client (the default), or requests.Session."""

    HEADERS = {"Content-Type": "application/json"}

    def __init__(self, kind: str, port: int):
        self.kind, self.port = kind, port
        self.calls = 0  # requests sent (each one a line in Warden's log)
        if kind == "requests":
            import requests
            self.session = requests.Session()
            self.base = f"http://{HOST}:{port}"
        else:
            self.conn = http.client.HTTPConnection(HOST, port, timeout=600)

    def post(self, path: str, body: bytes) -> bytes:
        self.calls += 1
        if self.kind == "requests":
            r = self.session.post(self.base + path, data=body, headers=self.HEADERS, timeout=600)
            status, data = r.status_code, r.content
        else:
            try:
                self.conn.request("POST", path, body, self.HEADERS)
                r = self.conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionError):  # the server closed an idle connection
                self.conn.close()
                self.conn.request("POST", path, body, self.HEADERS)
                r = self.conn.getresponse()
            status, data = r.status, r.read()
        if status == 504:
            raise DeadlineExceeded(f"HTTP 504: {data[:300]!r}")
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {data[:300]!r}")
        return data

    def close(self) -> None:
        if self.kind == "requests":
            self.session.close()
        else:
            self.conn.close()


def infer_body(input_name: str, X: np.ndarray, explain: bool, top_k: int) -> bytes:
    """OIP v2 JSON, FP32 [rows, 8], NaN as null; float32 values written exactly."""
    data = [None if math.isnan(v) else v for v in X.astype(np.float64).ravel().tolist()]
    body: dict = {"inputs": [{"name": input_name, "datatype": "FP32", "shape": list(X.shape), "data": data}]}
    if explain:
        body["parameters"] = {"explain": {"top_k": top_k}}
    return json.dumps(body, separators=(",", ":")).encode()


def decode(raw: bytes) -> dict[str, np.ndarray]:
    out = {}
    for o in json.loads(raw)["outputs"]:
        data = o["data"]
        out[o["name"]] = (np.array(data, dtype=object) if o["datatype"] == "BYTES"
                          else np.array(data, dtype=np.float64)).reshape(o["shape"])
    return out


def check_answers(bench: Bench, client: Client, path: str, top_k: int) -> list[str]:
    """Warden's explanation of the check rows against every peer's; raises on a mismatch."""
    X = bench.check_rows
    out = decode(client.post(path, infer_body(bench.input_name, X, True, top_k)))
    names = [n for n in out if n.endswith("__attributions")]
    if not names or "reason_codes" not in out:
        raise WardenUnavailable(f"the answer has no explanation outputs ({sorted(out)}): {STALE_HINT}")
    score = names[0][: -len("__attributions")]
    attr = out[f"{score}__attributions"].reshape(len(X), F)
    base = out[f"{score}__base_value"].reshape(len(X))
    lines = []
    problems = []
    for peer in bench.peers:
        ref, ref_base = peer.explain(X)
        scale = max(1.0, float(np.max(np.abs(ref.sum(axis=1) + ref_base))))
        gap = float(np.max(np.abs(attr - ref))) / scale
        base_gap = float(np.max(np.abs(base - ref_base))) / scale
        ok = gap <= peer.tolerance and base_gap <= peer.tolerance
        lines.append(f"attributions vs {peer.name}: max gap {gap:.1e}, base value {base_gap:.1e} "
                     f"(relative to max(1, |margin|) = {scale:.3g}; tolerance {peer.tolerance:g}) {'ok' if ok else 'MISMATCH'}")
        if not ok:
            problems.append(lines[-1])
    proba = out[score]
    proba1 = proba[:, -1] if proba.ndim == 2 else proba
    proba_gap = float(np.max(np.abs(proba1 - bench.proba1(X))))
    lines.append(f"{score}[class 1] vs the library's predict_proba: max gap {proba_gap:.1e}")
    if proba_gap > 1e-5:
        problems.append(lines[-1])
    codes = out["reason_codes"]
    if codes.shape != (len(X), min(top_k, F)):
        problems.append(f"reason_codes has shape {list(codes.shape)}, expected {[len(X), min(top_k, F)]}")
    lines.append(f"{len(X)} rows ({int(np.isnan(X).any(axis=1).sum())} with missing values); "
                 f"first row's reason codes: {', '.join(codes[0])}")
    if problems:
        raise RuntimeError("Warden's explanation differs from the peers':\n  " + "\n  ".join(problems))
    return lines


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------


def pin_self(cpu: int) -> None:
    """This whole process (every thread, so the libraries' pools too) on one CPU."""
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), {cpu})
        except OSError:
            pass


def core_busy_ticks(cpu: int) -> int:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{cpu} "):
            v = [int(x) for x in line.split()[1:9]]
            return sum(v) - v[3] - v[4]  # minus idle and iowait
    return 0


def process_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (all threads)


def run_for(fn: Callable, items: list, seconds: float, min_calls: int) -> list[float]:
    """Calls fn on items in turn for `seconds` (at least min_calls times); µs per call."""
    samples = []
    i = 0
    deadline = time.perf_counter() + seconds
    while len(samples) < min_calls or time.perf_counter() < deadline:
        item = items[i % len(items)]
        i += 1
        start = time.perf_counter_ns()
        fn(item)
        samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


@dataclass
class Phase:
    """One contender at one batch size in one round."""
    rows: int
    samples: list[float]                   # µs per call
    handler: list[float] | None = None     # Warden's own latency_ms per call, in µs
    other: float = math.nan                # busy share of CPU 1 not used by the timed process

    def rate(self, handler: bool = False) -> float:
        s = self.handler if handler else self.samples
        return math.nan if not s else self.rows * len(s) / (sum(s) / 1e6)


def measure(fn: Callable, items: list, rows: int, args, min_calls: int, pid: int,
            warden: tuple[Warden, Client] | None = None) -> Phase:
    """Warm-up, then a timed run of fn over items, with the other load on CPU 1 and, for
    Warden, its own handler time of each timed call."""
    run_for(fn, items, args.warmup, 1)
    first = warden[1].calls if warden else 0
    busy0, ticks0, t0 = core_busy_ticks(BENCH_CPU), process_ticks(pid), time.monotonic()
    samples = run_for(fn, items, args.duration, min_calls)
    busy1, ticks1, elapsed = core_busy_ticks(BENCH_CPU), process_ticks(pid), time.monotonic() - t0
    phase = Phase(rows, samples)
    phase.other = max(0.0, (busy1 - busy0) - (ticks1 - ticks0)) / CLK_TCK / elapsed
    if warden:
        server, client = warden
        logged = server.infer_latencies_us(client.calls)
        phase.handler = logged[first:first + len(samples)] if logged else None
    return phase


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return math.nan
    s = sorted(samples)
    return s[len(s) // 2] if q == 0.5 else s[min(len(s) - 1, int(len(s) * q))]


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


@dataclass
class Figures:
    label: str
    p50: float = math.nan
    p99: float = math.nan
    rate: float = math.nan
    calls: str = "-"
    other: float = math.nan


def figures(label: str, b1: list[Phase], bn: list[Phase], handler: bool = False) -> Figures:
    def pooled(phases):
        out = []
        for p in phases:
            s = p.handler if handler else p.samples
            if s is None:
                return []
            out += s
        return out
    one = pooled(b1)
    rates = [p.rate(handler) for p in bn]
    rates = [r for r in rates if not math.isnan(r)]
    return Figures(label, percentile(one, 0.5), percentile(one, 0.99),
                   statistics.median(rates) if rates else math.nan,
                   f"{len(one):,} / {sum(len(p.samples) for p in bn):,}",
                   max([p.other for p in b1 + bn], default=math.nan))


def own_cost(label: str, e: Figures, i: Figures, e_bn: list[Phase], i_bn: list[Phase], handler: bool) -> Figures:
    """Explain minus infer: p50 - p50, and per-row time - per-row time (median over rounds)."""
    diffs = []
    for a, b in zip(e_bn, i_bn):
        ra, rb = a.rate(handler), b.rate(handler)
        if not (math.isnan(ra) or math.isnan(rb)):
            diffs.append(1e6 / ra - 1e6 / rb)
    per_row = statistics.median(diffs) if diffs else math.nan
    return Figures(label, e.p50 - i.p50, math.nan, 1e6 / per_row if per_row > 0 else math.nan, "-", math.nan)


def fmt(x: float, spec: str, suffix: str = "") -> str:
    return "-" if x is None or math.isnan(x) else format(x, spec) + suffix


def ratio(a: float, b: float) -> str:
    return fmt(a / b if b and not math.isnan(b) else math.nan, ".2f", "×")


def model_table(rows: list[Figures], batch: int) -> str:
    lines = [f"| explainer | batch-1 p50 µs | batch-1 p99 µs | batch-{batch} rows/s | calls (batch 1 / {batch}) "
             "| other load CPU 1 |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.label} | {fmt(r.p50, ',.1f')} | {fmt(r.p99, ',.1f')} | {fmt(r.rate, ',.0f')} | {r.calls} "
                     f"| {fmt(100 * r.other, '.0f', '%')} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def versions() -> str:
    found = [f"Python {sys.version.split()[0]}"]
    for n in ["numpy", "scikit-learn", "xgboost-cpu", "xgboost", "shap", "onnxmltools", "skl2onnx", "requests"]:
        try:
            found.append(f"{n} {importlib.metadata.version(n)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def run_model(bench: Bench, args, work: Path, client_kind: str) -> dict:
    """Check, then time Warden (explain, infer only) and the peers, round after round."""
    print(f"\n{bench.title}: {bench.details}", flush=True)
    server = Warden(args.warden, bench.folder, work / f"warden-{bench.key}.log", args.infer_deadline)
    client = None
    try:
        pin_self(CLIENT_CPU)
        secs = server.start(args.ready_timeout)
        print(f"  Warden ready in {secs:.1f}s (pid {server.proc.pid}, CPU {BENCH_CPU})", flush=True)
        method = server.explainer_method()
        print(f"  warden explainer ({bench.name}): "
              f"{method or 'no model_explainability line in its log'}", flush=True)
        client = Client(client_kind, server.port)
        path = f"/v2/models/{bench.name}/infer"
        for line in check_answers(bench, client, path, args.top_k):
            print(f"  check: {line}", flush=True)

        n = args.batch_size
        b1_rows = [bench.pool[i:i + 1] for i in range(B1_ROWS)]
        bn_rows = [bench.pool[:n]]
        bodies = {(explain, size): [infer_body(bench.input_name, X, explain, args.top_k) for X in rows]
                  for explain in (True, False) for size, rows in ((1, b1_rows), (n, bn_rows))}
        prepared = {peer.name: {1: [peer.prepare(X) for X in b1_rows], n: [peer.prepare(X) for X in bn_rows]}
                    for peer in bench.peers}
        phases: dict[tuple[str, int], list[Phase]] = {}
        notes: list[str] = []
        over_deadline: set[tuple[str, int]] = set()

        def post(body):
            client.post(path, body)

        for rnd in range(1, args.rounds + 1):
            pin_self(CLIENT_CPU)
            for size, min_calls in ((1, 5), (n, 1)):
                for explain in (True, False):
                    key = ("explain" if explain else "infer", size)
                    if key in over_deadline:
                        continue
                    try:
                        p = measure(post, bodies[(explain, size)], size, args, min_calls, server.proc.pid,
                                    (server, client))
                    except DeadlineExceeded:
                        # Not timed: report it and go on with the rest (the call would take as long again).
                        over_deadline.add(key)
                        deadline = f"{args.infer_deadline:g} s" if args.infer_deadline else "2 s, its default"
                        notes.append(f"{bench.title}: Warden {key[0]} at batch {size} answered 504: one call takes "
                                     f"longer than Warden's deadline ({deadline}); not timed. Pass --infer-deadline "
                                     "60 (the server is then started from a generated --config) or a smaller --batch-size.")
                        print(f"  {notes[-1]}", flush=True)
                        continue
                    phases.setdefault(key, []).append(p)
            pin_self(BENCH_CPU)
            for peer in bench.peers:
                for size, min_calls in ((1, 5), (n, 1)):
                    p = measure(peer.call, prepared[peer.name][size], size, args, min_calls, os.getpid())
                    phases.setdefault((peer.name, size), []).append(p)
            pin_self(CLIENT_CPU)
            done = ", ".join(f"{k[0]} b{k[1]} {percentile(v[-1].samples, 0.5):,.0f} µs p50" if k[1] == 1 else
                             f"{k[0]} b{k[1]} {v[-1].rate():,.0f} rows/s" for k, v in phases.items())
            print(f"  round {rnd}/{args.rounds}: {done}", flush=True)
    finally:
        if client is not None:
            client.close()
        server.stop()  # reads its peak RSS first
    rss = server.peak_rss_kib
    print(f"  warden peak RSS ({bench.name}): {'unknown' if rss is None else f'{rss / 1024:,.0f} MiB'}", flush=True)
    return {"bench": bench, "phases": phases, "notes": notes, "method": method, "peak_rss_kib": rss}


def report(result: dict, args) -> tuple[str, list[str], list[str]]:
    bench, phases, n = result["bench"], result["phases"], args.batch_size

    def get(key):
        return phases.get((key, 1), []), phases.get((key, n), [])

    e_rt = figures("Warden infer + explain, HTTP round trip", *get("explain"))
    e_srv = figures("Warden infer + explain, server side (log latency_ms)", *get("explain"), handler=True)
    i_rt = figures("Warden infer only, HTTP round trip", *get("infer"))
    i_srv = figures("Warden infer only, server side", *get("infer"), handler=True)
    own_rt = own_cost("Warden explanation's own cost (round trip: explain − infer only)", e_rt, i_rt,
                      get("explain")[1], get("infer")[1], False)
    own_srv = own_cost("Warden explanation's own cost (server side: explain − infer only)", e_srv, i_srv,
                       get("explain")[1], get("infer")[1], True)
    peers = [figures(p.name, *get(p.name)) for p in bench.peers]
    table = model_table([e_rt, e_srv, i_rt, i_srv, own_rt, own_srv] + peers, n)

    ratio_lines = []
    for peer in peers:
        for w in (e_rt, e_srv, own_srv):
            ratio_lines.append(f"| {bench.title} | {peer.label} | {w.label.removeprefix('Warden ')} | {ratio(w.p50, peer.p50)} "
                               f"| {ratio(w.p99, peer.p99)} | {ratio(w.rate, peer.rate)} |")

    goals = []
    def mark(ok: bool, value: float) -> str:
        return "n/a" if math.isnan(value) else "met" if ok else "NOT met"

    goals.append(f"{bench.title}: batch-1 explanation under 1 ms: round trip p50 {fmt(e_rt.p50, ',.0f')} µs "
                 f"({mark(e_rt.p50 < GOAL_LATENCY_US, e_rt.p50)}), p99 {fmt(e_rt.p99, ',.0f')} µs "
                 f"({mark(e_rt.p99 < GOAL_LATENCY_US, e_rt.p99)}); server side p50 {fmt(e_srv.p50, ',.0f')} µs, "
                 f"p99 {fmt(e_srv.p99, ',.0f')} µs")
    xgb_peer = next((p for p in peers if "pred_contribs" in p.label), None)
    if xgb_peer is not None:
        parts = []
        for w, what in ((e_rt, "round trip, infer + explain"), (e_srv, "server side, infer + explain"),
                        (own_srv, "explanation only, server side")):
            r = w.rate / xgb_peer.rate
            parts.append(f"{what} {fmt(r, '.2f', '×')} ({mark(r >= 1, r)})")
        goals.append(f"{bench.title}: Warden's single-thread batch-{n} rows/s ÷ XGBoost pred_contribs (nthread=1) "
                     f"{fmt(xgb_peer.rate, ',.0f')} rows/s, goal ≥ 1×: " + "; ".join(parts))
    return table, ratio_lines, goals


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warden", default=str(ROOT / ".build" / "release" / "warden"),
                    help="the warden binary (default: the release build)")
    ap.add_argument("--duration", type=float, default=5, help="seconds of each timed run (one contender, one batch size)")
    ap.add_argument("--warmup", type=float, default=1, help="seconds of the untimed run before each timed run")
    ap.add_argument("--rounds", type=int, default=3, help="rounds alternating Warden and the peers")
    ap.add_argument("--batch-size", type=int, default=1024, help="rows per call of the throughput runs")
    ap.add_argument("--top-k", type=int, default=5, help="reason codes per row (parameters.explain.top_k)")
    ap.add_argument("--rows", type=int, default=20_000, help="training rows")
    ap.add_argument("--rf-max-depth", type=int, default=10, help="RandomForest max_depth (0: None, unlimited)")
    ap.add_argument("--only", help="run only the model whose name contains this text (xgboost, forest)")
    ap.add_argument("--client", choices=["auto", "requests", "http.client"], default="http.client",
                    help="HTTP client (default http.client: on the machine this was written on requests.Session "
                         "adds ~0.7 ms of client-side Python per call, infer-only round trip 1,058 µs against "
                         "337 µs with Warden's own time ~80 µs in both, which would be charged to Warden's round "
                         "trip; auto: requests.Session when installed, else http.client)")
    ap.add_argument("--infer-deadline", type=float,
                    help="serve from a generated --config with resilience.infer_deadline_seconds set to this "
                         "(default: the plain --model-dir command line and Warden's 2 s deadline)")
    ap.add_argument("--table-memory-mb", type=int, metavar="N",
                    help="write explanations.table_memory_mb: N (0...65536) into each contract: the memory for Fast "
                         "TreeSHAP v2's tables, trees past it keep Algorithm 2 (default: key left out, Warden's 64)")
    ap.add_argument("--ready-timeout", type=float, default=120, help="seconds to wait for warden serve")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (models, contracts, Warden logs)")
    args = ap.parse_args()

    if args.batch_size < 2 or args.rounds < 1 or args.duration <= 0 or args.warmup < 0 or not 0 <= args.top_k <= 64:
        ap.error("needs --batch-size >= 2, --rounds >= 1, --duration > 0, --warmup >= 0 and --top-k in 0...64")
    if args.table_memory_mb is not None and not 0 <= args.table_memory_mb <= 65_536:
        ap.error("--table-memory-mb must be in 0...65536 (Warden's range for explanations.table_memory_mb)")
    if not os.access(args.warden, os.X_OK):
        sys.exit(f"no Warden binary at {args.warden}: swift build -c release, or pass --warden")
    if shutil.which("taskset") is None:
        sys.exit("taskset not found (util-linux)")
    if not {CLIENT_CPU, BENCH_CPU} <= os.sched_getaffinity(0):
        sys.exit(f"needs CPUs {CLIENT_CPU} and {BENCH_CPU} (Warden and the peers on {BENCH_CPU}, the client on {CLIENT_CPU})")
    client_kind = args.client
    if client_kind != "http.client":
        try:
            import requests  # noqa: F401
            client_kind = "requests"
        except ImportError:
            if client_kind == "requests":
                sys.exit("--client requests: requests is not installed (pip install requests==2.34.2)")
            client_kind = "http.client"
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    started = time.monotonic()
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="warden-explain-bench-"))
    print(f"warden: {args.warden} (modified {time.strftime('%Y-%m-%d %H:%M', time.localtime(os.path.getmtime(args.warden)))}); "
          f"client: {client_kind}, one keep-alive connection; temp dir {work}", flush=True)
    print(f"versions: {versions()}", flush=True)

    results, problems = [], []
    try:
        pin_self(BENCH_CPU)  # training is single-threaded anyway; keep CPU 0 for the rest of the machine
        rng = np.random.default_rng(fixtures.SEED)
        frame, targets = fixtures.make_churn(args.rows, rng)
        # Held-out rows; a fixed count (make_churn's rows depend on it) keeps them the same for any batch up to 1024.
        pool_frame, _ = fixtures.make_churn(max(args.batch_size, 1024), rng)
        pool = fixtures.numeric_matrix(pool_frame)
        builders = {"xgboost": lambda: build_xgboost(work, frame, targets, pool, args.table_memory_mb),
                    "forest": lambda: build_forest(work, frame, targets, pool, args.rf_max_depth or None,
                                                   args.table_memory_mb)}
        benches = []
        for key, build in builders.items():
            if args.only and args.only.lower() not in key:
                continue
            t = time.monotonic()
            benches.append(build())
            print(f"trained, converted and mapped {benches[-1].title} in {time.monotonic() - t:.1f}s", flush=True)
        for bench in benches:
            try:
                results.append(run_model(bench, args, work, client_kind))
            except (WardenUnavailable, RuntimeError, OSError) as exc:
                problems.append(f"{bench.title}: {exc}")
                print(f"  FAILED: {exc}", flush=True)
    finally:
        stop_all()

    n = args.batch_size
    print(f"\n## Explanations, one core each: {args.rounds} round(s) of {args.duration:g}s per run after "
          f"{args.warmup:g}s warm-up; batch 1 cycles over {B1_ROWS} held-out rows, batch {n} is one "
          f"{n}-row request; top_k {args.top_k}")
    all_ratios, all_goals = [], []
    for result in results:
        table, ratios, goals = report(result, args)
        print(f"\n### {result['bench'].title}\n\n{result['bench'].details}\n")
        print(table)
        all_ratios += ratios
        all_goals += goals
        problems += result["notes"]
    if all_ratios:
        print(f"\n### Ratios, Warden ÷ peer (latency: < 1× means Warden is faster; rows/s: > 1× means Warden is faster)\n")
        print(f"| model | peer | Warden figure | batch-1 p50 | batch-1 p99 | batch-{n} rows/s |")
        print("|---|---|---|---:|---:|---:|")
        print("\n".join(all_ratios))
    if all_goals:
        print("\n### Goals\n")
        for g in all_goals:
            print(f"- {g}")
    print("\n### Notes\n")
    print(f"- Warden runs under `taskset -c {BENCH_CPU}`; the peers run in this process pinned to CPU {BENCH_CPU} "
          f"(every thread), single-threaded; the HTTP client (this process, {client_kind}) runs on CPU {CLIENT_CPU}.")
    print("- Round trip: send the body, read the whole answer (not parsed). Server side: Warden's per-request log "
          "line (latency_ms), from routing to the built response. The explanation's own cost is explain minus infer "
          "only: p50 minus p50, and per-row time minus per-row time at the large batch.")
    print("- Peers are timed on the call alone: pred_contribs on a prebuilt DMatrix, shap_values(X, "
          "check_additivity=False) on a float32 array.")
    print("- \"other load CPU 1\" is the largest share of CPU 1, over the runs of a row, that something other than "
          "the timed process used; above a few percent the figures are disturbed by other work on the machine.")
    launch = ("`warden serve --model-dir DIR --insecure-plaintext --port P --probe-port P2` (Warden's default 2 s deadline)"
              if args.infer_deadline is None else
              f"`warden serve --config` (listen: 127.0.0.1, plain HTTP; resilience.infer_deadline_seconds: "
              f"{args.infer_deadline:g})")
    print(f"- Warden was started as {launch}.")
    tables = ("explanations.table_memory_mb not set (Warden's default, 64)" if args.table_memory_mb is None else
              f"explanations.table_memory_mb: {args.table_memory_mb}")
    for result in results:
        title = result["bench"].title
        print(f"- Warden explainer ({title}; {tables}): {result['method'] or 'no model_explainability line in its log'}")
    for result in results:
        rss = result["peak_rss_kib"]
        print(f"- Warden peak RSS ({result['bench'].title}): "
              f"{'unknown' if rss is None else f'{rss / 1024:,.0f} MiB'} (VmHWM, read just before it was stopped)")
    load_after = os.getloadavg()
    print(f"- Load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after; whole run "
          f"{time.monotonic() - started:.0f}s.")
    for p in problems:
        print(f"- Problem: {' '.join(line.strip() for line in p.splitlines()[:2])}")
    if args.keep or problems:
        print(f"- Models, contracts and Warden logs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems or not results else 0


if __name__ == "__main__":
    sys.exit(main())
