"""Fixtures for the interop tests: a real `warden serve` process on free loopback ports.

The binary is $WARDEN_BINARY (a relative path is taken from the repository root), else
.build/debug/warden under the repository root, found from this file's location. Every
server is started on 127.0.0.1 with ports picked here, is ready once its probe port answers
GET /readyz with 200 (within STARTUP_TIMEOUT), and is stopped with SIGTERM (then SIGKILL if
it does not exit) when its fixture ends, whatever the test's outcome. Its stdout (JSON log
lines) and stderr are captured for assertions.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
CHURN_DIR = REPO_ROOT / "examples" / "churn"
FIXTURES_DIR = REPO_ROOT / "Tests" / "WardenONNXTests" / "Fixtures"
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


def warden_binary() -> Path:
    raw = os.environ.get("WARDEN_BINARY")
    path = Path(raw) if raw else REPO_ROOT / ".build" / "debug" / "warden"
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all held open until every one is picked)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _die_with_parent() -> None:
    """In the child before exec: Linux sends it SIGKILL if pytest dies without cleaning up
    (killed by a CI timeout, say), so no server outlives the test run."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


# Every process started here, so that even an interrupted session leaves none behind.
_LIVE: set["WardenProcess"] = set()
_LIVE_LOCK = threading.Lock()


@atexit.register
def _kill_leftovers() -> None:
    with _LIVE_LOCK:
        leftovers = list(_LIVE)
    for server in leftovers:
        server.kill()


class ServerStartError(RuntimeError):
    pass


class WardenProcess:
    """One `warden serve` process and everything it printed."""

    def __init__(self, args: list[str], *, config: dict | None, workdir: Path, label: str):
        self.extra_args = args
        self.config = config
        self.workdir = workdir
        self.label = label
        self.port = 0
        self.probe_port = 0
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None
        self._lines: list[tuple[float, str]] = []  # (time.monotonic() when read, line)
        self._stderr: list[str] = []
        self._lock = threading.Lock()
        self._readers: list[threading.Thread] = []

    # -- addresses ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def host_port(self) -> str:
        """host:port, as tritonclient wants it."""
        return f"{HOST}:{self.port}"

    @property
    def probe_url(self) -> str:
        return f"http://{HOST}:{self.probe_port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    # -- lifecycle ---------------------------------------------------------------------
    def start(self, attempts: int = 3, expect_ready: bool = True) -> "WardenProcess":
        """Starts and waits until Ready; with `expect_ready=False`, only until the probe port
        answers (a server that must stay unready, failing closed)."""
        binary = warden_binary()
        if not binary.is_file() or not os.access(binary, os.X_OK):
            raise ServerStartError(
                f"warden binary not found at {binary}: build it (swift build) or set WARDEN_BINARY"
            )
        last_error: Exception | None = None
        for _ in range(attempts):
            self.port, self.probe_port = free_ports(2)
            command = [str(binary), "serve"]
            if self.config is not None:
                config = json.loads(json.dumps(self.config))
                listen = config.setdefault("listen", {})
                listen.update({"host": HOST, "port": self.port, "probe_port": self.probe_port})
                if "tls" not in config:
                    listen["insecure_plaintext"] = True  # the plain-HTTP tests; test_mtls.py serves mTLS
                path = self.workdir / f"warden-{self.label}-{self.port}.yaml"
                # JSON is YAML: the flow style needs no YAML library here.
                path.write_text(json.dumps(config, indent=2) + "\n")
                command += ["--config", str(path)]
            else:
                command += ["--host", HOST, "--port", str(self.port), "--probe-port", str(self.probe_port)]
                if "--tls-cert" not in self.extra_args:
                    command.append("--insecure-plaintext")
            command += self.extra_args
            self._launch(command)
            try:
                self._wait_ready(STARTUP_TIMEOUT, any_answer=not expect_ready)
                return self
            except ServerStartError as error:
                last_error = error
                self.kill()
                if "address already in use" not in self.output().lower():
                    raise
        raise ServerStartError(f"could not start {self.label} after {attempts} attempts: {last_error}")

    def _launch(self, command: list[str]) -> None:
        with self._lock:
            self._lines.clear()
            self._stderr.clear()
        self.returncode = None
        self.command = command
        self.proc = subprocess.Popen(
            command,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C on pytest must not reach it first
            preexec_fn=_die_with_parent,
        )
        with _LIVE_LOCK:
            _LIVE.add(self)
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, False), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, True), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream, is_stderr: bool) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                if is_stderr:
                    self._stderr.append(line)
                else:
                    self._lines.append((time.monotonic(), line))
        stream.close()

    def _wait_ready(self, timeout: float, any_answer: bool = False) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._join_readers()
                raise ServerStartError(
                    f"warden exited with {self.proc.returncode} before it was ready:\n{self.output()}"
                )
            try:
                status = requests.get(f"{self.probe_url}/readyz", timeout=1).status_code
                if status == 200 or any_answer:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise ServerStartError(f"warden was not ready within {timeout} s:\n{self.output()}")

    def signal(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        """Waits for exit; returns the exit code (raises subprocess.TimeoutExpired)."""
        assert self.proc is not None
        self.returncode = self.proc.wait(timeout)
        self._join_readers()
        with _LIVE_LOCK:
            _LIVE.discard(self)
        return self.returncode

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM and wait; SIGKILL if it has not exited within `timeout`."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            try:
                self.signal(signal.SIGTERM)
                return self.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise
        return self.wait(timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
            self._join_readers()
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _join_readers(self) -> None:
        for reader in self._readers:
            reader.join(5)

    # -- output ------------------------------------------------------------------------
    def lines(self, since: int = 0) -> list[str]:
        with self._lock:
            return [line for _, line in self._lines[since:]]

    def timed_lines(self, since: int = 0) -> list[tuple[float, str]]:
        with self._lock:
            return list(self._lines[since:])

    def mark(self) -> int:
        """A position in the log: pass it as `since` to look only at what came after."""
        with self._lock:
            return len(self._lines)

    def stderr(self) -> str:
        with self._lock:
            return "\n".join(self._stderr)

    def output(self) -> str:
        return "\n".join(self.lines()) + ("\n[stderr]\n" + self.stderr() if self.stderr() else "")

    def records(self, since: int = 0) -> list[dict]:
        """The stdout lines as JSON objects (a line that is not JSON raises)."""
        return [json.loads(line) for line in self.lines(since) if line.strip()]

    def request_records(self, since: int = 0) -> list[dict]:
        return [r for r in self.records(since) if r.get("msg") == "request"]

    def wait_for_record(self, predicate: Callable[[dict], bool], timeout: float = 5.0, since: int = 0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for record in self.records(since):
                if predicate(record):
                    return record
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching log record within {timeout} s; log:\n{self.output()}")
            time.sleep(0.02)

    def wait_for_request_ids(self, ids: list[str], timeout: float = 5.0, since: int = 0) -> dict[str, list[dict]]:
        """Waits until every request id has a request log line; returns the lines by id."""
        deadline = time.monotonic() + timeout
        while True:
            found: dict[str, list[dict]] = {i: [] for i in ids}
            for record in self.request_records(since):
                if record.get("request_id") in found:
                    found[record["request_id"]].append(record)
            if all(found.values()) or time.monotonic() > deadline:
                return found
            time.sleep(0.02)


@dataclass
class _Starter:
    workdir: Path
    started: list[WardenProcess]

    def __call__(
        self,
        *,
        model_dir: Path | str | None = None,
        name: str | None = None,
        version: str | None = None,
        config: dict | None = None,
        extra_args: list[str] | None = None,
        label: str = "warden",
        expect_ready: bool = True,
    ) -> WardenProcess:
        args: list[str] = []
        if model_dir is not None:
            args += ["--model-dir", str(model_dir)]
        if name is not None:
            args += ["--name", name]
        if version is not None:
            args += ["--version", version]
        args += extra_args or []
        server = WardenProcess(args, config=config, workdir=self.workdir, label=label)
        self.started.append(server)
        return server.start(expect_ready=expect_ready)

    def stop_all(self) -> None:
        for server in self.started:
            if server.running():
                try:
                    server.stop(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            server.kill()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _print_log(server: WardenProcess, last: int = 60) -> None:
    print(f"--- {server.label} (pid {server.proc.pid if server.proc else '-'}), last {last} log lines ---")
    print("\n".join(server.lines()[-last:]))
    if server.stderr():
        print("[stderr]\n" + server.stderr()[-4000:])


@pytest.fixture
def start_warden(tmp_path) -> Iterator[_Starter]:
    """Starts `warden serve` processes for one test; all are stopped when it ends."""
    starter = _Starter(tmp_path, [])
    yield starter
    starter.stop_all()


@pytest.fixture(autouse=True)
def _server_logs_on_failure(request):
    """Prints the logs of the servers a failed test used (shown with the failure)."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    servers: list[WardenProcess] = []
    for value in getattr(request.node, "funcargs", {}).values():
        candidates = value.started if isinstance(value, _Starter) else [value]
        servers += [c for c in candidates if isinstance(c, WardenProcess) and c not in servers]
    for server in servers:
        _print_log(server)


@pytest.fixture(scope="session")
def _session_starter(tmp_path_factory) -> Iterator[_Starter]:
    starter = _Starter(tmp_path_factory.mktemp("warden-session"), [])
    yield starter
    starter.stop_all()


@pytest.fixture(scope="session")
def churn_server(_session_starter) -> WardenProcess:
    """The bundled churn example, served from flags (--model-dir), shared by the session."""
    return _session_starter(model_dir=CHURN_DIR, label="churn")


@pytest.fixture(scope="session")
def random_forest_dir(tmp_path_factory) -> Path:
    """A directory holding only model.onnx (random forest, input X FP32 [-1, 8]): a derived
    contract, and the model is named after the directory."""
    directory = tmp_path_factory.mktemp("models") / "random_forest"
    directory.mkdir()
    shutil.copyfile(FIXTURES_DIR / "random_forest.onnx", directory / "model.onnx")
    return directory


@pytest.fixture(scope="session")
def random_forest_server(_session_starter, random_forest_dir) -> WardenProcess:
    return _session_starter(model_dir=random_forest_dir, label="random_forest")


# -- test data -------------------------------------------------------------------------

CHURN_CONTRACT = json.loads((CHURN_DIR / "warden-model.json").read_text())
CHURN_INPUTS = [(spec["name"], spec["datatype"]) for spec in CHURN_CONTRACT["inputs"]]
NUMPY_TYPES = {"INT64": np.int64, "FP32": np.float32, "BYTES": np.object_}
CONTRACTS = ["month-to-month", "one-year", "two-year"]
PAYMENTS = ["card", "bank", "check", "electronic"]


def churn_with_contract(directory: Path, edit: Callable[[dict], None]) -> Path:
    """A copy of the churn example in `directory/churn` whose contract `edit` changed."""
    model = directory / "churn"
    model.mkdir()
    shutil.copyfile(CHURN_DIR / "model.onnx", model / "model.onnx")
    contract = json.loads((CHURN_DIR / "warden-model.json").read_text())
    edit(contract)
    (model / "warden-model.json").write_text(json.dumps(contract))
    return model


def churn_batch(rows: int, seed: int = 7) -> dict[str, np.ndarray]:
    """A deterministic batch of customers: input name -> array of shape [rows, 1]."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 73, rows)
    services = rng.integers(1, 7, rows)
    monthly = np.round(20 + 12 * services + rng.normal(0, 8, rows), 2)
    columns: dict[str, Any] = {
        "tenure": tenure,
        "monthly_charges": monthly,
        "total_charges": np.round(tenure * monthly, 2),
        "support_calls": rng.poisson(1.5, rows),
        "num_services": services,
        "data_usage_gb": np.round(rng.gamma(2.0, 8.0, rows), 1),
        "days_since_login": np.round(rng.exponential(10.0, rows), 1),
        "age": rng.integers(18, 85, rows),
        "contract": rng.choice(CONTRACTS, rows),
        "payment": rng.choice(PAYMENTS, rows),
    }
    batch = {}
    for name, datatype in CHURN_INPUTS:
        values = columns[name]
        if datatype == "BYTES":
            batch[name] = np.array([str(v).encode() for v in values], dtype=np.object_).reshape(rows, 1)
        else:
            batch[name] = np.asarray(values).astype(NUMPY_TYPES[datatype]).reshape(rows, 1)
    return batch


def churn_instances(batch: dict[str, np.ndarray], as_objects: bool) -> list:
    """The batch as KServe v1 instances: rows as arrays (contract order) or objects."""
    rows = next(iter(batch.values())).shape[0]
    instances = []
    for row in range(rows):
        values = {}
        for name, datatype in CHURN_INPUTS:
            value = batch[name][row, 0]
            values[name] = value.decode() if datatype == "BYTES" else value.item()
        instances.append(values if as_objects else [values[name] for name, _ in CHURN_INPUTS])
    return instances


def churn_v2_json(batch: dict[str, np.ndarray], **extra) -> dict:
    """The batch as an Open Inference Protocol v2 JSON request body."""
    inputs = []
    for name, datatype in CHURN_INPUTS:
        array = batch[name]
        data = [v.decode() for v in array.ravel()] if datatype == "BYTES" else array.ravel().tolist()
        inputs.append({"name": name, "datatype": datatype, "shape": list(array.shape), "data": data})
    return {"inputs": inputs, **extra}


def random_forest_cases() -> dict:
    return json.loads((FIXTURES_DIR / "random_forest.cases.json").read_text())
