"""`warden fetch` with keyless Sigstore signers in the trust policy.

- A model signed keylessly by the real `model_signing` v1.1.0 (model-transparency's own vector,
  against the public-good instance) goes live when `keyless_identities` names its signer, and
  is refused for any other identity, issuer or trusted root.
- Attestations signed keylessly (Sigstore bundles from a private test instance,
  tools/mini_sigstore.py, that sigstore-python itself accepts) count for the predicate types
  whose rule names their identity, and for no other.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from test_sigstore_conformance import suite_or_skip
from trust_tools import EXIT_ATTESTATION, EXIT_SIGNATURE, require_trust_venv, trust_python, warden

MAINTAINER = {"identity": "stefanb@us.ibm.com", "issuer": "https://sigstore.verify.ibm.com/oauth2"}


def push(model: Path, ref: str, signature: Path | None, *attestations: Path) -> str:
    args = ["push", model, "--to", ref]
    if signature:
        args += ["--signature", signature]
    if attestations:
        args += ["--attestation", *attestations]
    result = warden(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-1]


def fetch(root: Path, ref: str, digest: str, policy: str, dest: str = "installed"):
    (root / "trust.yaml").write_text(policy)
    return warden("fetch", "--model", ref, "--trust", root / "trust.yaml", "--dest", root / dest, "--expected-digest", digest, "--json")


def refused(result, status: int, code: str) -> dict:
    assert result.returncode == status, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["verified"] is False and document["code"] == code, document
    return document


def approve(root: Path, key: str, digest: str) -> Path:
    out = root / f"approval-{key}-{time.monotonic_ns()}.json"
    result = trust_python("attest.py", "approval", root / "keys" / f"{key}.key", digest, out, "--stage", "Approved", "--approver", "alice")
    assert result.returncode == 0, result.stderr
    return out


# --- A model signed keylessly against the public-good instance ---------------------------------


@pytest.fixture(scope="module")
def vector_world(tmp_path_factory):
    """model_signing v1.1.0's keyless vector pushed with its signature, approved with a key."""
    require_trust_venv()
    vector = suite_or_skip().parent / "signing-vectors" / "model-transparency" / "v1.1.0-sigstore"
    root = tmp_path_factory.mktemp("keyless")
    (root / "keys").mkdir()
    for key in ("author", "approver"):
        assert warden("keygen", "--out", root / "keys" / key).returncode == 0
    model = root / "model"
    model.mkdir()
    for name in ("signme-1", "signme-2"):
        shutil.copyfile(vector / name, model / name)
    ref = f"oci:{root / 'registry'}:maintainer-v1"
    digest = push(model, ref, vector / "model.sig")
    assert push(model, ref, None, approve(root, "approver", digest)) == digest
    return root, ref, digest


def vector_policy(identity: str = "identity: stefanb@us.ibm.com", issuer: str = "issuer: https://sigstore.verify.ibm.com/oauth2",
                  extra: str = "") -> str:
    return (
        "keys:\n  approver: {public_key: keys/approver.pub}\n"
        f"keyless_identities:\n  maintainer:\n    {identity}\n    {issuer}\n{extra}"
        "model_signers: [maintainer]\nattestations:\n  approval: {signers: [approver]}\n"
    )


def test_a_keylessly_signed_model_goes_live_for_its_identity(vector_world):
    root, ref, digest = vector_world
    result = fetch(root, ref, digest, vector_policy(), dest="live")
    assert result.returncode == 0, result.stdout + result.stderr
    receipt = json.loads((root / "live" / ".warden" / "receipt.json").read_text())
    assert receipt["decision"]["permit"] is True
    signer = receipt["input"]["model"]["signatures"]["signer"]
    assert signer == f"keyless {MAINTAINER['identity']} (OIDC issuer {MAINTAINER['issuer']})"
    assert sorted(p.name for p in (root / "live").iterdir()) == [".warden", "signme-1", "signme-2"]


def test_an_identity_pattern_matches_the_whole_identity(vector_world):
    root, ref, digest = vector_world
    assert fetch(root, ref, digest, vector_policy(identity=r"identity_regexp: '[a-z]+@us\.ibm\.com'"), dest="pattern").returncode == 0
    result = fetch(root, ref, digest, vector_policy(identity="identity_regexp: stefanb"), dest="partial")
    refused(result, EXIT_SIGNATURE, "identity_mismatch")
    assert not (root / "partial").exists()


@pytest.mark.parametrize(
    "identity, issuer",
    [
        ("identity: someone-else@us.ibm.com", "issuer: https://sigstore.verify.ibm.com/oauth2"),
        ("identity: stefanb@us.ibm.com", "issuer: https://accounts.google.com"),
    ],
)
def test_another_identity_or_issuer_is_refused(vector_world, identity, issuer):
    root, ref, digest = vector_world
    refused(fetch(root, ref, digest, vector_policy(identity, issuer), dest="other"), EXIT_SIGNATURE, "identity_mismatch")
    assert not (root / "other").exists()


def test_another_trusted_root_does_not_vouch_for_public_good_signatures(vector_world):
    root, ref, digest = vector_world
    staging = suite_or_skip() / "trusted_root.staging.json"
    result = fetch(root, ref, digest, vector_policy(extra=f"sigstore: {{trusted_root: {staging}}}\n"), dest="staging")
    assert result.returncode == EXIT_SIGNATURE, result.stdout + result.stderr
    assert not (root / "staging").exists()


def test_a_keyless_signature_does_not_count_for_key_signers(vector_world):
    root, ref, digest = vector_world
    policy = (
        "keys:\n  author: {public_key: keys/author.pub}\n  approver: {public_key: keys/approver.pub}\n"
        "model_signers: [author]\nattestations:\n  approval: {signers: [approver]}\n"
    )
    refused(fetch(root, ref, digest, policy, dest="keys-only"), EXIT_SIGNATURE, "untrusted_key")
