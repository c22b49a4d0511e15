"""The model contract seen by real clients: tritonclient and KServe v1 requests outside the
input schema get 422 naming pointers and keywords, and the output redactions hold in JSON
and binary responses (tritonclient's own decoding)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import requests
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from conftest import CHURN_DIR, churn_batch, churn_instances, churn_v2_json, churn_with_contract
from test_tritonclient import make_inputs, outputs

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def redacting_server(_session_starter, tmp_path_factory):
    """The churn model with `label` hashed and `probabilities` masked by its contract."""
    def redact(contract: dict) -> None:
        contract["output_schema"]["properties"]["label"]["x-warden-redact"] = "hash"
        contract["output_schema"]["properties"]["probabilities"]["x-warden-redact"] = "mask"

    directory = churn_with_contract(tmp_path_factory.mktemp("redacting"), redact)
    return _session_starter(model_dir=directory, label="churn-redacting")


def test_tritonclient_gets_422_with_pointers(churn_server):
    client = httpclient.InferenceServerClient(churn_server.host_port, network_timeout=30.0)
    batch = churn_batch(3)
    batch["age"][2, 0] = 151.0
    with pytest.raises(InferenceServerException) as refused:
        client.infer("churn", make_inputs(batch, binary=True), outputs=outputs(True))
    assert "input contract" in str(refused.value)
    assert refused.value.status() == "422"
    # The same request over raw HTTP lists the pointer (row 2, input age) and the keyword.
    body = json.dumps(churn_v2_json(batch))
    response = requests.post(f"{churn_server.url}/v2/models/churn/infer", data=body, headers=JSON, timeout=10)
    assert response.status_code == 422
    assert [(e["pointer"], e["keyword"]) for e in response.json()["errors"]] == [("/2/age", "maximum")]
    # The value itself is never echoed (the random request id may hold the digits, so it is left out).
    echoed = {key: value for key, value in response.json().items() if key != "request_id"}
    assert "151" not in json.dumps(echoed)


def test_kserve_v1_instance_outside_the_contract_is_422(churn_server):
    instances = churn_instances(churn_batch(2), as_objects=True)
    instances[1]["contract"] = "Two Year"  # the contract's categories are lowercase names
    response = requests.post(f"{churn_server.url}/v1/models/churn:predict", json={"instances": instances}, timeout=10)
    assert response.status_code == 422
    assert [(e["pointer"], e["keyword"]) for e in response.json()["errors"]] == [("/1/contract", "pattern")]


@pytest.mark.parametrize("binary", [False, True])
def test_redactions_hold_for_tritonclient(redacting_server, binary):
    client = httpclient.InferenceServerClient(redacting_server.host_port, network_timeout=30.0)
    batch = churn_batch(4)
    result = client.infer("churn", make_inputs(batch, binary=binary), outputs=outputs(binary))
    labels = result.as_numpy("label")
    probabilities = result.as_numpy("probabilities")
    assert probabilities.shape == (4, 2)
    assert {p.decode() if isinstance(p, bytes) else p for p in probabilities.flatten()} == {"[REDACTED]"}
    hashes = [h.decode() if isinstance(h, bytes) else h for h in labels.flatten()]
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in hashes)
    assert len(set(hashes)) <= 2, "equal labels hash equally; churn has two classes"
    assert result.get_output("label")["datatype"] == "BYTES"


def test_redactions_hold_in_kserve_v1(redacting_server):
    response = requests.post(f"{redacting_server.url}/v1/models/churn:predict",
                             json={"instances": churn_instances(churn_batch(2), as_objects=True)}, timeout=10)
    assert response.status_code == 200
    for prediction in response.json()["predictions"]:
        assert prediction["probabilities"] == ["[REDACTED]", "[REDACTED]"]
        assert len(prediction["label"]) == 64
