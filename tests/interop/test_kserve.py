"""KServe: the v1 protocol over plain `requests`, and KServe's own Python SDK
(kserve.InferenceRESTClient, v2 and v1) when it is installed.

The random forest is a converter-made fixture whose ONNX Runtime outputs are recorded in
random_forest.cases.json: Warden's answers are held to them (1e-5, as the Swift tests do).
"""

from __future__ import annotations

import asyncio
import json
import shutil

import numpy as np
import pytest
import requests

from conftest import (
    CHURN_INPUTS,
    FIXTURES_DIR,
    churn_batch,
    churn_instances,
    churn_v2_json,
    random_forest_cases,
)

TIMEOUT = 30


def predict(server, model: str, instances, **kwargs) -> requests.Response:
    return requests.post(
        f"{server.url}/v1/models/{model}:predict", json={"instances": instances}, timeout=TIMEOUT, **kwargs
    )


def assert_close(actual, expected, tolerance=1e-5):
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    assert np.all(np.abs(actual - expected) <= tolerance * np.maximum(1.0, np.abs(expected))), (actual, expected)


# -- v1 over requests: churn (one input per column) ------------------------------------


def test_v1_model_status(churn_server):
    response = requests.get(f"{churn_server.url}/v1/models/churn", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json() == {"name": "churn", "ready": True}


def test_v1_unknown_model_is_404(churn_server):
    response = requests.get(f"{churn_server.url}/v1/models/no_such_model", timeout=TIMEOUT)
    assert response.status_code == 404
    response = predict(churn_server, "no_such_model", [[1]])
    assert response.status_code == 404
    assert response.headers["Warden-Error-Code"] == "not_found"


def test_v1_predict_arrays_and_objects_agree_with_v2(churn_server):
    batch = churn_batch(16, seed=5)
    as_arrays = predict(churn_server, "churn", churn_instances(batch, as_objects=False))
    as_objects = predict(churn_server, "churn", churn_instances(batch, as_objects=True))
    assert as_arrays.status_code == 200, as_arrays.text
    assert as_objects.status_code == 200, as_objects.text
    assert as_arrays.headers["Content-Type"] == "application/json"
    assert as_arrays.headers["Warden-Model"] == "churn" and as_arrays.headers["Warden-Model-Version"] == "1"
    predictions = as_arrays.json()["predictions"]
    assert as_objects.json()["predictions"] == predictions
    assert len(predictions) == 16
    for row in predictions:
        assert set(row) == {"label", "probabilities"}
        assert row["label"] == int(np.argmax(row["probabilities"]))
        assert abs(sum(row["probabilities"]) - 1) < 1e-5

    # The same rows through the v2 protocol give the same numbers.
    v2 = requests.post(f"{churn_server.url}/v2/models/churn/infer", json=churn_v2_json(batch), timeout=TIMEOUT)
    assert v2.status_code == 200, v2.text
    outputs = {o["name"]: o for o in v2.json()["outputs"]}
    assert [p["label"] for p in predictions] == outputs["label"]["data"]
    flat = [value for p in predictions for value in p["probabilities"]]
    assert flat == outputs["probabilities"]["data"]


@pytest.mark.parametrize(
    "instances, code",
    [
        ([[12, 79.5]], "shape_mismatch"),  # too few values for the 10 inputs
        ([{"tenure": 12}], "missing_input"),
        ("not-a-list", "invalid_request"),
        ([], "invalid_request"),
    ],
)
def test_v1_churn_bad_instances_are_400(churn_server, instances, code):
    response = predict(churn_server, "churn", instances)
    assert response.status_code == 400, response.text
    assert response.headers["Warden-Error-Code"] == code
    assert response.json()["code"] == code


def test_v1_churn_extra_feature_is_400(churn_server):
    row = churn_instances(churn_batch(1), as_objects=True)[0]
    row["favourite_colour"] = "teal"
    response = predict(churn_server, "churn", [row])
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_input"
    assert "favourite_colour" not in response.text


def test_v1_churn_wrong_value_type_is_400(churn_server):
    row = churn_instances(churn_batch(1), as_objects=False)[0]
    row[0] = "twelve"  # tenure is INT64
    response = predict(churn_server, "churn", [row])
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_data"


# -- v1 over requests: random forest (one matrix input, derived contract) ---------------


def test_v1_random_forest_matches_onnxruntime(random_forest_server):
    case = next(c for c in random_forest_cases()["cases"] if c["name"] == "normal")
    response = predict(random_forest_server, "random_forest", case["inputs"]["X"])
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert [p["label"] for p in predictions] == case["outputs"]["label"]
    assert_close([p["probabilities"] for p in predictions], case["outputs"]["probabilities"])


def test_v1_random_forest_metadata_is_derived(random_forest_server):
    metadata = requests.get(f"{random_forest_server.url}/v2/models/random_forest", timeout=TIMEOUT).json()
    assert metadata["inputs"] == [{"name": "X", "datatype": "FP32", "shape": [-1, 8]}]
    assert [o["name"] for o in metadata["outputs"]] == ["label", "probabilities"]


def test_v1_random_forest_objects_need_features(random_forest_server):
    """Without `features` in a contract, a matrix model takes rows as arrays only."""
    response = predict(random_forest_server, "random_forest", [{"a": 1.0}])
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def test_v1_random_forest_wrong_width_is_400(random_forest_server):
    response = predict(random_forest_server, "random_forest", [[1.0] * 7])
    assert response.status_code == 400
    assert response.json()["code"] == "shape_mismatch"


def test_v1_matrix_model_with_named_features(start_warden, tmp_path):
    """A contract with `features` lets v1 instances be objects keyed by column name."""
    features = ["tenure", "monthly", "total", "calls", "services", "usage", "days", "age"]
    directory = tmp_path / "rf_named"
    directory.mkdir()
    shutil.copyfile(FIXTURES_DIR / "random_forest.onnx", directory / "model.onnx")
    contract = {
        "name": "rf_named",
        "version": "3",
        "inputs": [{"name": "X", "datatype": "FP32", "shape": [-1, 8]}],
        "outputs": [
            {"name": "label", "datatype": "INT64", "shape": [-1]},
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, 2]},
        ],
        "features": features,
    }
    (directory / "warden-model.json").write_text(json.dumps(contract))
    server = start_warden(model_dir=directory, label="rf-named")

    case = next(c for c in random_forest_cases()["cases"] if c["name"] == "normal")
    rows = case["inputs"]["X"][:6]
    objects = [dict(zip(features, row)) for row in rows]
    as_arrays = predict(server, "rf_named", rows)
    as_objects = predict(server, "rf_named", objects)
    assert as_arrays.status_code == 200 and as_objects.status_code == 200, (as_arrays.text, as_objects.text)
    assert as_objects.json() == as_arrays.json()
    assert as_arrays.headers["Warden-Model-Version"] == "3"
    assert [p["label"] for p in as_objects.json()["predictions"]] == case["outputs"]["label"][:6]
    missing = predict(server, "rf_named", [{k: v for k, v in objects[0].items() if k != "age"}])
    assert missing.status_code == 400


# -- KServe's Python SDK ---------------------------------------------------------------

try:
    import kserve
except ImportError:  # optional: see requirements/test.txt
    kserve = None

needs_sdk = pytest.mark.skipif(kserve is None, reason="the KServe SDK (kserve) is not installed")


def sdk_inputs(batch: dict[str, np.ndarray], binary: bool) -> list:
    inputs = []
    for name, datatype in CHURN_INPUTS:
        tensor = kserve.InferInput(name, list(batch[name].shape), datatype)
        tensor.set_data_from_numpy(batch[name], binary_data=binary)
        inputs.append(tensor)
    return inputs


def run(coroutine):
    return asyncio.run(coroutine)


async def _with_client(protocol: str, body):
    client = kserve.InferenceRESTClient(kserve.RESTConfig(protocol=protocol, timeout=TIMEOUT))
    try:
        return await body(client)
    finally:
        await client.close()


@needs_sdk
@pytest.mark.parametrize("binary", [False, True])
def test_sdk_v2_infer(churn_server, binary):
    batch = churn_batch(8, seed=9)
    request = kserve.InferRequest("churn", sdk_inputs(batch, binary), request_id=f"sdk-{binary}")

    response = run(_with_client("v2", lambda c: c.infer(churn_server.url, request, model_name="churn")))
    assert response.id == f"sdk-{binary}"
    assert response.model_name == "churn"
    outputs = {o.name: o.as_numpy() for o in response.outputs}
    label, probabilities = outputs["label"], outputs["probabilities"]
    assert label.shape == (8,) and probabilities.shape == (8, 2)
    np.testing.assert_array_equal(label, probabilities.argmax(axis=1))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)

    reference = requests.post(f"{churn_server.url}/v2/models/churn/infer", json=churn_v2_json(batch), timeout=TIMEOUT)
    expected = {o["name"]: o["data"] for o in reference.json()["outputs"]}
    assert label.tolist() == expected["label"]
    np.testing.assert_array_equal(probabilities.ravel(), np.asarray(expected["probabilities"], dtype=np.float32))


@needs_sdk
def test_sdk_v2_requested_binary_output(churn_server):
    batch = churn_batch(4, seed=2)
    request = kserve.InferRequest(
        "churn",
        sdk_inputs(batch, binary=True),
        request_outputs=[kserve.protocol.infer_type.RequestedOutput("probabilities", {"binary_data": True})],
    )
    response = run(_with_client("v2", lambda c: c.infer(churn_server.url, request, model_name="churn")))
    assert [o.name for o in response.outputs] == ["probabilities"]
    assert response.outputs[0].as_numpy().shape == (4, 2)


@needs_sdk
def test_sdk_v2_model_ready(churn_server):
    assert run(_with_client("v2", lambda c: c.is_model_ready(churn_server.url, "churn"))) is True
    assert run(_with_client("v2", lambda c: c.is_model_ready(churn_server.url, "no_such_model"))) is False


@needs_sdk
def test_sdk_v2_server_live_and_ready(churn_server):
    """The Open Inference Protocol's REST health responses carry a JSON body ({"live": true},
    {"ready": true}); KServe's SDK reads it, where tritonclient looks at the status only."""
    assert run(_with_client("v2", lambda c: c.is_server_live(churn_server.url))) is True
    assert run(_with_client("v2", lambda c: c.is_server_ready(churn_server.url))) is True


@needs_sdk
def test_sdk_v2_error_status(churn_server):
    import httpx

    batch = churn_batch(2)
    request = kserve.InferRequest("churn", sdk_inputs(batch, binary=False)[:-1])  # no 'payment'
    with pytest.raises(httpx.HTTPStatusError) as info:
        run(_with_client("v2", lambda c: c.infer(churn_server.url, request, model_name="churn")))
    assert info.value.response.status_code == 400
    assert info.value.response.headers["Warden-Error-Code"] == "missing_input"


@needs_sdk
def test_sdk_v1_predict_and_ready(churn_server):
    batch = churn_batch(5, seed=4)
    body = {"instances": churn_instances(batch, as_objects=True)}
    result = run(_with_client("v1", lambda c: c.infer(churn_server.url, body, model_name="churn")))
    expected = predict(churn_server, "churn", body["instances"]).json()
    assert result == expected
    assert run(_with_client("v1", lambda c: c.is_model_ready(churn_server.url, "churn"))) is True


@needs_sdk
@pytest.mark.parametrize("binary", [False, True])
def test_sdk_v2_missing_values_are_imputed_like_the_oip_json_answer(churn_server, binary):
    """NaN in the float columns, as a pandas frame with gaps gives them, through the SDK in
    both modes: the pipeline imputes them, and the answer is the one tritonclient's JSON
    mode gets for the same rows (the `NaN` token)."""
    batch = churn_batch(6, seed=21)
    batch["monthly_charges"][[0, 3]] = np.nan
    batch["age"][[1, 3, 5]] = np.nan
    request = kserve.InferRequest("churn", sdk_inputs(batch, binary), request_id="sdk-nan")
    response = run(_with_client("v2", lambda c: c.infer(churn_server.url, request, model_name="churn")))
    outputs = {o.name: o.as_numpy() for o in response.outputs}

    body = json.dumps(churn_v2_json(batch))  # json.dumps writes the NaN token
    assert "NaN" in body
    reference = requests.post(
        f"{churn_server.url}/v2/models/churn/infer", data=body, headers={"Content-Type": "application/json"}, timeout=TIMEOUT
    )
    assert reference.status_code == 200, reference.text
    expected = {o["name"]: o["data"] for o in reference.json()["outputs"]}
    assert outputs["label"].tolist() == expected["label"]
    np.testing.assert_array_equal(outputs["probabilities"].ravel(), np.asarray(expected["probabilities"], dtype=np.float32))


@needs_sdk
def test_sdk_v1_missing_values(churn_server):
    """KServe's SDK sends a v1 body through orjson, which writes NaN (and infinities) as null:
    Warden reads null in a float column as the same missing value. (An `Infinity` token sent
    by Python's json is judged by the bounds: test_first_contact.py.)"""
    batch = churn_batch(3, seed=22)
    batch["total_charges"][1] = np.nan
    instances = churn_instances(batch, as_objects=True)
    result = run(_with_client("v1", lambda c: c.infer(churn_server.url, {"instances": instances}, model_name="churn")))
    body = json.dumps({"instances": instances})  # Python's json writes the NaN token
    expected = requests.post(
        f"{churn_server.url}/v1/models/churn:predict", data=body, headers={"Content-Type": "application/json"}, timeout=TIMEOUT
    ).json()
    assert result == expected and len(result["predictions"]) == 3
