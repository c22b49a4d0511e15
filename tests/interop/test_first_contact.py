"""First contact: what a Triton or KServe client meets when it is pointed at Warden instead of
Triton, without changing a line.

- Non-finite numbers. tritonclient in JSON mode writes np.nan as the bare token `NaN` and an
  infinity as `Infinity` (python-rapidjson, checked here against a recording loopback server),
  and Triton's server reads them (rapidjson's kParseNanAndInfFlag: NaN, Inf, Infinity, each with
  an optional '-'). Warden reads them too, on OIP v2 infer and KServe v1 predict. In FP32/FP64
  inputs NaN is a missing value (the contract's schema sees null) and an infinity is a number
  (so `minimum`/`maximum` refuse it: 422 contract_violation); in integer inputs either is 400
  invalid_data, as is a finite JSON number too large for FP32 (it used to become an infinity).
  Answers are held to ONNX Runtime on the same numpy arrays: the churn pipeline (median
  imputation), the XGBoost regressor (onnxmltools output, a derived contract without a schema)
  and a linear regression, whose NaN and infinite outputs come back as `NaN`, `Infinity` and
  `-Infinity` tokens that tritonclient and Python's json read back into floats.
- Discovery: GET /v2/models, Triton's POST /v2/repository/index (tritonclient's
  get_model_repository_index) and KServe v1's GET /v1/models, authorized as metadata routes.
- Statistics in Triton's shape (tritonclient's get_inference_statistics), counting successes and
  contract refusals on a fresh server.
- What a client library shows of a 422: tritonclient only prints the body's `error`, so that
  message must name the first violation's pointer and keyword (never the value); `errors`
  keeps the full list.
"""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import requests
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from conftest import (
    CHURN_DIR,
    CHURN_INPUTS,
    FIXTURES_DIR,
    churn_batch,
    churn_with_contract,
    churn_instances,
    churn_v2_json,
    warden_binary,
)
from test_tritonclient import make_inputs
from test_tritonclient import outputs as requested_outputs

TIMEOUT = 30
JSON = {"Content-Type": "application/json"}
FP32_COLUMNS = [name for name, datatype in CHURN_INPUTS if datatype == "FP32"]
FLOAT32_MAX = float(np.finfo(np.float32).max)  # 3.4028234663852886e+38: still an FP32
STATS_KINDS = ("success", "fail", "queue", "compute_input", "compute_infer", "compute_output", "cache_hit", "cache_miss")


# -- helpers ---------------------------------------------------------------------------


def triton(server) -> httpclient.InferenceServerClient:
    return httpclient.InferenceServerClient(server.host_port, connection_timeout=10.0, network_timeout=30.0)


def session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # a small machine shares its cores with the server
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def churn_reference(batch: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """ONNX Runtime's (label, probabilities) for the churn batch (BYTES columns as str)."""
    feed = {}
    for name, datatype in CHURN_INPUTS:
        array = batch[name]
        if datatype == "BYTES":
            array = np.array([v.decode() for v in array.ravel()], dtype=object).reshape(array.shape)
        feed[name] = array
    label, probabilities = session(CHURN_DIR / "model.onnx").run(["label", "probabilities"], feed)
    return label, probabilities


def churn_with_gaps(rows: int = 12, seed: int = 31) -> dict[str, np.ndarray]:
    """A churn batch with NaN (missing) in the FP32 columns: a diagonal pattern of gaps, one
    row with every FP32 column missing and one row with none."""
    batch = churn_batch(rows, seed=seed)
    for row in range(1, rows):
        for offset, name in enumerate(FP32_COLUMNS):
            if (row + offset) % 3 == 0:
                batch[name][row, 0] = np.nan
    for name in FP32_COLUMNS:
        batch[name][rows - 1, 0] = np.nan
    assert not any(np.isnan(batch[name][0, 0]) for name in FP32_COLUMNS)
    return batch


def assert_churn_matches(label, probabilities, expected) -> None:
    expected_label, expected_probabilities = expected
    np.testing.assert_array_equal(label, expected_label)
    np.testing.assert_allclose(probabilities, expected_probabilities, rtol=0, atol=1e-5)


def bare(body: dict, tokens: dict[str, str]) -> str:
    """The JSON text of `body` with each placeholder string replaced by a bare token (NaN, Inf,
    -Infinity...), which no JSON library writes on request."""
    text = json.dumps(body)
    for placeholder, token in tokens.items():
        quoted = json.dumps(placeholder)
        assert quoted in text, placeholder
        text = text.replace(quoted, token)
    return text


def churn_body_with(batch: dict[str, np.ndarray], input_name: str, row: int, token: str, datatype: str | None = None) -> str:
    """The batch as an OIP v2 JSON body whose `input_name` holds the bare `token` at `row`."""
    body = churn_v2_json(batch)
    tensor = next(t for t in body["inputs"] if t["name"] == input_name)
    tensor["data"][row] = "@token@"
    if datatype is not None:
        tensor["datatype"] = datatype
    return bare(body, {"@token@": token})


def post_infer(server, model: str, text: str) -> requests.Response:
    return requests.post(f"{server.url}/v2/models/{model}/infer", data=text, headers=JSON, timeout=TIMEOUT)


def post_predict(server, model: str, text: str) -> requests.Response:
    return requests.post(f"{server.url}/v1/models/{model}:predict", data=text, headers=JSON, timeout=TIMEOUT)


def refused_with(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Warden-Error-Code"] == code
    body = response.json()
    assert body["code"] == code
    return body


def violations(body: dict) -> list[tuple[str, str]]:
    return [(e["pointer"], e["keyword"]) for e in body["errors"]]


def v2_outputs(response: requests.Response) -> dict[str, dict]:
    """The OIP v2 JSON answer's outputs by name (Python's json reads NaN and Infinity)."""
    assert response.status_code == 200, response.text
    return {o["name"]: o for o in response.json()["outputs"]}


def case_matrix(fixture: str, case: str, input_name: str) -> np.ndarray:
    """A recorded case's input as float32: null is NaN, "inf"/"-inf" are infinities."""
    cases = json.loads((FIXTURES_DIR / f"{fixture}.cases.json").read_text())["cases"]
    rows = next(c for c in cases if c["name"] == case)["inputs"][input_name]
    special = {None: np.nan, "inf": np.inf, "-inf": -np.inf}
    return np.array([[special[v] if v is None or isinstance(v, str) else v for v in row] for row in rows], dtype=np.float32)


def model_dir(root: Path, fixture: str) -> Path:
    """A directory holding only the fixture as model.onnx: Warden derives a contract (no
    schema) and names the model after the directory."""
    directory = root / fixture
    directory.mkdir()
    shutil.copyfile(FIXTURES_DIR / f"{fixture}.onnx", directory / "model.onnx")
    return directory


def one_input(path: Path) -> tuple[str, str]:
    """The graph's only input and first output names (read with ONNX Runtime)."""
    s = session(path)
    (graph_input,) = s.get_inputs()
    assert graph_input.type == "tensor(float)" and graph_input.shape[1] == 8, graph_input
    return graph_input.name, s.get_outputs()[0].name


# -- servers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def models_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("first-contact")
    for fixture in ("xgboost_regressor", "linear_regression"):
        model_dir(root, fixture)
    return root


@pytest.fixture(scope="module")
def catalog_server(_session_starter, models_root):
    """churn, linear_regression and xgboost_regressor from one YAML config."""
    return _session_starter(
        config={
            "models": [
                {"directory": str(models_root / "xgboost_regressor")},
                {"directory": str(CHURN_DIR)},
                {"directory": str(models_root / "linear_regression")},
            ]
        },
        label="catalog",
    )


@pytest.fixture(scope="module")
def strict_age_server(_session_starter, tmp_path_factory):
    """churn whose contract does not allow `age` to be missing: `type: number`, no null."""
    def strict_age(contract: dict) -> None:
        contract["input_schema"]["properties"]["age"]["type"] = "number"
        # The example's warm-up rows leave age missing, and warm-up goes through the contract:
        # without this, the model would (rightly) never turn ready.
        for sample in contract["warmup"]:
            sample["age"] = [[30.0] for _ in sample["age"]]

    directory = churn_with_contract(tmp_path_factory.mktemp("strict-age"), strict_age)
    return _session_starter(model_dir=directory, label="churn-strict-age")


# -- what tritonclient writes and reads (no Warden needed) ------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Keeps each request body and answers with the server's canned body."""

    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.server.bodies.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        answer = self.server.answer
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.bodies, server.answer = [], b""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_tritonclient_json_mode_writes_and_reads_nonfinite_tokens(recorder):
    """The premise of everything below, checked on the client alone: in JSON mode tritonclient
    sends NaN and infinities as bare tokens and reads them back into floats."""
    recorder.answer = (
        b'{"model_name":"m","model_version":"1","outputs":[{"name":"y","datatype":"FP32","shape":[1,4],'
        b'"data":[NaN,Infinity,-Infinity,1.5]}]}'
    )
    host, port = recorder.server_address
    with httpclient.InferenceServerClient(f"{host}:{port}", network_timeout=10.0) as client:
        for datatype, numpy_type in (("FP32", np.float32), ("FP64", np.float64)):
            tensor = httpclient.InferInput("x", [1, 4], datatype)
            tensor.set_data_from_numpy(np.array([[np.nan, np.inf, -np.inf, 1.5]], dtype=numpy_type), binary_data=False)
            result = client.infer("m", [tensor], outputs=[httpclient.InferRequestedOutput("y", binary_data=False)])
            sent = recorder.bodies[-1].decode()
            assert '"data":[NaN,Infinity,-Infinity,1.5]' in sent, sent
            y = result.as_numpy("y")
            assert y.dtype == np.float32 and y.shape == (1, 4)
            assert np.isnan(y[0, 0]) and y[0, 1] == np.inf and y[0, 2] == -np.inf and y[0, 3] == 1.5
        # An integer tensor cannot hold NaN: the client refuses before sending anything.
        count = len(recorder.bodies)
        tensor = httpclient.InferInput("n", [1, 1], "INT64")
        with pytest.raises(InferenceServerException):
            tensor.set_data_from_numpy(np.array([[np.nan]]), binary_data=False)
        assert len(recorder.bodies) == count


# -- non-finite inputs: the churn pipeline (median imputation, schema with null) --------


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_churn_imputes_nan_like_onnxruntime(churn_server, binary):
    """NaN in FP32 columns is a missing value the pipeline imputes: the answer is ONNX
    Runtime's on the same arrays, whether the NaN travels as a `NaN` token or as raw bits."""
    batch = churn_with_gaps()
    expected = churn_reference(batch)
    with triton(churn_server) as client:
        result = client.infer("churn", make_inputs(batch, binary=binary), outputs=requested_outputs(binary))
    assert_churn_matches(result.as_numpy("label"), result.as_numpy("probabilities"), expected)


@pytest.mark.parametrize("token", ["NaN", "-NaN"])
def test_churn_nan_token_is_null(churn_server, token):
    """A bare NaN (either sign) in an FP32 column answers exactly as JSON null does."""
    batch = churn_batch(3, seed=41)
    with_null = churn_v2_json(batch)
    next(t for t in with_null["inputs"] if t["name"] == "data_usage_gb")["data"][1] = None
    reference = v2_outputs(post_infer(churn_server, "churn", json.dumps(with_null)))
    answer = v2_outputs(post_infer(churn_server, "churn", churn_body_with(batch, "data_usage_gb", 1, token)))
    assert answer["label"]["data"] == reference["label"]["data"]
    assert answer["probabilities"]["data"] == reference["probabilities"]["data"]
    batch["data_usage_gb"][1, 0] = np.nan
    assert_churn_matches(
        np.array(answer["label"]["data"]), np.array(answer["probabilities"]["data"]).reshape(3, 2), churn_reference(batch)
    )


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
@pytest.mark.parametrize("value, keyword", [(np.inf, "maximum"), (-np.inf, "minimum")], ids=["inf", "-inf"])
def test_churn_infinity_is_a_contract_violation(churn_server, binary, value, keyword):
    """An infinity is a number to the schema: `minimum: 0` and `maximum` refuse it (422), in
    JSON (`Infinity` token) and binary alike; it is not read as a missing value."""
    batch = churn_batch(3, seed=43)
    batch["monthly_charges"][2, 0] = value
    with triton(churn_server) as client:
        with pytest.raises(InferenceServerException) as refused:
            client.infer("churn", make_inputs(batch, binary=binary), outputs=requested_outputs(binary))
    assert refused.value.status() == "422", str(refused.value)
    message = refused.value.message()
    assert "/2/monthly_charges" in message and keyword in message, message
    assert "infinity" not in message.lower(), message  # the value is not echoed


@pytest.mark.parametrize(
    "token, keyword",
    [("Inf", "maximum"), ("Infinity", "maximum"), ("-Inf", "minimum"), ("-Infinity", "minimum")],
)
def test_churn_infinity_tokens_over_raw_http(churn_server, token, keyword):
    """Every spelling rapidjson accepts, as a raw body: 422 contract_violation naming the cell."""
    batch = churn_batch(2, seed=47)
    body = refused_with(post_infer(churn_server, "churn", churn_body_with(batch, "age", 1, token)), 422, "contract_violation")
    assert violations(body) == [("/1/age", keyword)]


@pytest.mark.parametrize("token", ["NaN", "-NaN", "Inf", "Infinity", "-Inf", "-Infinity"])
@pytest.mark.parametrize("datatype", ["INT64", "INT32"])
def test_nonfinite_in_an_integer_input_is_invalid_data(churn_server, token, datatype):
    """An integer tensor has no NaN or infinity: 400 invalid_data (tritonclient refuses to
    build one, so a hand-written body carries the token)."""
    batch = churn_batch(2, seed=53)
    control = post_infer(churn_server, "churn", churn_body_with(batch, "tenure", 0, "12", datatype=datatype))
    assert control.status_code == 200, control.text  # the same body with an integer there is served
    text = churn_body_with(batch, "tenure", 0, token, datatype=datatype)
    body = refused_with(post_infer(churn_server, "churn", text), 400, "invalid_data")
    assert "tenure" in body["error"]


@pytest.mark.parametrize("number", ["1e39", "-1e39", "1e300", "3.5e38", "-3.5e38"])
def test_fp32_overflow_is_invalid_data(churn_server, number):
    """A finite JSON number beyond FP32's range would round to an infinity and be judged as a
    different value: it is refused as data (400), not passed to the contract."""
    batch = churn_batch(2, seed=59)
    body = refused_with(post_infer(churn_server, "churn", churn_body_with(batch, "total_charges", 1, number)), 400, "invalid_data")
    assert "total_charges" in body["error"]


def test_fp32_largest_finite_reaches_the_contract(churn_server):
    """FP32's largest value is still an FP32: it reaches the contract, whose `maximum` refuses it."""
    batch = churn_batch(2, seed=61)
    text = churn_body_with(batch, "total_charges", 1, json.dumps(FLOAT32_MAX))
    body = refused_with(post_infer(churn_server, "churn", text), 422, "contract_violation")
    assert violations(body) == [("/1/total_charges", "maximum")]


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_nan_passes_only_where_the_schema_allows_null(strict_age_server, binary):
    """NaN is null to the schema: refused by `type` where null is not allowed (age here),
    imputed where it is (monthly_charges)."""
    batch = churn_batch(3, seed=67)
    batch["monthly_charges"][0, 0] = np.nan
    with triton(strict_age_server) as client:
        result = client.infer("churn", make_inputs(batch, binary=binary), outputs=requested_outputs(binary))
        assert_churn_matches(result.as_numpy("label"), result.as_numpy("probabilities"), churn_reference(batch))
        batch["age"][1, 0] = np.nan
        with pytest.raises(InferenceServerException) as refused:
            client.infer("churn", make_inputs(batch, binary=binary), outputs=requested_outputs(binary))
    assert refused.value.status() == "422"
    assert "/1/age" in refused.value.message() and "type" in refused.value.message(), refused.value.message()
    raw = post_infer(strict_age_server, "churn", json.dumps(churn_v2_json(batch)))  # Python's json writes NaN
    assert violations(refused_with(raw, 422, "contract_violation")) == [("/1/age", "type")]


# -- non-finite inputs and outputs: derived contracts (no schema) -----------------------


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_xgboost_regressor_nonfinite_like_onnxruntime(catalog_server, models_root, binary):
    """onnxmltools' XGBoost regressor on rows holding NaN, +inf and -inf (every column, and
    whole rows of each): ONNX Runtime's answer, within 1e-5."""
    path = models_root / "xgboost_regressor" / "model.onnx"
    input_name, output_name = one_input(path)
    x = case_matrix("xgboost_regressor", "nan_inf", "input")
    assert np.isnan(x).any() and np.isposinf(x).any() and np.isneginf(x).any()
    (expected,) = session(path).run([output_name], {input_name: x})
    tensor = httpclient.InferInput(input_name, list(x.shape), "FP32")
    tensor.set_data_from_numpy(x, binary_data=binary)
    with triton(catalog_server) as client:
        result = client.infer("xgboost_regressor", [tensor], outputs=[httpclient.InferRequestedOutput(output_name, binary_data=binary)])
    got = result.as_numpy(output_name)
    assert got.shape == expected.shape
    assert np.isfinite(expected).all()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_bare_tokens_read_as_numbers(catalog_server, models_root):
    """Each of rapidjson's spellings (NaN, Inf, Infinity, each with '-') is the number it names."""
    path = models_root / "xgboost_regressor" / "model.onnx"
    input_name, output_name = one_input(path)
    base = case_matrix("xgboost_regressor", "normal", "input")[:6]
    tokens = {"NaN": np.nan, "-NaN": np.nan, "Inf": np.inf, "-Inf": -np.inf, "Infinity": np.inf, "-Infinity": -np.inf}
    x = base.copy()
    data: list = x.ravel().tolist()
    placeholders = {}
    for row, (token, value) in enumerate(tokens.items()):
        column = (row * 3) % 8
        x[row, column] = value
        placeholder = f"@{row}@"
        data[row * 8 + column] = placeholder
        placeholders[placeholder] = token
    text = bare({"inputs": [{"name": input_name, "datatype": "FP32", "shape": list(x.shape), "data": data}]}, placeholders)
    (expected,) = session(path).run([output_name], {input_name: x})
    got = np.array(v2_outputs(post_infer(catalog_server, "xgboost_regressor", text))[output_name]["data"], dtype=np.float32)
    np.testing.assert_allclose(got.reshape(expected.shape), expected, rtol=1e-5, atol=1e-5)


def linear_regression_case(models_root) -> tuple[str, str, np.ndarray, np.ndarray]:
    path = models_root / "linear_regression" / "model.onnx"
    input_name, output_name = one_input(path)
    x = case_matrix("linear_regression", "nan_inf", "X")
    (expected,) = session(path).run([output_name], {input_name: x})
    assert np.isnan(expected).any() and np.isposinf(expected).any() and np.isneginf(expected).any()
    return input_name, output_name, x, expected


def test_nonfinite_outputs_are_tokens(catalog_server, models_root):
    """NaN and infinite outputs are written as `NaN`, `Infinity` and `-Infinity` (never null),
    which Python's json and tritonclient (JSON and binary) read back as ONNX Runtime's floats."""
    input_name, output_name, x, expected = linear_regression_case(models_root)
    body = {"inputs": [{"name": input_name, "datatype": "FP32", "shape": list(x.shape), "data": x.ravel().tolist()}]}
    response = post_infer(catalog_server, "linear_regression", json.dumps(body))
    assert response.status_code == 200, response.text
    for token in ("NaN", "Infinity", "-Infinity"):
        assert token in response.text, response.text
    assert "null" not in response.text
    got = np.array(v2_outputs(response)[output_name]["data"], dtype=np.float32).reshape(expected.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)  # NaN and infinities in the same places

    with triton(catalog_server) as client:
        for binary in (False, True):
            tensor = httpclient.InferInput(input_name, list(x.shape), "FP32")
            tensor.set_data_from_numpy(x, binary_data=binary)
            result = client.infer(
                "linear_regression", [tensor], outputs=[httpclient.InferRequestedOutput(output_name, binary_data=binary)]
            )
            np.testing.assert_allclose(result.as_numpy(output_name), expected, rtol=1e-5, atol=1e-5)


def test_kserve_v1_nonfinite_rows_and_outputs(catalog_server, models_root):
    """KServe v1 on a matrix model: instances with NaN and infinity tokens, predictions with them."""
    input_name, output_name, x, expected = linear_regression_case(models_root)
    response = post_predict(catalog_server, "linear_regression", json.dumps({"instances": x.tolist()}))
    assert response.status_code == 200, response.text
    assert "null" not in response.text and "Infinity" in response.text and "NaN" in response.text
    predictions = response.json()["predictions"]
    got = np.array([p if isinstance(p, list) else [p] for p in predictions], dtype=np.float32).reshape(expected.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


# -- KServe v1: the churn pipeline -------------------------------------------------------


@pytest.mark.parametrize("as_objects", [False, True], ids=["arrays", "objects"])
def test_kserve_v1_nan_agrees_with_oip_json(churn_server, as_objects):
    """A raw v1 body with NaN in float columns: 200, the same numbers as the OIP v2 JSON answer
    to the same rows, and ONNX Runtime's."""
    batch = churn_with_gaps(rows=6, seed=71)
    text = json.dumps({"instances": churn_instances(batch, as_objects=as_objects)})
    assert "NaN" in text
    response = post_predict(churn_server, "churn", text)
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    v2 = v2_outputs(post_infer(churn_server, "churn", json.dumps(churn_v2_json(batch))))
    assert [p["label"] for p in predictions] == v2["label"]["data"]
    assert [v for p in predictions for v in p["probabilities"]] == v2["probabilities"]["data"]
    assert_churn_matches(
        np.array([p["label"] for p in predictions]), np.array([p["probabilities"] for p in predictions]), churn_reference(batch)
    )


def test_kserve_v1_infinity_is_a_contract_violation(churn_server):
    instances = churn_instances(churn_batch(2, seed=73), as_objects=True)
    instances[1]["days_since_login"] = "@token@"
    response = post_predict(churn_server, "churn", bare({"instances": instances}, {"@token@": "Infinity"}))
    assert violations(refused_with(response, 422, "contract_violation")) == [("/1/days_since_login", "maximum")]


# -- what a client library shows of a refusal -------------------------------------------


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_contract_violation_message_names_the_first_violation(churn_server, binary):
    """tritonclient shows only the body's `error`: it names the first violation's pointer and
    keyword, never the value; the response's `errors` lists every violation."""
    batch = churn_batch(3, seed=79)
    batch["monthly_charges"][0, 0] = 123456.5  # maximum 100000
    batch["age"][2, 0] = 777.25  # maximum 150
    with triton(churn_server) as client:
        with pytest.raises(InferenceServerException) as refused:
            client.infer("churn", make_inputs(batch, binary=binary), outputs=requested_outputs(binary))
    assert refused.value.status() == "422"
    for shown in (refused.value.message(), str(refused.value)):
        assert "/0/monthly_charges" in shown and "maximum" in shown, shown
        assert "123456" not in shown and "777" not in shown, shown
    response = post_infer(churn_server, "churn", json.dumps(churn_v2_json(batch)))
    body = refused_with(response, 422, "contract_violation")
    assert violations(body) == [("/0/monthly_charges", "maximum"), ("/2/age", "maximum")]
    assert "/0/monthly_charges" in body["error"] and body["error"] == refused.value.message()
    echoed = {key: value for key, value in body.items() if key != "request_id"}
    assert "123456" not in json.dumps(echoed) and "777" not in json.dumps(echoed)


# -- discovery -------------------------------------------------------------------------

CATALOG = ["churn", "linear_regression", "xgboost_regressor"]


def test_v2_models_lists_every_model(catalog_server):
    response = requests.get(f"{catalog_server.url}/v2/models", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    models = response.json()["models"]
    assert [m["name"] for m in models] == CATALOG  # sorted by name, whatever the config's order
    # The digest a version answers with (Warden-Model-Digest), absent when served unpinned.
    answer = post_infer(catalog_server, "churn", json.dumps(churn_v2_json(churn_batch(1))))
    assert answer.status_code == 200, answer.text
    churn_digest = answer.headers.get("Warden-Model-Digest")
    for model in models:
        assert len(model["versions"]) == 1, model
        version = model["versions"][0]
        assert version["version"] == "1" and version["state"] == "READY", model
        assert "digest" in version  # null when served unpinned, as here
        if model["name"] == "churn":
            assert version["digest"] == churn_digest
        assert version["digest"] is None or version["digest"].startswith("sha256:")


def check_index(index) -> None:
    assert isinstance(index, list)
    assert [entry["name"] for entry in index] == CATALOG
    for entry in index:
        assert set(entry) == {"name", "version", "state", "reason"}, entry
        assert entry["version"] == "1" and entry["state"] == "READY" and entry["reason"] == "", entry


@pytest.mark.parametrize(
    "body", [None, "", "{}", '{"ready": true}', '{"ready": false}'], ids=["absent", "empty", "object", "ready", "not-ready"]
)
def test_repository_index_in_tritons_shape(catalog_server, body):
    """Triton's POST /v2/repository/index: the body is optional; `ready: true` keeps only ready
    models (all are, here), `ready: false` filters nothing."""
    kwargs = {} if body is None else {"data": body, "headers": JSON}
    response = requests.post(f"{catalog_server.url}/v2/repository/index", timeout=TIMEOUT, **kwargs)
    assert response.status_code == 200, response.text
    check_index(response.json())


def test_repository_index_with_tritonclient(catalog_server):
    with triton(catalog_server) as client:
        check_index(client.get_model_repository_index())


def test_kserve_v1_model_list(catalog_server):
    response = requests.get(f"{catalog_server.url}/v1/models", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    models = response.json()["models"]
    assert sorted(models) == CATALOG and len(set(models)) == len(models)


DOMAIN = "warden.test"


@pytest.fixture(scope="module")
def discovery_pki(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("discovery-pki")
    result = subprocess.run(
        [str(warden_binary()), "dev-pki", "--out", str(directory), "--trust-domain", DOMAIN,
         "--client", "catalog=ns/ops/sa/catalog", "--client", "gateway=ns/serving/sa/gateway",
         "--client", "scraper=ns/monitoring/sa/prometheus"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return directory


def test_discovery_is_authorized_as_metadata(start_warden, discovery_pki, models_root):
    """Over mTLS: the listings are metadata routes without a model, so they need a metadata
    rule not narrowed to models; a model's stats are that model's metadata."""
    pki = discovery_pki
    server = start_warden(config={
        "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"),
                "client_ca_bundle": str(pki / "ca.pem")},
        "authorization": {"rules": [
            {"routes": ["metadata"], "allow": [f"spiffe://{DOMAIN}/ns/ops/sa/catalog"]},
            {"routes": ["infer", "metadata"], "models": ["churn"], "allow": [f"spiffe://{DOMAIN}/ns/serving/*"]},
            {"routes": ["metrics"], "allow": [f"spiffe://{DOMAIN}/ns/monitoring/sa/prometheus"]},
        ]},
        "models": [{"directory": str(CHURN_DIR)}, {"directory": str(models_root / "xgboost_regressor")}],
    }, label="discovery-mtls")

    def call(client: str, method: str, path: str, **kwargs) -> int:
        response = requests.request(method, f"https://localhost:{server.port}{path}", cert=(pki / f"{client}.pem", pki / f"{client}.key"),
                                    verify=str(pki / "ca.pem"), timeout=10, **kwargs)
        if response.status_code == 403:
            assert response.json()["code"] == "identity_not_allowed", response.text
        return response.status_code

    listings = [("GET", "/v2/models"), ("POST", "/v2/repository/index"), ("GET", "/v1/models"), ("GET", "/v2/models/stats")]
    for method, path in listings + [("GET", "/v2/models/churn/stats"), ("GET", "/v2/models/xgboost_regressor/stats")]:
        assert call("catalog", method, path) == 200, path
        assert call("scraper", method, path) == 403, path
    body = json.dumps(churn_v2_json(churn_batch(1)))
    assert call("catalog", "POST", "/v2/models/churn/infer", data=body, headers=JSON) == 403  # metadata is not infer
    assert call("gateway", "POST", "/v2/models/churn/infer", data=body, headers=JSON) == 200
    assert call("gateway", "GET", "/v2/models/churn/stats") == 200
    assert call("gateway", "GET", "/v2/models/churn/versions/1/stats") == 200
    assert call("gateway", "GET", "/v2/models/xgboost_regressor/stats") == 403
    for method, path in listings:  # a rule narrowed to churn does not open the whole catalogue
        assert call("gateway", method, path) == 403, path


# -- statistics ------------------------------------------------------------------------


def check_stats_shape(entry: dict) -> None:
    assert set(entry) >= {"name", "version", "last_inference", "inference_count", "execution_count", "inference_stats", "batch_stats"}
    assert entry["batch_stats"] == []
    for key in ("last_inference", "inference_count", "execution_count"):
        assert isinstance(entry[key], int) and entry[key] >= 0, (key, entry)
    assert set(entry["inference_stats"]) >= set(STATS_KINDS), entry
    for kind in STATS_KINDS:
        duration = entry["inference_stats"][kind]
        assert isinstance(duration["count"], int) and isinstance(duration["ns"], int), (kind, duration)
        assert duration["count"] >= 0 and duration["ns"] >= 0, (kind, duration)


def test_statistics_in_tritons_shape(start_warden, models_root):
    """A fresh server: nothing counted yet (warmup runs are not inferences), then k successes
    and m contract refusals counted exactly, for the model that served them only."""
    server = start_warden(
        config={"models": [{"directory": str(CHURN_DIR)}, {"directory": str(models_root / "xgboost_regressor")}]},
        label="stats",
    )
    with triton(server) as client:
        everything = client.get_inference_statistics()
        assert sorted(e["name"] for e in everything["model_stats"]) == ["churn", "xgboost_regressor"]
        for entry in everything["model_stats"]:
            check_stats_shape(entry)
            assert entry["version"] == "1"
            assert entry["last_inference"] == 0 and entry["inference_count"] == 0 and entry["execution_count"] == 0, entry
            assert all(entry["inference_stats"][kind] == {"count": 0, "ns": 0} for kind in STATS_KINDS), entry

        sizes = [1, 3, 5]  # k successful requests of 9 rows
        refused = 2  # m contract violations
        before_ms = int(time.time() * 1000)
        for index, rows in enumerate(sizes):
            client.infer("churn", make_inputs(churn_batch(rows, seed=100 + index), binary=index % 2 == 0))
        for index in range(refused):
            batch = churn_batch(2, seed=200 + index)
            batch["age"][1, 0] = 151.0
            with pytest.raises(InferenceServerException) as info:
                client.infer("churn", make_inputs(batch, binary=index % 2 == 0))
            assert info.value.status() == "422"
        after_ms = int(time.time() * 1000)

        stats = client.get_inference_statistics(model_name="churn")
        versioned = client.get_inference_statistics(model_name="churn", model_version="1")
        raw = requests.get(f"{server.url}/v2/models/churn/stats", timeout=TIMEOUT)
        assert raw.status_code == 200 and raw.headers["Content-Type"].startswith("application/json")
        untouched = client.get_inference_statistics(model_name="xgboost_regressor")
        everything = client.get_inference_statistics()

    (entry,) = stats["model_stats"]
    check_stats_shape(entry)
    assert entry["name"] == "churn" and entry["version"] == "1"
    assert versioned["model_stats"] == stats["model_stats"]
    assert raw.json()["model_stats"][0]["inference_stats"]["success"]["count"] == len(sizes)
    inference = entry["inference_stats"]
    assert inference["success"]["count"] == len(sizes)
    assert inference["fail"]["count"] == refused
    for kind in ("queue", "compute_input", "compute_infer", "compute_output"):  # one of each per success, as Triton
        assert inference[kind]["count"] == len(sizes), (kind, inference)
    for kind in ("success", "fail", "compute_input", "compute_infer", "compute_output"):  # queue may be ~0 when idle
        assert inference[kind]["ns"] > 0, (kind, inference)
    assert inference["cache_hit"] == {"count": 0, "ns": 0}  # no response cache
    assert entry["inference_count"] == sum(sizes), entry  # rows, as Triton counts batch items
    assert entry["execution_count"] == len(sizes), entry  # one engine run per request (no dynamic batching)
    assert before_ms - 1000 <= entry["last_inference"] <= after_ms + 1000, (before_ms, entry["last_inference"], after_ms)

    (other,) = untouched["model_stats"]
    assert other["name"] == "xgboost_regressor" and other["inference_count"] == 0
    assert other["inference_stats"]["success"]["count"] == 0 and other["inference_stats"]["fail"]["count"] == 0
    by_name = {e["name"]: e for e in everything["model_stats"]}
    assert by_name["churn"]["inference_stats"]["success"]["count"] == len(sizes)


def test_statistics_of_unknown_model_or_version_is_404(catalog_server):
    with triton(catalog_server) as client:
        with pytest.raises(InferenceServerException) as info:
            client.get_inference_statistics(model_name="no_such_model")
        assert info.value.status() == "404"
        with pytest.raises(InferenceServerException) as info:
            client.get_inference_statistics(model_name="churn", model_version="7")
        assert info.value.status() == "404"
    all_models = requests.get(f"{catalog_server.url}/v2/models/stats", timeout=TIMEOUT)
    assert all_models.status_code == 200, all_models.text
    assert sorted(e["name"] for e in all_models.json()["model_stats"]) == CATALOG
