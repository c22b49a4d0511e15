"""Warden against the real OpenSSF model_signing tool, both directions, key and certificate
modes, files and shards, plus the refusals that must not pass."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from trust_tools import (
    EXIT_INPUT,
    EXIT_INTEGRITY,
    EXIT_SIGNATURE,
    copy_churn_model,
    model_signing,
    require_trust_venv,
    trust_python,
    warden,
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    require_trust_venv()
    out = tmp_path_factory.mktemp("pki")
    result = trust_python("make_pki.py", out)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def keys(tmp_path) -> Path:
    require_trust_venv()
    prefix = tmp_path / "dev"
    result = warden("keygen", "--out", prefix)
    assert result.returncode == 0, result.stderr
    return prefix


@pytest.fixture
def model(tmp_path) -> Path:
    return copy_churn_model(tmp_path / "churn")


def verify_key(model: Path, signature: Path, public_key: Path, *extra: str):
    return warden("verify", "key", model, "--signature", signature, "--public-key", public_key, "--json", *extra)


def refusal(result) -> dict:
    document = json.loads(result.stdout)
    assert document["verified"] is False
    return document


# --- Warden signs, model_signing verifies ---------------------------------------------------


def test_model_signing_cli_verifies_what_warden_signs(keys, model, tmp_path):
    signature = tmp_path / "model.sig"
    assert warden("sign", model, "--private-key", f"{keys}.key", "--signature", signature).returncode == 0
    result = model_signing("verify", "key", "--signature", signature, "--public_key", f"{keys}.pub", model)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Verification succeeded" in result.stdout


def test_model_signing_verifies_warden_signature_stored_inside_the_model(keys, model):
    signature = model / "model.sig"
    assert warden("sign", model, "--private-key", f"{keys}.key", "--signature", signature).returncode == 0
    result = model_signing("verify", "key", "--signature", signature, "--public_key", f"{keys}.pub", model)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("algorithm", ["ecdsa-p256", "ecdsa-p384"])
def test_model_signing_accepts_each_ecdsa_curve(algorithm, model, tmp_path):
    require_trust_venv()
    prefix = tmp_path / algorithm
    assert warden("keygen", "--out", prefix, "--algorithm", algorithm).returncode == 0
    signature = tmp_path / "model.sig"
    assert warden("sign", model, "--private-key", f"{prefix}.key", "--signature", signature).returncode == 0
    result = model_signing("verify", "key", "--signature", signature, "--public_key", f"{prefix}.pub", model)
    assert result.returncode == 0, result.stdout + result.stderr


def test_model_signing_library_verifies_warden_shards(keys, model, tmp_path):
    signature = tmp_path / "model.sig"
    signed = warden("sign", model, "--private-key", f"{keys}.key", "--signature", signature, "--shard-size", "1000")
    assert signed.returncode == 0, signed.stderr
    predicate = json.loads(__import__("base64").b64decode(json.loads(signature.read_text())["dsseEnvelope"]["payload"]))["predicate"]
    assert predicate["serialization"]["method"] == "shards"
    assert any(r["name"] == "model.onnx:0:1000" for r in predicate["resources"])
    result = trust_python("model_signing_api.py", "verify-guess", model, signature, f"{keys}.pub")
    assert result.returncode == 0, result.stderr


def test_ed25519_signatures_verify_in_warden(model, tmp_path):
    require_trust_venv()
    prefix = tmp_path / "ed"
    assert warden("keygen", "--out", prefix, "--algorithm", "ed25519").returncode == 0
    signature = tmp_path / "model.sig"
    assert warden("sign", model, "--private-key", f"{prefix}.key", "--signature", signature).returncode == 0
    result = verify_key(model, signature, f"{prefix}.pub")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["verified"] is True


# --- model_signing signs, Warden verifies ---------------------------------------------------


@pytest.fixture
def ms_signed(keys, model, tmp_path) -> Path:
    """The churn model signed by `model_signing sign key` with a Warden-made key."""
    signature = tmp_path / "model.sig"
    result = model_signing("sign", "key", "--signature", signature, "--private_key", f"{keys}.key", model)
    assert result.returncode == 0, result.stdout + result.stderr
    return signature


def test_warden_verifies_model_signing_key_signature(ms_signed, keys, model):
    result = verify_key(model, ms_signed, f"{keys}.pub")
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["verified"] is True and document["files"] == 2 and document["model_name"] == "churn"


@pytest.mark.parametrize("shard_size", ["100", "4096"])
def test_warden_verifies_model_signing_shards(shard_size, keys, model, tmp_path):
    # 100-byte shards cut model.onnx into 21 pieces: model_signing lists them by numeric offset
    # (…:200:300 before …:1000:1100), and the subject digest commits to that order.
    (model / "empty.txt").write_text("")
    signature = tmp_path / "shards.sig"
    result = trust_python("model_signing_api.py", "sign-shards", model, signature, f"{keys}.key", shard_size)
    assert result.returncode == 0, result.stderr
    verified = verify_key(model, signature, f"{keys}.pub")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    data = bytearray((model / "model.onnx").read_bytes())
    data[1050] ^= 0x01
    (model / "model.onnx").write_bytes(bytes(data))
    tampered = verify_key(model, signature, f"{keys}.pub")
    assert tampered.returncode == EXIT_INTEGRITY and refusal(tampered)["code"] == "digest_mismatch"


def test_warden_honours_ignore_paths_like_model_signing(keys, model, tmp_path):
    (model / "README.txt").write_text("not part of the model\n")
    signature = tmp_path / "model.sig"
    result = model_signing(
        "sign", "key", "--signature", signature, "--private_key", f"{keys}.key", "--ignore-paths", model / "README.txt", model
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The signer declared README.txt uncovered, so changing it changes nothing...
    (model / "README.txt").write_text("changed\n")
    assert verify_key(model, signature, f"{keys}.pub").returncode == 0
    # ...but a new file elsewhere is not covered by anything.
    (model / "extra.bin").write_bytes(b"\0" * 10)
    result = verify_key(model, signature, f"{keys}.pub")
    assert result.returncode == EXIT_INTEGRITY and refusal(result)["code"] == "unexpected_file"


# --- Refusals ---------------------------------------------------------------------------------


def test_tampered_weights_are_refused(ms_signed, keys, model):
    data = bytearray((model / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (model / "model.onnx").write_bytes(bytes(data))
    result = verify_key(model, ms_signed, f"{keys}.pub")
    assert result.returncode == EXIT_INTEGRITY
    document = refusal(result)
    assert document["code"] == "digest_mismatch" and "model.onnx" in document["detail"]


def test_tampered_contract_is_refused(ms_signed, keys, model):
    (model / "warden-model.json").write_text((model / "warden-model.json").read_text().replace("churn", "churm", 1))
    result = verify_key(model, ms_signed, f"{keys}.pub")
    assert result.returncode == EXIT_INTEGRITY and "warden-model.json" in refusal(result)["detail"]


def test_missing_file_is_refused(ms_signed, keys, model):
    (model / "warden-model.json").unlink()
    result = verify_key(model, ms_signed, f"{keys}.pub")
    assert result.returncode == EXIT_INTEGRITY and refusal(result)["code"] == "missing_file"


def test_signature_of_another_model_is_refused(keys, model, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "model.onnx").write_bytes(b"another model")
    signature = tmp_path / "other.sig"
    assert model_signing("sign", "key", "--signature", signature, "--private_key", f"{keys}.key", other).returncode == 0
    result = verify_key(model, signature, f"{keys}.pub")
    assert result.returncode == EXIT_INTEGRITY


def test_valid_signature_by_untrusted_key_is_refused(ms_signed, model, tmp_path):
    stranger = tmp_path / "stranger"
    assert warden("keygen", "--out", stranger).returncode == 0
    result = verify_key(model, ms_signed, f"{stranger}.pub")
    assert result.returncode == EXIT_SIGNATURE and refusal(result)["code"] == "untrusted_key"


def test_symlinked_file_is_refused(ms_signed, keys, model, tmp_path):
    real = tmp_path / "real.onnx"
    shutil.move(model / "model.onnx", real)
    (model / "model.onnx").symlink_to(real)
    result = verify_key(model, ms_signed, f"{keys}.pub")
    assert result.returncode == EXIT_INPUT and refusal(result)["code"] == "unsafe_path"


def test_malformed_bundle_json_is_refused(keys, model, tmp_path):
    signature = tmp_path / "model.sig"
    signature.write_text('{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", ')
    result = verify_key(model, signature, f"{keys}.pub")
    assert result.returncode == EXIT_INPUT and refusal(result)["code"] == "malformed_bundle"


def test_unknown_bundle_media_type_is_refused(ms_signed, keys, model):
    bundle = json.loads(ms_signed.read_text())
    bundle["mediaType"] = "application/vnd.dev.sigstore.bundle.v9.9+json"
    ms_signed.write_text(json.dumps(bundle))
    result = verify_key(model, ms_signed, f"{keys}.pub")
    assert result.returncode == EXIT_INPUT and refusal(result)["code"] == "unknown_media_type"


# --- Certificate mode -----------------------------------------------------------------------


def sign_with_certificate(model: Path, signature: Path, pki: Path, leaf: str):
    return model_signing(
        "sign", "certificate", "--signature", signature, "--private_key", pki / f"{leaf}.key",
        "--signing_certificate", pki / f"{leaf}.pem", "--certificate_chain", pki / "intermediate-ca.pem", model,
    )


def verify_certificate(model: Path, signature: Path, root: Path):
    return warden("verify", "certificate", model, "--signature", signature, "--certificate-chain", root, "--json")


def test_certificate_signature_verifies_in_both_tools(pki, model, tmp_path):
    signature = tmp_path / "model.sig"
    result = sign_with_certificate(model, signature, pki, "leaf")
    assert result.returncode == 0, result.stdout + result.stderr
    ours = verify_certificate(model, signature, pki / "root-ca.pem")
    assert ours.returncode == 0, ours.stdout + ours.stderr
    assert "leaf@models.example" in json.loads(ours.stdout)["signer"]
    theirs = model_signing("verify", "certificate", "--signature", signature, "--certificate_chain", pki / "root-ca.pem", model)
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr


@pytest.mark.parametrize("leaf", ["expired-leaf", "future-leaf", "tls-leaf"])
def test_certificate_that_may_not_sign_now_is_refused(leaf, pki, model, tmp_path):
    signature = tmp_path / "model.sig"
    result = sign_with_certificate(model, signature, pki, leaf)
    assert result.returncode == 0, result.stdout + result.stderr
    result = verify_certificate(model, signature, pki / "root-ca.pem")
    assert result.returncode == EXIT_SIGNATURE and refusal(result)["code"] == "certificate_invalid"


def test_certificate_from_another_root_is_refused(pki, model, tmp_path):
    signature = tmp_path / "model.sig"
    assert sign_with_certificate(model, signature, pki, "leaf").returncode == 0
    result = verify_certificate(model, signature, pki / "other-root-ca.pem")
    assert result.returncode == EXIT_SIGNATURE and refusal(result)["code"] == "certificate_invalid"
