"""Restricted-pod emulation: `warden fetch`, then `warden serve --require-hardened`, inside
bubblewrap the way a restricted pod runs them — root filesystem read-only (`--ro-bind / /`),
a fresh tmpfs /tmp, every capability dropped, a seccomp filter denying ptrace, mount, unshare,
bpf and keyctl, and `setpriv --reuid 65532 --no-new-privs --inh-caps=-all`. The hardened server
serves real mTLS requests; taking away any one protection makes exactly that check fail and
`--require-hardened` refuse to start."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests

import seccomp_bpf
from conftest import HOST, STARTUP_TIMEOUT, _die_with_parent, free_ports, warden_binary
from test_fetch import make_world, sbom  # noqa: F401  (sbom is a fixture used by make_world's caller)
from trust_tools import require_trust_venv

UID = 65532
CLIENT = "spiffe://warden.test/ns/serving/sa/gateway"
PROTECTIONS = ("non_root", "no_capabilities", "seccomp", "read_only_root", "read_only_models")


def require_sandbox_tools() -> None:
    missing = [tool for tool in ("bwrap", "setpriv") if shutil.which(tool) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} not installed (scripts/setup.sh installs bubblewrap)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def lab(sbom) -> Path:  # noqa: F811
    """A world-readable folder outside /tmp (the sandbox gets a fresh /tmp) holding the
    binary, a signed and approved model in an OCI layout, and a dev PKI; owned by UID."""
    require_sandbox_tools()
    require_trust_venv()
    root = Path(tempfile.mkdtemp(prefix="warden-hardening-", dir="/var/tmp"))
    os.chmod(root, 0o755)
    (root / "world").mkdir()
    world = make_world(root / "world", sbom)
    (root / "bin").mkdir()
    shutil.copy2(warden_binary(), root / "bin" / "warden")
    subprocess.run([str(root / "bin" / "warden"), "dev-pki", "--out", str(root / "pki")], check=True, capture_output=True,
                   timeout=60)
    (root / "models").mkdir()
    (root / "digest").write_text(world.digest)
    (root / "ref").write_text(world.ref())
    subprocess.run(["chown", "-R", f"{UID}:{UID}", str(root)], check=True)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def seccomp_filter() -> Iterator[int]:
    """The seccomp program in a file of its own, as a descriptor to pass to one sandbox: bwrap
    reads it through the descriptor, moving an offset every holder shares. The parent may close
    it once the child has started."""
    with tempfile.TemporaryFile() as program:
        program.write(seccomp_bpf.program())
        program.seek(0)
        yield program.fileno()


def sandboxed(lab: Path, command: list[str], seccomp: int, *, lab_writable: bool = False, drop: str | None = None) -> list[str]:
    """The command inside bubblewrap as a restricted pod runs it (SECCOMP: a descriptor from
    seccomp_filter), less the protection named by DROP."""
    identity = [] if drop == "non_root" else [
        "setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups", "--no-new-privs", "--inh-caps=-all"]
    bwrap = ["bwrap", "--die-with-parent", "--unshare-pid", "--proc", "/proc", "--dev", "/dev"]
    bwrap += ["--bind", "/", "/"] if drop == "read_only_root" else ["--ro-bind", "/", "/"]
    bwrap += ["--tmpfs", "/tmp"]
    bwrap += ["--bind" if lab_writable else "--ro-bind", str(lab), str(lab)]
    if drop == "read_only_models":
        bwrap += ["--bind", str(lab / "models"), str(lab / "models")]
    # Every capability dropped, as `capabilities: {drop: [ALL]}`; the weakened pod adds one
    # back, as a manifest asking for NET_BIND_SERVICE would.
    bwrap += ["--cap-drop", "ALL"]
    if drop == "no_capabilities":
        bwrap += ["--cap-add", "CAP_NET_BIND_SERVICE"]
    if drop != "seccomp":
        bwrap += ["--seccomp", str(seccomp)]
    return identity + bwrap + ["--", *command]


@pytest.fixture(scope="module")
def installed(lab: Path) -> Path:
    """`warden fetch` inside the sandbox as UID 65532: verifies and installs into the lab."""
    fetch = [str(lab / "bin" / "warden"), "fetch", "--model", (lab / "ref").read_text(), "--trust", str(lab / "world" / "trust.yaml"),
             "--expected-digest", (lab / "digest").read_text(), "--dest", str(lab / "models" / "churn")]
    with seccomp_filter() as seccomp:
        result = subprocess.run(sandboxed(lab, fetch, seccomp, lab_writable=True), pass_fds=[seccomp], capture_output=True,
                                text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (lab / "models" / "churn" / "model.onnx").stat().st_uid == UID
    return lab / "models" / "churn"


def serve_command(lab: Path, port: int, probe_port: int) -> list[str]:
    pki = lab / "pki"
    return [
        str(lab / "bin" / "warden"), "serve", "--require-hardened", "--hardened",
        "--model-dir", str(lab / "models" / "churn"), "--expected-digest", (lab / "digest").read_text(),
        "--host", HOST, "--port", str(port), "--probe-port", str(probe_port),
        "--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server.key"), "--client-ca", str(pki / "ca.pem"),
        "--allow-client", CLIENT,
    ]


def start(command: list[str], descriptor: int) -> subprocess.Popen:
    return subprocess.Popen(command, pass_fds=[descriptor], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True, preexec_fn=_die_with_parent)


def wait_ready(process: subprocess.Popen, probe_port: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            if requests.get(f"http://{HOST}:{probe_port}/readyz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail("the sandboxed server did not become ready")


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def test_fetch_then_hardened_serve_inside_a_restricted_sandbox(lab, installed):
    port, probe_port = free_ports(2)
    with seccomp_filter() as seccomp:
        server = start(sandboxed(lab, serve_command(lab, port, probe_port), seccomp), seccomp)
    try:
        wait_ready(server, probe_port)
        pki = lab / "pki"
        client = dict(cert=(str(pki / "gateway.pem"), str(pki / "gateway.key")), verify=str(pki / "ca.pem"), timeout=10)
        request = (Path(__file__).resolve().parents[2] / "examples" / "requests" / "churn-infer.json").read_bytes()
        answer = requests.post(f"https://localhost:{port}/v2/models/churn/infer", data=request,
                               headers={"Content-Type": "application/json"}, **client)
        assert answer.status_code == 200, answer.text
        assert answer.json()["outputs"], answer.text
        metrics = requests.get(f"https://localhost:{port}/metrics", **client).text
        assert "warden_runtime_hardened 1.0" in metrics
        for check in (*PROTECTIONS, "no_new_privs", "no_secrets_in_environment"):
            assert f'warden_runtime_hardening_check{{check="{check}"}} 1.0' in metrics, check
        ready = requests.get(f"https://localhost:{port}/v2/health/ready", **client).json()
        assert ready == {"ready": True}, ready
    finally:
        output = stop(server)
    assert '"event":"runtime_posture"' in output and '"hardened":"true"' in output, output[-2000:]
    # The files the server read are not its to change, even in the kernel's eyes.
    assert installed.stat().st_mode & 0o222 == 0


@pytest.mark.parametrize("drop", PROTECTIONS)
def test_require_hardened_refuses_to_start_without_each_protection(lab, installed, drop):
    port, probe_port = free_ports(2)
    with seccomp_filter() as seccomp:
        result = subprocess.run(sandboxed(lab, serve_command(lab, port, probe_port), seccomp, drop=drop), pass_fds=[seccomp],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr
    refusal = [line for line in result.stdout.splitlines() if '"runtime_posture_refused"' in line]
    assert len(refusal) == 1, result.stdout[-2000:]
    # Exactly the protection taken away is named: the checks are specific, not all-or-nothing.
    assert f"({drop})" in refusal[0], refusal[0]
    assert '"event":"listening"' not in result.stdout
