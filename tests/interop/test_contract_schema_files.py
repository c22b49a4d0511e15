"""A contract whose schemas `$ref` files of the artifact (`schema_files`, issue 30 item 3): the
real OpenSSF `model_signing` tool signs the folder, schema files included; Warden verifies it,
`warden contract check` holds the model to it, and a schema file changed after signing is a
digest mismatch like changed weights — the contract a client is held to is the signed one."""

from __future__ import annotations

import json
from pathlib import Path

from trust_tools import EXIT_INTEGRITY, copy_churn_model, model_signing, require_trust_venv, warden

CUSTOMER = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://contracts.example/customer.json",
    "$defs": {"tenure": {"type": "integer", "minimum": 0, "maximum": 1200},
              "age": {"type": ["number", "null"], "minimum": 18, "maximum": 120}},
}


def split_contract(model: Path) -> None:
    """Moves two field schemas of the churn contract into schemas/customer.json."""
    (model / "schemas").mkdir()
    (model / "schemas" / "customer.json").write_text(json.dumps(CUSTOMER))
    contract = json.loads((model / "warden-model.json").read_text())
    contract["schema_files"] = ["schemas/customer.json"]
    properties = contract["input_schema"]["properties"]
    properties["tenure"] = {"$ref": "schemas/customer.json#/$defs/tenure"}
    properties["age"] = {"$ref": "https://contracts.example/customer.json#/$defs/age"}
    (model / "warden-model.json").write_text(json.dumps(contract))


def test_schema_files_are_signed_checked_and_tamper_evident(tmp_path):
    require_trust_venv()
    model = copy_churn_model(tmp_path / "churn")
    split_contract(model)
    keys = tmp_path / "dev"
    assert warden("keygen", "--out", keys).returncode == 0

    # The contract, its schema files and the samples agree with the model.
    checked = warden("contract", "check", model)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    signature = tmp_path / "model.sig"
    signed = model_signing("sign", "key", "--signature", signature, "--private_key", f"{keys}.key", model)
    assert signed.returncode == 0, signed.stdout + signed.stderr
    verified = warden("verify", "key", model, "--signature", signature, "--public-key", f"{keys}.pub", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["files"] == 3

    # Loosening the schema file after signing is caught like changed weights.
    loosened = dict(CUSTOMER, **{"$defs": dict(CUSTOMER["$defs"], tenure={"type": "integer"})})
    (model / "schemas" / "customer.json").write_text(json.dumps(loosened))
    tampered = warden("verify", "key", model, "--signature", signature, "--public-key", f"{keys}.pub", "--json")
    assert tampered.returncode == EXIT_INTEGRITY
    refusal = json.loads(tampered.stdout)
    assert refusal["code"] == "digest_mismatch" and "schemas/customer.json" in refusal["detail"]


def test_contract_check_names_a_dangling_schema_file_reference(tmp_path):
    model = copy_churn_model(tmp_path / "churn")
    split_contract(model)
    (model / "schemas" / "customer.json").write_text(json.dumps({"$defs": {}}))
    checked = warden("contract", "check", model)
    assert checked.returncode != 0
    assert "schemas/customer.json#/$defs/tenure" in checked.stdout + checked.stderr
