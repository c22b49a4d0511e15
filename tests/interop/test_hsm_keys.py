"""Keys that never leave an HSM: a SoftHSM2 token made by the tests, keys generated inside it
with pkcs11-tool, and Warden signing and verifying through `pkcs11:` URIs. Interop runs both
ways with the real model_signing CLI (`sign pkcs11-key`, `verify key`), and each signature is
also checked by openssl. Every way a token can fail has its own code and exit status 17."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path

import pytest
import requests

from dsse_check import openssl_verifies
from softhsm import MODULE, Token
from trust_tools import (
    EXIT_INPUT,
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
def token(tmp_path_factory) -> Token:
    token = Token(tmp_path_factory.mktemp("softhsm"))
    token.keypair("author", "EC:prime256v1", "11")
    token.keypair("approver", "EC:secp384r1", "12")
    token.keypair("security", "EC:prime256v1", "13")
    token.keypair("rsa-signer", "rsa:2048", "14")
    token.keypair("bitcoin-curve", "EC:secp256k1", "15")
    return token


@pytest.fixture
def model(tmp_path) -> Path:
    return copy_churn_model(tmp_path / "churn")


def fingerprint(pem: Path) -> str:
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", pem, "-outform", "DER"], capture_output=True, check=True).stdout
    return "sha256:" + hashlib.sha256(der).hexdigest()


@pytest.mark.parametrize("label,digest", [("author", "sha256"), ("approver", "sha384")])
def test_warden_signs_in_the_token_and_model_signing_verifies(token, model, tmp_path, label, digest):
    require_trust_venv()
    signature = tmp_path / "model.sig"
    signed = warden("sign", model, "--private-key", token.uri(label), "--signature", signature, env=token.env)
    assert signed.returncode == 0, signed.stderr
    public = token.public_pem(label)
    verified = model_signing("verify", "key", model, "--signature", signature, "--public_key", public)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert openssl_verifies(signature, public, tmp_path, digest=digest)
    # Warden reads the public key from the token itself: no PIN, no exported file.
    own = warden("verify", "key", model, "--signature", signature, "--public-key", token.uri(label, pin=False), env=token.env)
    assert own.returncode == 0 and "Verification succeeded" in own.stdout, own.stdout + own.stderr
    assert str(token.pin_file) not in own.stdout + own.stderr


@pytest.mark.parametrize("label", ["author", "approver"])
def test_model_signing_signs_in_the_token_and_warden_verifies(token, model, tmp_path, label):
    require_trust_venv()
    signature = tmp_path / "model.sig"
    signed = model_signing("sign", "pkcs11-key", model, "--signature", signature, "--pkcs11_uri", token.uri(label, raw_pin=True),
                           env=token.env)
    assert signed.returncode == 0, signed.stdout + signed.stderr
    for key in (token.uri(label, pin=False), token.public_pem(label)):
        verified = warden("verify", "key", model, "--signature", signature, "--public-key", key, "--json", env=token.env)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert json.loads(verified.stdout)["verified"] is True
    # Another key of the same token does not verify it.
    other = warden("verify", "key", model, "--signature", signature, "--public-key", token.uri("security", pin=False), "--json",
                   env=token.env)
    assert other.returncode == 11 and json.loads(other.stdout)["code"] == "untrusted_key", other.stdout


def test_rsa_keys_sign_with_pss(token, model, tmp_path):
    signature = tmp_path / "model.sig"
    signed = warden("sign", model, "--private-key", token.uri("rsa-signer"), "--signature", signature, env=token.env)
    assert signed.returncode == 0, signed.stderr
    assert openssl_verifies(signature, token.public_pem("rsa-signer"), tmp_path, pss=True)
    verified = warden("verify", "key", model, "--signature", signature, "--public-key", token.uri("rsa-signer", pin=False),
                      env=token.env)
    assert verified.returncode == 0, verified.stdout + verified.stderr


TRUST_POLICY = """\
keys:
  author: {{public_key: "{author}", fingerprint: "{author_pin}"}}
  approver: {{public_key: "{approver}"}}
  security: {{public_key: "{security}"}}
model_signers: [author]
attestations:
  approval: {{signers: [approver]}}
revocation:
  signers: [security]
  reference: revocations
"""


@pytest.mark.parametrize("signed_by", ["model_signing", "cosign"])
def test_fetch_trusts_keys_that_never_leave_the_token(token, model, tmp_path, signed_by, start_warden, monkeypatch):
    """The model signed in the token (by model_signing's pkcs11-key, or as a cosign signature by
    `warden push --cosign-key`), approved by `warden attest` and its revocation list published
    by `warden revocation publish`, all with token keys; the trust policy names all three by
    URI, the author's pinned by fingerprint."""
    require_trust_venv()
    layout = tmp_path / "registry"
    ref = f"oci:{layout}:churn-v1"
    if signed_by == "model_signing":
        signature = tmp_path / "model.sig"
        signed = model_signing("sign", "pkcs11-key", model, "--signature", signature, "--pkcs11_uri",
                               token.uri("author", raw_pin=True), env=token.env)
        assert signed.returncode == 0, signed.stderr
        digest = push_artifact(model, ref, signature)
    else:
        pushed = warden("push", model, "--to", ref, "--cosign-key", token.uri("author"), env=token.env)
        assert pushed.returncode == 0, pushed.stderr
        digest = pushed.stdout.split()[-1]
    attested = warden("attest", ref, "--private-key", token.uri("approver"), "--approve", "Approved", "--approver", "alice",
                      env=token.env)
    assert attested.returncode == 0, attested.stderr
    published = warden("revocation", "publish", "--to", f"oci:{layout}:revocations", "--private-key", token.uri("security"),
                       "--serial", "1", env=token.env)
    assert published.returncode == 0, published.stderr

    def fetch(author_pin: str, dest: str):
        policy = tmp_path / f"trust-{dest}.yaml"
        policy.write_text(TRUST_POLICY.format(
            author=token.uri("author", pin=False), author_pin=author_pin, approver=token.uri("approver", pin=False),
            security=token.uri("security", pin=False)))
        return warden("fetch", "--model", ref, "--trust", policy, "--dest", tmp_path / dest, "--expected-digest", digest, "--json",
                      env=token.env)

    good = fetch(fingerprint(token.public_pem("author")), "installed")
    assert good.returncode == 0, good.stdout + good.stderr
    receipt = json.loads((tmp_path / "installed" / ".warden" / "receipt.json").read_text())
    assert receipt["manifest_digest"] == digest and receipt["revocation_serial"] == 1
    assert receipt["input"]["model"]["attestations"]["approval"]["predicate"]["approver"] == "alice"
    # The token holds another key under that label than the one pinned: refused, nothing installed.
    wrong = fetch(fingerprint(token.public_pem("security")), "refused")
    document = refused(wrong, EXIT_KEY_STORE, "key_mismatch")
    assert "keys.author" in document["detail"] and "pinned" in document["detail"]
    assert not (tmp_path / "refused").exists()
    if signed_by == "cosign":
        return
    # warden serve reads the same policy for its live revocation watch: a list signed in the
    # token that revokes the model withdraws it.
    monkeypatch.setenv("SOFTHSM2_CONF", token.env["SOFTHSM2_CONF"])
    server = start_warden(config={
        "models": [{"directory": str(tmp_path / "installed"), "expected_digest": digest}],
        "revocation": {"list": f"oci:{layout}:revocations", "trust_policy": str(tmp_path / "trust-installed.yaml"),
                       "interval_seconds": 0.3},
    }, label="hsm-revocation")
    assert requests.get(f"{server.probe_url}/readyz", timeout=5).status_code == 200
    revoked = warden("revocation", "publish", "--to", f"oci:{layout}:revocations", "--private-key", token.uri("security"),
                     "--serial", "2", "--revoke", f"{digest}=key compromise drill", env=token.env)
    assert revoked.returncode == 0, revoked.stderr
    deadline = time.monotonic() + 5
    while requests.get(f"{server.probe_url}/readyz", timeout=5).status_code != 503:
        assert time.monotonic() < deadline, "the revoked model is still ready"
        time.sleep(0.1)



@pytest.mark.parametrize(
    "case,code,phrase",
    [
        ("module missing", "key_store_unavailable", "does not exist"),
        ("not a module", "key_store_unavailable", "is not a PKCS#11 module"),
        ("token absent", "key_store_unavailable", "no such token"),
        ("wrong PIN", "key_store_refused", "CKR_PIN_INCORRECT"),
        ("no PIN", "key_not_found", "only after login"),
        ("key not found", "key_not_found", "no private key"),
        ("wrong curve", "unsupported_key", "not P-256, P-384 or P-521"),
    ],
)
def test_each_token_failure_is_named_and_nothing_is_written(token, model, tmp_path, case, code, phrase):
    wrong_pin = tmp_path / "wrong-pin"
    wrong_pin.write_text("0000\n")
    uri = {
        "module missing": token.uri("author").replace(str(MODULE), "/usr/lib/softhsm/libmissing.so"),
        "not a module": token.uri("author").replace(str(MODULE), "/usr/lib/x86_64-linux-gnu/libz.so.1"),
        "token absent": token.uri("author").replace(f"token={token.label}", "token=elsewhere"),
        "wrong PIN": token.uri("author").replace(str(token.pin_file), str(wrong_pin)),
        "no PIN": token.uri("author", pin=False),
        "key not found": token.uri("nobody"),
        "wrong curve": token.uri("bitcoin-curve"),
    }[case]
    signature = tmp_path / "model.sig"
    result = warden("sign", model, "--private-key", uri, "--signature", signature, env=token.env)
    assert phrase in refused_line(result, EXIT_KEY_STORE, code)
    assert not signature.exists()
    # The PIN file's path is in the URI's query, which messages leave out.
    assert str(token.pin_file) not in result.stderr


def test_a_pin_in_the_uri_is_refused(token, model, tmp_path):
    uri = token.uri("author", pin=False) + "&pin-value=2718"
    result = warden("sign", model, "--private-key", uri, "--signature", tmp_path / "model.sig", env=token.env)
    assert "pin-value is refused" in refused_line(result, EXIT_INPUT, "malformed_key")
    assert "2718" not in result.stderr


def test_a_public_key_of_the_wrong_curve_is_refused_for_verification(token, model, tmp_path):
    signature = tmp_path / "model.sig"
    assert warden("sign", model, "--private-key", token.uri("author"), "--signature", signature, env=token.env).returncode == 0
    result = warden("verify", "key", model, "--signature", signature, "--public-key", token.uri("bitcoin-curve", pin=False), "--json",
                    env=token.env)
    assert refused(result, EXIT_KEY_STORE, "unsupported_key")
