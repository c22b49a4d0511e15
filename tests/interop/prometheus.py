"""A real Prometheus (Debian's package) for the tests: scrapes what it is given every second,
queried through its HTTP API."""

from __future__ import annotations

import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import requests
import yaml

from conftest import free_ports


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing (scripts/setup.sh installs Debian's prometheus package)")
    return path


@contextmanager
def running_prometheus(root: Path, scrape_configs: list[dict]) -> Iterator[str]:
    """Prometheus scraping SCRAPE_CONFIGS every second, until the block ends; yields its URL."""
    port = free_ports(1)[0]
    config = root / "prometheus.yml"
    config.write_text(yaml.safe_dump({"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                                      "scrape_configs": scrape_configs}))
    process = subprocess.Popen([tool("prometheus"), f"--config.file={config}", f"--storage.tsdb.path={root / 'tsdb'}",
                                f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            assert process.poll() is None, f"prometheus exited: {process.stderr.read()}"
            try:
                if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.time() < deadline, "prometheus did not become ready"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def query(prometheus_url: str, expr: str) -> list:
    response = requests.get(f"{prometheus_url}/api/v1/query", params={"query": expr}, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["data"]["result"]
