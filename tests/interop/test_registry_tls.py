"""The registry over TLS (issue 24): Debian's docker-registry serving a certificate from a
private CA, then also requiring client certificates (`http.tls.clientcas`). `warden push`,
`fetch` and the serving revocation watch reach it with the outbound TLS configuration (flags, or
`outbound_tls:` in warden.yaml) and fail closed, with a `registry_tls_refused` that says why,
without it: an unknown CA, a certificate for another name, an expired certificate, no client
certificate, or one from another CA."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from registry import RegistryTLS, start_registry
from test_registry import keys, publish  # noqa: F401 (keys is a fixture used by name)
from tls_pki import PrivatePKI
from trust_tools import EXIT_REGISTRY, warden

ADDRESS = "127.0.0.2"  # loopback, but not a name Warden reaches over plain HTTP


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> PrivatePKI:
    pki = PrivatePKI(tmp_path_factory.mktemp("registry-pki"))
    pki.issue("registry", server=True, ips=(ADDRESS,))
    pki.issue("registry-other-name", server=True, ips=("127.0.0.3",))
    pki.issue("registry-expired", server=True, ips=(ADDRESS,), expired=True)
    pki.issue("warden", uris=("spiffe://warden.test/ns/models/sa/warden-churn",))
    return pki


def tls_registry(tmp_path: Path, pki: PrivatePKI, certificate: str = "registry", client_cas: list[Path] | None = None):
    identity = (pki.dir / "warden.pem", pki.dir / "warden.key") if client_cas else None
    return start_registry(tmp_path / f"registry-{certificate}", address=ADDRESS, tls=RegistryTLS(
        certificate=pki.dir / f"{certificate}.pem", key=pki.dir / f"{certificate}.key", ca=pki.ca_file,
        client_cas=client_cas, probe_identity=identity))


def flags(pki: PrivatePKI, *, identity: bool = False) -> list[str]:
    args = ["--registry-ca", str(pki.ca_file)]
    if identity:
        args += ["--registry-cert", str(pki.dir / "warden.pem"), "--registry-key", str(pki.dir / "warden.key")]
    return args


def fetch(keys: Path, ref: str, digest: str, *extra: str, dest: str = "installed"):
    target = keys / dest
    if target.exists():  # each attempt installs into a new folder; a refusal leaves none
        target = keys / f"{dest}-{len(list(keys.glob(dest + '*')))}"
    return warden("fetch", "--model", ref, "--trust", keys / "trust.yaml", "--expected-digest", digest,
                  "--dest", target, "--json", *extra)


def refused(result, *phrases: str) -> dict:
    assert result.returncode == EXIT_REGISTRY, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["code"] == "registry_tls_refused", document
    for phrase in phrases:
        assert phrase in document["detail"], document["detail"]
    return document


def test_a_registry_behind_a_private_ca(tmp_path, pki, keys):
    registry = tls_registry(tmp_path, pki)
    try:
        ref = f"{registry.host}/models/churn:v1"
        digest = publish(keys, ref, extra=flags(pki))
        fetched = fetch(keys, ref, digest, *flags(pki))
        assert fetched.returncode == 0, fetched.stdout + fetched.stderr
        assert (keys / "installed" / "model.onnx").exists()
        # The system roots do not know the private CA.
        refused(fetch(keys, ref, digest), "not signed by a trusted CA")
        assert sorted(path.name for path in keys.glob("installed*")) == ["installed"], "a refused fetch left a folder"
    finally:
        registry.stop()


def test_a_certificate_for_another_name_or_expired_is_refused(tmp_path, pki, keys):
    for certificate, phrase in (("registry-other-name", "not for this name"), ("registry-expired", "expired")):
        # No client accepts these certificates, the fixture's readiness probe included.
        registry = start_unprobed(tmp_path, pki, certificate)
        try:
            result = fetch(keys, f"{registry.host}/models/churn:v1", "sha256:" + "0" * 64, *flags(pki))
            refused(result, phrase)
        finally:
            registry.stop()


def start_unprobed(tmp_path: Path, pki: PrivatePKI, certificate: str):
    """The registry with a certificate no client accepts: ready once its port answers TLS."""
    import socket
    import subprocess
    import time

    from conftest import free_ports
    from registry import Registry, registry_binary, tls_section

    port = free_ports(1)[0]
    root = tmp_path / f"registry-{certificate}"
    root.mkdir(parents=True, exist_ok=True)
    tls = RegistryTLS(certificate=pki.dir / f"{certificate}.pem", key=pki.dir / f"{certificate}.key", ca=pki.ca_file)
    config = root / "config.yml"
    config.write_text(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {root}/storage\n"
                      f"http:\n  addr: {ADDRESS}:{port}\n{tls_section(tls)}")
    process = subprocess.Popen([registry_binary(), "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection((ADDRESS, port), timeout=1).close()
            return Registry(f"{ADDRESS}:{port}", root / "storage", process, tls)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("docker-registry did not start")


def test_a_registry_that_requires_client_certificates(tmp_path, pki, keys):
    stranger = PrivatePKI(tmp_path / "stranger", name="stranger-ca")
    stranger.issue("warden", uris=("spiffe://elsewhere/ns/x/sa/y",))
    registry = tls_registry(tmp_path, pki, client_cas=[pki.ca_file])
    try:
        ref = f"{registry.host}/models/churn:v1"
        digest = publish(keys, ref, extra=flags(pki, identity=True))
        fetched = fetch(keys, ref, digest, *flags(pki, identity=True))
        assert fetched.returncode == 0, fetched.stdout + fetched.stderr
        refused(fetch(keys, ref, digest, *flags(pki)), "client certificate")
        other = ["--registry-ca", str(pki.ca_file), "--registry-cert", str(stranger.dir / "warden.pem"),
                 "--registry-key", str(stranger.dir / "warden.key")]
        assert fetch(keys, ref, digest, *other).returncode == EXIT_REGISTRY
        # A certificate without its key is a usage error, caught before any connection.
        lonely = warden("fetch", "--model", ref, "--trust", keys / "trust.yaml", "--expected-digest", digest, "--dest",
                        keys / "x", "--json", "--registry-ca", str(pki.ca_file), "--registry-cert", str(pki.dir / "warden.pem"))
        assert lonely.returncode != 0 and "private key" in (lonely.stdout + lonely.stderr)
    finally:
        registry.stop()


def test_the_revocation_watch_reaches_a_tls_registry_with_outbound_tls(tmp_path, pki, keys, start_warden):
    registry = tls_registry(tmp_path, pki, client_cas=[pki.ca_file])
    try:
        ref = f"{registry.host}/models/churn:v1"
        digest = publish(keys, ref, extra=flags(pki, identity=True))
        assert fetch(keys, ref, digest, *flags(pki, identity=True)).returncode == 0
        repository = ref.rsplit(":", 1)[0]
        outbound = {"ca_bundle": str(pki.ca_file), "certificate": str(pki.dir / "warden.pem"),
                    "private_key": str(pki.dir / "warden.key")}
        config = {
            "models": [{"directory": str(keys / "installed"), "expected_digest": digest}],
            "revocation": {"list": f"{repository}:revocations", "trust_policy": str(keys / "trust.yaml"), "interval_seconds": 0.3},
            "outbound_tls": outbound,
        }
        server = start_warden(config=config, label="revocation-tls")
        assert requests.get(f"{server.url}/v2/health/ready", timeout=5).json()["ready"] is True
        assert not [r for r in server.records() if r.get("event") == "revocation_check_failed"]
        # Without the client identity the registry refuses, and the server fails closed.
        config["outbound_tls"] = {"ca_bundle": str(pki.ca_file)}
        refused_server = start_warden(config=config, label="revocation-tls-refused", expect_ready=False)
        failed = refused_server.wait_for_record(lambda r: r.get("event") == "revocation_check_failed", timeout=10)
        assert "registry TLS handshake failed" in failed["reason"] and "client certificate" in failed["reason"], failed
        assert requests.get(f"{refused_server.probe_url}/readyz", timeout=5).status_code == 503
    finally:
        registry.stop()
