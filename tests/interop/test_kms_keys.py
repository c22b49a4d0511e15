"""Keys in AWS KMS: Warden signs with `awskms://` references through the KMS JSON API, its
requests signed with SigV4 and checked by moto's server (which recomputes them with botocore),
over TLS verified against a private CA. Signatures are checked by model_signing and openssl,
credentials come from a file or a web-identity token exchanged with STS, and every way KMS can
fail ends with exit status 17 and nothing written."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from dsse_check import openssl_verifies
from moto_kms import MotoKMS
from test_hsm_keys import fingerprint
from trust_tools import (
    EXIT_KEY_STORE,
    copy_churn_model,
    model_signing,
    push_artifact,
    refused,
    refused_line,
    require_trust_venv,
    warden,
)


@pytest.fixture(scope="module")
def kms(tmp_path_factory):
    """moto checking every request's signature."""
    server = MotoKMS(tmp_path_factory.mktemp("kms"), authenticated=True).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def open_kms(tmp_path_factory):
    """moto without request authentication: its STS hands out web-identity sessions (moto's
    authenticated mode wrongly wants AssumeRoleWithWebIdentity itself signed)."""
    server = MotoKMS(tmp_path_factory.mktemp("open-kms"), authenticated=False).start()
    yield server
    server.stop()


@pytest.fixture
def model(tmp_path) -> Path:
    return copy_churn_model(tmp_path / "churn")



@pytest.mark.parametrize("key,digest", [("p256", "sha256"), ("p384", "sha384")])
def test_warden_signs_in_kms_and_others_verify(kms, model, tmp_path, key, digest):
    require_trust_venv()
    signature = tmp_path / "model.sig"
    signed = warden("sign", model, "--private-key", kms.ref(key), "--signature", signature, env=kms.env())
    assert signed.returncode == 0, signed.stderr
    public = kms.public_pem(key)
    assert openssl_verifies(signature, public, tmp_path, digest=digest)
    verified = model_signing("verify", "key", model, "--signature", signature, "--public_key", public)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    own = warden("verify", "key", model, "--signature", signature, "--public-key", kms.ref(key), "--json", env=kms.env())
    assert own.returncode == 0 and json.loads(own.stdout)["verified"] is True, own.stdout + own.stderr
    # The secret never shows, whatever happens.
    assert kms.secret not in signed.stdout + signed.stderr + own.stdout + own.stderr


def test_a_wrong_secret_fails_aws_signature_check(kms, model, tmp_path):
    wrong = kms.write_credentials("wrong-secret", kms.access_key_id, kms.secret[:-1] + ("A" if kms.secret[-1] != "A" else "B"))
    result = warden("sign", model, "--private-key", kms.ref("p256"), "--signature", tmp_path / "model.sig", env=kms.env(wrong))
    assert "SignatureDoesNotMatch" in refused_line(result, EXIT_KEY_STORE, "key_store_refused")
    unknown = kms.write_credentials("unknown-key", "AKIAUNKNOWNUNKNOWN00", kms.secret)
    result = warden("sign", model, "--private-key", kms.ref("p256"), "--signature", tmp_path / "model.sig", env=kms.env(unknown))
    assert "InvalidClientTokenId" in refused_line(result, EXIT_KEY_STORE, "key_store_refused")
    assert not (tmp_path / "model.sig").exists()


def test_credentials_from_the_environment_are_not_read(kms, model, tmp_path):
    """AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are ignored: without a credentials file there are none."""
    env = kms.env(tmp_path / "absent", AWS_ACCESS_KEY_ID=kms.access_key_id, AWS_SECRET_ACCESS_KEY=kms.secret)
    result = warden("sign", model, "--private-key", kms.ref("p256"), "--signature", tmp_path / "model.sig", env=env)
    assert "no AWS credentials" in refused_line(result, EXIT_KEY_STORE, "key_store_refused")


def test_web_identity_token_is_exchanged_for_a_role_session(open_kms, model, tmp_path):
    token = tmp_path / "token"
    token.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6d2FyZGVuOmZldGNoIn0.c2lnbmF0dXJl\n")
    env = open_kms.env(tmp_path / "no-credentials-file", AWS_WEB_IDENTITY_TOKEN_FILE=str(token), AWS_ROLE_ARN=open_kms.role_arn,
                       AWS_ENDPOINT_URL_STS=open_kms.url)
    signature = tmp_path / "model.sig"
    signed = warden("sign", model, "--private-key", open_kms.ref("p256"), "--signature", signature, env=env)
    assert signed.returncode == 0, signed.stderr
    assert openssl_verifies(signature, open_kms.public_pem("p256"), tmp_path)
    # The role is required with the token.
    env.pop("AWS_ROLE_ARN")
    result = warden("sign", model, "--private-key", open_kms.ref("p256"), "--signature", tmp_path / "other.sig", env=env)
    assert "AWS_ROLE_ARN" in refused_line(result, EXIT_KEY_STORE, "key_store_refused")


def test_an_unreachable_kms_is_retried_within_a_deadline_then_refused(kms, model, tmp_path):
    closed = f"awskms://127.0.0.1:{kms.port + 1 if kms.port < 65535 else 1}/{kms.keys['p256']}"
    started = time.monotonic()
    result = warden("sign", model, "--private-key", closed, "--signature", tmp_path / "model.sig", env=kms.env())
    elapsed = time.monotonic() - started
    assert "3 attempts" in refused_line(result, EXIT_KEY_STORE, "key_store_unavailable")
    assert elapsed < 20, elapsed
    assert not (tmp_path / "model.sig").exists()


def test_the_endpoint_must_present_a_certificate_from_the_trusted_ca(kms, model, tmp_path):
    env = kms.env()
    env.pop("AWS_CA_BUNDLE")
    result = warden("sign", model, "--private-key", kms.ref("p256"), "--signature", tmp_path / "model.sig", env=env)
    refused_line(result, EXIT_KEY_STORE, "key_store_unavailable")


@pytest.mark.parametrize(
    "key,code,phrase",
    [
        ("0c1f6b8e-0000-4000-8000-000000000000", "key_not_found", "NotFoundException"),
        ("encryption", "unsupported_key", "not SIGN_VERIFY"),
        ("secp256k1", "unsupported_key", "ECC_SECG_P256K1"),
    ],
)
def test_keys_kms_cannot_sign_with_are_named(kms, model, tmp_path, key, code, phrase):
    result = warden("sign", model, "--private-key", kms.ref(key), "--signature", tmp_path / "model.sig", env=kms.env())
    assert phrase in refused_line(result, EXIT_KEY_STORE, code)
    assert not (tmp_path / "model.sig").exists()


def test_fetch_pins_the_kms_key_by_fingerprint(kms, model, tmp_path):
    """A trust policy naming the signer by KMS reference: the model fetches; the same policy
    pinning another key's fingerprint is refused as key_mismatch, nothing installed."""
    require_trust_venv()
    keys = tmp_path / "keys"
    keys.mkdir()
    assert warden("keygen", "--out", keys / "approver").returncode == 0
    signature = tmp_path / "model.sig"
    assert warden("sign", model, "--private-key", kms.ref("p256"), "--signature", signature, env=kms.env()).returncode == 0
    layout = tmp_path / "registry"
    ref = f"oci:{layout}:churn-v1"
    digest = push_artifact(model, ref, signature)
    attested = warden("attest", ref, "--private-key", keys / "approver.key", "--approve", "Approved", "--approver", "bob")
    assert attested.returncode == 0, attested.stderr

    def fetch(pin: str, dest: str):
        policy = tmp_path / f"trust-{dest}.yaml"
        policy.write_text(
            f'keys:\n  release: {{public_key: "{kms.ref("p256")}", fingerprint: "{pin}"}}\n'
            "  approver: {public_key: keys/approver.pub}\n"
            "model_signers: [release]\nattestations:\n  approval: {signers: [approver]}\n")
        return warden("fetch", "--model", ref, "--trust", policy, "--dest", tmp_path / dest, "--expected-digest", digest, "--json",
                      env=kms.env())

    good = fetch(fingerprint(kms.public_pem("p256")), "installed")
    assert good.returncode == 0, good.stdout + good.stderr
    wrong = fetch(fingerprint(kms.public_pem("p384")), "refused")
    assert "keys.release" in refused(wrong, EXIT_KEY_STORE, "key_mismatch")["detail"]
    assert not (tmp_path / "refused").exists()
