"""`/metrics` on a live server: the Prometheus text passes `promtool check metrics` (Debian's
prometheus package), every refusal's stable code is the same in the problem body, the log
line and the `code` label, and no request data reaches a label."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid

import pytest
import requests

from conftest import churn_batch, churn_v2_json

JSON = {"Content-Type": "application/json"}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing (scripts/setup.sh installs Debian's prometheus package)")
    return path


def scrape(server) -> str:
    response = requests.get(f"{server.url}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.text


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the one series of `name` whose labels include `labels`."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', line[len(name):line.rindex("}") + 1]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_exposition_is_clean_for_promtool(churn_server):
    body = json.dumps(churn_v2_json(churn_batch(2))).encode()
    assert requests.post(f"{churn_server.url}/v2/models/churn/infer", data=body, headers=JSON, timeout=10).status_code == 200
    result = subprocess.run([promtool(), "check", "metrics"], input=scrape(churn_server), capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), result.stdout + result.stderr


def test_every_refusal_code_is_in_body_log_and_label(churn_server):
    marker = "MRK" + uuid.uuid4().hex
    refusals = [
        ("POST", f"/v2/models/{marker}/infer", b"{}", JSON, 404, "not_found"),
        ("POST", "/v2/models/churn/infer", marker.encode(), {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
        ("POST", "/v2/models/churn/infer", b'{"inputs": [' + marker.encode(), JSON, 400, "invalid_json"),
        ("DELETE", "/v2/models/churn/infer", None, {}, 405, "method_not_allowed"),
    ]
    bad_row = churn_v2_json(churn_batch(1))
    bad_row["inputs"][0]["data"] = [-5]  # tenure below the contract's minimum
    refusals.append(("POST", "/v2/models/churn/infer", json.dumps(bad_row).encode(), JSON, 422, "contract_violation"))
    before = scrape(churn_server)
    mark = churn_server.mark()
    ids = []
    for method, path, body, headers, status, code in refusals:
        response = requests.request(method, churn_server.url + path, data=body, headers=headers, timeout=10)
        assert response.status_code == status, (path, response.text)
        assert response.json()["code"] == code
        assert response.headers["Warden-Error-Code"] == code
        ids.append(response.headers["X-Request-Id"])
    logged = churn_server.wait_for_request_ids(ids, since=mark)
    after = scrape(churn_server)
    for request_id, (method, _, _, _, status, code) in zip(ids, refusals):
        assert logged[request_id][0]["error_code"] == code
        labels = {"route": "/v2/models/{model}/infer", "method": method, "status": str(status), "code": code}
        old = sample(before, "warden_http_requests_total", **labels) or 0
        assert sample(after, "warden_http_requests_total", **labels) >= old + 1, code
    assert marker not in after, "a client's text reached a metric label"


def test_model_info_and_process_metrics(churn_server):
    text = scrape(churn_server)
    assert sample(text, "warden_model_info", model="churn", version="1") == 1
    assert sample(text, "warden_model_ready", model="churn", version="1") == 1
    assert sample(text, "warden_build_info") == 1
    for name in ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds"]:
        assert re.search(rf"^{name} [0-9.e+]+$", text, re.M), name
    assert re.search(r'^warden_inference_duration_seconds_count\{model="churn",version="1"\} [1-9]', text, re.M)
