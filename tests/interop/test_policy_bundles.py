"""Signed policy bundles for the request policy (the kill switch), end to end against a real
registry (Debian's docker-registry): `warden policy push` signs a folder of Rego and data with a
`policy_signers` key, three `warden serve` replicas poll the same tag every second.

- A new revision reaches all three replicas within the interval (the measured times are printed
  for docs); each reports the pushed revision and digest in GET /admin/policies and in
  `warden_policy_bundle_info`.
- What must not take effect does not, and the last good bundle stays: an older revision
  (a rollback, even re-signed), a bundle signed by the model signer's key, a bundle whose files
  were changed in the registry after signing (the envelope of a good bundle reused).
- `warden policy pull` writes the files and a `.manifest`; `warden policy verify` refuses what the
  replicas refuse, with the documented exit statuses.
- A replica that starts before any bundle exists is not Ready and switches every version off
  until one arrives; 403 denials carry the bundle's revision and digest.
- With the registry gone, the last good bundle is enforced until its max age (the shorter of the
  bundle's and the replica's), then decisions fail closed (503 version_disabled, not Ready).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from conftest import CHURN_DIR, WardenProcess, churn_batch, churn_v2_json
from registry import Registry, start_registry
from trust_tools import EXIT_INTEGRITY, EXIT_SIGNATURE, warden

REPOSITORY = "policies/serving"
INTERVAL = 1.0
REPLICA_MAX_AGE = 120  # the replicas' own bound; the bundles' max ages here are shorter or longer
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"

TRUST = """\
keys:
  author: {public_key: author.pub}
  ops: {public_key: ops.pub}
model_signers: [author]
policy_signers: [ops]
"""

POLICY = """\
package serving.request

import rego.v1

default allow := false

killed if input.model.version in data.serving.request.killed_versions[input.model.name]

route_closed if input.route in data.serving.request.closed_routes

allow if {
	not killed
	not route_closed
}

version_blocked if killed

reasons contains sprintf("version %v of %v is switched off", [input.model.version, input.model.name]) if killed

reasons contains sprintf("route %v is closed", [input.route]) if route_closed
"""


@dataclass
class Pushed:
    revision: int
    digest: str


@dataclass
class World:
    root: Path
    registry: Registry
    bundles: int = 0

    @property
    def trust(self) -> Path:
        return self.root / "trust.yaml"

    def ref(self, tag: str) -> str:
        return f"{self.registry.host}/{REPOSITORY}:{tag}"

    def bundle(self, killed: dict[str, list[str]] | None = None, closed_routes: list[str] | None = None,
               max_age: int = 600) -> Path:
        """A fresh bundle folder: the policy, its data at data.serving.request, and a .manifest."""
        self.bundles += 1
        folder = self.root / f"bundle-{self.bundles}"
        (folder / "serving" / "request").mkdir(parents=True)
        (folder / "serving" / "request" / "policy.rego").write_text(POLICY)
        data = {"killed_versions": killed or {}, "closed_routes": closed_routes or []}
        (folder / "serving" / "request" / "data.json").write_text(json.dumps(data))
        (folder / ".manifest").write_text(json.dumps(
            {"revision": "0", "roots": ["serving/request"], "metadata": {"max_age_seconds": max_age}}))
        return folder

    def push(self, folder: Path, tag: str, revision: int, key: str = "ops", max_age: int | None = None) -> Pushed:
        args = ["policy", "push", folder, "--to", self.ref(tag), "--private-key", self.root / f"{key}.key",
                "--revision", str(revision)]
        result = warden(*args, *(["--max-age", str(max_age)] if max_age else []))
        assert result.returncode == 0, result.stdout + result.stderr
        line = result.stdout.strip()
        assert line.startswith(f"published policy bundle revision {revision} "), line
        digest = line.split()[-1]
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), line
        return Pushed(revision, digest)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    """Keys (a model signer and a policy signer), the trust policy, and a real registry."""
    root = tmp_path_factory.mktemp("policy-bundles")
    for name in ("author", "ops"):
        made = warden("keygen", "--out", root / name)
        assert made.returncode == 0, made.stderr
    (root / "trust.yaml").write_text(TRUST)
    registry = start_registry(root / "registry")
    try:
        yield World(root, registry)
    finally:
        registry.stop()


def serve_config(world: World, tag: str, **bundle) -> dict:
    return {
        "models": [{"directory": str(CHURN_DIR)}],
        "listen": {"insecure_admin_without_identity": True},
        "policies": {"bundle": {
            "reference": world.ref(tag), "trust_policy": str(world.trust), "interval_seconds": INTERVAL, "jitter": 0.2,
            "max_age_seconds": REPLICA_MAX_AGE, **bundle,
        }},
    }


@dataclass
class Fleet:
    world: World
    servers: list[WardenProcess]
    tag: str = "current"
    in_force: Pushed | None = None
    killing: bool = False
    sessions: dict[int, requests.Session] = field(default_factory=dict)

    def session(self, server: WardenProcess) -> requests.Session:
        return self.sessions.setdefault(server.port, requests.Session())

    def infer(self, server: WardenProcess, timeout: float = 5) -> requests.Response:
        return self.session(server).post(f"{server.url}/v2/models/churn/infer", json=churn_v2_json(churn_batch(1)),
                                         timeout=timeout)

    def marks(self) -> list[int]:
        return [server.mark() for server in self.servers]

    def roll_out(self, revision: int, killed: dict | None = None, max_age: int | None = None) -> Pushed:
        """Pushes a bundle and waits until every replica reports it in /admin/policies."""
        pushed = self.world.push(self.world.bundle(killed=killed), self.tag, revision, max_age=max_age)
        for server in self.servers:
            wait_until(lambda: admin(server)["bundle"].get("digest") == pushed.digest, INTERVAL + 5,
                       f"{server.label} did not activate revision {revision}: {admin(server)}")
        self.in_force, self.killing = pushed, bool(killed)
        return pushed

    def ensure_killing(self) -> Pushed:
        """The fleet runs a bundle that switches churn 1 off (the state test 1 leaves)."""
        if not self.killing or self.in_force is None:
            self.roll_out((self.in_force.revision if self.in_force else 0) + 1, killed={"churn": ["1"]})
        return self.in_force


@pytest.fixture(scope="module")
def fleet(world, tmp_path_factory) -> Fleet:
    """Three replicas polling one tag, started before any bundle is there (so not Ready)."""
    workdir = tmp_path_factory.mktemp("fleet")
    servers = [WardenProcess([], config=serve_config(world, "current"), workdir=workdir, label=f"replica-{i}")
               for i in range(3)]
    try:
        for server in servers:
            server.start(expect_ready=False)
        yield Fleet(world, servers)
    finally:
        for server in servers:
            try:
                server.stop(timeout=10)
            except Exception:
                server.kill()


@pytest.fixture(autouse=True)
def _fleet_logs_on_failure(request):
    yield
    report = getattr(request.node, "rep_call", None)
    fleet = getattr(request.node, "funcargs", {}).get("fleet")
    if report is None or not report.failed or fleet is None:
        return
    for server in fleet.servers:
        print(f"--- {server.label} (port {server.port}), last 40 log lines ---")
        print("\n".join(server.lines()[-40:]))
        if server.stderr():
            print("[stderr]\n" + server.stderr()[-2000:])


# --- helpers ----------------------------------------------------------------------------------------


def wait_until(predicate, timeout: float, message: str = "", step: float = 0.05) -> float:
    """Seconds until `predicate` held; fails after `timeout`."""
    started = time.monotonic()
    while True:
        try:
            if predicate():
                return time.monotonic() - started
        except requests.RequestException:
            pass
        if time.monotonic() - started > timeout:
            raise AssertionError(message or f"condition not met within {timeout} s")
        time.sleep(step)


def admin(server: WardenProcess) -> dict:
    response = requests.get(f"{server.url}/admin/policies", timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def ready(server: WardenProcess) -> int:
    return requests.get(f"{server.probe_url}/readyz", timeout=5).status_code


def scrape(server: WardenProcess) -> str:
    response = requests.get(f"{server.url}/metrics", timeout=5)
    assert response.status_code == 200
    return response.text


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the one series of `name` (labelled or not) whose labels include `labels`."""
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(\{{.*\}})?\s+(\S+)$", line)
        if not match:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(1) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(2))
    return None


def disabled(response: requests.Response) -> bool:
    return response.status_code == 503 and response.json().get("code") == "version_disabled"


def bundle_warnings(server: WardenProcess) -> list[str]:
    """The policy bundle's lines among the readiness body's warnings."""
    body = requests.get(f"{server.url}/v2/health/ready", timeout=5).json()
    return [warning for warning in body.get("warnings", []) if warning.startswith("policy bundle")]


def events(server: WardenProcess, name: str, since: int = 0) -> list[dict]:
    return [r for r in server.records(since) if r.get("event") == name]


# --- three replicas, one tag -----------------------------------------------------------------------


def test_a_new_revision_reaches_three_replicas_within_the_interval(fleet, world):
    # Nothing at the tag yet: every replica switches every version off.
    for server in fleet.servers:
        assert ready(server) == 503 and disabled(fleet.infer(server))

    first = fleet.roll_out(1)
    for server in fleet.servers:
        wait_until(lambda: ready(server) == 200, 5, f"{server.label} did not become Ready on revision 1")
        assert fleet.infer(server).status_code == 200

    marks = fleet.marks()
    second = world.push(world.bundle(killed={"churn": ["1"]}), fleet.tag, 2)
    pushed = time.monotonic()
    refused_after: dict[str, float] = {}
    while len(refused_after) < len(fleet.servers):
        for server in fleet.servers:
            if server.label not in refused_after and disabled(fleet.infer(server)):
                refused_after[server.label] = time.monotonic() - pushed
        if time.monotonic() - pushed > INTERVAL + 5:
            break
        time.sleep(0.05)
    fleet.in_force, fleet.killing = second, True
    print("revision 2 refused by each replica after the push returned: "
          + ", ".join(f"{label} {seconds * 1000:.0f} ms" for label, seconds in sorted(refused_after.items()))
          + f" (interval {INTERVAL} s, jitter 0.2)")
    assert len(refused_after) == 3, f"only {sorted(refused_after)} refused within {INTERVAL + 5} s"
    assert max(refused_after.values()) <= INTERVAL + 1.0, refused_after

    for server, mark in zip(fleet.servers, marks):
        status = admin(server)
        assert status["source"] == "bundle"
        bundle = status["bundle"]
        assert (bundle["revision"], bundle["digest"], bundle["signer"]) == (2, second.digest, "ops"), bundle
        assert bundle["reference"] == world.ref(fleet.tag) and bundle["roots"] == ["serving/request"]
        assert bundle["stale"] is False and 0 <= bundle["age_seconds"] < 30
        activated = server.wait_for_record(lambda r: r.get("event") == "policy_bundle_activated", since=mark)
        assert (str(activated["policy_revision"]), activated["policy_digest"]) == ("2", second.digest), activated
        assert (activated["signer"], str(activated["previous_revision"])) == ("ops", "1"), activated
        assert ready(server) == 503, "the only version is switched off, so the replica is not Ready"
        metrics = scrape(server)
        assert sample(metrics, "warden_policy_bundle_info", revision="2", digest=second.digest) == 1
        assert sample(metrics, "warden_policy_bundle_info", revision="1", digest=first.digest) is None
        assert sample(metrics, "warden_policy_bundle_revision") == 2
        assert sample(metrics, "warden_policy_bundle_checks_total", result="activated") >= 2
        assert sample(metrics, "warden_policy_decisions_total", outcome="version_blocked", bundle_revision="2") >= 1
        assert sample(metrics, "warden_policy_decisions_total", outcome="allow", bundle_revision="1") >= 1


def test_an_older_revision_is_refused_as_a_rollback_and_the_last_good_bundle_stays(fleet, world):
    running = fleet.ensure_killing()
    marks = fleet.marks()
    # Revision 1 re-signed now (so a new digest the replicas fetch): older than the one in force.
    older = world.push(world.bundle(), fleet.tag, running.revision - 1)
    for server, mark in zip(fleet.servers, marks):
        rejected = server.wait_for_record(lambda r: r.get("event") == "policy_bundle_rejected", since=mark,
                                          timeout=INTERVAL + 5)
        assert "policy_bundle_rollback" in rejected["reason"] and rejected["policy_digest"] == older.digest, rejected
        if server is fleet.servers[0]:  # seen within milliseconds of the refusal, before the next poll
            assert bundle_warnings(server), "no readiness warning right after the refusal"
        bundle = admin(server)["bundle"]
        assert (bundle["revision"], bundle["digest"]) == (running.revision, running.digest), bundle
        assert "policy_bundle_rollback" in bundle["last_failure"], bundle
        assert disabled(fleet.infer(server)), "a rollback must not switch the version back on"
    # Polls after the first refusal still find the refused bundle at the tag: the last result
    # stays "rejected", and the readiness body keeps saying why.
    time.sleep(INTERVAL * 1.5)
    for server, mark in zip(fleet.servers, marks):
        assert not events(server, "policy_bundle_activated", since=mark)
        assert len(events(server, "policy_bundle_rejected", since=mark)) == 1, "one audit line per refused bundle"
        assert admin(server)["bundle"]["last_result"] == "rejected"
        assert bundle_warnings(server), f"{server.label}: the last check was rejected, but readiness no longer says so"


def test_a_bundle_signed_by_the_model_signers_key_is_refused_everywhere(fleet, world):
    running = fleet.ensure_killing()
    marks = fleet.marks()
    forged = world.push(world.bundle(), fleet.tag, running.revision + 1, key="author")
    for server, mark in zip(fleet.servers, marks):
        rejected = server.wait_for_record(lambda r: r.get("event") == "policy_bundle_rejected", since=mark,
                                          timeout=INTERVAL + 5)
        assert "untrusted_key" in rejected["reason"] and rejected["policy_digest"] == forged.digest, rejected
        bundle = admin(server)["bundle"]
        assert (bundle["revision"], bundle["digest"]) == (running.revision, running.digest), bundle
        assert disabled(fleet.infer(server))
        assert sample(scrape(server), "warden_policy_bundle_checks_total", result="rejected") >= 1
    verified = warden("policy", "verify", world.ref(fleet.tag), "--trust", world.trust, "--json")
    assert verified.returncode == EXIT_SIGNATURE, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["code"] == "untrusted_key"


# --- tampering in the registry, pull ---------------------------------------------------------------


def registry_manifest(registry: Registry, tag: str) -> bytes:
    response = registry.get(f"/v2/{REPOSITORY}/manifests/{tag}", headers={"Accept": OCI_MANIFEST})
    assert response.status_code == 200, response.text
    return response.content


def registry_put_blob(registry: Registry, data: bytes) -> dict:
    """Uploads a blob through the distribution API (POST, then PUT with the digest)."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    started = requests.post(registry.url(f"/v2/{REPOSITORY}/blobs/uploads/"), timeout=5)
    assert started.status_code == 202, started.text
    location = started.headers["Location"]
    if location.startswith("/"):
        location = registry.url(location)
    done = requests.put(location, params={"digest": digest}, data=data,
                        headers={"Content-Type": "application/octet-stream"}, timeout=5)
    assert done.status_code == 201, done.text
    return {"digest": digest, "size": len(data)}


def registry_put_manifest(registry: Registry, tag: str, manifest: dict | bytes) -> None:
    body = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    response = requests.put(registry.url(f"/v2/{REPOSITORY}/manifests/{tag}"), data=body,
                            headers={"Content-Type": OCI_MANIFEST}, timeout=5)
    assert response.status_code == 201, response.text


def layer_titled(manifest: dict, path: str) -> dict:
    return next(layer for layer in manifest["layers"]
                if layer.get("annotations", {}).get("org.opencontainers.image.title") == path)


def test_files_changed_in_the_registry_after_signing_are_refused_by_verify_and_by_every_replica(fleet, world):
    """Someone who may write to the registry but holds no policy key takes the envelope of the
    bundle in force and swaps its data document for one that switches the version back on."""
    running = fleet.ensure_killing()
    # The manifest of the bundle in force (the tag may hold a refused one by now), as bytes.
    original = registry_manifest(world.registry, running.digest)
    good = json.loads(original)
    data = registry_put_blob(world.registry, json.dumps({"killed_versions": {}, "closed_routes": []}).encode())

    swapped = json.loads(json.dumps(good))
    layer_titled(swapped, "serving/request/data.json").update(data)
    registry_put_manifest(world.registry, "swapped", swapped)
    result = warden("policy", "verify", world.ref("swapped"), "--trust", world.trust, "--json")
    assert result.returncode == EXIT_INTEGRITY, result.stdout + result.stderr
    assert json.loads(result.stdout)["code"] == "digest_mismatch", result.stdout

    added = json.loads(json.dumps(good))
    extra = registry_put_blob(world.registry, b"package serving.request\n\nimport rego.v1\n\nallow := true\n")
    added["layers"].insert(0, {**layer_titled(good, "serving/request/policy.rego"), **extra,
                               "annotations": {"org.opencontainers.image.title": "serving/request/open.rego"}})
    registry_put_manifest(world.registry, "added", added)
    result = warden("policy", "verify", world.ref("added"), "--trust", world.trust, "--json")
    assert result.returncode == EXIT_INTEGRITY, result.stdout + result.stderr
    assert json.loads(result.stdout)["code"] == "unexpected_file", result.stdout

    # The swapped bundle at the tag the replicas follow changes nothing.
    marks = fleet.marks()
    registry_put_manifest(world.registry, fleet.tag, swapped)
    for server, mark in zip(fleet.servers, marks):
        rejected = server.wait_for_record(lambda r: r.get("event") == "policy_bundle_rejected", since=mark,
                                          timeout=INTERVAL + 5)
        assert "digest_mismatch" in rejected["reason"], rejected
        assert admin(server)["bundle"]["digest"] == running.digest
        assert disabled(fleet.infer(server)), "a tampered bundle must not switch the version back on"
    # The genuine bundle back at the tag: the replicas already run it, nothing changes.
    registry_put_manifest(world.registry, fleet.tag, original)
    for server in fleet.servers:
        wait_until(lambda: admin(server)["bundle"]["last_result"] == "unchanged", INTERVAL + 3)
        assert disabled(fleet.infer(server))


def test_pull_writes_the_verified_files_and_the_manifest(world, tmp_path):
    folder = world.bundle(killed={"churn": ["7"]}, closed_routes=["metadata"], max_age=900)
    pushed = world.push(folder, "pull", 5)
    out = tmp_path / "pulled"
    result = warden("policy", "pull", world.ref("pull"), "--trust", world.trust, "--out", out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"revision 5 {pushed.digest}, signed by ops" in result.stdout, result.stdout
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == [".manifest", "serving/request/data.json", "serving/request/policy.rego"], files
    for name in ("serving/request/data.json", "serving/request/policy.rego"):
        assert (out / name).read_bytes() == (folder / name).read_bytes()
    manifest = json.loads((out / ".manifest").read_text())
    assert manifest["revision"] == "5" and manifest["roots"] == ["serving/request"]
    assert manifest["metadata"] == {"max_age_seconds": 900}, manifest
    # verify --json names what was verified.
    verified = warden("policy", "verify", world.ref("pull"), "--trust", world.trust, "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    summary = json.loads(verified.stdout)
    assert summary["verified"] is True and (summary["revision"], summary["digest"], summary["signer"]) == (5, pushed.digest, "ops")
    # A folder that exists is never written into.
    again = warden("policy", "pull", world.ref("pull"), "--trust", world.trust, "--out", out)
    assert again.returncode != 0


# --- one replica, its own tag ----------------------------------------------------------------------


def test_a_replica_started_before_any_bundle_is_not_ready_until_one_arrives(start_warden, world):
    server = start_warden(config=serve_config(world, "late"), label="late", expect_ready=False)
    server.wait_for_record(lambda r: r.get("event") == "policy_bundle_check_failed")
    assert ready(server) == 503
    refused = requests.post(f"{server.url}/v2/models/churn/infer", json=churn_v2_json(churn_batch(1)), timeout=5)
    assert disabled(refused), refused.text
    assert admin(server)["bundle"]["last_result"] == "failed"

    # Inference allowed, metadata closed: a 403 denial, not a switched-off version.
    pushed = world.push(world.bundle(closed_routes=["metadata"]), "late", 1)
    wait_until(lambda: ready(server) == 200, INTERVAL + 5, "the replica did not become Ready once a bundle was pushed")
    answer = requests.post(f"{server.url}/v2/models/churn/infer", json=churn_v2_json(churn_batch(1)), timeout=5)
    assert answer.status_code == 200, answer.text
    mark = server.mark()
    denied = requests.get(f"{server.url}/v2/models/churn", timeout=5)
    assert denied.status_code == 403 and denied.json()["code"] == "policy_denied", denied.text
    audit = server.wait_for_record(lambda r: r.get("event") == "policy_denied", since=mark)
    assert (str(audit["policy_revision"]), audit["policy_digest"]) == ("1", pushed.digest), audit
    assert any("route metadata is closed" in reason for reason in audit.get("reasons", [])), audit
    assert sample(scrape(server), "warden_policy_decisions_total", outcome="deny", bundle_revision="1") >= 1


def test_the_replicas_own_max_age_applies_when_it_is_shorter_than_the_bundles(start_warden, world):
    pushed = world.push(world.bundle(max_age=600), "short", 1)
    server = start_warden(config=serve_config(world, "short", max_age_seconds=4), label="short-max-age")
    shown = admin(server)["bundle"]
    assert shown["digest"] == pushed.digest and shown["max_age_seconds"] == 4, "the effective (shorter) max age is shown"
    answer = requests.post(f"{server.url}/v2/models/churn/infer", json=churn_v2_json(churn_batch(1)), timeout=5)
    assert answer.status_code == 200, answer.text
    # The registry is up and the bundle unchanged, but it was signed more than 4 s ago.
    stale = server.wait_for_record(lambda r: r.get("event") == "policy_bundle_stale", timeout=4 + INTERVAL + 3)
    assert float(stale["max_age_seconds"]) == 4, stale
    wait_until(lambda: disabled(requests.post(f"{server.url}/v2/models/churn/infer",
                                              json=churn_v2_json(churn_batch(1)), timeout=5)), 3)
    assert ready(server) == 503


# --- the registry goes away (last: it stops the shared registry) ------------------------------------


def test_with_the_registry_down_the_last_good_bundle_holds_until_its_max_age_then_fails_closed(fleet, world):
    max_age = 6
    signed = time.monotonic()  # just before signing: time since then bounds the bundle's age from above
    current = fleet.roll_out((fleet.in_force.revision if fleet.in_force else 0) + 10, max_age=max_age)
    for server in fleet.servers:
        wait_until(lambda: fleet.infer(server).status_code == 200, 5, f"{server.label} still refuses on {current}")
        assert ready(server) == 200
        assert admin(server)["bundle"]["max_age_seconds"] == max_age, "the bundle's max age (shorter) applies"
    marks = fleet.marks()
    world.registry.stop()

    for server, mark in zip(fleet.servers, marks):
        failed = server.wait_for_record(lambda r: r.get("event") == "policy_bundle_check_failed", since=mark,
                                        timeout=INTERVAL + 3)
        assert failed["reference"] == world.ref(fleet.tag)
    assert time.monotonic() - signed < max_age - 1, "too slow to observe the bundle before its max age"
    first = {server.label: sample(scrape(server), "warden_policy_bundle_age_seconds") for server in fleet.servers}
    for server in fleet.servers:
        assert fleet.infer(server).status_code == 200, "the last good bundle must stay in force within its max age"
        bundle = admin(server)["bundle"]
        assert bundle["digest"] == current.digest and bundle["last_result"] in ("failed", "circuit_open"), bundle
        assert bundle_warnings(server), "no readiness warning while the registry cannot be read"
    time.sleep(INTERVAL + 0.2)
    for server in fleet.servers:
        later = sample(scrape(server), "warden_policy_bundle_age_seconds")
        assert later > first[server.label], (first, later)

    for server, mark in zip(fleet.servers, marks):
        stale = server.wait_for_record(lambda r: r.get("event") == "policy_bundle_stale", since=mark,
                                       timeout=max_age + INTERVAL + 3)
        assert str(stale["policy_revision"]) == str(current.revision) and float(stale["max_age_seconds"]) == max_age, stale
        # issued_at is whole seconds (rounded down), so a replica may count up to 1 s more.
        assert time.monotonic() - signed > max_age - 1.2, "stale before its max age"
        wait_until(lambda: disabled(fleet.infer(server)), 3, f"{server.label} kept serving on a stale bundle")
        assert ready(server) == 503
        health = requests.get(f"{server.url}/v2/health/ready", timeout=5)
        assert health.status_code != 200, health.text
        metrics = scrape(server)
        assert sample(metrics, "warden_policy_bundle_stale") == 1
        assert sample(metrics, "warden_policy_bundle_age_seconds") > max_age
        assert sample(metrics, "warden_policy_bundle_checks_total", result="failed") >= 1
        assert admin(server)["bundle"]["stale"] is True
        assert len(events(server, "policy_bundle_check_failed", since=mark)) == 1, "one audit line per outage"
