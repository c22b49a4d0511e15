"""The Open Inference Protocol over gRPC against real clients: Triton's tritonclient.grpc
(numpy arrays, raw contents — its default) and KServe's InferenceGRPCClient (typed contents),
behind the same mutual TLS and SPIFFE authorization as REST. The same request table goes over
REST and gRPC and must give identical tensors; each refusal has its gRPC status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import grpc
import numpy as np
import pytest
import requests
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException, serialize_byte_tensor

from conftest import CHURN_CONTRACT, CHURN_DIR, CHURN_INPUTS, churn_batch, free_ports, warden_binary

DOMAIN = "warden.test"
GATEWAY = f"spiffe://{DOMAIN}/ns/serving/sa/gateway"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("grpc-pki")
    result = subprocess.run([str(warden_binary()), "dev-pki", "--out", str(directory), "--trust-domain", DOMAIN,
                             "--client", "gateway=ns/serving/sa/gateway", "--client", "stranger=ns/other/sa/x",
                             "--client", "scoped=ns/batch/sa/scorer"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return directory


def tls_config(pki: Path, **extra) -> dict:
    return {
        "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"), "client_ca_bundle": str(pki / "ca.pem")},
        "authorization": {"rules": [
            {"routes": ["infer", "metadata", "metrics"], "allow": [f"spiffe://{DOMAIN}/ns/serving/*"]},
            # Allowed one other model only: churn is refused to it, per model as REST refuses it.
            {"routes": ["infer", "metadata"], "models": ["fraud"], "allow": [f"spiffe://{DOMAIN}/ns/batch/sa/scorer"]},
        ]},
        "models": [{"directory": str(CHURN_DIR)}],
        **extra,
    }


@pytest.fixture(scope="module")
def server(_session_starter, pki):
    grpc_port, probe_port = free_ports(2)
    process = _session_starter(config=tls_config(pki), extra_args=["--grpc-port", str(grpc_port), "--grpc-probe-port", str(probe_port)],
                               label="grpc")
    process.grpc_port, process.grpc_probe_port = grpc_port, probe_port
    return process


def client_for(server, pki: Path, identity: str = "gateway") -> grpcclient.InferenceServerClient:
    return grpcclient.InferenceServerClient(
        f"localhost:{server.grpc_port}", ssl=True, root_certificates=str(pki / "ca.pem"),
        private_key=str(pki / f"{identity}.key"), certificate_chain=str(pki / f"{identity}.pem"))


@pytest.fixture(scope="module")
def client(server, pki):
    c = client_for(server, pki)
    yield c
    c.close()


def make_inputs(batch: dict[str, np.ndarray]) -> list:
    inputs = []
    for name, datatype in CHURN_INPUTS:
        tensor = grpcclient.InferInput(name, list(batch[name].shape), datatype)
        tensor.set_data_from_numpy(batch[name])
        inputs.append(tensor)
    return inputs


def rest_infer(server, pki: Path, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same batch over REST (binary tensors), as numpy arrays."""
    import tritonclient.http as httpclient

    c = httpclient.InferenceServerClient(
        f"localhost:{server.port}", ssl=True,
        ssl_options={"ca_certs": str(pki / "ca.pem"), "certfile": str(pki / "gateway.pem"), "keyfile": str(pki / "gateway.key")},
        ssl_context_factory=None, insecure=False)
    try:
        inputs = []
        for name, datatype in CHURN_INPUTS:
            tensor = httpclient.InferInput(name, list(batch[name].shape), datatype)
            tensor.set_data_from_numpy(batch[name], binary_data=True)
            inputs.append(tensor)
        result = c.infer("churn", inputs)
        return {name: result.as_numpy(name) for name in ("label", "probabilities")}
    finally:
        c.close()


def rpc_code(info) -> grpc.StatusCode:
    return info.value.status()


# -- health and metadata -----------------------------------------------------------------------


def test_server_live_ready_and_metadata(client):
    assert client.is_server_live() is True
    assert client.is_server_ready() is True
    metadata = client.get_server_metadata()
    assert metadata.name == "warden" and "binary_tensor_data" in metadata.extensions


def test_model_metadata_matches_the_contract(client):
    metadata = client.get_model_metadata("churn")
    assert metadata.name == "churn" and list(metadata.versions) == ["1"] and metadata.platform == "onnx"
    assert [(t.name, t.datatype, list(t.shape)) for t in metadata.inputs] == [
        (s["name"], s["datatype"], s["shape"]) for s in CHURN_CONTRACT["inputs"]]
    assert [(t.name, t.datatype, list(t.shape)) for t in metadata.outputs] == [
        (s["name"], s["datatype"], s["shape"]) for s in CHURN_CONTRACT["outputs"]]


def test_model_ready(client):
    assert client.is_model_ready("churn") is True
    assert client.is_model_ready("churn", model_version="1") is True
    assert client.is_model_ready("churn", model_version="2") is False


def test_unknown_model_is_not_found_without_echoing_its_name(client):
    with pytest.raises(InferenceServerException) as info:
        client.get_model_metadata("no_such_model")
    assert info.value.status() == "StatusCode.NOT_FOUND"
    assert "no_such_model" not in info.value.message()


# -- inference ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 7, 23, 101])
def test_grpc_and_rest_give_identical_tensors(server, pki, client, seed):
    """The same request table over both protocols: every output equal, bit for bit."""
    rows = 1 + seed % 40
    batch = churn_batch(rows, seed=seed)
    result = client.infer("churn", make_inputs(batch), request_id=f"req-{seed}")
    response = result.get_response()
    assert response.id == f"req-{seed}" and response.model_name == "churn" and response.model_version == "1"
    assert [o.name for o in response.outputs] == ["label", "probabilities"]
    rest = rest_infer(server, pki, batch)
    for name in ("label", "probabilities"):
        np.testing.assert_array_equal(result.as_numpy(name), rest[name])
        assert result.as_numpy(name).dtype == rest[name].dtype


def test_requested_outputs_come_in_the_order_asked(client):
    batch = churn_batch(3)
    result = client.infer("churn", make_inputs(batch), outputs=[grpcclient.InferRequestedOutput("probabilities")])
    assert [o.name for o in result.get_response().outputs] == ["probabilities"]
    assert result.as_numpy("label") is None


def test_nan_in_inputs_is_answered_as_rest_answers_it(server, pki, client):
    """NaN (a missing value) travels in raw contents; the contract decides, the same on both."""
    batch = churn_batch(4, seed=3)
    batch["monthly_charges"] = batch["monthly_charges"].copy()
    batch["monthly_charges"][1, 0] = np.nan
    try:
        grpc_outcome = ("ok", client.infer("churn", make_inputs(batch)).as_numpy("probabilities"))
    except InferenceServerException as error:
        grpc_outcome = ("refused", error.status())
    try:
        rest_outcome = ("ok", rest_infer(server, pki, batch)["probabilities"])
    except Exception as error:  # tritonclient.http raises its own exception type
        rest_outcome = ("refused", str(error))
    assert grpc_outcome[0] == rest_outcome[0], (grpc_outcome, rest_outcome)
    if grpc_outcome[0] == "ok":
        np.testing.assert_array_equal(grpc_outcome[1], rest_outcome[1])


def test_typed_contents_from_kserves_client(server, pki, tmp_path):
    """KServe's InferenceGRPCClient sends typed `contents` (not raw): same answer as raw. It runs
    in its own process: kserve and tritonclient both register the `inference` protobuf package."""
    batch = churn_batch(5, seed=11)
    request = tmp_path / "request.json"
    request.write_text(json.dumps({name: {"datatype": datatype, "shape": list(batch[name].shape),
                                          "data": [v.decode() if isinstance(v, bytes) else v.item() for v in batch[name].ravel()]}
                                   for name, datatype in CHURN_INPUTS}))
    result = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "tools" / "kserve_grpc_infer.py"), f"localhost:{server.grpc_port}",
         str(pki / "ca.pem"), str(pki / "gateway.pem"), str(pki / "gateway.key"), str(request)],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["id"] == "kserve-1" and answer["typed"] is True
    rest = rest_infer(server, pki, batch)
    np.testing.assert_array_equal(np.array(answer["outputs"]["label"]).reshape(rest["label"].shape), rest["label"])
    np.testing.assert_array_equal(np.array(answer["outputs"]["probabilities"], dtype=np.float32).reshape(rest["probabilities"].shape),
                                  rest["probabilities"])


# -- refusals ------------------------------------------------------------------------------------


def test_a_contract_violation_is_invalid_argument_naming_the_field_not_the_value(client):
    batch = churn_batch(2)
    batch["tenure"] = np.array([[5], [-9999]], dtype=np.int64)
    with pytest.raises(InferenceServerException) as info:
        client.infer("churn", make_inputs(batch))
    assert info.value.status() == "StatusCode.INVALID_ARGUMENT"
    message = info.value.message()
    assert "contract_violation" in message and "tenure" in message and "-9999" not in message


def test_a_wrong_datatype_is_invalid_argument(client):
    batch = churn_batch(2)
    inputs = make_inputs(batch)
    inputs[0] = grpcclient.InferInput("tenure", [2, 1], "FP32")
    inputs[0].set_data_from_numpy(np.array([[1.0], [2.0]], dtype=np.float32))
    with pytest.raises(InferenceServerException) as info:
        client.infer("churn", inputs)
    assert info.value.status() == "StatusCode.INVALID_ARGUMENT" and "datatype_mismatch" in info.value.message()


def test_an_unknown_model_is_not_found(client):
    with pytest.raises(InferenceServerException) as info:
        client.infer("no_such_model", make_inputs(churn_batch(1)))
    assert info.value.status() == "StatusCode.NOT_FOUND"


@pytest.mark.parametrize("identity", ["stranger", "scoped"])
def test_the_wrong_spiffe_id_is_permission_denied(server, pki, identity):
    """An identity no rule names, and one allowed another model only."""
    other = client_for(server, pki, identity)
    try:
        with pytest.raises(InferenceServerException) as info:
            other.infer("churn", make_inputs(churn_batch(1)))
        assert info.value.status() == "StatusCode.PERMISSION_DENIED" and "identity_not_allowed" in info.value.message()
        with pytest.raises(InferenceServerException) as info:
            other.get_model_metadata("churn")
        assert info.value.status() == "StatusCode.PERMISSION_DENIED"
    finally:
        other.close()


def test_no_client_certificate_fails_the_handshake(server, pki):
    anonymous = grpcclient.InferenceServerClient(f"localhost:{server.grpc_port}", ssl=True, root_certificates=str(pki / "ca.pem"))
    try:
        with pytest.raises(InferenceServerException) as info:
            anonymous.is_server_live(client_timeout=5)
        assert info.value.status() == "StatusCode.UNAVAILABLE"
    finally:
        anonymous.close()


def raw_infer_request(batch: dict[str, np.ndarray]):
    from tritonclient.grpc import service_pb2

    request = service_pb2.ModelInferRequest(model_name="churn")
    for name, datatype in CHURN_INPUTS:
        request.inputs.add(name=name, datatype=datatype, shape=list(batch[name].shape))
        # serialize_byte_tensor gives one length-prefixed buffer, as tritonclient sends it.
        data = serialize_byte_tensor(batch[name]).item() if datatype == "BYTES" else batch[name].tobytes()
        request.raw_input_contents.append(data)
    return request


def test_an_answer_carries_its_request_id_first_and_its_version_last_a_refusal_all_in_trailers(server, pki):
    """Each field once: x-request-id in the initial metadata, warden-model(-version) in the
    trailers; a refusal is trailers only and carries all three with its error code."""
    from tritonclient.grpc import service_pb2_grpc

    credentials = grpc.ssl_channel_credentials(
        (pki / "ca.pem").read_bytes(), (pki / "gateway.key").read_bytes(), (pki / "gateway.pem").read_bytes())
    with grpc.secure_channel(f"localhost:{server.grpc_port}", credentials) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        response, call = stub.ModelInfer.with_call(raw_infer_request(churn_batch(2)), timeout=30)
        assert response.model_name == "churn" and len(response.raw_output_contents) == len(response.outputs)
        initial, trailing = dict(call.initial_metadata()), dict(call.trailing_metadata())
        assert len(initial["x-request-id"]) >= 16 and "x-request-id" not in trailing, (initial, trailing)
        assert trailing["warden-model"] == "churn" and trailing["warden-model-version"] == response.model_version

        batch = churn_batch(2)
        batch["tenure"] = np.array([[5], [-9999]], dtype=np.int64)
        with pytest.raises(grpc.RpcError) as info:
            stub.ModelInfer(raw_infer_request(batch), timeout=30)
        trailing = dict(info.value.trailing_metadata())
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert trailing["warden-error-code"] == "contract_violation" and len(trailing["x-request-id"]) >= 16
        assert trailing["warden-model"] == "churn" and trailing["warden-model-version"] == response.model_version


def test_the_request_timeout_parameter_bounds_the_work(client):
    with pytest.raises(InferenceServerException) as info:
        client.infer("churn", make_inputs(churn_batch(64)), timeout=1)  # one microsecond
    assert info.value.status() == "StatusCode.DEADLINE_EXCEEDED" and "deadline_exceeded" in info.value.message()


def test_calls_are_logged_and_counted_as_grpc_without_payloads(server, pki, client):
    mark = server.mark()
    client.infer("churn", make_inputs(churn_batch(2)), request_id="logged-1")
    # Lines of earlier calls may still arrive after the mark: this call is the one answered 200.
    record = server.wait_for_record(
        lambda r: r.get("route") == "/inference.GRPCInferenceService/ModelInfer" and r.get("status") == 200, since=mark)
    assert record["protocol"] == "grpc" and record["client"] == GATEWAY
    assert record["model"] == "churn" and record["version"] == "1"
    text = "\n".join(server.lines(mark))
    assert "Month-to-month" not in text and "logged-1" not in text
    metrics = requests.get(f"https://localhost:{server.port}/metrics", cert=(pki / "gateway.pem", pki / "gateway.key"),
                           verify=str(pki / "ca.pem"), timeout=10)
    assert metrics.status_code == 200
    assert 'protocol="grpc",route="/inference.GRPCInferenceService/ModelInfer"' in metrics.text


# -- health -------------------------------------------------------------------------------------


def health(port: int, service: str) -> tuple[grpc.StatusCode, bytes]:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda x: x,
                                    response_deserializer=lambda x: x)
        request = (b"\x0a" + bytes([len(service)]) + service.encode()) if service else b""
        try:
            return grpc.StatusCode.OK, check(request, timeout=5)
        except grpc.RpcError as error:
            return error.code(), b""


def test_grpc_health_probe_port_answers_per_service(server):
    serving = b"\x08\x01"  # HealthCheckResponse{status: SERVING}
    assert health(server.grpc_probe_port, "") == (grpc.StatusCode.OK, serving)
    assert health(server.grpc_probe_port, "churn") == (grpc.StatusCode.OK, serving)
    assert health(server.grpc_probe_port, "inference.GRPCInferenceService/churn") == (grpc.StatusCode.OK, serving)
    assert health(server.grpc_probe_port, "nothing")[0] == grpc.StatusCode.NOT_FOUND
    # The probe port serves health and nothing else.
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_probe_port}") as channel:
        live = channel.unary_unary("/inference.GRPCInferenceService/ServerLive", request_serializer=lambda x: x,
                                   response_deserializer=lambda x: x)
        with pytest.raises(grpc.RpcError) as info:
            live(b"", timeout=5)
        assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


# -- plain gRPC (development), limits and overload -------------------------------------------------


def slow_infer_request(rows: int, width: int):
    from tritonclient.grpc import service_pb2

    request = service_pb2.ModelInferRequest(model_name="slow")
    tensor = request.inputs.add(name="X", datatype="FP32", shape=[rows, width])
    del tensor
    request.raw_input_contents.append(np.full((rows, width), 0.5, dtype=np.float32).tobytes())
    return request


@pytest.fixture(scope="module")
def slow_dir(tmp_path_factory) -> Path:
    from slow_model import write_slow_model

    return write_slow_model(tmp_path_factory.mktemp("grpc-models") / "slow")


def test_plaintext_grpc_for_development_sheds_with_pushback_and_caps_message_size(start_warden, slow_dir):
    """`--insecure-plaintext`: gRPC without TLS. One inference slot and one queue place under
    16 concurrent calls: the excess is shed at once with a retry pushback, the admitted answer;
    a message over `limits.max_body_bytes` is refused by the transport."""
    from concurrent.futures import ThreadPoolExecutor
    from tritonclient.grpc import service_pb2_grpc

    from slow_model import WIDTH

    (grpc_port,) = free_ports(1)
    server = start_warden(config={
        "models": [{"directory": str(slow_dir)}], "limits": {"max_body_bytes": 256 * 1024},
        "resilience": {"concurrency": 1, "queue_capacity": 1, "max_queue_wait_seconds": 0.05},
    }, extra_args=["--grpc-port", str(grpc_port)], label="grpc-plain")
    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        request = slow_infer_request(8, WIDTH)

        def call(_):
            try:
                response, _ = stub.ModelInfer.with_call(request, timeout=30)
                return ("ok", response.model_name, None)
            except grpc.RpcError as error:
                trailers = dict(error.trailing_metadata() or ())
                return (error.code(), trailers.get("warden-error-code"), trailers.get("grpc-retry-pushback-ms"))

        with ThreadPoolExecutor(16) as pool:
            outcomes = list(pool.map(call, range(16)))
        answered = [o for o in outcomes if o[0] == "ok"]
        shed = [o for o in outcomes if o[0] != "ok"]
        assert answered and all(o[1] == "slow" for o in answered), outcomes
        assert shed, outcomes
        for code, warden_code, pushback in shed:
            assert code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED), (code, warden_code)
            assert warden_code in ("overloaded", "client_quota_exceeded"), warden_code
            assert pushback is not None and int(pushback) > 0, (code, warden_code, pushback)

        too_big = slow_infer_request(1 + 256 * 1024 // (4 * WIDTH), WIDTH)
        with pytest.raises(grpc.RpcError) as info:
            stub.ModelInfer(too_big, timeout=30)
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, info.value
        assert dict(info.value.trailing_metadata())["warden-error-code"] == "payload_too_large"
        # Far over the limit, the transport resets the stream before the message is all read.
        with pytest.raises(grpc.RpcError) as info:
            stub.ModelInfer(slow_infer_request(3 * 256 * 1024 // (4 * WIDTH), WIDTH), timeout=30)
        assert info.value.code() in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.CANCELLED), info.value
    assert server.running()


def test_the_grpc_port_refuses_tls12_as_rest_does(server, pki):
    def handshake(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{server.grpc_port}", "-CAfile", str(pki / "ca.pem"),
                               "-cert", str(pki / "gateway.pem"), "-key", str(pki / "gateway.key"), "-alpn", "h2",
                               "-verify_return_error", *extra], input=b"", capture_output=True, timeout=20)
    ok = handshake()
    assert b"TLSv1.3" in ok.stdout and b"ALPN protocol: h2" in ok.stdout, ok.stdout[-2000:]
    assert handshake("-tls1_2").returncode != 0


def test_a_pinned_version_routes_and_an_unknown_one_is_not_found(client):
    batch = churn_batch(2)
    assert client.infer("churn", make_inputs(batch), model_version="1").get_response().model_version == "1"
    with pytest.raises(InferenceServerException) as info:
        client.infer("churn", make_inputs(batch), model_version="7")
    assert info.value.status() == "StatusCode.NOT_FOUND"


# -- traces ---------------------------------------------------------------------------------------

def test_a_grpc_call_continues_the_callers_trace_from_its_metadata(start_warden, tmp_path):
    """tritonclient.grpc passes `traceparent` as call metadata: the ModelInfer span continues it,
    with the same phase spans as REST."""
    import secrets
    import time

    from otlp_receiver import OTLPReceiver
    from test_tracing import ALLOW_ALL, PHASES, attributes

    policy = tmp_path / "allow.rego"
    policy.write_text(ALLOW_ALL)
    (grpc_port,) = free_ports(1)
    with OTLPReceiver() as receiver:
        start_warden(model_dir=CHURN_DIR, extra_args=["--otlp-endpoint", receiver.endpoint, "--request-policy", str(policy),
                                                       "--trace-sampling-ratio", "1", "--grpc-port", str(grpc_port)])
        trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
        batch = churn_batch(2)
        inputs = []
        for name, datatype in CHURN_INPUTS:
            tensor = grpcclient.InferInput(name, list(batch[name].shape), datatype)
            tensor.set_data_from_numpy(batch[name])
            inputs.append(tensor)
        client = grpcclient.InferenceServerClient(f"127.0.0.1:{grpc_port}")
        try:
            result = client.infer("churn", inputs, headers={"traceparent": f"00-{trace_id}-{parent_id}-01"})
        finally:
            client.close()
        assert np.asarray(result.as_numpy("label")).shape == (2,)
        route = "/inference.GRPCInferenceService/ModelInfer"
        deadline = time.time() + 10
        spans = []
        while len({s.name for s in spans}) < 1 + len(PHASES) and time.time() < deadline:
            spans = receiver.wait_for(lambda s: s.trace_id.hex() == trace_id)
            time.sleep(0.2)
        by_name = {s.name: s for s in spans}
        server_span = by_name[route]
        assert server_span.parent_span_id.hex() == parent_id and server_span.kind == server_span.SPAN_KIND_SERVER
        attrs = attributes(server_span)
        assert attrs["rpc.system"] == "grpc" and attrs["rpc.method"] == "ModelInfer" and attrs["rpc.grpc.status_code"] == 0
        assert attrs["warden.model"] == "churn"
        for phase in PHASES:
            assert by_name[phase].parent_span_id == server_span.span_id, phase
