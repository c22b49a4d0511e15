"""NetworkPolicy emulation: the NetworkPolicies rendered from deploy/kubernetes/overlays/prod
are compiled to nftables (netpol_nft.py) and loaded into network namespaces joined by veth
pairs on a bridge, one namespace per "pod". Warden serves in its pod; the gateway pod reaches
the serving port, a pod with the gateway's labels in another namespace does not, nor does the
gateway reach the probe port; the synthetic probe's pod passes `warden probe` against the serving
port and reaches nothing else; Warden's own egress reaches the telemetry collector and not an
address the policies do not name."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT, STARTUP_TIMEOUT, _die_with_parent, warden_binary
from netpol_nft import Pod, ruleset

TAG = f"np{os.getpid() % 10000}"
# RFC 2544's benchmarking range: addresses of this test's own namespaces, nothing else.
PODS = [
    Pod("warden", "models", {"app.kubernetes.io/name": "warden", "app.kubernetes.io/instance": "churn"}, "198.18.0.2"),
    Pod("gateway", "gateway", {"app.kubernetes.io/name": "inference-gateway"}, "198.18.0.3"),
    Pod("impostor", "other", {"app.kubernetes.io/name": "inference-gateway"}, "198.18.0.4"),
    Pod("collector", "monitoring", {"app.kubernetes.io/name": "otel-collector"}, "198.18.0.5"),
    Pod("elsewhere", "other", {"app.kubernetes.io/name": "somewhere"}, "198.18.0.6"),
    Pod("prober", "models", {"app.kubernetes.io/name": "warden-probe", "app.kubernetes.io/instance": "churn"}, "198.18.0.7"),
]
ADDRESS = {pod.name: pod.address for pod in PODS}
CLIENT = "spiffe://warden.test/ns/serving/sa/gateway"
PROBER = "spiffe://warden.test/ns/models/sa/warden-churn-probe"


def netns(pod: str) -> str:
    return f"{TAG}-{pod}"


def run(*args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    result = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)}: {result.stderr}")
    return result


def in_pod(pod: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return run("ip", "netns", "exec", netns(pod), *args, **kwargs)


def rendered_policies() -> list[dict]:
    kubectl = shutil.which("kubectl") or str(REPO_ROOT / ".venv-deploy" / "bin" / "kubectl")
    text = run(kubectl, "kustomize", str(REPO_ROOT / "deploy" / "kubernetes" / "overlays" / "prod")).stdout
    return [document for document in yaml.safe_load_all(text) if document and document["kind"] == "NetworkPolicy"]


def require_tools() -> None:
    missing = [tool for tool in ("ip", "nft", "curl") if shutil.which(tool) is None]
    if missing or os.geteuid() != 0:
        message = f"network namespaces need root and {', '.join(missing) or 'ip, nft, curl'} (scripts/setup.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The namespaces, the bridge, and every pod's compiled policy loaded."""
    require_tools()
    policies = rendered_policies()
    assert {policy["metadata"]["name"] for policy in policies} == {"default-deny", "warden-churn", "warden-churn-probe"}
    hub = netns("hub")
    created = []
    try:
        run("ip", "netns", "add", hub)
        created.append(hub)
        run("ip", "-n", hub, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", hub, "link", "set", "br0", "up")
        rules = {}
        for index, pod in enumerate(PODS):
            run("ip", "netns", "add", netns(pod.name))
            created.append(netns(pod.name))
            port = f"v{TAG}{index}"
            run("ip", "-n", hub, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", netns(pod.name))
            run("ip", "-n", hub, "link", "set", port, "master", "br0", "up")
            in_pod(pod.name, "ip", "addr", "add", f"{pod.address}/24", "dev", "eth0")
            in_pod(pod.name, "ip", "link", "set", "eth0", "up")
            in_pod(pod.name, "ip", "link", "set", "lo", "up")
            rules[pod.name] = ruleset(pod, policies, PODS)
            subprocess.run(["ip", "netns", "exec", netns(pod.name), "nft", "-f", "-"], input=rules[pod.name], text=True,
                           check=True, capture_output=True, timeout=30)
        # Only Warden's namespace has policies: the others are not isolated.
        assert "policy drop" in rules["warden"] and "policy drop" in rules["prober"] and "policy drop" not in rules["gateway"]
        yield tmp_path_factory.mktemp("netpol")
    finally:
        for name in reversed(created):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)


class Listener:
    """A TCP listener in a pod that counts the connections it accepts (a stand-in collector)."""

    SCRIPT = (
        "import socket,sys\n"
        "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(('0.0.0.0',int(sys.argv[1]))); s.listen(64)\n"
        "n=0\n"
        "while True:\n"
        "    c,_=s.accept(); n+=1; open(sys.argv[2],'w').write(str(n)); c.close()\n"
    )

    def __init__(self, pod: str, port: int, workdir: Path):
        self.count_file = workdir / f"{pod}-{port}.count"
        self.count_file.write_text("0")
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", netns(pod), "python3", "-c", self.SCRIPT, str(port), str(self.count_file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)

    @property
    def accepted(self) -> int:
        return int(self.count_file.read_text() or 0)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def served(cluster):
    """Two Warden servers in the Warden pod: one exporting traces to the collector (allowed),
    one to an address no policy names."""
    workdir = cluster
    run(str(warden_binary()), "dev-pki", "--out", str(workdir / "pki"), "--client", "gateway=ns/serving/sa/gateway",
        "--client", "prober=ns/models/sa/warden-churn-probe")
    listeners = {name: Listener(name, 4318, workdir) for name in ("collector", "elsewhere")}
    servers = []
    try:
        for port, probe, target in ((8443, 8081, "collector"), (9443, 9081, "elsewhere")):
            pki = workdir / "pki"
            command = [
                "ip", "netns", "exec", netns("warden"), str(warden_binary()), "serve", "--host", "0.0.0.0",
                "--port", str(port), "--probe-port", str(probe), "--tls-cert", str(pki / "server.pem"),
                "--tls-key", str(pki / "server.key"), "--client-ca", str(pki / "ca.pem"), "--allow-client", CLIENT, "--allow-client", PROBER,
                "--otlp-endpoint", f"http://{ADDRESS[target]}:4318/v1/traces",
            ]
            servers.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                            start_new_session=True, preexec_fn=_die_with_parent))
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while in_pod("warden", "curl", "-fsS", f"http://127.0.0.1:{probe}/readyz", check=False).returncode != 0:
                assert servers[-1].poll() is None, servers[-1].stdout.read()
                assert time.monotonic() < deadline, "warden did not become ready in its pod"
                time.sleep(0.2)
        yield workdir, listeners
    finally:
        for server in servers:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        for listener in listeners.values():
            listener.stop()


def mtls_curl(pod: str, workdir: Path, port: int, path: str, *extra: str) -> subprocess.CompletedProcess:
    pki = workdir / "pki"
    return in_pod(
        pod, "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--connect-timeout", "3",
        "--resolve", f"localhost:{port}:{ADDRESS['warden']}", "--cacert", str(pki / "ca.pem"),
        "--cert", str(pki / "gateway.pem"), "--key", str(pki / "gateway.key"), *extra, f"https://localhost:{port}{path}",
        check=False)


def test_the_gateway_reaches_the_serving_port(served):
    workdir, _ = served
    request = REPO_ROOT / "examples" / "requests" / "churn-infer.json"
    result = mtls_curl("gateway", workdir, 8443, "/v2/models/churn/infer", "-H", "Content-Type: application/json",
                       "--data-binary", f"@{request}")
    assert result.stdout == "200", result.stderr


def test_the_gateways_labels_in_another_namespace_are_not_enough(served):
    workdir, _ = served
    result = mtls_curl("impostor", workdir, 8443, "/v2/health/ready")
    # Dropped, not refused: the TCP handshake never completes (curl exit 28, connect timeout).
    assert result.returncode == 28 and result.stdout == "000", result.stderr


def test_the_gateway_does_not_reach_the_probe_port(served):
    workdir, _ = served
    result = in_pod("gateway", "curl", "-sS", "--connect-timeout", "3", f"http://{ADDRESS['warden']}:8081/readyz", check=False)
    assert result.returncode == 28, result.stdout + result.stderr


def test_wardens_egress_reaches_telemetry_and_nothing_else(served):
    workdir, listeners = served
    # The collector breaker probes every 2 s: the allowed collector sees them, the other
    # address sees none, and that server's breaker opens.
    deadline = time.monotonic() + 15
    while listeners["collector"].accepted == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert listeners["collector"].accepted > 0
    opened = False
    while time.monotonic() < deadline and not opened:
        metrics = in_pod("warden", "curl", "-sS", "--cacert", str(workdir / "pki" / "ca.pem"),
                         "--cert", str(workdir / "pki" / "gateway.pem"), "--key", str(workdir / "pki" / "gateway.key"),
                         "https://localhost:9443/metrics", check=False).stdout
        opened = 'warden_outbound_circuit_state{dependency="telemetry",state="open"} 1.0' in metrics
        time.sleep(0.5)
    assert opened, "the breaker of the server exporting to a non-allowed address did not open"
    assert listeners["elsewhere"].accepted == 0
    # The same address is reachable from a pod the policies do not isolate: it is the policy,
    # not the topology, that stops Warden.
    assert in_pod("gateway", "curl", "-s", "--connect-timeout", "3", f"http://{ADDRESS['elsewhere']}:4318/",
                  check=False).returncode != 28
    assert listeners["elsewhere"].accepted >= 1


def test_the_synthetic_probe_reaches_the_serving_port_and_nothing_else(served):
    workdir, _ = served
    pki = workdir / "pki"
    probe = in_pod("prober", str(warden_binary()), "probe", "--server", f"{ADDRESS['warden']}:8443", "--server-id",
                   "spiffe://warden.test/warden", "--ca", str(pki / "ca.pem"), "--tls-cert", str(pki / "prober.pem"),
                   "--tls-key", str(pki / "prober.key"), "--contract", str(REPO_ROOT / "examples" / "churn"), check=False)
    assert probe.returncode == 0 and probe.stdout.strip().endswith("3 passed, 0 failed"), probe.stdout + probe.stderr
    for address, port in ((ADDRESS["warden"], 8081), (ADDRESS["elsewhere"], 4318), (ADDRESS["gateway"], 443)):
        result = in_pod("prober", "curl", "-sS", "--connect-timeout", "3", f"http://{address}:{port}/", check=False)
        assert result.returncode == 28, f"{address}:{port}: {result.stdout + result.stderr}"
