"""Warden against a real OCI registry (Debian's docker-registry 2.8, which has no referrers API):
push, attach, fetch through the referrers-tag fallback, cosign's `.sig` tag scheme, integrity
attacks on the registry's storage, and Basic authentication."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from registry import start_registry
from trust_tools import EXIT_INTEGRITY, EXIT_REGISTRY, copy_churn_model, require_trust_venv, trust_python, warden

TRUST = """\
keys:
  author: {public_key: author.pub}
  approver: {public_key: approver.pub}
  security: {public_key: security.pub}
model_signers: [author]
attestations:
  approval: {signers: [approver]}
revocation:
  signers: [security]
  reference: revocations
"""


@pytest.fixture
def registry(tmp_path):
    running = start_registry(tmp_path / "registry")
    yield running
    running.stop()


@pytest.fixture
def keys(tmp_path) -> Path:
    for name in ("author", "approver", "security"):
        assert warden("keygen", "--out", tmp_path / name).returncode == 0
    (tmp_path / "trust.yaml").write_text(TRUST)
    return tmp_path


def publish(keys: Path, ref: str, *, signature: bool = True, cosign: bool = False, credentials: Path | None = None,
            extra: list[str] | tuple[str, ...] = ()) -> str:
    """Signs, pushes, approves the churn model at `ref` and publishes a revocation list."""
    require_trust_venv()
    creds = (["--registry-credentials", str(credentials)] if credentials else []) + list(extra)
    model = copy_churn_model(keys / f"model-{abs(hash(ref))}")
    args = ["push", model, "--to", ref, *creds]
    if signature:
        sig = keys / "model.sig"
        assert warden("sign", model, "--private-key", keys / "author.key", "--signature", sig).returncode == 0
        args += ["--signature", sig]
    if cosign:
        args += ["--cosign-key", keys / "author.key"]
    pushed = warden(*args)
    assert pushed.returncode == 0, pushed.stderr
    digest = pushed.stdout.split()[-1]
    envelope = keys / "approval.json"
    made = trust_python("attest.py", "approval", keys / "approver.key", digest, envelope, "--stage", "Approved", "--approver", "alice")
    assert made.returncode == 0, made.stderr
    attached = warden("push", model, "--to", ref, "--attestation", envelope, *creds)
    assert attached.returncode == 0, attached.stderr
    repository = ref.rsplit(":", 1)[0]
    revocations = warden(
        "revocation", "publish", "--to", f"{repository}:revocations", "--private-key", keys / "security.key", "--serial", "1", *creds
    )
    assert revocations.returncode == 0, revocations.stderr
    return digest


def fetch(keys: Path, ref: str, digest: str, dest: str = "installed", *extra: str):
    return warden("fetch", "--model", ref, "--trust", keys / "trust.yaml", "--expected-digest", digest, "--dest", keys / dest, "--json", *extra)


def test_push_and_fetch_through_a_registry_without_referrers_api(registry, keys):
    ref = f"{registry.host}/models/churn:v1"
    digest = publish(keys, ref)
    # Distribution 2.8 has no referrers API; Warden fell back to the referrers tag.
    assert requests.get(registry.url(f"/v2/models/churn/referrers/{digest}"), timeout=5).status_code == 404
    tags = requests.get(registry.url("/v2/models/churn/tags/list"), timeout=5).json()["tags"]
    assert f"sha256-{digest.split(':')[1]}" in tags
    index = requests.get(
        registry.url(f"/v2/models/churn/manifests/sha256-{digest.split(':')[1]}"),
        headers={"Accept": "application/vnd.oci.image.index.v1+json"}, timeout=5,
    ).json()
    assert {m["artifactType"] for m in index["manifests"]} == {
        "application/vnd.dev.sigstore.bundle.v0.3+json", "application/vnd.dsse.envelope.v1+json",
    }
    result = fetch(keys, ref, digest)
    assert result.returncode == 0, result.stdout + result.stderr
    receipt = json.loads(result.stdout)["receipt"]
    assert receipt["manifest_digest"] == digest and receipt["input"]["model"]["stage"] == "Approved"


def test_model_artifact_manifest_has_one_titled_layer_per_file(registry, keys):
    digest = publish(keys, f"{registry.host}/models/churn:v1")
    manifest = requests.get(
        registry.url(f"/v2/models/churn/manifests/{digest}"), headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}, timeout=5
    ).json()
    assert manifest["artifactType"] == "application/vnd.warden.model.v1"
    assert manifest["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
    assert sorted(layer["annotations"]["org.opencontainers.image.title"] for layer in manifest["layers"]) == [
        "model.onnx", "warden-model.json",
    ]


def test_cosign_signature_on_the_sig_tag_is_accepted(registry, keys):
    ref = f"{registry.host}/models/churn:cosign"
    digest = publish(keys, ref, signature=False, cosign=True)
    sig = requests.get(
        registry.url(f"/v2/models/churn/manifests/sha256-{digest.split(':')[1]}.sig"),
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}, timeout=5,
    ).json()
    layer = sig["layers"][0]
    assert layer["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
    payload = requests.get(registry.url(f"/v2/models/churn/blobs/{layer['digest']}"), timeout=5).json()
    assert payload["critical"]["image"]["docker-manifest-digest"] == digest
    assert payload["critical"]["type"] == "cosign container image signature"
    # The signature verifies with plain `cryptography`, as cosign verify would check it.
    public = serialization.load_pem_public_key((keys / "author.pub").read_bytes())
    raw = requests.get(registry.url(f"/v2/models/churn/blobs/{layer['digest']}"), timeout=5).content
    public.verify(base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"]), raw, ec.ECDSA(hashes.SHA256()))
    result = fetch(keys, ref, digest)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["receipt"]["signature_bundle_version"] == "cosign-simple-signing"


def test_cosign_signature_made_outside_warden_is_accepted(registry, keys):
    """A `.sig` tag written by this test in cosign's exact layout, signed with `cryptography`."""
    ref = f"{registry.host}/models/churn:external"
    digest = publish(keys, ref, signature=False)
    payload = json.dumps({
        "critical": {
            "identity": {"docker-reference": f"{registry.host}/models/churn"},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": None,
    }, separators=(",", ":")).encode()
    key = serialization.load_pem_private_key((keys / "author.key").read_bytes(), password=None)
    signature = base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
    payload_digest = "sha256:" + hashlib.sha256(payload).hexdigest()
    config = json.dumps({"architecture": "", "os": "", "rootfs": {"type": "layers", "diff_ids": [payload_digest]}, "config": {}}).encode()
    put_cosign_tag(registry, digest, "sig", config, "application/vnd.dev.cosign.simplesigning.v1+json", payload,
                   {"dev.cosignproject.cosign/signature": signature})
    result = fetch(keys, ref, digest)
    assert result.returncode == 0, result.stdout + result.stderr


def put_cosign_tag(registry, subject: str, suffix: str, config: bytes, layer_type: str, layer: bytes, annotations: dict) -> None:
    """Writes a one-layer manifest under cosign's `sha256-<hex>.<suffix>` tag, as cosign does."""
    layer_digest = upload_blob(registry, layer)
    config_digest = upload_blob(registry, config)
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": layer_type, "digest": layer_digest, "size": len(layer), "annotations": annotations}],
    }
    response = requests.put(
        registry.url(f"/v2/models/churn/manifests/sha256-{subject.split(':')[1]}.{suffix}"), data=json.dumps(manifest),
        headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, timeout=5,
    )
    assert response.status_code == 201, response.text


def upload_blob(registry, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    session = requests.post(registry.url("/v2/models/churn/blobs/uploads/"), timeout=5)
    location = session.headers["Location"]
    location = location if location.startswith("http") else registry.url(location)
    separator = "&" if "?" in location else "?"
    assert requests.put(f"{location}{separator}digest={digest}", data=data, timeout=5).status_code == 201
    return digest


def test_tag_moved_to_another_digest_is_refused(registry, keys):
    ref = f"{registry.host}/models/churn:v1"
    digest = publish(keys, ref)
    moved = copy_churn_model(keys / "moved")
    (moved / "extra.txt").write_text("moved")
    assert warden("push", moved, "--to", ref).returncode == 0
    result = fetch(keys, ref, digest)
    assert result.returncode == EXIT_INTEGRITY and json.loads(result.stdout)["code"] == "digest_mismatch"
    assert not (keys / "installed").exists()


def test_blob_altered_in_registry_storage_is_refused(registry, keys):
    ref = f"{registry.host}/models/churn:v1"
    digest = publish(keys, ref)
    manifest = requests.get(
        registry.url(f"/v2/models/churn/manifests/{digest}"), headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}, timeout=5
    ).json()
    onnx = next(layer for layer in manifest["layers"] if layer["annotations"]["org.opencontainers.image.title"] == "model.onnx")
    blob = registry.blob_file(onnx["digest"])
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0x01
    blob.write_bytes(bytes(data))
    result = fetch(keys, ref, digest)
    assert result.returncode == EXIT_INTEGRITY, result.stdout + result.stderr
    assert json.loads(result.stdout)["code"] == "digest_mismatch"
    assert not (keys / "installed").exists()


@pytest.fixture
def auth_registry(tmp_path):
    (tmp_path / "auth").mkdir()
    htpasswd = tmp_path / "auth" / "htpasswd"
    made = subprocess.run(["htpasswd", "-Bbn", "ci-robot", "s3cret-pass"], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.fail(f"htpasswd (apache2-utils) failed: {made.stderr}")
    htpasswd.write_text(made.stdout)
    running = start_registry(tmp_path / "auth", htpasswd)
    credentials = tmp_path / "auth" / "config.json"
    token = base64.b64encode(b"ci-robot:s3cret-pass").decode()
    credentials.write_text(json.dumps({"auths": {running.host: {"auth": token}}}))
    yield running, credentials
    running.stop()


def test_basic_auth_registry_needs_the_credentials_file(auth_registry, keys):
    registry, credentials = auth_registry
    ref = f"{registry.host}/models/churn:v1"
    anonymous = warden("push", copy_churn_model(keys / "anon"), "--to", ref)
    assert anonymous.returncode != 0 and "credentials" in anonymous.stderr
    digest = publish(keys, ref, credentials=credentials)
    denied = fetch(keys, ref, digest, "denied")
    assert denied.returncode == EXIT_REGISTRY and json.loads(denied.stdout)["code"] == "registry_error"
    allowed = fetch(keys, ref, digest, "allowed", "--registry-credentials", str(credentials))
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    # The password never reaches the output.
    assert "s3cret-pass" not in allowed.stdout + allowed.stderr + denied.stdout + denied.stderr


@pytest.fixture
def token_registry(tmp_path):
    from token_server import TokenServer

    (tmp_path / "token").mkdir()
    tokens = TokenServer(tmp_path / "token", "ci-robot", "t0ken-pass")
    running = start_registry(tmp_path / "token", token_auth=tokens.registry_auth())
    credentials = tmp_path / "token" / "config.json"
    credentials.write_text(json.dumps({"auths": {running.host: {"username": "ci-robot", "password": "t0ken-pass"}}}))
    yield running, tokens, credentials
    running.stop()
    tokens.stop()


def test_bearer_token_registry_is_reached_through_the_token_service(token_registry, keys):
    registry, tokens, credentials = token_registry
    ref = f"{registry.host}/models/churn:v1"
    assert requests.get(registry.url("/v2/"), timeout=5).headers["WWW-Authenticate"].startswith("Bearer ")
    digest = publish(keys, ref, credentials=credentials)
    result = fetch(keys, ref, digest, "installed", "--registry-credentials", str(credentials))
    assert result.returncode == 0, result.stdout + result.stderr
    assert any("scope=repository%3Amodels%2Fchurn" in path for path in tokens.requests)
    denied = fetch(keys, ref, digest, "denied")
    assert denied.returncode == EXIT_REGISTRY
    assert "t0ken-pass" not in result.stdout + result.stderr + denied.stdout + denied.stderr


def test_attestation_under_the_cosign_att_tag_is_read(registry, keys):
    """cosign attest stores DSSE envelopes as layers of the `sha256-<hex>.att` tag."""
    require_trust_venv()
    ref = f"{registry.host}/models/churn:att"
    model = copy_churn_model(keys / "att-model")
    sig = keys / "att.sig"
    assert warden("sign", model, "--private-key", keys / "author.key", "--signature", sig).returncode == 0
    pushed = warden("push", model, "--to", ref, "--signature", sig)
    assert pushed.returncode == 0, pushed.stderr
    digest = pushed.stdout.split()[-1]
    envelope = keys / "att-approval.json"
    made = trust_python("attest.py", "approval", keys / "approver.key", digest, envelope, "--stage", "Approved", "--approver", "carol")
    assert made.returncode == 0, made.stderr
    put_cosign_tag(registry, digest, "att", b"{}", "application/vnd.dsse.envelope.v1+json", envelope.read_bytes(),
                   {"predicateType": "https://warden.dev/attestations/approval/v1"})
    assert warden("revocation", "publish", "--to", f"{registry.host}/models/churn:revocations", "--private-key",
                  keys / "security.key", "--serial", "1").returncode == 0
    result = fetch(keys, ref, digest)
    assert result.returncode == 0, result.stdout + result.stderr
    approval = json.loads(result.stdout)["receipt"]["input"]["model"]["attestations"]["approval"]
    assert approval["predicate"]["approver"] == "carol"


def test_kserve_storage_initializer_form_installs_the_pinned_artifact(registry, keys):
    """KServe runs a ClusterStorageContainer with two arguments, the InferenceService's
    storageUri and the folder it mounts (deploy/kubernetes/kserve): Warden's scheme carries
    the pin, the model goes into FOLDER/model, and a URI without a digest is refused."""
    ref = f"{registry.host}/models/churn:v1"
    digest = publish(keys, ref)
    mount = keys / "mnt-models"
    mount.mkdir()  # KServe's emptyDir exists before the initializer runs
    uri = f"warden://{registry.host}/models/churn@{digest}"
    result = warden("fetch", "--trust", keys / "trust.yaml", "--json", uri, mount)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["receipt"]["manifest_digest"] == digest
    assert (mount / "model" / "model.onnx").is_file()

    for bad in (f"warden://{ref}", f"oci://{registry.host}/models/churn@{digest}", f"warden://oci:{keys}:v1"):
        other = keys / f"mnt-{abs(hash(bad))}"
        other.mkdir()
        refused = warden("fetch", "--trust", keys / "trust.yaml", "--json", bad, other)
        assert refused.returncode != 0 and "storage URI" in refused.stdout + refused.stderr, (bad, refused.stdout, refused.stderr)
        assert list(other.iterdir()) == []
    mismatched = warden("fetch", "--trust", keys / "trust.yaml", "--expected-digest", "sha256:" + "0" * 64, uri, keys / "mnt-pin")
    assert mismatched.returncode != 0 and "differs from the storage URI" in mismatched.stdout + mismatched.stderr
