"""`warden fetch` with keyless Sigstore signers in the trust policy.

- A model signed keylessly by the real `model_signing` v1.1.0 (model-transparency's own vector,
  against the public-good instance) goes live when `keyless_identities` names its signer, and
  is refused for any other identity, issuer or trusted root.
- Attestations signed keylessly (Sigstore bundles from a private test instance,
  tools/mini_sigstore.py, that sigstore-python itself accepts) count for the predicate types
  whose rule names their identity, and for no other.
"""

from __future__ import annotations

import base64
import json
import shutil
import time
from pathlib import Path

import pytest

from test_sigstore_conformance import suite_or_skip
from trust_tools import (
    EXIT_ATTESTATION,
    EXIT_INTEGRITY,
    EXIT_SIGNATURE,
    copy_churn_model,
    model_signing,
    push_artifact as push,
    refused,
    require_trust_venv,
    trust_python,
    warden,
)

MAINTAINER = {"identity": "stefanb@us.ibm.com", "issuer": "https://sigstore.verify.ibm.com/oauth2"}


def fetch(root: Path, ref: str, digest: str, policy: str, dest: str = "installed"):
    (root / "trust.yaml").write_text(policy)
    return warden("fetch", "--model", ref, "--trust", root / "trust.yaml", "--dest", root / dest, "--expected-digest", digest, "--json")


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


# --- Keyless attestations from a private Sigstore instance --------------------------------------

RELEASE_MANAGER = ("rm@acme.example", "https://accounts.google.com")
CI_RELEASE = ("https://github.com/acme/models/.github/workflows/release.yml@refs/tags/v1.0", "https://token.actions.githubusercontent.com")


class MiniWorld:
    """A key-signed churn model in an OCI layout, and a private Sigstore instance."""

    def __init__(self, root: Path):
        self.root = root
        self.sigstore = root / "sigstore"
        result = trust_python("mini_sigstore.py", "init", self.sigstore)
        assert result.returncode == 0, result.stderr
        (root / "keys").mkdir()
        assert warden("keygen", "--out", root / "keys" / "author").returncode == 0
        self.model = copy_churn_model(root / "churn")
        self.signature = root / "churn.sig"
        assert warden("sign", self.model, "--private-key", root / "keys" / "author.key", "--signature", self.signature).returncode == 0
        self.ref = f"oci:{root / 'registry'}:churn-v1"
        self.digest = push(self.model, self.ref, self.signature)

    def sign_statement(self, statement: dict, signer: tuple[str, str], name: str) -> Path:
        payload = self.root / f"{name}.statement.json"
        payload.write_text(json.dumps(statement))
        out = self.root / f"{name}.sigstore.json"
        result = trust_python(
            "mini_sigstore.py", "sign-dsse", self.sigstore, "--identity", signer[0], "--issuer", signer[1],
            "--payload-type", "application/vnd.in-toto+json", "--payload", payload, "--out", out, "--timestamp",
        )
        assert result.returncode == 0, result.stderr
        return out

    def approval(self, signer: tuple[str, str], name: str, digest: str | None = None) -> Path:
        statement = {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "churn", "digest": {"sha256": (digest or self.digest).removeprefix("sha256:")}}],
            "predicateType": "https://warden.dev/attestations/approval/v1",
            "predicate": {"stage": "Approved", "approver": signer[0], "approved_at": "2026-11-27T00:00:00Z"},
        }
        return self.sign_statement(statement, signer, name)

    def policy(self, model_signers: str = "[author]", approval_signers: str = "[release-manager]", extra: str = "") -> str:
        return (
            "keys:\n  author: {public_key: keys/author.pub}\n"
            "keyless_identities:\n"
            f"  release-manager: {{identity: {RELEASE_MANAGER[0]}, issuer: '{RELEASE_MANAGER[1]}'}}\n"
            f"  ci-release: {{identity: '{CI_RELEASE[0]}', issuer: '{CI_RELEASE[1]}'}}\n{extra}"
            f"sigstore: {{trusted_root: {self.sigstore / 'trusted_root.json'}}}\n"
            f"model_signers: {model_signers}\nattestations:\n  approval: {{signers: {approval_signers}}}\n"
        )


@pytest.fixture
def mini(tmp_path) -> MiniWorld:
    require_trust_venv()
    return MiniWorld(tmp_path)


def test_a_keyless_approval_counts_for_its_identity(mini):
    bundle = mini.approval(RELEASE_MANAGER, "approval")
    # The oracle: sigstore-python accepts the same bundle against the same root.
    oracle = trust_python(
        "mini_sigstore.py", "verify", mini.sigstore, "--bundle", bundle, "--identity", RELEASE_MANAGER[0],
        "--issuer", RELEASE_MANAGER[1], "--dsse",
    )
    assert oracle.returncode == 0, oracle.stdout + oracle.stderr
    assert push(mini.model, mini.ref, None, bundle) == mini.digest
    result = fetch(mini.root, mini.ref, mini.digest, mini.policy())
    assert result.returncode == 0, result.stdout + result.stderr
    receipt = json.loads((mini.root / "installed" / ".warden" / "receipt.json").read_text())
    approval = receipt["input"]["model"]["attestations"]["approval"]
    assert approval["signer"] == "release-manager" and approval["predicate"]["stage"] == "Approved"


def test_a_keyless_approval_by_another_identity_does_not_count(mini):
    push(mini.model, mini.ref, None, mini.approval(("intruder@acme.example", RELEASE_MANAGER[1]), "intruder"))
    document = refused(fetch(mini.root, mini.ref, mini.digest, mini.policy()), EXIT_ATTESTATION, "attestation_missing")
    assert "intruder@acme.example" in document["detail"]


def test_a_keyless_identity_counts_only_for_the_predicate_types_it_is_named_for(mini):
    push(mini.model, mini.ref, None, mini.approval(RELEASE_MANAGER, "approval"))
    # release-manager may sign scans here, not approvals: its approval is no approval.
    policy = mini.policy(approval_signers="[ci-release]", extra="") + "  scan: {signers: [release-manager], required: false}\n"
    refused(fetch(mini.root, mini.ref, mini.digest, policy), EXIT_ATTESTATION, "attestation_missing")


def test_a_keyless_approval_about_another_artifact_is_refused(mini):
    other = "sha256:" + "ab" * 32
    push(mini.model, mini.ref, None, mini.approval(RELEASE_MANAGER, "other", digest=other))
    refused(fetch(mini.root, mini.ref, mini.digest, mini.policy()), EXIT_INTEGRITY, "subject_mismatch")


def test_a_tampered_keyless_approval_is_refused(mini):
    bundle = mini.approval(RELEASE_MANAGER, "approval")
    document = json.loads(bundle.read_text())
    statement = json.loads(base64.b64decode(document["dsseEnvelope"]["payload"]))
    statement["predicate"]["stage"] = "Production"
    document["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    bundle.write_text(json.dumps(document))
    push(mini.model, mini.ref, None, bundle)
    refused(fetch(mini.root, mini.ref, mini.digest, mini.policy()), EXIT_ATTESTATION, "attestation_missing")


def test_the_keyless_author_of_a_model_cannot_approve_it(mini):
    """A model signed keylessly by CI (model_signing's statement, re-signed through the private
    instance), approved by the same identity under another policy name: refused."""
    statement = json.loads(base64.b64decode(json.loads(mini.signature.read_text())["dsseEnvelope"]["payload"]))
    keyless_model = mini.sign_statement(statement, CI_RELEASE, "model")
    ref = f"oci:{mini.root / 'registry'}:churn-keyless"
    digest = push(mini.model, ref, keyless_model, mini.approval(CI_RELEASE, "self-approval"))
    assert digest == mini.digest  # same files, same manifest: the referrers are added to it
    extra = f"  any-ci: {{identity_regexp: 'https://github\\.com/acme/.*', issuer: '{CI_RELEASE[1]}'}}\n"
    policy = mini.policy(model_signers="[ci-release]", approval_signers="[any-ci]", extra=extra)
    document = refused(fetch(mini.root, ref, digest, policy), EXIT_ATTESTATION, "attestation_rejected")
    assert "author cannot approve" in document["detail"]


# --- `warden verify sigstore` beside `model_signing verify sigstore` ---------------------------


def client_trust_config(trusted_root: Path, out: Path) -> Path:
    """model_signing's --trust_config: the trusted root inside a ClientTrustConfig, so the real
    tool verifies offline against exactly the root Warden is given."""
    signing = {
        "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
        "caUrls": [], "oidcUrls": [], "rekorTlogUrls": [], "tsaUrls": [],
        "rekorTlogConfig": {"selector": "ANY"}, "tsaConfig": {"selector": "ANY"},
    }
    config = {
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": json.loads(trusted_root.read_text()), "signingConfig": signing,
    }
    out.write_text(json.dumps(config))
    return out


def both_verify(model: Path, signature: Path, signer: tuple[str, str], trusted_root: Path, tmp: Path, ignore: list[Path]) -> tuple[int, int]:
    ignored = [arg for path in ignore for arg in ("--ignore-paths", path)]
    ours = warden(
        "verify", "sigstore", model, "--signature", signature, *ignored, "--certificate-identity", signer[0],
        "--certificate-oidc-issuer", signer[1], "--trusted-root", trusted_root,
    )
    theirs = model_signing(
        "verify", "sigstore", "--trust_config", client_trust_config(trusted_root, tmp / "trust-config.json"), "--signature", signature,
        *ignored, "--identity", signer[0], "--identity_provider", signer[1], model,
    )
    return ours.returncode, theirs.returncode


@pytest.mark.parametrize("vector", ["v0.3.1-sigstore", "v1.0.0-sigstore", "v1.0.1-sigstore", "v1.1.0-sigstore"])
def test_warden_and_model_signing_agree_on_the_keyless_vectors(vector, tmp_path):
    require_trust_venv()
    suites = suite_or_skip()
    folder = suites.parent / "signing-vectors" / "model-transparency" / vector
    public_good = suites / "trusted_root.public-good.json"
    signer = (MAINTAINER["identity"], MAINTAINER["issuer"])
    ignore = [folder / "ignore-me"] if (folder / "ignore-me").exists() else []
    assert both_verify(folder, folder / "model.sig", signer, public_good, tmp_path, ignore) == (0, 0)
    ours, theirs = both_verify(folder, folder / "model.sig", ("someone@us.ibm.com", signer[1]), public_good, tmp_path, ignore)
    assert ours == EXIT_SIGNATURE and theirs != 0
    tampered = tmp_path / "model"
    shutil.copytree(folder, tampered)
    (tampered / "signme-1").chmod(0o644)
    (tampered / "signme-1").write_text("tampered")
    ignore = [tampered / "ignore-me"] if (tampered / "ignore-me").exists() else []
    ours, theirs = both_verify(tampered, folder / "model.sig", signer, public_good, tmp_path, ignore)
    assert ours == EXIT_INTEGRITY and theirs != 0


def test_warden_and_model_signing_agree_on_a_model_signed_through_a_private_instance(mini):
    statement = json.loads(base64.b64decode(json.loads(mini.signature.read_text())["dsseEnvelope"]["payload"]))
    keyless = mini.sign_statement(statement, CI_RELEASE, "model")
    root = mini.sigstore / "trusted_root.json"
    assert both_verify(mini.model, keyless, CI_RELEASE, root, mini.root, []) == (0, 0)
    ours, theirs = both_verify(mini.model, keyless, RELEASE_MANAGER, root, mini.root, [])
    assert ours == EXIT_SIGNATURE and theirs != 0
