"""`warden fetch` end to end on an OCI image layout: a model signed with `warden sign`, approval
and scan attestations made with in-toto + securesystemslib, a CycloneDX SBOM from cyclonedx-py,
a signed revocation list; then every attack in the matrix, each refused with its own reason and
nothing left behind."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conftest import REPO_ROOT, warden_binary
from test_monitoring import LIVE_REVOCATION_METRICS
from test_resilience import metric

from trust_tools import (
    EXIT_ATTESTATION,
    EXIT_INPUT,
    EXIT_INTEGRITY,
    EXIT_POLICY,
    EXIT_REVOCATION,
    EXIT_SIGNATURE,
    TRUST_VENV,
    copy_churn_model,
    push_artifact,
    refused,
    require_trust_venv,
    trust_python,
    warden,
)

TRUST_POLICY = """\
keys:
  author: {public_key: keys/author.pub}
  approver: {public_key: keys/approver.pub}
  scanner: {public_key: keys/scanner.pub}
  security: {public_key: keys/security.pub}
  ops: {public_key: keys/ops.pub}
model_signers: [author]
policy_signers: [ops]
attestations:
  approval: {signers: [approver]}
  scan: {signers: [scanner], max_severity: high}
  sbom: {signers: [scanner, author]}
revocation:
  signers: [security]
  reference: revocations
  state_file: revocation-serial
"""


@dataclass
class World:
    root: Path
    layout: Path
    digest: str

    @property
    def trust(self) -> Path:
        return self.root / "trust.yaml"

    def key(self, name: str) -> Path:
        return self.root / "keys" / f"{name}.key"

    def ref(self, tag: str = "churn-v1") -> str:
        return f"oci:{self.layout}:{tag}"

    def fetch(self, *extra: str, dest: str = "installed", ref: str | None = None, pin: str | None = "default"):
        pin_args = [] if pin is None else ["--expected-digest", self.digest if pin == "default" else pin]
        return warden(
            "fetch", "--model", ref or self.ref(), "--trust", self.trust, "--dest", self.root / dest, "--json", *pin_args, *extra
        )

    def attest(self, kind: str, key: str, *args: str, digest: str | None = None) -> Path:
        out = self.root / f"{kind}-{key}-{time.monotonic_ns()}.json"
        result = trust_python("attest.py", kind, self.key(key), digest or self.digest, out, *args)
        assert result.returncode == 0, result.stderr
        return out

    def publish_revocations(self, serial: int, *revoke: str, key: str = "security", valid_for: int = 3600):
        result = warden(
            "revocation", "publish", "--to", f"oci:{self.layout}:revocations", "--private-key", self.key(key),
            "--serial", str(serial), "--valid-for", str(valid_for), *(["--revoke", *revoke] if revoke else []),
        )
        assert result.returncode == 0, result.stderr


def push(world: World, model: Path, tag: str, signature: Path | None, *attestations: Path, checked: bool = True) -> str:
    return push_artifact(model, world.ref(tag), signature, *attestations, checked=checked)


def sign(world: World, model: Path, key: str = "author") -> Path:
    signature = world.root / f"{model.name}-{key}.sig"
    result = warden("sign", model, "--private-key", world.key(key), "--signature", signature)
    assert result.returncode == 0, result.stderr
    return signature


@pytest.fixture(scope="module")
def sbom(tmp_path_factory) -> Path:
    require_trust_venv()
    out = tmp_path_factory.mktemp("sbom") / "bom.json"
    result = subprocess.run(
        [str(TRUST_VENV / "bin" / "cyclonedx-py"), "environment", str(TRUST_VENV), "--of", "JSON", "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def world(tmp_path, sbom) -> World:
    return make_world(tmp_path, sbom)


def make_world(root: Path, sbom: Path) -> World:
    """Keys, the trust policy, the churn model signed, pushed, approved, scanned and with an
    SBOM in an OCI layout under ROOT, and a signed revocation list revoking nothing."""
    (root / "keys").mkdir()
    for name in ("author", "approver", "scanner", "security", "ops", "stranger"):
        assert warden("keygen", "--out", root / "keys" / name).returncode == 0
    (root / "trust.yaml").write_text(TRUST_POLICY)
    model = copy_churn_model(root / "churn")
    layout = root / "registry"
    digest = push(World(root, layout, ""), model, "churn-v1", sign(World(root, layout, ""), model))
    w = World(root, layout, digest)
    approval = w.attest("approval", "approver", "--stage", "Approved", "--approver", "alice")
    scan = w.attest("scan", "scanner", "--severity", "low", "--severity", "high")
    bom = w.attest("sbom", "scanner", "--sbom", str(sbom))
    # Re-pushing the same content is idempotent: same digest, attestations attached to it.
    assert push(w, model, "churn-v1", None, approval, scan, bom) == digest
    w.publish_revocations(1)
    return w


def nothing_left(world: World, dest: str = "installed") -> None:
    assert not (world.root / dest).exists()
    assert not [p for p in world.root.iterdir() if ".partial-" in p.name]


# --- The good path ----------------------------------------------------------------------------


def test_fetch_installs_verified_artifact_read_only_with_receipt(world):
    result = world.fetch()
    assert result.returncode == 0, result.stdout + result.stderr
    installed = world.root / "installed"
    assert sorted(p.name for p in installed.iterdir()) == [".warden", "model.onnx", "warden-model.json"]
    for path in [installed, *installed.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o555 if path.is_dir() else 0o444), (path, oct(mode))
    receipt = json.loads((installed / ".warden" / "receipt.json").read_text())
    assert receipt["manifest_digest"] == world.digest
    assert receipt["decision"] == {"permit": True, "gate": "builtin", "reasons": []}
    model = receipt["input"]["model"]
    assert model["stage"] == "Approved" and model["signatures"]["valid"] and model["revoked"] is False
    assert model["attestations"]["approval"]["predicate"]["approver"] == "alice"
    assert model["attestations"]["scan"]["predicate"]["highest"] == "high"
    assert model["attestations"]["sbom"]["predicate"]["format"] == "CycloneDX"
    assert model["attestations"]["sbom"]["predicate"]["components"] > 10
    assert receipt["revocation_serial"] == 1
    files = {f["name"]: f["sha256"] for f in receipt["files"]}
    assert files["model.onnx"] == hashlib.sha256((installed / "model.onnx").read_bytes()).hexdigest()


def test_verify_runs_the_same_checks_without_installing(world):
    result = warden("verify", "--model", world.ref(), "--trust", world.trust, "--expected-digest", world.digest, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["receipt"]["manifest_digest"] == world.digest
    nothing_left(world)


def test_fetch_by_digest_reference_pins_itself(world):
    result = world.fetch(ref=f"oci:{world.layout}@{world.digest}", pin=None)
    assert result.returncode == 0, result.stdout + result.stderr


def test_serve_rechecks_the_installed_artifact_against_the_pin(world):
    assert world.fetch().returncode == 0
    installed = world.root / "installed"
    ok = subprocess.run(
        [*serve_args(installed, world.digest, hardened=True), "--hardened"], capture_output=True, text=True, timeout=20
    )
    assert "server_ready" in ok.stdout, ok.stdout + ok.stderr
    # The audit line names what was proven: the digest, the signer, the verified attestations.
    audit = [json.loads(line) for line in ok.stdout.splitlines() if '"model_verified"' in line]
    assert len(audit) == 1 and audit[0]["digest"] == world.digest and audit[0]["audit"] == "true"
    assert audit[0]["signer"] != "none" and "approval" in audit[0]["attestations"], audit[0]
    other = "sha256:" + "0" * 64
    bad = subprocess.run(serve_args(installed, other), capture_output=True, text=True, timeout=20)
    assert bad.returncode != 0 and "digest_mismatch" in bad.stdout


def test_serve_refuses_an_installed_artifact_changed_after_fetch(world):
    assert world.fetch().returncode == 0
    installed = world.root / "installed"
    os.chmod(installed, 0o755)
    os.chmod(installed / "warden-model.json", 0o644)
    (installed / "warden-model.json").write_text((installed / "warden-model.json").read_text().replace("churn", "churm", 1))
    result = subprocess.run(serve_args(installed, world.digest), capture_output=True, text=True, timeout=20)
    assert result.returncode != 0 and "warden-model.json" in result.stdout and "digest_mismatch" in result.stdout


def test_hardened_serve_refuses_a_writable_model_directory(world):
    assert world.fetch().returncode == 0
    installed = world.root / "installed"
    os.chmod(installed, 0o755)
    result = subprocess.run([*serve_args(installed, world.digest, hardened=True), "--hardened"], capture_output=True, text=True,
                            timeout=20)
    assert result.returncode != 0 and "writable" in result.stdout


def serve_args(directory: Path, digest: str, hardened: bool = False) -> list[str]:
    """--port 0: the server only has to get as far as loading; `timeout` stops it once ready.
    Hardened mode refuses plain HTTP, so it gets a dev PKI and mutual TLS."""
    from conftest import warden_binary

    command = ["timeout", "3", str(warden_binary()), "serve", "--model-dir", str(directory), "--expected-digest", digest,
               "--port", "0", "--probe-port", "0"]
    if not hardened:
        return command + ["--insecure-plaintext"]
    pki = directory.parent / "pki"
    if not (pki / "ca.pem").exists():
        subprocess.run([str(warden_binary()), "dev-pki", "--out", str(pki)], check=True, capture_output=True, timeout=30)
    return command + ["--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server.key"), "--client-ca", str(pki / "ca.pem"),
                      "--allow-client", "spiffe://warden.test/ns/serving/sa/gateway"]


# --- Pins and registry integrity --------------------------------------------------------------


def test_digest_pin_mismatch_is_refused(world):
    refused(world.fetch(pin="sha256:" + "1" * 64), EXIT_INTEGRITY, "digest_mismatch")
    nothing_left(world)


def test_fetch_without_a_pin_is_denied_by_the_startup_gate(world):
    """And says how to pin, instead of 'is not the expected digest null'."""
    document = refused(world.fetch(pin=None), EXIT_POLICY, "policy_denied")
    assert "--expected-digest" in document["detail"] and world.digest in document["detail"], document
    assert "null" not in document["detail"], document
    nothing_left(world)


def test_tag_moved_to_another_digest_is_refused(world):
    other = copy_churn_model(world.root / "other")
    (other / "warden-model.json").write_text((other / "warden-model.json").read_text().replace("churn", "churn2", 1))
    push(world, other, "churn-v1", sign(world, other))
    document = refused(world.fetch(), EXIT_INTEGRITY, "digest_mismatch")
    assert "resolves to" in document["detail"]
    nothing_left(world)


def test_registry_blob_whose_bytes_differ_from_its_digest_is_refused(world):
    manifest = json.loads((world.layout / "blobs" / "sha256" / world.digest.split(":")[1]).read_bytes())
    blob = world.layout / "blobs" / "sha256" / manifest["layers"][0]["digest"].split(":")[1]
    data = bytearray(blob.read_bytes())
    data[0] ^= 0xFF
    blob.write_bytes(bytes(data))
    refused(world.fetch(), EXIT_INTEGRITY, "digest_mismatch")
    nothing_left(world)


def test_oversized_artifact_is_refused(world):
    refused(world.fetch("--max-bytes", "1000"), EXIT_INTEGRITY, "size_limit_exceeded")
    nothing_left(world)


@pytest.mark.parametrize("title", ["../escape.onnx", "/etc/evil", "a/../../b", "sub//x"])
def test_hostile_file_name_in_the_manifest_is_refused(world, title):
    manifest_path = world.layout / "blobs" / "sha256" / world.digest.split(":")[1]
    manifest = json.loads(manifest_path.read_bytes())
    manifest["layers"][0]["annotations"]["org.opencontainers.image.title"] = title
    tag_manifest(world, manifest, "hostile")
    refused(world.fetch(ref=world.ref("hostile"), pin=None), EXIT_INPUT, "unsafe_path")
    nothing_left(world)
    assert not (world.root.parent / "escape.onnx").exists()


def tag_manifest(world: World, manifest: dict, tag: str) -> str:
    """Writes a (hostile) manifest straight into the layout, as a compromised registry would."""
    data = json.dumps(manifest).encode()
    digest = hashlib.sha256(data).hexdigest()
    (world.layout / "blobs" / "sha256" / digest).write_bytes(data)
    index = json.loads((world.layout / "index.json").read_text())
    index["manifests"].append({
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": f"sha256:{digest}", "size": len(data),
        "annotations": {"org.opencontainers.image.ref.name": tag},
    })
    (world.layout / "index.json").write_text(json.dumps(index))
    return f"sha256:{digest}"


# --- Signatures ---------------------------------------------------------------------------------


def test_unsigned_artifact_is_refused(world):
    bare = copy_churn_model(world.root / "bare")
    (bare / "extra.txt").write_text("x")
    digest = push(world, bare, "bare", None)
    refused(world.fetch(ref=world.ref("bare"), pin=digest), EXIT_SIGNATURE, "signature_missing")


def test_extra_file_not_covered_by_the_signature_is_refused(world):
    model = copy_churn_model(world.root / "grown")
    signature = sign(world, model)
    (model / "backdoor.py").write_text("import os\n")
    digest = push(world, model, "grown", signature, checked=False)
    document = refused(world.fetch(ref=world.ref("grown"), pin=digest), EXIT_INTEGRITY, "unexpected_file")
    assert "backdoor.py" in document["detail"]


def test_signature_of_another_model_is_refused(world):
    # Same file names, other contents: the signature names every file, with other digests.
    other, mine = copy_churn_model(world.root / "other"), copy_churn_model(world.root / "mine")
    for model, suffix in ((other, "B"), (mine, "A")):
        contract = model / "warden-model.json"
        contract.write_text(contract.read_text().replace('"churn"', f'"churn{suffix}"', 1))
    digest = push(world, mine, "mismatch", sign(world, other), checked=False)
    document = refused(world.fetch(ref=world.ref("mismatch"), pin=digest), EXIT_INTEGRITY, "digest_mismatch")
    assert "warden-model.json" in document["detail"]


def test_signature_by_an_untrusted_key_is_refused(world):
    model = copy_churn_model(world.root / "stranger-signed")
    (model / "notes.txt").write_text("x")
    digest = push(world, model, "stranger", sign(world, model, key="stranger"))
    refused(world.fetch(ref=world.ref("stranger"), pin=digest), EXIT_SIGNATURE, "untrusted_key")


# --- Attestations -----------------------------------------------------------------------------


def fresh_artifact(world: World, name: str, *attestation_kinds: tuple[str, str, tuple[str, ...]]) -> str:
    """A newly signed artifact with only the given attestations attached."""
    model = copy_churn_model(world.root / name)
    (model / "id.txt").write_text(name)
    digest = push(world, model, name, sign(world, model))
    envelopes = [world.attest(kind, key, *args, digest=digest) for kind, key, args in attestation_kinds]
    if envelopes:
        assert push(world, model, name, None, *envelopes) == digest
    return digest


APPROVAL = ("approval", "approver", ("--stage", "Approved", "--approver", "alice"))
SCAN_OK = ("scan", "scanner", ("--severity", "medium"))


def test_missing_approval_is_refused(world, sbom):
    digest = fresh_artifact(world, "unapproved", SCAN_OK, ("sbom", "scanner", ("--sbom", str(sbom))))
    refused(world.fetch(ref=world.ref("unapproved"), pin=digest), EXIT_ATTESTATION, "attestation_missing")


def test_approval_signed_by_the_author_is_refused(world, sbom):
    digest = fresh_artifact(
        world, "self-approved", ("approval", "author", ("--stage", "Approved", "--approver", "author")), SCAN_OK,
        ("sbom", "scanner", ("--sbom", str(sbom))),
    )
    document = refused(world.fetch(ref=world.ref("self-approved"), pin=digest), EXIT_ATTESTATION, "attestation_rejected")
    assert "author" in document["detail"]


def test_approval_for_another_stage_is_denied_by_the_gate(world, sbom):
    digest = fresh_artifact(
        world, "staging-only", ("approval", "approver", ("--stage", "Staging", "--approver", "alice")), SCAN_OK,
        ("sbom", "scanner", ("--sbom", str(sbom))),
    )
    document = refused(world.fetch(ref=world.ref("staging-only"), pin=digest), EXIT_POLICY, "policy_denied")
    assert "Staging" in document["detail"]


def test_attestation_about_another_subject_is_refused(world, sbom):
    model = copy_churn_model(world.root / "elsewhere")
    (model / "id.txt").write_text("elsewhere")
    digest = push(world, model, "elsewhere", sign(world, model))
    wrong = world.attest("approval", "approver", "--stage", "Approved", "--approver", "alice", digest=world.digest)
    scan = world.attest("scan", "scanner", "--severity", "low", digest=digest)
    bom = world.attest("sbom", "scanner", "--sbom", str(sbom), digest=digest)
    assert push(world, model, "elsewhere", None, wrong, scan, bom) == digest
    refused(world.fetch(ref=world.ref("elsewhere"), pin=digest), EXIT_INTEGRITY, "subject_mismatch")


def test_scan_with_a_critical_finding_is_refused(world, sbom):
    digest = fresh_artifact(
        world, "vulnerable", APPROVAL, ("scan", "scanner", ("--severity", "low", "--severity", "critical")),
        ("sbom", "scanner", ("--sbom", str(sbom))),
    )
    document = refused(world.fetch(ref=world.ref("vulnerable"), pin=digest), EXIT_ATTESTATION, "attestation_rejected")
    assert "critical" in document["detail"]


def test_scan_signed_by_a_key_not_allowed_for_scans_does_not_count(world, sbom):
    digest = fresh_artifact(
        world, "self-scanned", APPROVAL, ("scan", "approver", ("--severity", "low",)), ("sbom", "scanner", ("--sbom", str(sbom))),
    )
    refused(world.fetch(ref=world.ref("self-scanned"), pin=digest), EXIT_ATTESTATION, "attestation_missing")


# --- Revocation -------------------------------------------------------------------------------


def test_revoked_digest_is_refused(world):
    world.publish_revocations(2, f"{world.digest}=CVE-2026-0001 in the preprocessing")
    document = refused(world.fetch(), EXIT_REVOCATION, "revoked")
    assert "CVE-2026-0001" in document["detail"]
    nothing_left(world)


def test_rolled_back_revocation_list_is_refused(world):
    world.publish_revocations(5)
    assert world.fetch(dest="first").returncode == 0
    world.publish_revocations(4)
    document = refused(world.fetch(dest="second"), EXIT_REVOCATION, "revocation_list_invalid")
    assert "rollback" in document["detail"]


def test_expired_revocation_list_is_refused(world):
    world.publish_revocations(2, valid_for=0)
    document = refused(world.fetch(), EXIT_REVOCATION, "revocation_list_invalid")
    assert "expired" in document["detail"]


def test_revocation_list_signed_by_another_key_is_refused(world):
    world.publish_revocations(3, key="stranger")
    refused(world.fetch(), EXIT_REVOCATION, "revocation_list_invalid")


def test_missing_revocation_list_is_refused(world):
    index = json.loads((world.layout / "index.json").read_text())
    index["manifests"] = [m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != "revocations"]
    (world.layout / "index.json").write_text(json.dumps(index))
    refused(world.fetch(), EXIT_REVOCATION, "revocation_list_invalid")


# --- Trust policy -----------------------------------------------------------------------------


def test_policy_letting_the_author_approve_is_rejected_at_load(world):
    world.trust.write_text(TRUST_POLICY.replace("approval: {signers: [approver]}", "approval: {signers: [approver, author]}"))
    result = world.fetch()
    assert result.returncode == EXIT_INPUT
    assert "author cannot approve" in json.loads(result.stdout)["detail"]


def test_file_the_signer_declared_ignored_is_not_installed(world):
    """model_signing lets a signer leave paths out (ignore_paths); such a file in the artifact
    would be installed unsigned, so fetch refuses it."""
    model = copy_churn_model(world.root / "with-notes")
    (model / "notes.txt").write_text("not covered\n")
    signature = world.root / "with-notes.sig"
    signed = warden("sign", model, "--private-key", world.key("author"), "--signature", signature, "--ignore-paths", model / "notes.txt")
    assert signed.returncode == 0, signed.stderr
    digest = push(world, model, "with-notes", signature, checked=False)
    document = refused(world.fetch(ref=world.ref("with-notes"), pin=digest), EXIT_INTEGRITY, "unexpected_file")
    assert "notes.txt" in document["detail"]
    nothing_left(world)


def test_a_new_pod_without_state_still_refuses_a_list_below_the_pinned_minimum_serial(world, start_warden):
    """The serial state file lives in the pod (a memory volume) and starts empty in every new
    one; the trust policy's minimum_serial, raised by the release process, is what survives.
    Both a fresh fetch and a fresh serve refuse a replayed older list."""
    world.publish_revocations(5)
    assert world.fetch(dest="first").returncode == 0
    world.trust.write_text(world.trust.read_text().replace("state_file: revocation-serial", "minimum_serial: 6"))
    world.publish_revocations(4)  # an attacker replays an older, validly signed list
    document = refused(world.fetch(dest="second"), EXIT_REVOCATION, "revocation_list_invalid")
    assert "older than 6" in document["detail"] and "rollback" in document["detail"]

    world.publish_revocations(6)
    assert world.fetch(dest="third").returncode == 0
    world.publish_revocations(4)
    server = start_warden(config={
        "models": [{"directory": str(world.root / "third"), "expected_digest": world.digest}],
        "revocation": {"list": f"oci:{world.layout}:revocations", "trust_policy": str(world.trust), "interval_seconds": 0.3},
    }, label="revocation-floor", expect_ready=False)
    refusal = server.wait_for_record(lambda r: r.get("event") == "revocation_check_failed")
    assert "older than 6" in refusal["reason"] and "rollback" in refusal["reason"], refusal
    # No list it may trust: fail closed, nothing served.
    assert infer_status(server).status_code == 503


# --- Live revocation while serving ----------------------------------------------------------------

def serve_watching_revocations(world: World, start_warden):
    assert world.fetch().returncode == 0
    return start_warden(config={
        "models": [{"directory": str(world.root / "installed"), "expected_digest": world.digest}],
        "revocation": {"list": f"oci:{world.layout}:revocations", "trust_policy": str(world.trust), "interval_seconds": 0.3},
    }, label="revocation")


def infer_status(server) -> requests.Response:
    return requests.post(f"{server.url}/v2/models/churn/infer", data=(REPO_ROOT / "examples/requests/churn-infer.json").read_bytes(),
                         headers={"Content-Type": "application/json"}, timeout=10)


def wait_until(predicate, timeout: float = 3.0) -> float:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, "the condition never held"
        time.sleep(0.05)
    return time.monotonic() - started


def test_a_version_revoked_while_serving_stops_within_the_interval(world, start_warden):
    server = serve_watching_revocations(world, start_warden)
    assert infer_status(server).status_code == 200
    assert metric(server, "warden_revocation_list_serial") == 1

    world.publish_revocations(2, f"{world.digest}=CVE-2026-0001 in the preprocessing")
    waited = wait_until(lambda: requests.get(f"{server.probe_url}/readyz", timeout=5).status_code == 503)
    assert waited < 1.5, f"withdrawn after {waited:.2f} s with a 0.3 s interval"
    refused = infer_status(server)
    assert refused.status_code == 503 and refused.headers["Warden-Error-Code"] == "model_revoked"
    audit = server.wait_for_record(lambda r: r.get("event") == "model_revoked")
    assert audit["digest"] == world.digest and audit["revocation_serial"] == 2 and "CVE-2026-0001" in audit["reason"]
    assert audit["audit"] == "true"
    assert metric(server, "warden_model_withdrawn", model="churn", version="1") == 1
    assert metric(server, "warden_model_ready", model="churn", version="1") == 0
    metadata = requests.get(f"{server.url}/v2/models/churn", timeout=5).json()
    assert (metadata["state"], metadata["reason"]) == ("UNAVAILABLE", "revoked")
    exposition = requests.get(f"{server.url}/metrics", timeout=5).text
    for name in LIVE_REVOCATION_METRICS:  # the names the alerts use (test_monitoring.py)
        assert f"# TYPE {name} " in exposition, name

    # A later list without the entry does not bring the version back in this process.
    world.publish_revocations(3)
    wait_until(lambda: metric(server, "warden_revocation_list_serial") == 3)
    assert infer_status(server).status_code == 503


def test_an_invalid_list_keeps_the_last_good_one_and_a_stale_one_fails_closed(world, start_warden):
    world.publish_revocations(2, valid_for=3)
    server = serve_watching_revocations(world, start_warden)
    assert infer_status(server).status_code == 200

    # Signed by a key the policy does not trust: refused, audited, the serial-2 list stays in force.
    world.publish_revocations(9, key="stranger")
    server.wait_for_record(lambda r: r.get("event") == "revocation_check_failed")
    assert infer_status(server).status_code == 200
    assert metric(server, "warden_revocation_checks_total", result="failed") >= 1

    # Once the list in force has expired and no valid one replaced it, nothing proves the digest
    # is not revoked: the server stops serving.
    wait_until(lambda: infer_status(server).status_code == 503, timeout=6)
    server.wait_for_record(lambda r: r.get("event") == "revocation_list_stale")
    assert metric(server, "warden_revocation_list_expiry_seconds") < 0
    assert requests.get(f"{server.probe_url}/readyz", timeout=5).status_code == 503

    # A fresh valid list restores service.
    world.publish_revocations(10)
    wait_until(lambda: infer_status(server).status_code == 200)


def test_one_revoked_model_among_several_leaves_the_server_ready(world, start_warden, sbom):
    """Issue 27: revoking one model of several turned the whole process unready (the healthy
    models left the Service with it), and a model revoked before start logged model_ready.
    With several models readiness is `any` by default: Ready while one can serve, the
    readiness body naming what cannot and why."""
    second = fresh_artifact(world, "churn-b", APPROVAL, SCAN_OK, ("sbom", "scanner", ("--sbom", str(sbom))))
    assert world.fetch().returncode == 0
    fetched = world.fetch(dest="installed-b", ref=world.ref("churn-b"), pin=second)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    world.publish_revocations(2, f"{second}=CVE-2026-0002 in the tokenizer")
    server = start_warden(config={
        "models": [{"directory": str(world.root / "installed"), "expected_digest": world.digest},
                   {"directory": str(world.root / "installed-b"), "name": "churn-b", "expected_digest": second}],
        "revocation": {"list": f"oci:{world.layout}:revocations", "trust_policy": str(world.trust), "interval_seconds": 0.3},
    }, label="readiness-any")
    # /readyz answers as soon as warm-up ends; the "ready" line is read from stdout a moment later.
    server.wait_for_record(lambda r: r.get("event") == "server_ready")
    events = [r for r in server.records() if r.get("event") in ("model_ready", "model_unavailable", "server_ready")]
    assert [(r["event"], r.get("model")) for r in events] == [("model_ready", "churn"), ("model_unavailable", "churn-b"),
                                                              ("server_ready", None)], events
    assert requests.get(f"{server.probe_url}/readyz", timeout=5).status_code == 200
    health = requests.get(f"{server.url}/v2/health/ready", timeout=5)
    assert any("churn-b" in warning and "revoked" in warning for warning in health.json().get("warnings", [])), health.text
    assert infer_status(server).status_code == 200
    assert requests.get(f"{server.url}/v2/models/churn-b/ready", timeout=5).status_code != 200

    # With every model revoked, nothing can serve: now the process is unready.
    world.publish_revocations(3, f"{second}=CVE-2026-0002 in the tokenizer", f"{world.digest}=CVE-2026-0003")
    wait_until(lambda: requests.get(f"{server.probe_url}/readyz", timeout=5).status_code == 503)


def test_sigterm_with_every_poller_configured_turns_unready_at_once(world, start_warden, tmp_path):
    """Issue 21: each poller used to sleep out its interval after SIGTERM before the drain began
    (readiness stayed 200 for 3.56 s with mTLS; with a 60 s revocation watch the drain timeout
    could pass). With mTLS, the revocation watch, the request policy, the redaction key and
    telemetry all polling at long intervals, readiness must turn false at once, a request in
    the drain delay must be answered, and the process must exit well within the drain timeout."""
    assert world.fetch().returncode == 0
    pki = tmp_path / "pki"
    made = subprocess.run([str(warden_binary()), "dev-pki", "--out", str(pki), "--trust-domain", "warden.test",
                           "--client", "gateway=ns/serving/sa/gateway"], capture_output=True, text=True, timeout=30)
    assert made.returncode == 0, made.stderr
    policy, data, key = tmp_path / "allow.rego", tmp_path / "allow.json", tmp_path / "redaction-key"
    policy.write_text("package serving.request\n\nimport rego.v1\n\ndefault allow := true\n")
    data.write_text("{}")
    key.write_text("k" * 64)
    os.chmod(key, 0o600)
    server = start_warden(config={
        "models": [{"directory": str(world.root / "installed"), "expected_digest": world.digest}],
        "revocation": {"list": f"oci:{world.layout}:revocations", "trust_policy": str(world.trust), "interval_seconds": 60},
        "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"),
                "client_ca_bundle": str(pki / "ca.pem"), "reload_interval_seconds": 60},
        "authorization": {"rules": [{"routes": ["infer", "metadata"], "allow": ["spiffe://warden.test/ns/serving/*"]}]},
        "policies": {"request": {"files": [str(policy)], "data": [str(data)], "reload_interval_seconds": 60}},
        "security": {"redaction_key_file": str(key), "secret_reload_interval_seconds": 60},
        "telemetry": {"otlp_endpoint": "http://127.0.0.1:9/v1/traces"},
        "shutdown": {"drain_delay_seconds": 1.5, "drain_timeout_seconds": 25},
    }, label="drain-pollers")

    def infer() -> requests.Response:
        return requests.post(f"https://localhost:{server.port}/v2/models/churn/infer",
                             data=(REPO_ROOT / "examples/requests/churn-infer.json").read_bytes(),
                             headers={"Content-Type": "application/json"}, cert=(pki / "gateway.pem", pki / "gateway.key"),
                             verify=str(pki / "ca.pem"), timeout=10)

    assert infer().status_code == 200
    time.sleep(1)  # every poller is now in its long sleep
    signalled = time.monotonic()
    server.signal()
    unready_after = wait_until(lambda: requests.get(f"{server.probe_url}/readyz", timeout=5).status_code == 503, timeout=5)
    assert unready_after < 0.2, f"readiness stayed true {unready_after:.2f} s after SIGTERM"
    assert infer().status_code == 200, "a request in the drain delay must still be answered"
    assert server.wait(25) == 0
    exited_after = time.monotonic() - signalled
    assert exited_after < 6, f"exit took {exited_after:.1f} s (drain delay 1.5 s)"
    assert [r["event"] for r in server.records() if "event" in r][-2:] == ["drain_started", "stopped"]


# --- What a new user hits first: push refusals, NAME:TAG@sha256 references, the pin ----------


def test_push_refuses_a_file_the_signature_does_not_cover_before_uploading(world):
    model = copy_churn_model(world.root / "grown-push")
    signature = sign(world, model)
    (model / "backdoor.py").write_text("import os\n")
    result = warden("push", model, "--to", world.ref("grown-push"), "--signature", signature)
    assert result.returncode != 0 and "unexpected_file" in result.stderr and "backdoor.py" in result.stderr, result.stderr
    index = json.loads((world.layout / "index.json").read_text())
    assert not [m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "grown-push"]


def test_push_refuses_a_path_the_signer_declared_ignored(world):
    model = copy_churn_model(world.root / "notes-push")
    (model / "notes.txt").write_text("not covered\n")
    signature = world.root / "notes-push.sig"
    signed = warden("sign", model, "--private-key", world.key("author"), "--signature", signature, "--ignore-paths", model / "notes.txt")
    assert signed.returncode == 0, signed.stderr
    result = warden("push", model, "--to", world.ref("notes-push"), "--signature", signature)
    assert result.returncode != 0 and "notes.txt" in result.stderr, result.stderr


def test_push_refuses_a_contract_serve_would_refuse(world):
    model = copy_churn_model(world.root / "typo-push")
    contract = model / "warden-model.json"
    contract.write_text(contract.read_text().replace('"input_schema"', '"input_shema"', 1))
    result = warden("push", model, "--to", world.ref("typo-push"), "--signature", sign(world, model))
    assert result.returncode != 0, result.stdout
    assert 'unknown key "input_shema"' in result.stderr and 'did you mean "input_schema"' in result.stderr, result.stderr


def test_tag_and_digest_reference_fetches_the_digest(world):
    result = world.fetch(ref=f"oci:{world.layout}:churn-v1@{world.digest}", pin=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["receipt"]["manifest_digest"] == world.digest


def test_tag_that_no_longer_points_at_the_digest_is_refused(world):
    other = copy_churn_model(world.root / "other-tag")
    contract = other / "warden-model.json"
    contract.write_text(contract.read_text().replace('"churn"', '"churnb"', 1))
    push(world, other, "moved", sign(world, other))
    document = refused(world.fetch(ref=f"oci:{world.layout}:moved@{world.digest}", pin=None), EXIT_INTEGRITY, "digest_mismatch")
    assert "moved" in document["detail"] and world.digest in document["detail"]
    nothing_left(world)



def test_fetch_refuses_a_signed_contract_serve_would_refuse(world, sbom):
    """Signed, approved and pinned, but its contract contradicts the graph: fetch says so,
    with the key path, and installs nothing (serve would never turn ready on it)."""
    model = copy_churn_model(world.root / "contradiction")
    contract = json.loads((model / "warden-model.json").read_text())
    contract["name"] = "contradiction"
    contract["inputs"][1]["shape"] = [-1, 12]
    (model / "warden-model.json").write_text(json.dumps(contract))
    digest = push(world, model, "contradiction", sign(world, model), checked=False)
    approval = world.attest("approval", "approver", "--stage", "Approved", "--approver", "alice", digest=digest)
    scan = world.attest("scan", "scanner", "--severity", "low", digest=digest)
    bom = world.attest("sbom", "scanner", "--sbom", str(sbom), digest=digest)
    push(world, model, "contradiction", None, approval, scan, bom, checked=False)
    document = refused(world.fetch(ref=world.ref("contradiction"), pin=digest), EXIT_INPUT, "unservable_model")
    assert "inputs[1].shape[1]" in document["detail"], document
    nothing_left(world)


# --- The startup gate from a signed policy bundle ---------------------------------------------

GATE_V1 = REPO_ROOT / "examples/policies/startup-gate.rego"


def gate_bundle(world: World, name: str, policy: str | None = None) -> Path:
    """A bundle folder holding a startup gate at serving/startup/ (by default the example gate)."""
    folder = world.root / name
    (folder / "serving" / "startup").mkdir(parents=True)
    (folder / "serving" / "startup" / "gate.rego").write_text(policy if policy is not None else GATE_V1.read_text())
    return folder


def push_gate(world: World, folder: Path, tag: str, key: str = "ops", revision: int = 1) -> str:
    """`warden policy push` into the world's layout; the digest it printed."""
    result = warden("policy", "push", folder, "--to", world.ref(tag), "--private-key", world.key(key),
                    "--revision", str(revision))
    assert result.returncode == 0, result.stdout + result.stderr
    line = result.stdout.strip()
    assert line.startswith(f"published policy bundle revision {revision} (1 files) as {world.ref(tag)} sha256:"), line
    return line.split()[-1]


def test_fetch_gate_from_a_signed_bundle_pinned_by_digest(world):
    folder = gate_bundle(world, "gate")
    (folder / ".manifest").write_text(json.dumps({"revision": "1", "roots": ["serving/startup"], "rego_version": 1}))
    digest = push_gate(world, folder, "startup-gate", revision=3)  # --revision overrides the .manifest's
    result = world.fetch("--gate-bundle", f"oci:{world.layout}@{digest}")
    assert result.returncode == 0, result.stdout + result.stderr
    gate = f"rego bundle {digest} (revision 3, signed by ops)"
    assert json.loads(result.stdout)["receipt"]["decision"] == {"permit": True, "gate": gate, "reasons": []}
    receipt = json.loads((world.root / "installed" / ".warden" / "receipt.json").read_text())
    assert receipt["manifest_digest"] == world.digest
    assert receipt["decision"] == {"permit": True, "gate": gate, "reasons": []}


def test_fetch_refuses_a_gate_bundle_named_by_tag_only(world):
    push_gate(world, gate_bundle(world, "gate"), "startup-gate")
    result = world.fetch("--gate-bundle", world.ref("startup-gate"))
    assert result.returncode == EXIT_INPUT, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["verified"] is False and "must be pinned by digest" in document["detail"], document
    nothing_left(world)


def test_fetch_refuses_a_gate_bundle_signed_by_the_model_signer(world):
    """The author's key signs models, not policy: a gate it signed is not a gate."""
    digest = push_gate(world, gate_bundle(world, "gate"), "author-gate", key="author")
    refused(world.fetch("--gate-bundle", f"oci:{world.layout}@{digest}"), EXIT_SIGNATURE, "untrusted_key")
    nothing_left(world)


def test_fetch_gate_bundle_that_denies_installs_nothing(world):
    strict = GATE_V1.read_text().replace('input.model.stage == "Approved"', 'input.model.stage == "Production"')
    assert "Production" in strict
    digest = push_gate(world, gate_bundle(world, "strict-gate", strict), "strict-gate", revision=2)
    document = refused(world.fetch("--gate-bundle", f"oci:{world.layout}@{digest}"), EXIT_POLICY, "policy_denied")
    assert "data.serving.startup.permit is false" in document["detail"], document
    nothing_left(world)


def test_fetch_refuses_gate_policy_and_gate_bundle_together(world):
    digest = push_gate(world, gate_bundle(world, "gate"), "startup-gate")
    result = world.fetch("--gate-bundle", f"oci:{world.layout}@{digest}", "--gate-policy", str(GATE_V1))
    assert result.returncode == EXIT_INPUT, result.stdout + result.stderr
    assert "--gate-policy or --gate-bundle, not both" in json.loads(result.stdout)["detail"], result.stdout
    nothing_left(world)


def test_fetch_refuses_a_gate_bundle_whose_files_differ_from_what_was_signed(world):
    """Someone who may write to the registry but holds no policy key keeps the envelope of a
    gate that denies and swaps its Rego for one that permits everything."""
    strict = GATE_V1.read_text().replace('input.model.stage == "Approved"', 'input.model.stage == "Production"')
    digest = push_gate(world, gate_bundle(world, "strict-gate", strict), "strict-gate")
    manifest = json.loads((world.layout / "blobs" / "sha256" / digest.split(":")[1]).read_bytes())
    permissive = b"package serving.startup\n\npermit := true\n"
    blob = hashlib.sha256(permissive).hexdigest()
    (world.layout / "blobs" / "sha256" / blob).write_bytes(permissive)
    layer = next(layer for layer in manifest["layers"]
                 if layer.get("annotations", {}).get("org.opencontainers.image.title") == "serving/startup/gate.rego")
    layer.update({"digest": f"sha256:{blob}", "size": len(permissive)})
    swapped = tag_manifest(world, manifest, "swapped-gate")
    refused(world.fetch("--gate-bundle", f"oci:{world.layout}@{swapped}"), EXIT_INTEGRITY, "digest_mismatch")
    nothing_left(world)
