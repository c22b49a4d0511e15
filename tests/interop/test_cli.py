"""`warden onnx inspect` and `warden onnx run`, as people and scripts call them: exit codes,
messages, and answers equal to the recorded onnxruntime outputs."""

from __future__ import annotations

import json
import math
import subprocess

import pytest

from conftest import FIXTURES_DIR, warden_binary

TIMEOUT = 60


def warden(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(warden_binary()), *args], input=stdin, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def test_inspect_describes_a_supported_model():
    result = warden("onnx", "inspect", str(FIXTURES_DIR / "pipeline_churn.onnx"))
    assert result.returncode == 0, result.stderr
    assert "ai.onnx.ml 1" in result.stdout
    assert "contract: tensor(string) [?, 1]" in result.stdout
    assert "ai.onnx.ml:LinearClassifier" in result.stdout
    assert "status: supported" in result.stdout


def test_inspect_json_lists_every_problem_and_exits_1():
    result = warden("onnx", "inspect", "--json", str(FIXTURES_DIR / "ops" / "bad_unknown_op.onnx"))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["supported"] is False
    assert len(report["problems"]) == 3


def test_inspect_names_opsets_and_weight_types_of_text_and_half_precision_models():
    text = warden("onnx", "inspect", str(FIXTURES_DIR / "text_tfidf_logreg.onnx"))
    assert text.returncode == 0, text.stderr
    assert "com.microsoft 1" in text.stdout and "com.microsoft:Tokenizer" in text.stdout
    half = json.loads(warden("onnx", "inspect", "--json", str(FIXTURES_DIR / "float16_mlp.onnx")).stdout)
    assert half["supported"] is True and half["initializer_types"] == ["float16"]
    quantized = json.loads(warden("onnx", "inspect", "--json", str(FIXTURES_DIR / "quantized_mlp.onnx")).stdout)
    assert "uint8" in quantized["initializer_types"]


def test_inspect_warns_when_an_output_contradicts_its_declared_shape():
    # CatBoost's own export declares the regressor's output [N] and produces [N, 1]; ONNX
    # Runtime serves it with a warning, and so does Warden.
    result = warden("onnx", "inspect", "--json", str(FIXTURES_DIR / "catboost_regressor.onnx"))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["supported"] is True
    assert len(report["warnings"]) == 1 and "'predictions' is declared [N]" in report["warnings"][0]
    assert json.loads(warden("onnx", "inspect", "--json", str(FIXTURES_DIR / "catboost_classifier.onnx")).stdout)[
        "warnings"] == []


@pytest.mark.parametrize("name", ["bad_cyclic", "bad_external_data", "bad_huge_dims"])
def test_inspect_refuses_malformed_models(name):
    result = warden("onnx", "inspect", str(FIXTURES_DIR / "ops" / f"{name}.onnx"))
    assert result.returncode != 0
    assert (result.stdout + result.stderr).strip(), "no message"


def test_inspect_of_a_missing_file_says_so():
    result = warden("onnx", "inspect", "/nonexistent/model.onnx")
    assert result.returncode != 0
    assert "cannot read /nonexistent/model.onnx" in result.stderr


def close(a, b) -> bool:
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-5)


@pytest.mark.parametrize("model", ["random_forest", "logreg_multiclass_zipmap", "pipeline_churn"])
def test_run_gives_onnxruntime_answers(model, tmp_path):
    cases = json.loads((FIXTURES_DIR / f"{model}.cases.json").read_text())
    case = cases["cases"][0]
    inputs = tmp_path / "input.json"
    inputs.write_text(json.dumps(case["inputs"]))
    result = warden("onnx", "run", str(FIXTURES_DIR / f"{model}.onnx"), "--input", str(inputs))
    assert result.returncode == 0, result.stderr
    outputs = json.loads(result.stdout)
    for name, expected in case["outputs"].items():
        assert close(outputs[name], expected), name


def test_run_reads_standard_input_and_selects_outputs():
    cases = json.loads((FIXTURES_DIR / "random_forest.cases.json").read_text())
    result = warden(
        "onnx", "run", str(FIXTURES_DIR / "random_forest.onnx"), "--input", "-", "--output", "label",
        stdin=json.dumps(cases["cases"][0]["inputs"]),
    )
    assert result.returncode == 0, result.stderr
    assert list(json.loads(result.stdout)) == ["label"]


@pytest.mark.parametrize(
    "document, message",
    [
        ("{not json", "is not valid JSON"),
        ('{"nope": [[1]]}', "the model has no input 'nope'"),
        ('{"X": [[1, 2], [3]]}', "not rectangular"),
        ('{"X": [["a", "b", "c", "d", "e", "f", "g", "h"]]}', "expected a number"),
        ('{"X": [[1, 2, 3]]}', "dimension 1 must be 8"),
    ],
)
def test_run_refuses_bad_input_with_a_clear_message(document, message, tmp_path):
    inputs = tmp_path / "input.json"
    inputs.write_text(document)
    result = warden("onnx", "run", str(FIXTURES_DIR / "random_forest.onnx"), "--input", str(inputs))
    assert result.returncode != 0
    assert message in result.stderr


# --- warden contract init / check, and a port already taken ---------------------------------


def test_contract_init_from_rows_then_check_passes(tmp_path):
    """The scaffold a user starts from: sample rows written by Python's json (NaN for a missing
    value) become bounds, a warm-up batch and a sample with Warden's own answers, and the
    folder then passes `warden contract check` and loads in `warden serve`'s checks."""
    from conftest import CHURN_DIR

    rows = [
        {"tenure": 3, "monthly_charges": 99.5, "total_charges": math.nan, "support_calls": 5, "num_services": 6,
         "data_usage_gb": 12.0, "days_since_login": 40.0, "age": 30.0, "contract": "month-to-month", "payment": "check"},
        {"tenure": 40, "monthly_charges": 20.25, "total_charges": 810.0, "support_calls": 0, "num_services": 2,
         "data_usage_gb": 1.5, "days_since_login": 2.0, "age": 61.0, "contract": "two-year", "payment": "card"},
    ]
    rows_file = tmp_path / "rows.json"
    rows_file.write_text(json.dumps(rows))  # json.dumps writes NaN
    model_dir = tmp_path / "churn"
    model_dir.mkdir()
    (model_dir / "model.onnx").write_bytes((CHURN_DIR / "model.onnx").read_bytes())
    result = warden("contract", "init", str(model_dir / "model.onnx"), "--from-sample", str(rows_file))
    assert result.returncode == 0, result.stderr
    contract = json.loads(result.stdout)
    assert contract["name"] == "churn" and [i["name"] for i in contract["inputs"]][:2] == ["tenure", "monthly_charges"]
    properties = contract["input_schema"]["properties"]
    assert properties["tenure"] == {"type": "integer", "minimum": 3, "maximum": 40}
    assert properties["total_charges"]["type"] == ["number", "null"]
    assert contract["samples"][0]["name"] == "sample-rows" and len(contract["samples"][0]["outputs"]["label"]) == 2
    (model_dir / "warden-model.json").write_text(result.stdout)
    checked = warden("contract", "check", str(model_dir))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_contract_check_lists_every_problem(tmp_path):
    from conftest import CHURN_DIR

    model_dir = tmp_path / "churn"
    model_dir.mkdir()
    (model_dir / "model.onnx").write_bytes((CHURN_DIR / "model.onnx").read_bytes())
    contract = json.loads((CHURN_DIR / "warden-model.json").read_text())
    contract["inputs"][0]["datatype"] = "FP32"
    contract["inputs"][1]["shape"] = [-1, 12]
    (model_dir / "warden-model.json").write_text(json.dumps(contract))
    result = warden("contract", "check", str(model_dir))
    assert result.returncode == 1
    problems = [line for line in result.stdout.splitlines() if line.startswith("- ")]
    assert len(problems) == 2 and "inputs[0].datatype" in problems[0] and "inputs[1].shape[1]" in problems[1], result.stdout


def test_a_port_in_use_fails_before_any_ready_event():
    from conftest import CHURN_DIR, free_ports

    import socket

    port, probe = free_ports(2)
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", port))
    holder.listen()
    try:
        result = warden(
            "serve", "--model-dir", str(CHURN_DIR), "--insecure-plaintext", "--host", "127.0.0.1", "--port", str(port),
            "--probe-port", str(probe),
        )
    finally:
        holder.close()
    assert result.returncode != 0
    events = [json.loads(line).get("event") for line in result.stdout.splitlines() if line.startswith("{")]
    assert "model_ready" not in events and "server_ready" not in events, events
    assert "listen_failed" in events
    assert f"127.0.0.1:{port}" in result.stdout, result.stdout
