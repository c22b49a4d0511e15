"""Release operations end to end, on artifacts that went through the real supply chain: the
churn model as two versions (different digests), each signed, pushed to a real registry
(Debian's docker-registry), approved with an in-toto attestation, fetched and pinned.

- `warden probe`: the contract's samples against a running server over mutual TLS, each
  answer held to the outputs onnxruntime computed for it; every way a probe must fail.
- The rollback drill of docs/releases.md, performed by its script.
- Live revocation: a re-signed revocation list in the registry revoking the serving version
  moves traffic to the still-valid one within the polling interval; revoking that one too
  makes the server un-Ready."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conftest import REPO_ROOT, warden_binary
from registry import Registry, start_registry
from trust_tools import copy_churn_model, require_trust_venv, trust_python, warden

DOMAIN = "warden.test"
SERVER_ID = f"spiffe://{DOMAIN}/warden"
OPERATOR = f"spiffe://{DOMAIN}/ns/ops/sa/release-admin"
TRUST = """\
keys:
  author: {public_key: author.pub}
  approver: {public_key: approver.pub}
  security: {public_key: security.pub}
  stranger: {public_key: stranger.pub}
model_signers: [author]
attestations:
  approval: {signers: [approver]}
revocation:
  signers: [security]
  reference: revocations
"""


@dataclass
class Release:
    root: Path
    registry: Registry
    digests: dict[str, str]  # version -> pinned digest

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    def installed(self, version: str) -> Path:
        return self.root / f"installed-v{version}"

    def publish_revocations(self, tag: str, serial: int, *revoke: str, key: str = "security") -> None:
        args = ["revocation", "publish", "--to", f"{self.registry.host}/models/churn:{tag}", "--private-key",
                self.root / f"{key}.key", "--serial", str(serial)]
        result = warden(*args, *(["--revoke", *revoke] if revoke else []))
        assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Release:
    """Versions 1 and 2 of churn, signed, pushed, approved and fetched from a real registry;
    a dev PKI with a prober and an operator, and a prober certificate from another CA."""
    require_trust_venv()
    root = tmp_path_factory.mktemp("release-drills")
    registry = start_registry(root / "registry")
    try:
        for name in ("author", "approver", "security", "stranger"):
            assert warden("keygen", "--out", root / name).returncode == 0
        (root / "trust.yaml").write_text(TRUST)
        make_pki(root / "pki", "prober=ns/monitoring/sa/prober", "ops=ns/ops/sa/release-admin")
        make_pki(root / "other-pki", "prober=ns/monitoring/sa/prober")
        world = Release(root, registry, {})
        world.publish_revocations("revocations", 1)
        for version in ("1", "2"):
            world.digests[version] = publish(world, version)
        yield world
    finally:
        registry.stop()


def make_pki(directory: Path, *clients: str) -> None:
    result = subprocess.run([str(warden_binary()), "dev-pki", "--out", str(directory), "--trust-domain", DOMAIN,
                             *[arg for client in clients for arg in ("--client", client)]], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def publish(world: Release, version: str) -> str:
    """Signs, pushes, approves and fetches churn as VERSION; its description differs per
    version, so each version is its own artifact with its own digest."""
    model = copy_churn_model(world.root / f"churn-v{version}")
    contract = json.loads((model / "warden-model.json").read_text())
    contract["version"] = version
    contract["description"] += f" Release {version}."
    (model / "warden-model.json").write_text(json.dumps(contract, indent=2))
    signature = world.root / f"churn-v{version}.sig"
    assert warden("sign", model, "--private-key", world.root / "author.key", "--signature", signature).returncode == 0
    ref = f"{world.registry.host}/models/churn:v{version}"
    pushed = warden("push", model, "--to", ref, "--signature", signature)
    assert pushed.returncode == 0, pushed.stderr
    digest = pushed.stdout.split()[-1]
    approval = world.root / f"approval-v{version}.json"
    made = trust_python("attest.py", "approval", world.root / "approver.key", digest, approval, "--stage", "Approved",
                        "--approver", "alice")
    assert made.returncode == 0, made.stderr
    assert warden("push", model, "--to", ref, "--attestation", approval).returncode == 0
    fetched = warden("fetch", "--model", ref, "--trust", world.root / "trust.yaml", "--expected-digest", digest,
                     "--dest", world.installed(version), "--json")
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    return digest


def serve(start_warden, world: Release, **extra):
    pki = world.pki
    return start_warden(config={
        "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"),
                "client_ca_bundle": str(pki / "ca.pem")},
        "authorization": {"rules": [
            {"routes": ["infer", "metadata"], "allow": [f"spiffe://{DOMAIN}/ns/monitoring/sa/prober"]},
            {"routes": ["admin"], "allow": [OPERATOR]},
        ]},
        "models": [{"directory": str(world.installed(v)), "version": v, "expected_digest": world.digests[v]} for v in ("1", "2")],
        **extra,
    }, label="release-drills")


def probe(server, world: Release, *args: str, client: str = "prober", pki: Path | None = None,
          server_id: str = SERVER_ID, contract: Path | None = None) -> subprocess.CompletedProcess:
    pki = pki or world.pki
    return subprocess.run(
        [str(warden_binary()), "probe", "--server", f"127.0.0.1:{server.port}", "--server-id", server_id,
         "--ca", str(world.pki / "ca.pem"), "--tls-cert", str(pki / f"{client}.pem"), "--tls-key", str(pki / f"{client}.key"),
         "--contract", str(contract or world.installed("1")), *args],
        capture_output=True, text=True, timeout=60)


def probe_json(server, world: Release, *args: str, **kwargs) -> tuple[int, dict]:
    result = probe(server, world, "--json", *args, **kwargs)
    return result.returncode, json.loads(result.stdout)


# --- warden probe --------------------------------------------------------------------------------


def test_probe_passes_every_sample_and_names_who_answered(start_warden, release):
    server = serve(start_warden, release)
    status, report = probe_json(server, release, "--version", "1", "--expected-digest", release.digests["1"])
    assert status == 0, report
    samples = report["samples"]
    assert [s["sample"] for s in samples] == ["typical", "missing-and-unknown", "example-request"]
    assert all(s["passed"] and s["status"] == 200 and s["version"] == "1" and s["digest"] == release.digests["1"] for s in samples)
    assert report["path"] == "/v2/models/churn/versions/1/infer"
    text = probe(server, release, "--version", "2")
    assert text.returncode == 0 and text.stdout.strip().endswith("3 passed, 0 failed"), text.stdout
    # The probe's traffic is a client's like any other: logged by route and identity, never by payload.
    def logged() -> list[dict]:
        return [r for r in server.records() if r.get("route") == "/v2/models/{model}/versions/{version}/infer"]
    deadline = time.monotonic() + 5
    while len(logged()) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    records = logged()
    assert len(records) == 6 and all(r.get("client") == f"spiffe://{DOMAIN}/ns/monitoring/sa/prober" for r in records)


def test_probe_fails_when_an_answer_differs_from_the_approved_output(start_warden, release, tmp_path):
    server = serve(start_warden, release)
    contract = json.loads((release.installed("1") / "warden-model.json").read_text())
    contract["samples"][2]["outputs"]["probabilities"][1][0] += 0.001
    changed = tmp_path / "warden-model.json"
    changed.write_text(json.dumps(contract))
    status, report = probe_json(server, release, contract=changed)
    assert status == 1 and (report["passed"], report["failed"]) == (2, 1)
    failed = report["samples"][2]
    assert failed["status"] == 200
    assert failed["problems"] == [failed["problems"][0]] and failed["problems"][0].startswith("output 'probabilities': element 2 of 4 is off by")
    # The report names where and by how much, never the values themselves.
    assert str(contract["samples"][2]["outputs"]["probabilities"][1][0])[:8] not in json.dumps(report)


def test_probe_fails_when_another_digest_or_version_answers(start_warden, release):
    server = serve(start_warden, release)
    status, report = probe_json(server, release, "--expected-digest", release.digests["1"])
    # Without a plan, unversioned requests go to the highest version that can serve: 2.
    assert status == 1 and report["failed"] == 3
    assert report["samples"][0]["problems"] == [f"answered by digest {release.digests['2']}, expected {release.digests['1']}"]
    missing = probe(server, release, "--version", "7")
    assert missing.returncode == 1 and "FAIL typical: 404 in" in missing.stdout and "status 404 (not_found)" in missing.stdout, missing.stdout


def test_probe_refuses_a_server_with_another_identity_and_is_refused_without_an_allowed_certificate(start_warden, release):
    server = serve(start_warden, release)
    impostor = probe(server, release, server_id=f"spiffe://{DOMAIN}/not-warden")
    assert impostor.returncode == 1 and "the server's certificate was refused" in impostor.stdout, impostor.stdout
    foreign = probe(server, release, pki=release.root / "other-pki")
    assert foreign.returncode == 1 and "server refused the client certificate" in foreign.stdout, foreign.stdout
    not_allowed = probe(server, release, client="ops")  # the operator may administer, not infer
    assert not_allowed.returncode == 1 and "status 403" in not_allowed.stdout, not_allowed.stdout


def test_probe_fails_on_a_contract_without_samples_and_on_a_server_that_is_down(start_warden, release, tmp_path):
    server = serve(start_warden, release)
    contract = json.loads((release.installed("1") / "warden-model.json").read_text())
    del contract["samples"]
    bare = tmp_path / "warden-model.json"
    bare.write_text(json.dumps(contract))
    empty = probe(server, release, contract=bare)
    assert empty.returncode == 1 and "the contract has no samples" in empty.stdout
    server.stop()
    down = probe(server, release)
    assert down.returncode == 1 and "could not connect" in down.stdout and "0 passed, 3 failed" in down.stdout


def test_the_example_samples_are_onnxruntimes_answers():
    """The expected outputs the probe holds servers to come from the reference peer."""
    check = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "fixtures" / "make_contract_samples.py"), "--check"],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "3 samples match onnxruntime 1.32.0" in check.stdout


def test_contract_with_a_malformed_sample_is_refused_by_the_probe(release, tmp_path):
    contract = json.loads((release.installed("1") / "warden-model.json").read_text())
    contract["samples"][0]["outputs"]["score"] = [1]
    bad = tmp_path / "warden-model.json"
    bad.write_text(json.dumps(contract))
    result = subprocess.run([str(warden_binary()), "probe", "--server-id", SERVER_ID, "--ca", "x", "--tls-cert", "x",
                             "--tls-key", "x", "--contract", str(bad)], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "expects output 'score', which the contract does not declare" in result.stderr


# --- The rollback drill ------------------------------------------------------------------------


STABLE_PLAN = [{"model": "churn", "stable": "1"}]


def run_drill(server, release: Release, candidate_digest: str) -> subprocess.CompletedProcess:
    """scripts/drills/rollback.sh from stable 1 to candidate 2 (pinned to CANDIDATE_DIGEST)."""
    pki = release.pki
    return subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "drills" / "rollback.sh"), "--warden", str(warden_binary()),
         "--server", f"127.0.0.1:{server.port}", "--server-id", SERVER_ID, "--ca", str(pki / "ca.pem"),
         "--prober", f"{pki / 'prober.pem'},{pki / 'prober.key'}", "--operator", f"{pki / 'ops.pem'},{pki / 'ops.key'}",
         "--contract", str(release.installed("1")), "--model", "churn",
         "--stable", f"1={release.digests['1']}", "--candidate", f"2={candidate_digest}"],
        capture_output=True, text=True, timeout=120)


def test_the_documented_rollback_drill_passes_end_to_end(start_warden, release):
    server = serve(start_warden, release, releases=STABLE_PLAN)
    mark = server.mark()
    drill = run_drill(server, release, release.digests["2"])
    print(drill.stdout)
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "DRILL PASSED: 5 steps" in drill.stdout
    back = re.search(r"clients back on stable 1 \(digest sha256:[0-9a-f]{64}\) (\d+) ms after the rollback call", drill.stdout)
    assert back, drill.stdout
    rolled_back = server.wait_for_record(lambda r: r.get("event") == "release_rolled_back", since=mark)
    assert rolled_back["actor"] == OPERATOR and rolled_back["stable"] == "1" and rolled_back["canary"] == "2"
    assert rolled_back["reason"] == "rolled back by the admin endpoint" and rolled_back["canary_weight_before"] == "100.0"
    # The steps the document lists are the steps the script runs.
    document = (REPO_ROOT / "docs" / "releases.md").read_text()
    titles = re.findall(r'^begin "(.+)"$', (REPO_ROOT / "scripts" / "drills" / "rollback.sh").read_text(), re.M)
    assert len(titles) == 5
    for title in titles:
        assert title.replace("$stable", "STABLE").replace("$candidate", "CANDIDATE") in document, title


def test_the_drill_fails_loudly_when_the_candidate_does_not_pass_its_samples(start_warden, release):
    server = serve(start_warden, release, releases=STABLE_PLAN)
    # Version 2 is pinned to version 1's digest, so its samples are answered by the wrong artifact.
    drill = run_drill(server, release, release.digests["1"])
    assert drill.returncode == 1 and "DRILL FAILED at step 1: candidate 2 does not pass its samples" in drill.stderr


# --- Live revocation from a real registry -------------------------------------------------------


def test_a_re_signed_revocation_list_in_the_registry_moves_traffic_within_the_interval(start_warden, release):
    interval = 1.0
    release.publish_revocations("revocations-live", 1)
    server = serve(start_warden, release, revocation={
        "list": f"{release.registry.host}/models/churn:revocations-live", "trust_policy": str(release.root / "trust.yaml"),
        "interval_seconds": interval})
    session = requests.Session()
    body = (REPO_ROOT / "examples" / "requests" / "churn-infer.json").read_bytes()

    def answer(path: str = "/v2/models/churn/infer") -> requests.Response:
        return session.post(f"https://localhost:{server.port}{path}", data=body, headers={"Content-Type": "application/json"},
                            cert=(release.pki / "prober.pem", release.pki / "prober.key"), verify=str(release.pki / "ca.pem"), timeout=10)

    def ready() -> int:
        return requests.get(f"{server.probe_url}/readyz", timeout=5).status_code

    assert answer().headers["Warden-Model-Digest"] == release.digests["2"]

    # Version 2 revoked: unversioned traffic moves to version 1, the server stays Ready.
    mark = server.mark()
    release.publish_revocations("revocations-live", 2, f"{release.digests['2']}=CVE-2026-0002 in the encoder")
    published = time.monotonic()
    while answer().headers.get("Warden-Model-Digest") != release.digests["1"]:
        assert time.monotonic() - published < interval + 2.0, "traffic did not move off the revoked version"
        time.sleep(0.05)
    moved = time.monotonic() - published
    print(f"traffic moved to version 1 {moved * 1000:.0f} ms after the list was re-signed (interval {interval} s)")
    assert moved < interval + 2.0
    revoked = answer("/v2/models/churn/versions/2/infer")
    assert revoked.status_code == 503 and revoked.headers["Warden-Error-Code"] == "model_revoked"
    assert ready() == 200
    audit = server.wait_for_record(lambda r: r.get("event") == "model_revoked", since=mark)
    assert audit["digest"] == release.digests["2"] and audit["revocation_serial"] == 2 and "CVE-2026-0002" in audit["reason"]
    assert probe(server, release, "--expected-digest", release.digests["1"]).returncode == 0

    # A list signed by a key the policy does not trust changes nothing.
    release.publish_revocations("revocations-live", 9, release.digests["1"], key="stranger")
    server.wait_for_record(lambda r: r.get("event") == "revocation_check_failed", since=mark, timeout=interval + 5)
    assert answer().status_code == 200 and ready() == 200

    # Version 1 revoked too: nothing approved is left, so the server is not Ready.
    release.publish_revocations("revocations-live", 3, release.digests["1"], release.digests["2"])
    published = time.monotonic()
    while ready() != 503:
        assert time.monotonic() - published < interval + 2.0, "the server stayed Ready with every version revoked"
        time.sleep(0.05)
    assert answer().status_code == 503
    assert probe(server, release).returncode == 1
