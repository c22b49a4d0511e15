"""Triton's Python HTTP client (tritonclient.http) against `warden serve`.

The churn example is a logistic regression, so without a reference runtime the results are
checked for what must hold: JSON and binary transport give identical tensors, each row of
probabilities is a distribution over two classes, and the label is its argmax.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import tritonclient.http as httpclient
import tritonclient.http.aio as aiohttpclient
from tritonclient.utils import InferenceServerException

from conftest import CHURN_CONTRACT, CHURN_DIR, CHURN_INPUTS, churn_batch, random_forest_cases

ROWS = 32


@pytest.fixture(scope="module")
def client(churn_server):
    c = httpclient.InferenceServerClient(churn_server.host_port, connection_timeout=10.0, network_timeout=30.0)
    yield c
    c.close()


def make_inputs(batch: dict[str, np.ndarray], binary: bool, overrides: dict | None = None) -> list:
    """InferInputs for the batch; `overrides` maps an input name to (datatype, array) or None (omit)."""
    overrides = overrides or {}
    inputs = []
    for name, datatype in CHURN_INPUTS:
        array = batch[name]
        if name in overrides:
            if overrides[name] is None:
                continue
            datatype, array = overrides[name]
        tensor = httpclient.InferInput(name, list(array.shape), datatype)
        tensor.set_data_from_numpy(array, binary_data=binary)
        inputs.append(tensor)
    return inputs


def outputs(binary: bool, names=("label", "probabilities")) -> list:
    return [httpclient.InferRequestedOutput(name, binary_data=binary) for name in names]


def check_churn_result(label: np.ndarray, probabilities: np.ndarray, rows: int) -> None:
    assert label.dtype == np.int64 and label.shape == (rows,)
    assert probabilities.dtype == np.float32 and probabilities.shape == (rows, 2)
    assert np.all(probabilities >= 0) and np.all(probabilities <= 1)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(label, probabilities.argmax(axis=1))


# -- health and metadata ---------------------------------------------------------------


def test_server_live_and_ready(client):
    assert client.is_server_live() is True
    assert client.is_server_ready() is True


def test_server_metadata(client):
    metadata = client.get_server_metadata()
    assert metadata["name"] == "warden"
    assert isinstance(metadata["version"], str) and metadata["version"]
    assert "binary_tensor_data" in metadata["extensions"]


@pytest.mark.parametrize("version", ["", "1"])
def test_model_metadata_matches_contract(client, version):
    metadata = client.get_model_metadata("churn", model_version=version)
    assert metadata["name"] == "churn"
    assert metadata["versions"] == ["1"]
    assert metadata["platform"] == "onnx"
    expected_inputs = [{k: spec[k] for k in ("name", "datatype", "shape")} for spec in CHURN_CONTRACT["inputs"]]
    expected_outputs = [{k: spec[k] for k in ("name", "datatype", "shape")} for spec in CHURN_CONTRACT["outputs"]]
    assert metadata["inputs"] == expected_inputs
    assert metadata["outputs"] == expected_outputs


def test_model_metadata_of_unknown_model_raises_404(client):
    with pytest.raises(InferenceServerException) as info:
        client.get_model_metadata("no_such_model")
    assert info.value.status() == "404"
    message = info.value.message()
    assert message and "no_such_model" not in message  # client text is not echoed


def test_model_ready(client):
    assert client.is_model_ready("churn") is True
    assert client.is_model_ready("churn", model_version="1") is True
    assert client.is_model_ready("churn", model_version="2") is False
    assert client.is_model_ready("no_such_model") is False


# -- inference -------------------------------------------------------------------------


def test_infer_json_and_binary_agree(client):
    batch = churn_batch(ROWS)
    as_json = client.infer("churn", make_inputs(batch, binary=False), outputs=outputs(binary=False))
    as_binary = client.infer("churn", make_inputs(batch, binary=True))  # tritonclient's default: binary

    json_response = as_json.get_response()
    assert json_response["model_name"] == "churn" and json_response["model_version"] == "1"
    for output in json_response["outputs"]:
        assert "data" in output and "parameters" not in output
    binary_response = as_binary.get_response()
    for output in binary_response["outputs"]:
        assert "data" not in output and output["parameters"]["binary_data_size"] > 0
    assert [o["name"] for o in binary_response["outputs"]] == ["label", "probabilities"]

    label_j, proba_j = as_json.as_numpy("label"), as_json.as_numpy("probabilities")
    label_b, proba_b = as_binary.as_numpy("label"), as_binary.as_numpy("probabilities")
    check_churn_result(label_j, proba_j, ROWS)
    check_churn_result(label_b, proba_b, ROWS)
    np.testing.assert_array_equal(label_j, label_b)
    np.testing.assert_array_equal(proba_j, proba_b)  # float32 JSON must round-trip exactly
    # A 32-row batch of synthetic customers is not all one class.
    assert 0 < label_j.sum() < ROWS


def test_infer_mixed_transports(client):
    """Binary inputs with JSON outputs, and JSON inputs with binary outputs."""
    batch = churn_batch(8, seed=11)
    reference = client.infer("churn", make_inputs(batch, binary=False), outputs=outputs(binary=False))
    binary_in = client.infer("churn", make_inputs(batch, binary=True), outputs=outputs(binary=False))
    binary_out = client.infer("churn", make_inputs(batch, binary=False), outputs=outputs(binary=True))
    mixed_out = client.infer(
        "churn",
        make_inputs(batch, binary=True),
        outputs=[
            httpclient.InferRequestedOutput("label", binary_data=True),
            httpclient.InferRequestedOutput("probabilities", binary_data=False),
        ],
    )
    for result in (binary_in, binary_out, mixed_out):
        np.testing.assert_array_equal(result.as_numpy("label"), reference.as_numpy("label"))
        np.testing.assert_array_equal(result.as_numpy("probabilities"), reference.as_numpy("probabilities"))


def test_batches_are_row_independent(client):
    """A row's result does not depend on the other rows of its batch."""
    batch = churn_batch(ROWS)
    whole = client.infer("churn", make_inputs(batch, binary=True))
    for row in (0, 5, ROWS - 1):
        single = {name: array[row : row + 1] for name, array in batch.items()}
        one = client.infer("churn", make_inputs(single, binary=True))
        np.testing.assert_array_equal(one.as_numpy("probabilities")[0], whole.as_numpy("probabilities")[row])
        assert one.as_numpy("label")[0] == whole.as_numpy("label")[row]


@pytest.mark.parametrize("datatype, numpy_type", [("INT32", np.int32), ("INT16", np.int16), ("UINT8", np.uint8)])
def test_lossless_integer_widening(client, datatype, numpy_type):
    """Narrower integer datatypes feed the model's INT64 inputs with the same result."""
    batch = churn_batch(6, seed=21)
    narrow = {name: (datatype, batch[name].astype(numpy_type)) for name, dt in CHURN_INPUTS if dt == "INT64"}
    reference = client.infer("churn", make_inputs(batch, binary=True))
    for binary in (True, False):
        result = client.infer("churn", make_inputs(batch, binary, overrides=narrow))
        np.testing.assert_array_equal(result.as_numpy("probabilities"), reference.as_numpy("probabilities"))


@pytest.mark.parametrize("binary", [False, True])
def test_empty_batch(client, binary):
    result = client.infer("churn", make_inputs(churn_batch(0), binary=binary))
    assert result.as_numpy("label").shape == (0,)
    assert result.as_numpy("probabilities").shape == (0, 2)


@pytest.fixture(scope="module")
def rf_client(random_forest_server):
    c = httpclient.InferenceServerClient(random_forest_server.host_port, network_timeout=30.0)
    yield c
    c.close()


def test_random_forest_matches_onnxruntime(rf_client):
    """Every recorded case (NaN and infinities included, in binary), as ONNX Runtime answered."""
    for case in random_forest_cases()["cases"]:
        x = np.asarray(case["inputs"]["X"], dtype=np.float64)  # JSON null is NaN
        x = np.where(np.isnan(x), np.nan, x).astype(np.float32)
        tensor = httpclient.InferInput("X", list(x.shape), "FP32")
        tensor.set_data_from_numpy(x)
        result = rf_client.infer("random_forest", [tensor])
        expected = np.asarray(case["outputs"]["probabilities"], dtype=np.float64)
        got = result.as_numpy("probabilities").astype(np.float64)
        assert np.all(np.abs(got - expected) <= 1e-5 * np.maximum(1, np.abs(expected))), case["name"]
        assert result.as_numpy("label").tolist() == case["outputs"]["label"], case["name"]


def test_random_forest_fp16_input(rf_client):
    """FP16 (binary, as Triton clients send it) widens into the model's FP32 input exactly."""
    x16 = (np.arange(48, dtype=np.float32).reshape(6, 8) * 3.25).astype(np.float16)
    results = []
    for datatype, array in (("FP16", x16), ("FP32", x16.astype(np.float32))):
        tensor = httpclient.InferInput("X", [6, 8], datatype)
        tensor.set_data_from_numpy(array)
        results.append(rf_client.infer("random_forest", [tensor]).as_numpy("probabilities"))
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("binary", [False, True])
def test_requested_output_only_probabilities(client, binary):
    batch = churn_batch(4)
    result = client.infer("churn", make_inputs(batch, binary=binary), outputs=outputs(binary, names=("probabilities",)))
    assert [o["name"] for o in result.get_response()["outputs"]] == ["probabilities"]
    assert result.as_numpy("label") is None
    probabilities = result.as_numpy("probabilities")
    assert probabilities.shape == (4, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_request_id_is_echoed(client):
    batch = churn_batch(2)
    result = client.infer("churn", make_inputs(batch, binary=True), request_id="interop-req-42")
    assert result.get_response()["id"] == "interop-req-42"
    without = client.infer("churn", make_inputs(batch, binary=True))
    assert "id" not in without.get_response()


def test_versioned_infer_url(client):
    batch = churn_batch(3)
    versioned = client.infer("churn", make_inputs(batch, binary=True), model_version="1")
    unversioned = client.infer("churn", make_inputs(batch, binary=True))
    assert versioned.get_response()["model_version"] == "1"
    np.testing.assert_array_equal(versioned.as_numpy("probabilities"), unversioned.as_numpy("probabilities"))
    with pytest.raises(InferenceServerException) as info:
        client.infer("churn", make_inputs(batch, binary=True), model_version="7")
    assert info.value.status() == "404"
    assert "version" in info.value.message()


def test_several_versions_from_a_config(start_warden):
    """Two versions of one model from a YAML config: the unversioned URL picks the highest."""
    server = start_warden(
        config={"models": [{"directory": str(CHURN_DIR), "version": 1}, {"directory": str(CHURN_DIR), "version": 2}]},
        label="churn-versions",
    )
    with httpclient.InferenceServerClient(server.host_port, network_timeout=30.0) as c:
        assert c.get_model_metadata("churn")["versions"] == ["1", "2"]
        assert c.is_model_ready("churn", "1") and c.is_model_ready("churn", "2")
        batch = churn_batch(2)
        assert c.infer("churn", make_inputs(batch, True)).get_response()["model_version"] == "2"
        assert c.infer("churn", make_inputs(batch, True), model_version="1").get_response()["model_version"] == "1"


def test_response_compression_request_is_ignored_gracefully(client):
    """Accept-Encoding: gzip may be ignored, but the answer must still decode."""
    batch = churn_batch(4)
    plain = client.infer("churn", make_inputs(batch, binary=True))
    asked = client.infer("churn", make_inputs(batch, binary=True), response_compression_algorithm="gzip")
    np.testing.assert_array_equal(asked.as_numpy("probabilities"), plain.as_numpy("probabilities"))


def test_request_compression_is_refused_with_415(client):
    batch = churn_batch(4)
    with pytest.raises(InferenceServerException) as info:
        client.infer("churn", make_inputs(batch, binary=True), request_compression_algorithm="gzip")
    assert info.value.status() == "415"
    assert "Content-Encoding" in info.value.message()


def test_aio_client_infer(churn_server):
    """tritonclient.http.aio (aiohttp underneath) gets the same answer."""
    batch = churn_batch(6, seed=3)

    async def run():
        async with aiohttpclient.InferenceServerClient(churn_server.host_port) as c:
            assert await c.is_server_ready()
            assert await c.is_model_ready("churn")
            inputs = []
            for name, datatype in CHURN_INPUTS:
                tensor = aiohttpclient.InferInput(name, list(batch[name].shape), datatype)
                tensor.set_data_from_numpy(batch[name])
                inputs.append(tensor)
            return await c.infer("churn", inputs, request_id="aio-1")

    result = asyncio.run(run())
    assert result.get_response()["id"] == "aio-1"
    check_churn_result(result.as_numpy("label"), result.as_numpy("probabilities"), 6)


# -- errors ----------------------------------------------------------------------------


def test_wrong_datatype_is_400(client):
    batch = churn_batch(2)
    wrong = {"tenure": ("FP32", batch["tenure"].astype(np.float32))}
    for binary in (False, True):
        with pytest.raises(InferenceServerException) as info:
            client.infer("churn", make_inputs(batch, binary, overrides=wrong))
        assert info.value.status() == "400"
        message = info.value.message()
        assert "tenure" in message and "FP32" in message and "INT64" in message, message


def test_unknown_model_is_404(client):
    batch = churn_batch(2)
    with pytest.raises(InferenceServerException) as info:
        client.infer("no_such_model", make_inputs(batch, binary=True))
    assert info.value.status() == "404"
    message = info.value.message()
    assert message and "no_such_model" not in message


def test_missing_input_is_400(client):
    batch = churn_batch(2)
    with pytest.raises(InferenceServerException) as info:
        client.infer("churn", make_inputs(batch, binary=False, overrides={"age": None}))
    assert info.value.status() == "400"
    assert "'age'" in info.value.message() and "required" in info.value.message()


def test_shape_mismatch_is_400(client):
    batch = churn_batch(3)
    flat = {"tenure": ("INT64", batch["tenure"].reshape(3))}
    with pytest.raises(InferenceServerException) as info:
        client.infer("churn", make_inputs(batch, binary=True, overrides=flat))
    assert info.value.status() == "400"
    assert "input 'tenure' has shape [3]" in info.value.message()
    assert "[-1, 1]" in info.value.message()


def test_inconsistent_batch_sizes_are_400(client):
    """Inputs whose batch sizes disagree are the client's error, not the server's."""
    batch = churn_batch(3)
    short = {"age": ("FP32", batch["age"][:2])}
    with pytest.raises(InferenceServerException) as info:
        client.infer("churn", make_inputs(batch, binary=True, overrides=short))
    assert info.value.status() == "400", info.value.message()
    assert client.is_server_live()


def test_unknown_output_is_400(client):
    batch = churn_batch(2)
    with pytest.raises(InferenceServerException) as info:
        client.infer("churn", make_inputs(batch, binary=True), outputs=[httpclient.InferRequestedOutput("logits")])
    assert info.value.status() == "400"
    message = info.value.message()
    assert "logits" not in message and "probabilities" in message, message


def test_server_still_serves_after_errors(client):
    batch = churn_batch(2)
    result = client.infer("churn", make_inputs(batch, binary=True))
    check_churn_result(result.as_numpy("label"), result.as_numpy("probabilities"), 2)
