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
class Registry:
    host: str
    storage: Path
    process: subprocess.Popen

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

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


def start_registry(root: Path, htpasswd: Path | None = None, token_auth: str = "") -> Registry:
    binary = registry_binary()
    port = free_ports(1)[0]
    root.mkdir(parents=True, exist_ok=True)
    storage = root / "storage"
    auth = f"auth:\n  htpasswd:\n    realm: warden-test\n    path: {htpasswd}\n" if htpasswd else token_auth
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: error\n"
        f"storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: {HOST}:{port}\n{auth}"
    )
    process = subprocess.Popen([binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    registry = Registry(f"{HOST}:{port}", storage, process)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            status = requests.get(registry.url("/v2/"), timeout=1).status_code
            if status in (200, 401):
                return registry
        except requests.ConnectionError:
            time.sleep(0.1)
    registry.stop()
    raise RuntimeError(f"docker-registry did not start: {process.stderr.read().decode() if process.stderr else ''}")
