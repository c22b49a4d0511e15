"""No request data in any telemetry: requests carry a unique marker in every field a client
controls — JSON body, binary tensor data, headers, query, path, Content-Type, invalid JSON,
an oversized body, error paths, KServe v1 — and the marker appears in no log line, no
exported span (OTLP, decoded by opentelemetry-proto) and no metric."""

from __future__ import annotations

import base64
import json
import secrets
import struct
import time

import requests

from conftest import CHURN_DIR, REPO_ROOT
from otlp_receiver import OTLPReceiver

BODY = json.loads((REPO_ROOT / "examples/requests/churn-infer.json").read_text())
JSON = {"Content-Type": "application/json"}


def test_markers_reach_no_log_span_or_metric(start_warden, tmp_path):
    marker = "MRK" + secrets.token_hex(12)
    low = marker.lower()
    forms = [marker, low, base64.b64encode(marker.encode()).decode()]
    with OTLPReceiver() as receiver:
        server = start_warden(
            config={"limits": {"max_body_bytes": 65536}, "models": [{"directory": str(CHURN_DIR)}],
                    "telemetry": {"otlp_endpoint": receiver.endpoint, "trace_sampling_ratio": 1}},
            label="leaks")
        mark = server.mark()
        served = dict(BODY, id=marker)
        served["inputs"] = [dict(t) for t in BODY["inputs"]]
        served["inputs"][8]["data"] = [low, low]            # accepted: a category the contract allows
        out_of_contract = json.loads(json.dumps(served))
        out_of_contract["inputs"][9]["data"] = [marker, marker]  # refused by the contract (uppercase)
        header = json.dumps(dict(served, inputs=[dict(t) for t in served["inputs"]]))
        header_obj = json.loads(header)
        header_obj["inputs"][0] = {"name": "tenure", "datatype": "INT64", "shape": [2, 1], "parameters": {"binary_data_size": 16}}
        header = json.dumps(header_obj)
        binary = header.encode() + struct.pack("<qq", 3, 60)
        tail = header.encode() + struct.pack("<qq", 3, 60) + marker.encode()  # binary bytes nobody claims
        extra = {"X-" + marker: marker, "User-Agent": marker, "Authorization": "Bearer " + marker, "Cookie": "s=" + marker}
        sends = [
            ("POST", f"/v2/models/churn/infer?q={marker}", json.dumps(served).encode(), JSON | extra, 200),
            ("POST", "/v2/models/churn/infer", json.dumps(out_of_contract).encode(), JSON, 422),
            ("POST", "/v2/models/churn/infer", binary,
             {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(header))}, 200),
            ("POST", "/v2/models/churn/infer", tail,
             {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(header))}, 400),
            ("POST", "/v2/models/churn/infer", b'{"inputs": [{"name": "' + marker.encode(), JSON, 400),
            ("POST", "/v2/models/churn/infer", marker.encode() * 10_000, JSON, 413),
            ("POST", "/v2/models/churn/infer", marker.encode(), {"Content-Type": "text/" + low}, 415),
            ("POST", f"/v2/models/{marker}/infer", json.dumps(served).encode(), JSON, 404),
            ("POST", f"/v2/models/churn/versions/{marker}/infer", json.dumps(served).encode(), JSON, 404),
            ("GET", f"/{marker}/x?{marker}", None, extra, 404),
            (marker.upper()[:12], "/v2/models/churn/infer", None, {}, 400),
            ("POST", "/v1/models/churn:predict", json.dumps({"instances": [{"tenure": marker}]}).encode(), JSON, 400),
        ]
        ids = []
        for method, path, data, headers, status in sends:
            traceparent = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
            response = requests.request(method, server.url + path, data=data, headers=headers | {"traceparent": traceparent},
                                        timeout=10)
            assert response.status_code in (status, 405), (method, path, response.status_code, response.text[:200])
            ids.append(response.headers.get("X-Request-Id"))
        server.wait_for_request_ids([i for i in ids if i], since=mark)
        metrics = requests.get(f"{server.url}/metrics", timeout=5).text
        time.sleep(1.5)  # the batch span processor exports every 0.5 s
        spans = receiver.raw()
        logs = "\n".join(server.lines(mark)) + server.stderr()
    assert len([s for s in receiver.spans if s.kind == s.SPAN_KIND_SERVER]) >= len(sends) - 1
    for form in forms:
        assert form not in logs, f"{form} in a log line"
        assert form.encode() not in spans, f"{form} in a span"
        assert form not in metrics, f"{form} in a metric"
