"""Traces: W3C trace context from the caller, a server span per request with a child span per
phase, exported over OTLP/HTTP by swift-otel to a receiver started here (PyPI
opentelemetry-proto decodes the real protobuf); a dead collector does not hold requests up.
(test_leaks.py checks that no request data reaches a span.)"""

from __future__ import annotations

import json
import secrets
import time

import requests

from conftest import CHURN_DIR, REPO_ROOT, free_ports
from otlp_receiver import OTLPReceiver
from trust_tools import warden

JSON = {"Content-Type": "application/json"}
BODY = (REPO_ROOT / "examples/requests/churn-infer.json").read_bytes()
PHASES = {"authz", "decode", "contract.input", "infer", "contract.output", "encode"}
ALLOW_ALL = """package serving.request

import rego.v1

default allow := true
"""


def attributes(span) -> dict:
    out = {}
    for kv in span.attributes:
        value = kv.value
        out[kv.key] = value.string_value if value.HasField("string_value") else value.int_value
    return out


def test_request_continues_the_callers_trace_with_a_span_per_phase(start_warden, tmp_path):
    policy = tmp_path / "allow.rego"
    policy.write_text(ALLOW_ALL)
    with OTLPReceiver() as receiver:
        server = start_warden(model_dir=CHURN_DIR, extra_args=["--otlp-endpoint", receiver.endpoint, "--request-policy", str(policy),
                                                                "--trace-sampling-ratio", "1"])
        trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
        mark = server.mark()
        response = requests.post(f"{server.url}/v2/models/churn/infer", data=BODY,
                                 headers=JSON | {"traceparent": f"00-{trace_id}-{parent_id}-01", "tracestate": "vendor=1"}, timeout=10)
        assert response.status_code == 200
        spans = receiver.wait_for(lambda s: s.trace_id.hex() == trace_id and s.name in PHASES | {"POST /v2/models/{model}/infer"})
        deadline = time.time() + 10
        while len({s.name for s in spans}) < 1 + len(PHASES) and time.time() < deadline:
            time.sleep(0.2)
            spans = receiver.wait_for(lambda s: s.trace_id.hex() == trace_id)
        by_name = {s.name: s for s in spans}
        server_span = by_name["POST /v2/models/{model}/infer"]
        assert server_span.parent_span_id.hex() == parent_id
        assert server_span.kind == server_span.SPAN_KIND_SERVER
        attrs = attributes(server_span)
        assert attrs["http.route"] == "/v2/models/{model}/infer" and attrs["http.response.status_code"] == 200
        assert attrs["warden.model"] == "churn" and attrs["http.request.method"] == "POST"
        for phase in PHASES:
            assert by_name[phase].parent_span_id == server_span.span_id, phase
        record = server.wait_for_request_ids([response.headers["X-Request-Id"]], since=mark)[response.headers["X-Request-Id"]][0]
        assert record["trace_id"] == trace_id and record["span_id"] == server_span.span_id.hex()


def test_the_authz_span_names_the_signed_policy_bundle_that_decided(start_warden, tmp_path):
    for name in ("author", "ops"):
        assert warden("keygen", "--out", tmp_path / name).returncode == 0
    (tmp_path / "trust.yaml").write_text(
        "keys:\n  author: {public_key: author.pub}\n  ops: {public_key: ops.pub}\nmodel_signers: [author]\npolicy_signers: [ops]\n")
    (tmp_path / "bundle" / "serving" / "request").mkdir(parents=True)
    (tmp_path / "bundle" / "serving" / "request" / "allow.rego").write_text(ALLOW_ALL)
    pushed = warden("policy", "push", tmp_path / "bundle", "--to", f"oci:{tmp_path}/store:serving", "--private-key",
                    tmp_path / "ops.key", "--revision", "3")
    assert pushed.returncode == 0, pushed.stderr
    digest = pushed.stdout.split()[-1]
    with OTLPReceiver() as receiver:
        config = {"models": [{"directory": str(CHURN_DIR)}],
                  "policies": {"bundle": {"reference": f"oci:{tmp_path}/store:serving", "trust_policy": str(tmp_path / "trust.yaml")}},
                  "telemetry": {"otlp_endpoint": receiver.endpoint, "trace_sampling_ratio": 1}}
        server = start_warden(config=config)
        trace_id = secrets.token_hex(16)
        response = requests.post(f"{server.url}/v2/models/churn/infer", data=BODY,
                                 headers=JSON | {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}, timeout=10)
        assert response.status_code == 200, response.text
        authz = receiver.wait_for(lambda s: s.trace_id.hex() == trace_id and s.name == "authz")[0]
        assert attributes(authz)["warden.policy.revision"] == "3" and attributes(authz)["warden.policy.digest"] == digest


def test_unsampled_callers_are_not_traced_and_refusals_carry_their_code(start_warden):
    with OTLPReceiver() as receiver:
        server = start_warden(model_dir=CHURN_DIR, extra_args=["--otlp-endpoint", receiver.endpoint, "--trace-sampling-ratio", "1"])
        unsampled = secrets.token_hex(16)
        requests.post(f"{server.url}/v2/models/churn/infer", data=BODY,
                      headers=JSON | {"traceparent": f"00-{unsampled}-{secrets.token_hex(8)}-00"}, timeout=10)
        refused = secrets.token_hex(16)
        response = requests.post(f"{server.url}/v2/models/churn/infer", data=b'{"inputs": 3}',
                                 headers=JSON | {"traceparent": f"00-{refused}-{secrets.token_hex(8)}-01"}, timeout=10)
        assert response.status_code == 400
        spans = receiver.wait_for(lambda s: s.trace_id.hex() == refused and s.kind == s.SPAN_KIND_SERVER)
        assert spans and attributes(spans[0])["error.type"] == "invalid_request"
        decode = receiver.wait_for(lambda s: s.trace_id.hex() == refused and s.name == "decode")
        assert decode and decode[0].status.code == decode[0].status.STATUS_CODE_ERROR
        assert not [s for s in receiver.spans if s.trace_id.hex() == unsampled]


def test_a_dead_collector_does_not_hold_requests_up(start_warden):
    closed = free_ports(1)[0]  # nothing listens there
    server = start_warden(model_dir=CHURN_DIR, extra_args=["--otlp-endpoint", f"http://127.0.0.1:{closed}/v1/traces"])
    session = requests.Session()
    slowest = 0.0
    for _ in range(300):
        started = time.monotonic()
        response = session.post(f"{server.url}/v2/models/churn/infer", data=BODY, headers=JSON, timeout=10)
        slowest = max(slowest, time.monotonic() - started)
        assert response.status_code == 200
    # Export retries and times out (2 s) in the background: no request waits for it.
    assert slowest < 1.0, f"a request took {slowest:.3f} s"
    assert requests.get(f"{server.probe_url}/readyz", timeout=5).status_code == 200


def test_the_collector_breaker_stops_new_traces_while_it_is_down(start_warden):
    from test_resilience import metric

    port = free_ports(1)[0]  # nothing listens there yet
    server = start_warden(model_dir=CHURN_DIR, extra_args=["--otlp-endpoint", f"http://127.0.0.1:{port}/v1/traces",
                                                           "--trace-sampling-ratio", "1"])

    def state(name: str) -> float:
        return metric(server, "warden_outbound_circuit_state", dependency="telemetry", state=name)

    deadline = time.monotonic() + 15
    while state("open") != 1:
        assert time.monotonic() < deadline, "the telemetry breaker never opened"
        time.sleep(0.2)
    while_down = requests.post(f"{server.url}/v2/models/churn/infer", data=BODY, headers=JSON, timeout=10)
    assert while_down.status_code == 200

    with OTLPReceiver(port=port) as receiver:
        deadline = time.monotonic() + 15
        while state("closed") != 1:
            assert time.monotonic() < deadline, "the telemetry breaker never closed again"
            time.sleep(0.2)
        back = requests.post(f"{server.url}/v2/models/churn/infer", data=BODY, headers=JSON, timeout=10)
        request_id = back.headers["X-Request-Id"]
        assert receiver.wait_for(lambda s: attributes(s).get("warden.request_id") == request_id), "traces resume"
        # The request made while the collector was down started no trace at all.
        down_id = while_down.headers["X-Request-Id"]
        assert not receiver.wait_for(lambda s: attributes(s).get("warden.request_id") == down_id, timeout=2)


def collector_tls(pki, require_client: bool) -> "ssl.SSLContext":
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(pki.dir / "collector.pem", pki.dir / "collector.key")
    context.load_verify_locations(pki.ca_file)
    context.verify_mode = ssl.CERT_REQUIRED if require_client else ssl.CERT_NONE
    return context


def test_traces_go_to_a_tls_collector_with_the_client_certificate(start_warden, tmp_path):
    """Issue 24: OTLP/HTTP over TLS 1.3 to a collector behind a private CA that requires client
    certificates: with `outbound_tls` the spans arrive, presented with Warden's SPIFFE ID, and a
    rotated client certificate is presented from the next export on, without a restart; with
    only the CA bundle (no client certificate) the collector refuses and requests still succeed."""
    from tls_pki import PrivatePKI

    pki = PrivatePKI(tmp_path / "pki")
    pki.issue("collector", server=True, ips=("127.0.0.1",))
    warden_id = "spiffe://cluster.local/ns/models/sa/warden-churn"
    pki.issue("warden", uris=(warden_id,))
    outbound = {"ca_bundle": str(pki.ca_file), "certificate": str(pki.dir / "warden.pem"), "private_key": str(pki.dir / "warden.key")}
    with OTLPReceiver(tls=collector_tls(pki, require_client=True)) as receiver:
        assert receiver.endpoint.startswith("https://")
        config = {"models": [{"directory": str(CHURN_DIR)}], "outbound_tls": outbound,
                  "telemetry": {"otlp_endpoint": receiver.endpoint, "trace_sampling_ratio": 1}}
        server = start_warden(config=config, label="otlp-tls")
        assert requests.post(f"{server.url}/v2/models/churn/infer", data=BODY, headers=JSON, timeout=10).status_code == 200
        assert receiver.wait_for(lambda s: s.name == "POST /v2/models/{model}/infer"), "no span reached the TLS collector"
        assert receiver.client_identities and all(ids == [warden_id] for ids in receiver.client_identities)
        first_serial = receiver.client_serials[-1]
        # Rotation, as a secrets agent does it: new files renamed over the old ones.
        rotated = PrivatePKI.__new__(PrivatePKI)
        rotated.__dict__.update(pki.__dict__)
        rotated.dir = tmp_path / "rotated"
        rotated.dir.mkdir()
        rotated.issue("warden", uris=(warden_id,))
        for name in ("warden.pem", "warden.key"):
            (rotated.dir / name).replace(pki.dir / name)
        deadline = time.time() + 15
        while time.time() < deadline and receiver.client_serials[-1] == first_serial:
            requests.post(f"{server.url}/v2/models/churn/infer", data=BODY, headers=JSON, timeout=10)
            time.sleep(0.5)
        assert receiver.client_serials[-1] != first_serial, "the rotated client certificate was never presented"
        server.stop(timeout=10)

        exported = len(receiver.requests)
        config["outbound_tls"] = {"ca_bundle": str(pki.ca_file)}
        anonymous = start_warden(config=config, label="otlp-tls-anonymous")
        for _ in range(5):
            assert requests.post(f"{anonymous.url}/v2/models/churn/infer", data=BODY, headers=JSON, timeout=10).status_code == 200
        time.sleep(1.5)  # past the batch delay: an export would have been attempted
        assert len(receiver.requests) == exported, "the collector accepted an export without a client certificate"

