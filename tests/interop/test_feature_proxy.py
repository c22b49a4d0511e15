"""The Feature Retrieval Proxy: a model whose contract has a `feature_store` gets some inputs
looked up by entity key before inference. Warden calls the proxy over mutual TLS with its own
certificate, pins the proxy's SPIFFE ID, bounds each call with a timeout and guards it with a
circuit breaker. The proxy here is a small Feast-compatible server (`POST
/get-online-features`) on Python's ssl, requiring a client certificate."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from cryptography.x509.oid import ExtendedKeyUsageOID

from conftest import CHURN_DIR, free_ports, warden_binary
from test_mtls import mint
from test_resilience import metric

DOMAIN = "warden.test"
PROXY_ID = f"spiffe://{DOMAIN}/ns/features/sa/feast"
WARDEN_ID = f"spiffe://{DOMAIN}/warden"
FETCHED = {"tenure": "customer_stats:tenure", "monthly_charges": "customer_stats:monthly_charges", "age": "customer_stats:age"}
STORE = {"c1": {"tenure": 3, "monthly_charges": 99.5, "age": 30.0}, "c2": {"tenure": 60, "monthly_charges": 25.0, "age": 58.0}}
CLIENT_SENT = {"total_charges": [300.0, 1500.0], "support_calls": [5, 0], "num_services": [6, 1], "data_usage_gb": [12.0, 3.0],
               "days_since_login": [40.0, 1.0], "contract": ["month-to-month", "two-year"], "payment": ["check", "bank"]}
JSON = {"Content-Type": "application/json"}


class FeastProxy:
    """Feast's online-features endpoint over mutual TLS. `mode`: answer, hang, or fail (500)."""

    def __init__(self, pki: Path, cert: tuple[Path, Path], port: int = 0):
        self.mode = "answer"
        self.calls: list[dict] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                peer = dict(entry for entry in self.connection.getpeercert().get("subjectAltName", ()))
                proxy.calls.append({"path": self.path, "body": body, "client": peer.get("URI"),
                                    "traceparent": self.headers.get("traceparent")})
                if proxy.mode == "hang":
                    time.sleep(2)
                if proxy.mode == "fail":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                keys = body["entities"]["customer_id"]
                names = ["customer_id"] + [ref.replace(":", "__") for ref in body["features"]]
                results = [{"values": keys, "statuses": ["PRESENT"] * len(keys)}]
                for ref in body["features"]:
                    feature = ref.split(":")[1]
                    results.append({"values": [STORE.get(k, {}).get(feature) for k in keys],
                                    "statuses": ["PRESENT" if k in STORE else "NOT_FOUND" for k in keys]})
                answer = json.dumps({"metadata": {"feature_names": names}, "results": results}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.load_cert_chain(str(cert[0]), str(cert[1]))
        context.load_verify_locations(str(pki / "ca.pem"))
        context.verify_mode = ssl.CERT_REQUIRED
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    result = subprocess.run([str(warden_binary()), "dev-pki", "--out", str(directory), "--trust-domain", DOMAIN,
                             "--client", "gateway=ns/serving/sa/gateway"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    mint(directory, "feast", uris=[PROXY_ID], usage=ExtendedKeyUsageOID.SERVER_AUTH)
    mint(directory, "impostor", uris=[f"spiffe://{DOMAIN}/ns/other/sa/impostor"], usage=ExtendedKeyUsageOID.SERVER_AUTH)
    return directory


@pytest.fixture(scope="module")
def feature_model(tmp_path_factory) -> Path:
    """The churn model with tenure, monthly_charges and age looked up by customer_id."""
    directory = tmp_path_factory.mktemp("models") / "churnfs"
    shutil.copytree(CHURN_DIR, directory)
    contract = json.loads((directory / "warden-model.json").read_text())
    contract["name"] = "churnfs"
    contract["feature_store"] = {"entity": "customer_id", "features": FETCHED,
                                 "defaults": {"tenure": 0, "monthly_charges": None, "age": None}}
    # The example's samples send every input; this contract's clients send the entity key.
    del contract["samples"]
    (directory / "warden-model.json").write_text(json.dumps(contract))
    return directory


def serve(start_warden, pki: Path, feature_model: Path, proxy_port: int, label: str, **proxy) -> object:
    return start_warden(config={
        "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"),
                "client_ca_bundle": str(pki / "ca.pem")},
        "authorization": {"rules": [{"routes": ["infer", "metrics"], "allow": [f"spiffe://{DOMAIN}/ns/serving/*"]}]},
        "feature_proxy": {"url": f"https://127.0.0.1:{proxy_port}", "server_id": PROXY_ID, "timeout_seconds": 0.3,
                          "breaker": {"failure_threshold": 3, "open_seconds": 1}, **proxy},
        "telemetry": {"otlp_endpoint": f"http://127.0.0.1:{free_ports(1)[0]}/v1/traces"},  # a dead collector: traces on
        "models": [{"directory": str(CHURN_DIR)}, {"directory": str(feature_model)}],
    }, label=label)


def post(server, pki: Path, model: str, body: dict, headers: dict | None = None) -> requests.Response:
    return requests.post(f"https://localhost:{server.port}/v2/models/{model}/infer", json=body, headers={**JSON, **(headers or {})},
                         cert=(pki / "gateway.pem", pki / "gateway.key"), verify=str(pki / "ca.pem"), timeout=10)


def fs_request(keys: list[str]) -> dict:
    inputs = [{"name": "customer_id", "datatype": "BYTES", "shape": [len(keys)], "data": keys}]
    for name, values in CLIENT_SENT.items():
        datatype = "BYTES" if isinstance(values[0], str) else ("INT64" if isinstance(values[0], int) else "FP32")
        inputs.append({"name": name, "datatype": datatype, "shape": [len(keys), 1], "data": values[:len(keys)]})
    return {"inputs": inputs}


def full_request() -> dict:
    """The same two customers with every input sent by the client."""
    values = dict(CLIENT_SENT)
    for name in FETCHED:
        values[name] = [STORE["c1"][name], STORE["c2"][name]]
    types = {"tenure": "INT64", "support_calls": "INT64", "num_services": "INT64", "contract": "BYTES", "payment": "BYTES"}
    return {"inputs": [{"name": n, "datatype": types.get(n, "FP32"), "shape": [2, 1], "data": v} for n, v in values.items()]}


def scrape(server, pki: Path, name: str, **labels) -> float:
    class Via:
        url = f"https://localhost:{server.port}"
    response = requests.get(f"{Via.url}/metrics", cert=(pki / "gateway.pem", pki / "gateway.key"), verify=str(pki / "ca.pem"),
                            timeout=10)
    total = 0.0
    for line in response.text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_features_are_looked_up_over_mtls_and_the_trace_continues(start_warden, pki, feature_model):
    proxy = FeastProxy(pki, (pki / "feast.pem", pki / "feast.key"))
    try:
        server = serve(start_warden, pki, feature_model, proxy.port, "features")
        trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
        response = post(server, pki, "churnfs", fs_request(["c1", "c2"]),
                        {"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"})
        assert response.status_code == 200, response.text
        direct = post(server, pki, "churn", full_request())
        assert response.json()["outputs"] == direct.json()["outputs"], "features from the store must equal the same values sent"

        call = proxy.calls[-1]
        assert call["path"] == "/get-online-features"
        assert call["body"] == {"features": list(FETCHED.values()), "entities": {"customer_id": ["c1", "c2"]},
                                "full_feature_names": True}
        assert call["client"] == WARDEN_ID, "Warden presents its own certificate"
        assert call["traceparent"] and call["traceparent"].split("-")[1] == trace_id
        # The connection is kept alive and reused.
        for _ in range(3):
            assert post(server, pki, "churnfs", fs_request(["c2"])).status_code == 200
        assert scrape(server, pki, "warden_outbound_requests_total", dependency="feature_proxy", outcome="success") == 4
        assert scrape(server, pki, "warden_outbound_circuit_state", dependency="feature_proxy", state="closed") == 1
        # KServe v1 cannot carry the entity key.
        v1 = requests.post(f"https://localhost:{server.port}/v1/models/churnfs:predict", json={"instances": [[1]]},
                           cert=(pki / "gateway.pem", pki / "gateway.key"), verify=str(pki / "ca.pem"), timeout=10)
        assert v1.status_code == 400 and v1.headers["Warden-Error-Code"] == "unsupported_protocol"
    finally:
        proxy.close()


def test_a_proxy_with_the_wrong_identity_is_refused(start_warden, pki, feature_model):
    impostor = FeastProxy(pki, (pki / "impostor.pem", pki / "impostor.key"))
    try:
        server = serve(start_warden, pki, feature_model, impostor.port, "impostor")
        response = post(server, pki, "churnfs", fs_request(["c1"]))
        assert response.status_code == 503 and response.headers["Warden-Error-Code"] == "feature_proxy_unavailable"
        assert impostor.calls == [], "no request may reach a peer that is not the pinned identity"
    finally:
        impostor.close()


def test_a_dead_proxy_opens_the_breaker_then_it_recovers(start_warden, pki, feature_model):
    port = free_ports(1)[0]
    server = serve(start_warden, pki, feature_model, port, "breaker")
    for _ in range(3):
        response = post(server, pki, "churnfs", fs_request(["c1"]))
        assert response.status_code == 503 and response.headers["Warden-Error-Code"] == "feature_proxy_unavailable"
    assert scrape(server, pki, "warden_outbound_circuit_state", dependency="feature_proxy", state="open") == 1
    started = time.monotonic()
    response = post(server, pki, "churnfs", fs_request(["c1"]))
    assert response.status_code == 503 and "circuit open" in response.json()["detail"]
    assert time.monotonic() - started < 0.1, "an open breaker fails fast"
    assert response.headers["Retry-After"] == "1"
    # Models without a feature store are not affected.
    assert post(server, pki, "churn", full_request()).status_code == 200

    proxy = FeastProxy(pki, (pki / "feast.pem", pki / "feast.key"), port=port)
    try:
        time.sleep(1.1)  # open_seconds: the next call is the half-open probe
        response = post(server, pki, "churnfs", fs_request(["c1"]))
        assert response.status_code == 200, response.text
        assert scrape(server, pki, "warden_outbound_circuit_state", dependency="feature_proxy", state="closed") == 1
    finally:
        proxy.close()


def test_a_hanging_or_failing_proxy_gives_documented_statuses(start_warden, pki, feature_model):
    proxy = FeastProxy(pki, (pki / "feast.pem", pki / "feast.key"))
    try:
        server = serve(start_warden, pki, feature_model, proxy.port, "hanging")
        proxy.mode = "hang"
        started = time.monotonic()
        response = post(server, pki, "churnfs", fs_request(["c1"]))
        assert response.status_code == 504 and response.headers["Warden-Error-Code"] == "feature_proxy_timeout"
        assert 0.25 <= time.monotonic() - started < 1.0
        proxy.mode = "fail"
        response = post(server, pki, "churnfs", fs_request(["c1"]))
        assert response.status_code == 502 and response.headers["Warden-Error-Code"] == "feature_proxy_bad_response"
        proxy.mode = "answer"
        time.sleep(2.2)  # the hung handler finishes
        assert post(server, pki, "churnfs", fs_request(["c1"])).status_code == 200
        assert server.running()
    finally:
        proxy.close()


def test_the_configured_fallback_uses_the_contract_defaults(start_warden, pki, feature_model):
    server = serve(start_warden, pki, feature_model, free_ports(1)[0], "fallback", fallback="defaults")
    response = post(server, pki, "churnfs", fs_request(["c1", "c2"]))
    assert response.status_code == 200, response.text
    assert scrape(server, pki, "warden_outbound_requests_total", dependency="feature_proxy",
                  outcome="feature_proxy_unavailable") == 1


def test_a_feature_store_model_needs_a_proxy(pki, feature_model, tmp_path):
    config = tmp_path / "serve.yaml"
    port, probe = free_ports(2)
    config.write_text(json.dumps({
        "listen": {"host": "127.0.0.1", "port": port, "probe_port": probe, "insecure_plaintext": True},
        "models": [{"directory": str(feature_model)}]}))
    result = subprocess.run([str(warden_binary()), "serve", "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "feature_proxy" in result.stdout + result.stderr
