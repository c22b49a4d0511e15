"""`warden schema validate` against Python `jsonschema` (draft 2020-12, formats off) on
10,000 generated instances of contract-shaped schemas: the same verdict on every one. And the
CLI's exit codes and error reports (locations and keywords, never values)."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from trust_tools import TRUST_VENV, TOOLS, require_trust_venv, warden

SEED = 7_2020_12

CONTRACT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["inputs"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$"},
        "parameters": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
        "inputs": {
            "type": "array",
            "minItems": 1,
            "maxItems": 4,
            "items": {
                "type": "object",
                "required": ["name", "datatype", "shape", "data"],
                "properties": {
                    "name": {"enum": ["tenure", "monthly_charges", "contract"]},
                    "datatype": {"enum": ["INT64", "FP32", "BYTES"]},
                    "shape": {"type": "array", "prefixItems": [{"type": "integer", "minimum": 1}], "items": {"type": "integer", "minimum": 1},
                              "minItems": 1, "maxItems": 2},
                    "data": {"type": "array", "maxItems": 8},
                },
                "allOf": [
                    {"if": {"properties": {"datatype": {"const": "BYTES"}}},
                     "then": {"properties": {"data": {"items": {"type": "string", "minLength": 1}}}},
                     "else": {"properties": {"data": {"items": {"type": "number", "minimum": -1e6, "maximum": 1e6}}}}},
                ],
                "unevaluatedProperties": False,
            },
        },
    },
}

TINY = {"oneOf": [{"type": "integer", "multipleOf": 3}, {"type": "number", "exclusiveMaximum": 2.5}],
        "not": {"const": 0}}


def random_value(rng: random.Random, depth: int = 0):
    kinds = ["int", "float", "str", "bool", "null"] + (["list", "dict"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.choice([0, 1, -1, 3, 6, 7, rng.randint(-10**7, 10**7)])
    if kind == "float":
        return rng.choice([0.5, 2.4, 2.5, 3.0, -0.1, rng.uniform(-2e6, 2e6)])
    if kind == "str":
        return rng.choice(["", "a", "tenure", "contract", "FP32", "BYTES", "x y", "id_1", "Two-year", "é" * rng.randint(1, 3)])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["name", "datatype", "shape", "data", "extra", "id"]): random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def contract_instance(rng: random.Random) -> dict:
    """Mostly well-formed requests, with one random mutation often enough to hit every branch."""
    def tensor():
        name, datatype = rng.choice([("tenure", "INT64"), ("monthly_charges", "FP32"), ("contract", "BYTES")])
        count = rng.randint(1, 3)
        data = [rng.choice(["Month-to-month", "Two-year", "One-year", ""]) for _ in range(count)] if datatype == "BYTES" else \
            [rng.choice([1, 2.5, -3, 0, 42, 1e7]) for _ in range(count)]
        return {"name": name, "datatype": datatype, "shape": [count, 1][: rng.randint(1, 2)], "data": data}
    document = {"id": rng.choice(["req-1", "req_2", "abc", "bad id", "x" * 70]),
                "inputs": [tensor() for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4, 5]))]}
    if rng.random() < 0.3:
        document["parameters"] = {"p": random_value(rng, 2)}
    if rng.random() < 0.3:
        target = rng.choice(document["inputs"]) if document["inputs"] else document
        target[rng.choice(["name", "datatype", "shape", "data", "extra", "id"])] = random_value(rng, 1)
    if rng.random() < 0.05:
        del document["inputs"]
    return document


def compare(schema: dict, instances: list, tmp_path: Path) -> None:
    require_trust_venv()
    schema_file, lines = tmp_path / "schema.json", tmp_path / "instances.jsonl"
    schema_file.write_text(json.dumps(schema))
    lines.write_text("".join(json.dumps(i) + "\n" for i in instances))
    ours = warden("schema", "validate", "--schema", schema_file, "--instances", lines)
    assert ours.returncode in (0, 1), ours.stderr
    verdicts = [json.loads(line)["valid"] for line in ours.stdout.splitlines()]
    oracle = subprocess.run([str(TRUST_VENV / "bin" / "python"), str(TOOLS / "jsonschema_oracle.py"), str(schema_file), str(lines)],
                            capture_output=True, text=True, timeout=300)
    assert oracle.returncode == 0, oracle.stderr
    expected = [line == "true" for line in oracle.stdout.splitlines()]
    assert len(verdicts) == len(expected) == len(instances)
    differences = [(i, instances[i], expected[i]) for i in range(len(instances)) if verdicts[i] != expected[i]]
    assert not differences, f"{len(differences)} differences, first: {differences[:3]}"
    assert 0.1 < sum(expected) / len(expected) < 0.9, "the generator must produce both valid and invalid instances"


def test_contract_schema_agrees_with_jsonschema_on_8000_instances(tmp_path):
    rng = random.Random(SEED)
    compare(CONTRACT, [contract_instance(rng) for _ in range(8000)], tmp_path)


def test_numeric_schema_agrees_with_jsonschema_on_2000_instances(tmp_path):
    rng = random.Random(SEED + 1)
    compare(TINY, [random_value(rng, 2) for _ in range(2000)], tmp_path)


def test_cli_exit_codes_and_reports_without_values(tmp_path):
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(CONTRACT))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": "secret value 4111", "inputs": []}))
    result = warden("schema", "validate", "--schema", schema, bad)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert {(e["instanceLocation"], e["keyword"]) for e in report["errors"]} == {("/id", "pattern"), ("/inputs", "minItems")}
    assert "4111" not in result.stdout
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"inputs": [{"name": "tenure", "datatype": "INT64", "shape": [1], "data": [3]}]}))
    assert warden("schema", "validate", "--schema", schema, good).returncode == 0
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"pattern": "(?>a)"}))
    assert warden("schema", "validate", "--schema", broken, good).returncode == 2


# -- the example model's real contract -----------------------------------------------------

CHURN_CONTRACT = json.loads((Path(__file__).resolve().parents[2] / "examples/churn/warden-model.json").read_text())
NUMERIC_FIELDS = ["monthly_charges", "total_charges", "data_usage_gb", "days_since_login", "age"]
INTEGER_FIELDS = ["tenure", "support_calls", "num_services"]
# Python's `re` lets `$` match before a final newline; ECMA-262 does not (the JSON Schema suite's
# optional ecmascript-regex cases check Warden on that), so no generated string ends in "\n".
CATEGORIES = ["month-to-month", "two-year", "one-year", "check", "bank", "card", "Two-year", "", "a" * 64, "a" * 65,
              "x y", "-lead", "0day", "é", "tab\tin", "under_score", "٣"]


def churn_record(rng: random.Random) -> dict:
    """One customer row as Warden validates it, mostly valid, often with one field mutated."""
    record = {name: rng.choice([0, 1, 12, 600, 1200]) for name in INTEGER_FIELDS}
    record.update({name: rng.choice([None, 0, 0.5, 79.5, 1e3, 149.9]) for name in NUMERIC_FIELDS})
    record["contract"] = rng.choice(["month-to-month", "two-year", "one-year"])
    record["payment"] = rng.choice(["check", "bank", "card"])
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        field = rng.choice(list(record) + ["extra"])
        mutation = rng.random()
        if mutation < 0.15:
            record.pop(field, None)
        elif mutation < 0.5:
            record[field] = rng.choice(CATEGORIES)
        elif mutation < 0.8:
            record[field] = rng.choice([-1, -0.5, 1201, 1e6, 1e7 + 0.5, 150.5, 2**40, 3.0, True, None])
        else:
            record[field] = random_value(rng, 2)
    return record


def churn_output(rng: random.Random) -> dict:
    p = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0, 1.0000001, -0.01])
    output = {"label": rng.choice([0, 1, 1.0, 0, 1, 2, -1, "1"]),
              "probabilities": rng.choice([[1 - p, p], [1 - p, p], [1 - p, p], [p], [p, p, p], [p, "x"], [], None])}
    if rng.random() < 0.1:
        output.pop(rng.choice(["label", "probabilities"]))
    if rng.random() < 0.05:
        output["extra"] = 1
    return output


def test_churn_input_contract_agrees_with_jsonschema_on_10000_records(tmp_path):
    rng = random.Random(SEED + 2)
    compare(CHURN_CONTRACT["input_schema"], [churn_record(rng) for _ in range(10_000)], tmp_path)


def test_churn_output_contract_agrees_with_jsonschema_on_2000_records(tmp_path):
    rng = random.Random(SEED + 3)
    compare(CHURN_CONTRACT["output_schema"], [churn_output(rng) for _ in range(2000)], tmp_path)
