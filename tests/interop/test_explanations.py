"""Per-prediction explanations, held to the libraries that trained the models.

Each folder of tests/fixtures/explanations/ (scripts/fixtures/make_explanation_fixtures.py)
holds an ONNX model converted by onnxmltools or skl2onnx, its contract with the
`explanations` section, and reference.json: 40 rows with the attributions XGBoost
(pred_contribs), LightGBM (pred_contrib), shap.TreeExplainer or shap.LinearExplainer computed
for them, the expected value, the margin and onnxruntime's outputs. A real `warden serve`
explains every row in one request (OIP v2 `parameters.explain`) and each attribution, base
value and base + Σ attributions must be within the reference's own tolerance.

Then: one row at a time gives the batch's numbers; reason codes are the k largest effects of
the row's highest-margin target, sorted, parsable and never naming a redacted feature; bad
`explain` parameters are 400, a model without an explainer or with its explained output
redacted is 409 not_explainable, an unknown key under `explanations` stops the load; KServe v1
`:explain` answers what OIP answers; under mutual TLS only a rule naming the route class
`explain` grants explanations; and nothing of an explanation reaches the log.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
import requests

from conftest import CHURN_DIR, REPO_ROOT, ServerStartError, warden_binary

EXPLANATIONS_DIR = REPO_ROOT / "tests" / "fixtures" / "explanations"
TREE_FIXTURES = [
    "xgboost-binary",
    "xgboost-multiclass",
    "xgboost-regressor",
    "lightgbm-binary",
    "lightgbm-regressor",
    "sklearn-random-forest-classifier",
    "sklearn-random-forest-regressor",
    "sklearn-gradient-boosting-classifier",
]
LINEAR_FIXTURE = "sklearn-linear-pipeline"
ALL_FIXTURES = TREE_FIXTURES + [LINEAR_FIXTURE]
CHURN_BODY = json.loads((REPO_ROOT / "examples" / "requests" / "churn-infer.json").read_text())
TIMEOUT = 30
NO_EXPLAIN = object()  # infer() without parameters.explain
DOMAIN = "warden.test"


# -- the fixtures and what Warden should answer for them ----------------------------------


def contract_of(name: str) -> dict:
    return json.loads((EXPLANATIONS_DIR / name / "warden-model.json").read_text())


def reference_of(name: str) -> dict:
    return json.loads((EXPLANATIONS_DIR / name / "reference.json").read_text())


def explained_output(contract: dict) -> str:
    """The graph output that holds the scores: the one floating-point output of the contract
    (`probabilities` for the classifiers, `variable` for the regressors)."""
    scores = [o["name"] for o in contract["outputs"] if o["datatype"].startswith("FP")]
    assert len(scores) == 1, contract["outputs"]
    return scores[0]


def feature_names(contract: dict) -> list[str]:
    """The explained features: the contract's `features` (one matrix input) or its inputs' names."""
    return contract.get("features") or [i["name"] for i in contract["inputs"]]


def linear_class_rows(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The LinearClassifier's coefficient rows and intercepts, one per class, from the graph."""
    model = onnx.load(str(EXPLANATIONS_DIR / name / "model.onnx"))
    node = next(n for n in model.graph.node if n.op_type == "LinearClassifier")
    attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    intercepts = np.asarray(attributes["intercepts"], dtype=np.float64)
    coefficients = np.asarray(attributes["coefficients"], dtype=np.float64).reshape(len(intercepts), -1)
    return coefficients, intercepts


def target_map(name: str, reference: dict) -> list[tuple[int, float]]:
    """For each target Warden explains, in its order: (the reference target it is, sign).

    Warden explains the scores the ONNX ensemble computes. The reference's `onnx_targets` says
    which of its targets is which score ("TreeEnsembleClassifier score 0 (class 1)"); a target
    it derives ("1 - TreeEnsembleClassifier score 0", the random forest's class 0) is not one
    Warden explains. The linear pipeline's LinearClassifier has a row per class, the second
    the reference's target ("LinearClassifier score of class 1") and the first its negation
    (skl2onnx writes -w, -b for class 0 of a binary logistic regression: checked here)."""
    if name == LINEAR_FIXTURE:
        assert reference["targets"] == ["log-odds of class 1 (LinearClassifier score of class 1)"]
        coefficients, intercepts = linear_class_rows(name)
        assert coefficients.shape[0] == 2
        np.testing.assert_array_equal(coefficients[0], -coefficients[1])
        np.testing.assert_array_equal(intercepts[0], -intercepts[1])
        return [(0, -1.0), (0, 1.0)]
    by_score: dict[int, int] = {}
    for index, text in enumerate(reference["onnx_targets"]):
        match = re.fullmatch(r"TreeEnsemble\w* score (\d+)(?: \(.*\))?", text)
        if match:
            by_score[int(match.group(1))] = index
    assert sorted(by_score) == list(range(len(by_score))), reference["onnx_targets"]
    return [(by_score[score], 1.0) for score in range(len(by_score))]


def expected_explanation(name: str) -> dict:
    """The reference re-arranged as Warden's targets: attributions [rows, targets, features],
    base [targets], margin [rows, targets], and the tolerance."""
    reference = reference_of(name)
    mapping = target_map(name, reference)
    attributions = np.asarray(
        reference["attributions_by_input" if name == LINEAR_FIXTURE else "attributions"], dtype=np.float64)
    expected_value = np.asarray(reference["expected_value"], dtype=np.float64)
    margin = np.asarray(reference["margin"], dtype=np.float64)
    return {
        "attributions": np.stack([sign * attributions[:, t, :] for t, sign in mapping], axis=1),
        "base": np.array([sign * expected_value[t] for t, sign in mapping]),
        "margin": np.stack([sign * margin[:, t] for t, sign in mapping], axis=1),
        "tolerance": reference["tolerance"],
    }


# -- requests and answers -----------------------------------------------------------------


def v2_inputs(contract: dict, rows: list) -> list[dict]:
    """The rows as OIP v2 JSON inputs: one matrix [N, F] (NaN as null), or one [N, 1] tensor per
    named input."""
    if rows and isinstance(rows[0], dict):
        return [{"name": i["name"], "datatype": i["datatype"], "shape": [len(rows), 1], "data": [r[i["name"]] for r in rows]}
                for i in contract["inputs"]]
    (matrix,) = contract["inputs"]
    return [{"name": matrix["name"], "datatype": matrix["datatype"], "shape": [len(rows), len(rows[0])],
             "data": [v for row in rows for v in row]}]


def infer(server, name: str, rows: list, explain=True, session=None, **kwargs) -> requests.Response:
    """POST /v2/models/{name}/infer with `parameters.explain` = `explain` (as given, even null)."""
    body: dict = {"inputs": v2_inputs(contract_of(name), rows)}
    if explain is not NO_EXPLAIN:
        body["parameters"] = {"explain": explain}
    return (session or requests).post(f"{server.url}/v2/models/{name}/infer", json=body, timeout=TIMEOUT, **kwargs)


def tensors(response: requests.Response) -> dict[str, np.ndarray]:
    """The answer's outputs by name, shaped: numbers as float64 (null is NaN), BYTES as objects."""
    assert response.status_code == 200, response.text
    found = {}
    for output in response.json()["outputs"]:
        if output["datatype"] == "BYTES":
            array = np.array(output["data"], dtype=object)
        else:
            array = np.array([np.nan if v is None else v for v in output["data"]], dtype=np.float64)
        found[output["name"]] = array.reshape(output["shape"])
    return found


def explanation_of(response: requests.Response, contract: dict) -> dict:
    """The explanation outputs, checked for names, types and shapes; attributions normalised to
    [rows, targets, features] and base values to [rows, targets]."""
    body = response.json()
    out = explained_output(contract)
    names = [o["name"] for o in body["outputs"]]
    model_outputs = [o["name"] for o in contract["outputs"]]
    extra = {f"{out}__attributions", f"{out}__base_value", "reason_codes"}
    assert names[:len(model_outputs)] == model_outputs, f"the model's own outputs come first: {names}"
    assert set(names[len(model_outputs):]) == extra and len(names) == len(model_outputs) + 3, names
    datatypes = {o["name"]: o["datatype"] for o in body["outputs"]}
    assert datatypes[f"{out}__attributions"] == "FP64" and datatypes[f"{out}__base_value"] == "FP64"
    assert datatypes["reason_codes"] == "BYTES"
    found = tensors(response)
    attributions, base = found[f"{out}__attributions"], found[f"{out}__base_value"]
    rows, features = attributions.shape[0], len(feature_names(contract))
    if attributions.ndim == 2:  # one explained target: [batch, features], [batch]
        assert attributions.shape == (rows, features) and base.shape == (rows,), (attributions.shape, base.shape)
        attributions, base = attributions[:, None, :], base[:, None]
    else:  # several: [batch, targets, features], [batch, targets]
        assert attributions.ndim == 3 and attributions.shape[2] == features and attributions.shape[1] > 1
        assert base.shape == attributions.shape[:2], (attributions.shape, base.shape)
    return {"attributions": attributions, "base": base, "reason_codes": found["reason_codes"], "outputs": found}


def assert_within(actual, expected, tolerance: dict, what: str) -> float:
    """|actual − expected| ≤ absolute + relative·|expected| everywhere; returns the largest error."""
    actual, expected = np.broadcast_arrays(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64))
    error = np.abs(actual - expected)
    bound = tolerance["absolute"] + tolerance["relative"] * np.abs(expected)
    bad = np.argwhere(~(error <= bound))
    assert bad.size == 0, (
        f"{what}: {len(bad)} of {error.size} values outside {tolerance}; first at {tuple(bad[0])}: "
        f"warden {actual[tuple(bad[0])]!r}, reference {expected[tuple(bad[0])]!r}")
    return float(error.max()) if error.size else 0.0


def assert_model_outputs_match_onnxruntime(found: dict, reference: dict) -> float:
    """The model's own answer is unchanged by explaining it: onnxruntime's, labels exactly."""
    worst = 0.0
    for name, expected in reference["onnxruntime"].items():
        expected = np.asarray(expected, dtype=np.float64)
        actual = found[name].reshape(expected.shape)
        if name == "label":
            np.testing.assert_array_equal(actual, expected)
            continue
        error = np.abs(actual - expected)
        assert np.all(error <= 1e-5 * np.maximum(1.0, np.abs(expected))), (name, float(error.max()))
        worst = max(worst, float(error.max()))
    return worst


def parse_code(code: str) -> tuple[str, float]:
    match = re.fullmatch(r"([^:]+):([+-])(.+)", code)
    assert match, f"reason code {code!r} is not name:+value or name:-value"
    value = float(match.group(3))
    return match.group(1), -value if match.group(2) == "-" else value


def highest_margin_targets(explanation: dict) -> np.ndarray:
    return np.argmax(explanation["base"] + explanation["attributions"].sum(axis=2), axis=1)


# -- servers ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _explained(_session_starter):
    """One `warden serve --model-dir FIXTURE --insecure-plaintext` per fixture, started when
    first asked for and shared by the module."""
    started: dict[str, object] = {}

    def get(name: str):
        if name not in started:
            started[name] = _session_starter(model_dir=EXPLANATIONS_DIR / name, label=name)
        return started[name]

    return get


@pytest.fixture
def server(request, _explained):
    return _explained(request.param)


def fixture_copy(directory: Path, name: str, edit) -> Path:
    """A copy of fixture `name` in `directory/name` whose contract `edit` changed."""
    copy = directory / name
    copy.mkdir(parents=True)
    shutil.copyfile(EXPLANATIONS_DIR / name / "model.onnx", copy / "model.onnx")
    contract = contract_of(name)
    edit(contract)
    (copy / "warden-model.json").write_text(json.dumps(contract))
    return copy


# -- 1, 2: the numbers --------------------------------------------------------------------


@pytest.mark.parametrize("server", TREE_FIXTURES, indirect=True)
def test_tree_attributions_match_the_training_library(server):
    """TreeSHAP over the engine's own trees, every reference row in one request: attributions,
    base value and base + Σ attributions as the library computed them, in margin space."""
    name = server.label
    contract, reference, expected = contract_of(name), reference_of(name), expected_explanation(name)
    explanation = explanation_of(infer(server, name, reference["rows"], explain={"top_k": 5}), contract)
    rows = len(reference["rows"])
    assert explanation["attributions"].shape == (rows, *expected["attributions"].shape[1:])

    tolerance = expected["tolerance"]
    errors = {
        "attributions": assert_within(explanation["attributions"], expected["attributions"], tolerance, f"{name} attributions"),
        "base_value": assert_within(explanation["base"], expected["base"], tolerance, f"{name} base value"),
        "base+sum vs margin": assert_within(explanation["base"] + explanation["attributions"].sum(axis=2), expected["margin"],
                                            tolerance, f"{name} base + Σ attributions"),
        "outputs vs onnxruntime": assert_model_outputs_match_onnxruntime(explanation["outputs"], reference),
    }
    print(f"\n{name}: max errors " + ", ".join(f"{k} {v:.3g}" for k, v in errors.items()) + f" (tolerance {tolerance})")


@pytest.mark.parametrize("server", [LINEAR_FIXTURE], indirect=True)
def test_linear_pipeline_attributions_are_summed_per_original_input(server):
    """The logistic regression behind imputation, scaling and one-hot encoding: both class
    margins explained, each one-hot block summed back into `contract` and `payment`, the
    class-1 target equal to attributions_by_input (shap.LinearExplainer summed per input)."""
    contract, reference, expected = contract_of(LINEAR_FIXTURE), reference_of(LINEAR_FIXTURE), expected_explanation(LINEAR_FIXTURE)
    assert feature_names(contract) == reference["feature_names"]  # 10 inputs, attributions_by_input's order
    explanation = explanation_of(infer(server, LINEAR_FIXTURE, reference["rows"], explain={"top_k": 5}), contract)
    assert explanation["attributions"].shape == (len(reference["rows"]), 2, 10)

    tolerance = expected["tolerance"]
    errors = {
        "attributions": assert_within(explanation["attributions"], expected["attributions"], tolerance, "attributions by input"),
        "base_value": assert_within(explanation["base"], expected["base"], tolerance, "base value"),
        "base+sum vs margin": assert_within(explanation["base"] + explanation["attributions"].sum(axis=2), expected["margin"],
                                            tolerance, "base + Σ attributions"),
        "outputs vs onnxruntime": assert_model_outputs_match_onnxruntime(explanation["outputs"], reference),
    }
    # The one-hot columns are summed into their source input: the per-column reference agrees.
    columns = np.asarray(reference["attributions"], dtype=np.float64)[:, 0, :]
    sources = reference["linear_column_inputs"]
    summed = np.stack([columns[:, [j for j, s in enumerate(sources) if s == f]].sum(axis=1) for f in reference["feature_names"]], axis=1)
    assert_within(explanation["attributions"][:, 1, :], summed, tolerance, "attributions vs per-column reference summed")
    print(f"\n{LINEAR_FIXTURE}: max errors " + ", ".join(f"{k} {v:.3g}" for k, v in errors.items()) + f" (tolerance {tolerance})")


# -- 3: batch invariance ------------------------------------------------------------------


@pytest.mark.parametrize("server", ALL_FIXTURES, indirect=True)
def test_one_row_at_a_time_explains_as_the_batch_does(server):
    name = server.label
    contract, rows = contract_of(name), reference_of(name)["rows"]
    batch = explanation_of(infer(server, name, rows, explain={"top_k": 4}), contract)
    with requests.Session() as session:
        for index, row in enumerate(rows):
            single = explanation_of(infer(server, name, [row], explain={"top_k": 4}, session=session), contract)
            np.testing.assert_array_equal(single["attributions"][0], batch["attributions"][index], err_msg=f"row {index}")
            np.testing.assert_array_equal(single["base"][0], batch["base"][index], err_msg=f"row {index}")
            assert list(single["reason_codes"][0]) == list(batch["reason_codes"][index]), f"row {index}"


# -- 4: reason codes ----------------------------------------------------------------------


def assert_reason_codes(explanation: dict, features: list[str], k: int, redacted: frozenset = frozenset()) -> None:
    """Per row: k codes of distinct, unredacted features, sorted by |value| descending, each
    value the attribution of the row's highest-margin target, and no unnamed (unredacted)
    feature with a larger effect than the smallest one named."""
    codes = explanation["reason_codes"]
    rows = explanation["attributions"].shape[0]
    assert codes.shape == (rows, k), codes.shape
    for row, target in enumerate(highest_margin_targets(explanation)):
        attributions = explanation["attributions"][row, target]
        parsed = [parse_code(code) for code in codes[row]]
        named = [n for n, _ in parsed]
        assert len(set(named)) == len(named) and set(named) <= set(features) - redacted, (row, named)
        magnitudes = [abs(v) for _, v in parsed]
        assert magnitudes == sorted(magnitudes, reverse=True), (row, list(codes[row]))
        for feature, value in parsed:
            actual = attributions[features.index(feature)]
            assert abs(value - actual) <= 1e-9 * max(1.0, abs(actual)), (row, feature, value, actual)
            assert (value >= 0) == (actual >= 0)
        others = [abs(attributions[i]) for i, f in enumerate(features) if f not in named and f not in redacted]
        if named and others:
            assert min(magnitudes) >= max(others), (row, list(codes[row]), others)


@pytest.mark.parametrize("server", ALL_FIXTURES, indirect=True)
def test_reason_codes_are_the_largest_effects_of_the_highest_margin_target(server):
    name = server.label
    contract, rows = contract_of(name), reference_of(name)["rows"]
    features = feature_names(contract)
    for explain, k in [({"top_k": 3}, 3), (True, 5), ({}, 5), ({"top_k": 64}, len(features)), ({"top_k": 1}, 1)]:
        explanation = explanation_of(infer(server, name, rows, explain=explain), contract)
        assert_reason_codes(explanation, features, k)
    if explanation["attributions"].shape[1] > 1:
        # Several targets: the explained one is the predicted class (highest margin).
        labels = explanation["outputs"]["label"].astype(int)
        np.testing.assert_array_equal(highest_margin_targets(explanation), labels)


@pytest.mark.parametrize("server", ["xgboost-multiclass", LINEAR_FIXTURE], indirect=True)
def test_top_k_zero_gives_no_reason_codes_but_the_attributions(server):
    name = server.label
    contract, rows = contract_of(name), reference_of(name)["rows"]
    response = infer(server, name, rows, explain={"top_k": 0})
    reason_codes = next(o for o in response.json()["outputs"] if o["name"] == "reason_codes")
    assert reason_codes["shape"] == [len(rows), 0] and reason_codes["data"] == []
    explanation = explanation_of(response, contract)
    full = explanation_of(infer(server, name, rows, explain={"top_k": 3}), contract)
    np.testing.assert_array_equal(explanation["attributions"], full["attributions"])


def test_redacted_features_are_never_named(start_warden, tmp_path, _explained):
    """`redacted_features` lists the two features with the largest effects overall: no reason
    code names them, the codes are the largest effects of the others."""
    name = "xgboost-binary"
    contract, rows = contract_of(name), reference_of(name)["rows"]
    features = feature_names(contract)
    plain = explanation_of(infer(_explained(name), name, rows, explain={"top_k": 64}), contract)
    overall = np.abs(plain["attributions"][:, 0, :]).mean(axis=0)
    redacted = [features[i] for i in np.argsort(-overall)[:2]]
    assert any(code.startswith(f"{redacted[0]}:") for code in plain["reason_codes"][:, 0]), "the top feature is named unredacted"

    def redact(c: dict) -> None:
        c["explanations"]["redacted_features"] = redacted

    server = start_warden(model_dir=fixture_copy(tmp_path, name, redact), label="redacted-features")
    for explain, k in [({"top_k": 3}, 3), (True, 5), ({"top_k": 64}, len(features) - 2)]:
        response = infer(server, name, rows, explain=explain)
        explanation = explanation_of(response, contract)
        assert_reason_codes(explanation, features, k, redacted=frozenset(redacted))
        for feature in redacted:
            assert not any(str(code).startswith(f"{feature}:") for code in explanation["reason_codes"].ravel()), feature
        np.testing.assert_array_equal(explanation["attributions"], plain["attributions"])


# -- 5: refusals --------------------------------------------------------------------------


@pytest.mark.parametrize("explain", [
    False, None, 1, "yes", [], {"top_k": -1}, {"top_k": 65}, {"top_k": 2.5}, {"top_k": "3"}, {"top_k": True},
    {"top_k": None}, {"k": 3}, {"top_k": 3, "extra": 1},
], ids=repr)
@pytest.mark.parametrize("server", ["xgboost-binary"], indirect=True)
def test_invalid_explain_parameter_is_400(server, explain):
    response = infer(server, "xgboost-binary", reference_of("xgboost-binary")["rows"][:2], explain=explain)
    assert response.status_code == 400, (explain, response.status_code, response.text)
    assert response.json()["code"] == "invalid_request", response.text
    assert response.headers["Warden-Error-Code"] == "invalid_request"


@pytest.mark.parametrize("server", ["xgboost-binary"], indirect=True)
def test_top_k_bounds_are_accepted(server):
    rows = reference_of("xgboost-binary")["rows"][:2]
    for k in (0, 64):
        assert infer(server, "xgboost-binary", rows, explain={"top_k": k}).status_code == 200, k


def test_model_without_explanations_is_409_not_explainable(churn_server):
    """examples/churn has no `explanations` section: the explanation is refused, the plain
    inference still served."""
    assert "explanations" not in json.loads((CHURN_DIR / "warden-model.json").read_text())
    url = f"{churn_server.url}/v2/models/churn/infer"
    assert requests.post(url, json=CHURN_BODY, timeout=TIMEOUT).status_code == 200
    response = requests.post(url, json={**CHURN_BODY, "parameters": {"explain": {"top_k": 3}}}, timeout=TIMEOUT)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "not_explainable"
    assert response.headers["Warden-Error-Code"] == "not_explainable"
    instance = {i["name"]: i["data"][0] for i in CHURN_BODY["inputs"]}
    v1 = requests.post(f"{churn_server.url}/v1/models/churn:explain", json={"instances": [instance]}, timeout=TIMEOUT)
    assert v1.status_code == 409, v1.text
    assert v1.json()["code"] == "not_explainable"


def test_redacted_explained_output_is_409_not_explainable(start_warden, tmp_path):
    """The contract drops `probabilities` from answers: its attributions would reveal it."""
    name = "xgboost-binary"

    def redact(c: dict) -> None:
        c["output_schema"] = {"type": "object", "properties": {"probabilities": {"x-warden-redact": "drop"}}}

    server = start_warden(model_dir=fixture_copy(tmp_path, name, redact), label="redacted-output")
    rows = reference_of(name)["rows"][:3]
    plain = infer(server, name, rows, explain=NO_EXPLAIN)
    assert plain.status_code == 200, plain.text
    assert [o["name"] for o in plain.json()["outputs"]] == ["label"]
    response = infer(server, name, rows, explain={"top_k": 3})
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "not_explainable"
    assert "probabilities__attributions" not in response.text and "reason_codes" not in response.text
    v1 = requests.post(f"{server.url}/v1/models/{name}:explain", json={"instances": rows}, timeout=TIMEOUT)
    assert v1.status_code == 409, v1.text
    assert v1.json()["code"] == "not_explainable"


def test_unknown_key_under_explanations_stops_the_load(start_warden, tmp_path):
    def add_key(c: dict) -> None:
        c["explanations"]["shap_background"] = [0.0] * 8

    with pytest.raises(ServerStartError):
        start_warden(model_dir=fixture_copy(tmp_path, "xgboost-binary", add_key), label="unknown-key")
    server = start_warden.started[-1]
    assert not server.running() and server.proc.returncode != 0, server.output()
    assert "shap_background" in server.output(), server.output()


# -- 6: KServe v1 :explain ----------------------------------------------------------------


@pytest.mark.parametrize("server", ["xgboost-multiclass", LINEAR_FIXTURE], indirect=True)
def test_kserve_v1_explain_answers_what_oip_answers(server):
    """Instances as arrays (a matrix model, NaN as null) and as objects (named inputs): the
    predictions are :predict's, each instance's explanation the OIP answer's row."""
    name = server.label
    contract, rows = contract_of(name), reference_of(name)["rows"]
    out = explained_output(contract)
    url = f"{server.url}/v1/models/{name}"
    predict = requests.post(f"{url}:predict", json={"instances": rows}, timeout=TIMEOUT)
    assert predict.status_code == 200, predict.text
    explain = requests.post(f"{url}:explain", json={"instances": rows}, timeout=TIMEOUT)
    assert explain.status_code == 200, explain.text
    body = explain.json()
    assert set(body) == {"predictions", "explanations"}, list(body)
    assert body["predictions"] == predict.json()["predictions"]

    oip = explanation_of(infer(server, name, rows, explain=True), contract)
    oip_attributions = oip["outputs"][f"{out}__attributions"]
    oip_base = oip["outputs"][f"{out}__base_value"]
    assert len(body["explanations"]) == len(rows)
    for row, instance in enumerate(body["explanations"]):
        assert set(instance) == {f"{out}__attributions", f"{out}__base_value", "reason_codes"}, list(instance)
        np.testing.assert_array_equal(np.asarray(instance[f"{out}__attributions"], dtype=np.float64), oip_attributions[row])
        np.testing.assert_array_equal(np.asarray(instance[f"{out}__base_value"], dtype=np.float64), oip_base[row])
        assert instance["reason_codes"] == list(oip["reason_codes"][row]), row


# -- 7: mutual TLS: the route class explain -----------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("explain-pki")
    result = subprocess.run([str(warden_binary()), "dev-pki", "--out", str(directory), "--trust-domain", DOMAIN,
                             "--client", "explainer=ns/serving/sa/explainer", "--client", "scorer=ns/serving/sa/scorer",
                             "--client", "anything=ns/serving/sa/anything"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return directory


@pytest.fixture(scope="module")
def mtls_server(_session_starter, pki):
    return _session_starter(config={
        "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"),
                "client_ca_bundle": str(pki / "ca.pem")},
        "authorization": {"rules": [
            {"routes": ["infer", "explain"], "allow": [f"spiffe://{DOMAIN}/ns/serving/sa/explainer"]},
            {"routes": ["infer"], "allow": [f"spiffe://{DOMAIN}/ns/serving/sa/scorer"]},
            # No routes: everything but admin and explain.
            {"allow": [f"spiffe://{DOMAIN}/ns/serving/sa/anything"]},
        ]},
        "models": [{"directory": str(EXPLANATIONS_DIR / "xgboost-binary")}],
    }, label="explain-mtls")


def test_explanations_need_a_rule_naming_the_explain_route_class(mtls_server, pki):
    name = "xgboost-binary"
    contract, rows = contract_of(name), reference_of(name)["rows"][:4]
    base = f"https://localhost:{mtls_server.port}"

    def post(client: str, path: str, body: dict) -> requests.Response:
        return requests.post(f"{base}{path}", json=body, cert=(pki / f"{client}.pem", pki / f"{client}.key"),
                             verify=str(pki / "ca.pem"), timeout=TIMEOUT)

    plain = {"inputs": v2_inputs(contract, rows)}
    explain = {**plain, "parameters": {"explain": {"top_k": 3}}}
    instances = {"instances": rows}
    for client in ("scorer", "anything"):
        assert post(client, f"/v2/models/{name}/infer", plain).status_code == 200, client
        assert post(client, f"/v1/models/{name}:predict", instances).status_code == 200, client
        for path, body in [(f"/v2/models/{name}/infer", explain), (f"/v1/models/{name}:explain", instances)]:
            refused = post(client, path, body)
            assert refused.status_code == 403, (client, path, refused.status_code, refused.text)
            assert refused.json()["code"] == "identity_not_allowed", (client, path, refused.text)
            assert "__attributions" not in refused.text and "reason_codes" not in refused.text

    allowed = post("explainer", f"/v2/models/{name}/infer", explain)
    assert allowed.status_code == 200, allowed.text
    explanation = explanation_of(allowed, contract)
    expected = expected_explanation(name)
    assert_within(explanation["attributions"], expected["attributions"][:4], expected["tolerance"], "attributions over mTLS")
    v1 = post("explainer", f"/v1/models/{name}:explain", instances)
    assert v1.status_code == 200, v1.text
    assert len(v1.json()["explanations"]) == len(rows)


# -- 8: nothing of an explanation is logged -----------------------------------------------


def test_explanations_are_not_logged(start_warden):
    """At the most verbose level, the log of explain requests (v2 and v1) holds the request
    lines but no attribution value and no reason code."""
    name = "xgboost-binary"
    contract, rows = contract_of(name), reference_of(name)["rows"]
    server = start_warden(model_dir=EXPLANATIONS_DIR / name, extra_args=["--log-level", "trace"], label="explain-log")
    mark = server.mark()
    v2 = infer(server, name, rows, explain={"top_k": 8})
    explanation = explanation_of(v2, contract)
    v1 = requests.post(f"{server.url}/v1/models/{name}:explain", json={"instances": rows}, timeout=TIMEOUT)
    assert v1.status_code == 200, v1.text
    ids = [v2.headers["X-Request-Id"], v1.headers["X-Request-Id"]]
    found = server.wait_for_request_ids(ids, since=mark)
    assert all(found.values()), found

    log = "\n".join(server.lines(mark)) + "\n" + server.stderr()
    values = [float(v) for v in explanation["attributions"].ravel() if abs(v) >= 0.01]
    codes = [str(c) for c in explanation["reason_codes"].ravel()]
    assert values and codes
    leaked = [repr(v) for v in values if repr(v) in log or repr(abs(v))[:8] in log]
    assert not leaked, f"attribution values in the log: {leaked[:5]}"
    assert not [c for c in codes if c in log], "reason codes in the log"
    pattern = re.compile(r"(?:%s):[+-]\d" % "|".join(map(re.escape, feature_names(contract))))
    assert not pattern.search(log), pattern.search(log).group(0)
    for base in {repr(float(b)) for b in explanation["base"].ravel()}:
        assert base not in log, f"base value {base} in the log"
