"""A real OCI registry for the tests: Debian's `docker-registry` (Distribution 2.8) on a free
loopback port, with filesystem storage in a temp folder, optionally behind htpasswd auth."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conftest import HOST, free_ports


@dataclass
class RegistryTLS:
    """The registry's certificate and key, the CA that signed it, and, when client certificates
    are required, the CAs they must chain to and one client identity to probe with."""
    certificate: Path
    key: Path
    ca: Path
    client_cas: list[Path] | None = None
    probe_identity: tuple[Path, Path] | None = None


@dataclass
class Registry:
    host: str
    storage: Path
    process: subprocess.Popen
    tls: RegistryTLS | None = None

    def url(self, path: str) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}{path}"

    def get(self, path: str, **kwargs) -> requests.Response:
        if self.tls:
            kwargs.setdefault("verify", str(self.tls.ca))
            if self.tls.probe_identity:
                kwargs.setdefault("cert", tuple(str(p) for p in self.tls.probe_identity))
        return requests.get(self.url(path), timeout=kwargs.pop("timeout", 5), **kwargs)

    def blob_file(self, digest: str) -> Path:
        hex_digest = digest.split(":", 1)[1]
        return self.storage / "docker/registry/v2/blobs/sha256" / hex_digest[:2] / hex_digest / "data"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def registry_binary() -> str:
    binary = shutil.which("docker-registry")
    if binary:
        return binary
    if os.environ.get("CI") == "true":
        pytest.fail("docker-registry is not installed (scripts/setup.sh installs it)")
    pytest.skip("docker-registry is not installed")


def start_registry(root: Path, htpasswd: Path | None = None, token_auth: str = "", tls: RegistryTLS | None = None,
                   address: str = HOST) -> Registry:
    """`address` other than 127.0.0.1 (say 127.0.0.2) makes Warden treat the registry as remote:
    HTTPS, as a registry behind an internal CA is reached."""
    binary = registry_binary()
    port = free_ports(1)[0]
    root.mkdir(parents=True, exist_ok=True)
    storage = root / "storage"
    auth = f"auth:\n  htpasswd:\n    realm: warden-test\n    path: {htpasswd}\n" if htpasswd else token_auth
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: error\n"
        f"storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: {address}:{port}\n{tls_section(tls)}{auth}"
    )
    process = subprocess.Popen([binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    registry = Registry(f"{address}:{port}", storage, process, tls)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            status = registry.get("/v2/", timeout=1).status_code
            if status in (200, 401):
                return registry
        except requests.ConnectionError:
            time.sleep(0.1)
    registry.stop()
    raise RuntimeError(f"docker-registry did not start: {process.stderr.read().decode() if process.stderr else ''}")


def tls_section(tls: RegistryTLS | None) -> str:
    """Distribution's `http.tls`: the serving certificate, and `clientcas` to require client
    certificates signed by those CAs."""
    if not tls:
        return ""
    section = f"  tls:\n    certificate: {tls.certificate}\n    key: {tls.key}\n"
    if tls.client_cas:
        section += "    clientcas:\n" + "".join(f"      - {ca}\n" for ca in tls.client_cas)
    return section
