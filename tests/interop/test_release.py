"""Release management against a running server over mutual TLS: several versions of a model
at once, a canary promoted step by step when it holds its SLOs, rolled back at once when its
errors or its latency break them, sticky per client identity; the admin endpoint; and the
kill switch per version and per client, in force within a second of the policy changing."""

from __future__ import annotations

import json
import signal
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import CHURN_DIR, REPO_ROOT, warden_binary
from slow_model import slow_request, write_slow_model

DOMAIN = "warden.test"
CLIENTS = [f"c{index}" for index in range(24)]
ADMIN = f"spiffe://{DOMAIN}/ns/ops/sa/release-admin"
REQUEST = json.loads((REPO_ROOT / "examples" / "requests" / "churn-infer.json").read_text())


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("release-pki")
    clients = [f"{name}=ns/serving/sa/{name}" for name in CLIENTS] + ["ops=ns/ops/sa/release-admin"]
    result = subprocess.run([str(warden_binary()), "dev-pki", "--out", str(directory), "--trust-domain", DOMAIN,
                             *[arg for client in clients for arg in ("--client", client)]],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return directory


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    """churn as version 1 and 2 (the same artifact), version 3 whose output contract every
    answer breaks (a 500 on each request), and a fast and a slow version of a dense model."""
    root = tmp_path_factory.mktemp("release-models")
    broken = root / "churn-broken"
    shutil.copytree(CHURN_DIR, broken)
    contract = json.loads((broken / "warden-model.json").read_text())
    contract["output_schema"]["properties"]["probabilities"]["items"]["maximum"] = -1
    (broken / "warden-model.json").write_text(json.dumps(contract))
    write_slow_model(root / "dense-fast", name="dense", layers=1)
    write_slow_model(root / "dense-slow", name="dense", layers=12)
    return root


def serve(start_warden, pki: Path, models: Path, releases: list[dict], **extra) -> object:
    return start_warden(config={
        "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"),
                "client_ca_bundle": str(pki / "ca.pem")},
        "authorization": {"rules": [
            {"routes": ["infer", "metadata"], "allow": [f"spiffe://{DOMAIN}/ns/serving/*"]},
            {"routes": ["admin", "metrics"], "allow": [ADMIN]},
        ]},
        "models": [
            {"directory": str(CHURN_DIR), "version": "1"},
            {"directory": str(CHURN_DIR), "version": "2"},
            {"directory": str(models / "churn-broken"), "version": "3"},
            {"directory": str(models / "dense-fast"), "version": "1"},
            {"directory": str(models / "dense-slow"), "version": "2"},
        ],
        "releases": releases,
        **extra,
    }, label="release")


def call(server, pki: Path, client: str, path: str, method: str = "POST", **kwargs) -> requests.Response:
    return requests.request(method, f"https://localhost:{server.port}{path}", cert=(pki / f"{client}.pem", pki / f"{client}.key"),
                            verify=str(pki / "ca.pem"), timeout=30, **kwargs)


def infer(server, pki: Path, client: str, model: str = "churn", version: str | None = None) -> requests.Response:
    path = f"/v2/models/{model}" + (f"/versions/{version}" if version else "") + "/infer"
    body = slow_request(1) if model == "dense" else REQUEST
    return call(server, pki, client, path, json=body)


def plans(server, pki: Path) -> dict:
    answer = call(server, pki, "ops", "/admin/releases", method="GET")
    assert answer.status_code == 200, answer.text
    return {plan["model"]: plan for plan in answer.json()["releases"]}


def drive(server, pki: Path, model: str, until, timeout: float = 60.0) -> list[requests.Response]:
    """Sends unversioned requests from every client in turn until `until(plan)` holds."""
    answers = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for client in CLIENTS:
            answers.append(infer(server, pki, client, model))
        if until(plans(server, pki)[model]):
            return answers
    raise AssertionError(f"release did not reach the expected state: {plans(server, pki)[model]}")


def audit(server, since: int, decision: str) -> list[dict]:
    return [record for record in server.records(since) if record.get("event") == f"release_{decision}"]


ANALYSIS = {"window_seconds": 10, "min_requests": 20, "step_seconds": 2}


def test_versions_are_served_side_by_side_and_name_themselves(start_warden, pki, models):
    server = serve(start_warden, pki, models, [])
    for version in ("1", "2"):
        answer = infer(server, pki, "c0", version=version)
        assert answer.status_code == 200 and answer.headers["Warden-Model-Version"] == version
    metadata = call(server, pki, "c0", "/v2/models/churn", method="GET").json()
    assert metadata["versions"] == ["1", "2", "3"]


def test_a_good_canary_is_promoted_step_by_step(start_warden, pki, models):
    server = serve(start_warden, pki, models, [{"model": "churn", "stable": "1", "canary": "2", "steps": [25, 100],
                                                "analysis": ANALYSIS}])
    mark = server.mark()
    answers = drive(server, pki, "churn", lambda plan: plan["phase"] == "stable" and plan["stable"] == "2")
    assert all(answer.status_code == 200 for answer in answers)
    assert [r["canary_weight"] for r in audit(server, mark, "promoted")] == ["100.0"]
    completed = audit(server, mark, "completed")
    assert len(completed) == 1 and completed[0]["model"] == "churn" and completed[0]["audit"] == "true"
    assert completed[0]["actor"] == "system:canary-analysis"
    assert {answer.headers["Warden-Model-Version"] for answer in answers} == {"1", "2"}
    assert infer(server, pki, "c5").headers["Warden-Model-Version"] == "2"
    metrics = call(server, pki, "ops", "/metrics", method="GET").text
    assert 'warden_release_decisions_total{model="churn",decision="completed"} 1' in metrics


def test_a_canary_that_errors_is_rolled_back_within_the_window(start_warden, pki, models):
    server = serve(start_warden, pki, models, [{"model": "churn", "stable": "1", "canary": "3", "steps": [50],
                                                "analysis": ANALYSIS}])
    mark = server.mark()
    started = time.monotonic()
    answers = drive(server, pki, "churn", lambda plan: plan["phase"] == "rolled_back", timeout=30)
    elapsed = time.monotonic() - started
    failed = [a for a in answers if a.status_code == 500]
    assert failed and all(a.headers["Warden-Model-Version"] == "3" for a in failed)
    print(f"error canary rolled back {elapsed:.2f} s after traffic began, after {len(failed)} failed requests")
    assert elapsed < ANALYSIS["window_seconds"], elapsed
    [rollback] = audit(server, mark, "rolled_back")
    assert rollback["canary"] == "3" and "error rate" in rollback["reason"]
    # Afterwards every client is on stable again.
    after = [infer(server, pki, client) for client in CLIENTS]
    assert {(a.status_code, a.headers["Warden-Model-Version"]) for a in after} == {(200, "1")}


def test_a_slow_canary_is_rolled_back(start_warden, pki, models):
    analysis = {**ANALYSIS, "p95_floor_seconds": 0.002}
    server = serve(start_warden, pki, models, [{"model": "dense", "stable": "1", "canary": "2", "steps": [50],
                                                "analysis": analysis}])
    mark = server.mark()
    started = time.monotonic()
    drive(server, pki, "dense", lambda plan: plan["phase"] == "rolled_back", timeout=60)
    [rollback] = audit(server, mark, "rolled_back")
    print(f"slow canary rolled back {time.monotonic() - started:.2f} s after traffic began: {rollback['reason']}")
    assert "p95" in rollback["reason"], rollback


def test_each_client_sees_one_version(start_warden, pki, models):
    analysis = {**ANALYSIS, "automatic": False}
    server = serve(start_warden, pki, models, [{"model": "churn", "stable": "1", "canary": "2", "steps": [50],
                                                "split": "client", "analysis": analysis}])
    seen = {client: {infer(server, pki, client).headers["Warden-Model-Version"] for _ in range(4)} for client in CLIENTS}
    assert all(len(versions) == 1 for versions in seen.values()), seen
    assert {version for versions in seen.values() for version in versions} == {"1", "2"}


def test_behind_one_gateway_the_canary_gets_its_weight_and_a_bad_one_is_rolled_back(start_warden, pki, models):
    """The documented topology: only the inference gateway calls Warden, so every request
    carries one SPIFFE ID. The canary used to get none of it (the split hashed the client);
    split per request (the default), it gets its weight and the analysis reaches a verdict."""
    def gateway_session():
        session = requests.Session()
        session.cert = (pki / "c0.pem", pki / "c0.key")
        return session

    verify = str(pki / "ca.pem")  # per request: an environment CA bundle would override the session's

    steady = serve(start_warden, pki, models, [{"model": "churn", "stable": "1", "canary": "2", "steps": [10],
                                                "analysis": {**ANALYSIS, "automatic": False}}])
    session = gateway_session()
    url = f"https://localhost:{steady.port}/v2/models/churn/infer"
    versions = [session.post(url, json=REQUEST, verify=verify, timeout=30).headers["Warden-Model-Version"] for _ in range(2000)]
    share = versions.count("2") / len(versions) * 100
    print(f"one identity, weight 10%: canary share {share:.1f}% of 2,000 requests")
    assert abs(share - 10) <= 3, share

    failing = serve(start_warden, pki, models, [{"model": "churn", "stable": "1", "canary": "3", "steps": [50],
                                                 "analysis": ANALYSIS}])
    session = gateway_session()
    url = f"https://localhost:{failing.port}/v2/models/churn/infer"
    deadline = time.monotonic() + 30
    while plans(failing, pki)["churn"]["phase"] != "rolled_back":
        assert time.monotonic() < deadline, plans(failing, pki)["churn"]
        for _ in range(20):
            session.post(url, json=REQUEST, verify=verify, timeout=30)
    [rollback] = audit(failing, 0, "rolled_back")
    assert rollback["canary"] == "3" and "error rate" in rollback["reason"]
    assert plans(failing, pki)["churn"]["split"] == "request"


def test_the_admin_endpoint_shows_and_changes_plans_for_allowed_identities_only(start_warden, pki, models):
    server = serve(start_warden, pki, models, [])
    assert call(server, pki, "c0", "/admin/releases", method="GET").status_code == 403
    plan = {"stable": "1", "canary": "2", "steps": [10, 50], "analysis": {"automatic": False}}
    assert call(server, pki, "c0", "/admin/releases/churn", method="PUT", json=plan).status_code == 403
    mark = server.mark()
    answer = call(server, pki, "ops", "/admin/releases/churn", method="PUT", json=plan)
    assert answer.status_code == 200, answer.text
    # Every admin answer is the model's plan, the shape GET /admin/releases/{model} has.
    assert answer.json() == call(server, pki, "ops", "/admin/releases/churn", method="GET").json()
    assert answer.json()["canary_weight"] == 10.0 and answer.json()["split"] == "request"
    [changed] = audit(server, mark, "plan_changed")
    assert changed["actor"] == ADMIN and changed["reason"] == "a new plan from the admin endpoint"
    assert (changed["canary_weight_before"], changed["canary_weight"]) == ("0.0", "10.0")
    promoted = call(server, pki, "ops", "/admin/releases/churn/promote", method="POST", json={"reason": "ticket OPS-42: latency verified"})
    assert promoted.status_code == 200 and promoted.json()["canary_weight"] == 50.0
    # The operator's promotion is audited as theirs, with their reason, not the analysis'.
    [step] = audit(server, mark, "promoted")
    assert (step["actor"], step["reason"]) == (ADMIN, "ticket OPS-42: latency verified")
    assert (step["canary_weight_before"], step["canary_weight"]) == ("10.0", "50.0")
    bad_reason = call(server, pki, "ops", "/admin/releases/churn/promote", method="POST", json={"reason": "a\nb"})
    assert bad_reason.status_code == 400
    assert plans(server, pki)["churn"]["canary_weight"] == 50.0
    rolled_back = call(server, pki, "ops", "/admin/releases/churn/rollback", method="POST")
    assert rolled_back.status_code == 200 and rolled_back.json()["phase"] == "rolled_back"
    conflict = call(server, pki, "ops", "/admin/releases/churn/rollback", method="POST")
    assert conflict.status_code == 409 and conflict.json()["title"] == "No canary in progress"
    bad = call(server, pki, "ops", "/admin/releases/churn", method="PUT", json={"stable": "1", "canary": "9", "steps": [10]})
    assert bad.status_code == 422 and bad.headers["Warden-Error-Code"] == "invalid_release_plan"
    typo = call(server, pki, "ops", "/admin/releases/churn", method="PUT", json={"stable": "1", "stepz": [10]})
    assert typo.status_code == 422


KILL_SWITCH = """\
package serving.request

import rego.v1

default allow := false

allow if {
\tnot version_blocked
\tnot client_blocked
}

version_blocked if input.model.version in data.kill.versions

version_blocked if {
\tsome entry in data.kill.client_versions
\tentry.client == input.client.spiffe_id
\tentry.version == input.model.version
}

client_blocked if input.client.spiffe_id in data.kill.clients

reasons contains "version switched off" if version_blocked

reasons contains "client blocked" if client_blocked
"""


def test_kill_switch_per_version_and_per_client_within_a_second(start_warden, pki, models, tmp_path):
    policy, data = tmp_path / "kill.rego", tmp_path / "kill.json"
    policy.write_text(KILL_SWITCH)
    data.write_text(json.dumps({"kill": {"versions": [], "clients": [], "client_versions": []}}))
    server = serve(start_warden, pki, models, [], policies={"request": {"files": [str(policy)], "data": [str(data)]}})
    c0, c1 = f"spiffe://{DOMAIN}/ns/serving/sa/c0", f"spiffe://{DOMAIN}/ns/serving/sa/c1"

    def takes_effect(kill: dict, client: str, version: str, status: int) -> float:
        data.write_text(json.dumps({"kill": {"versions": [], "clients": [], "client_versions": [], **kill}}))
        written = time.monotonic()
        while (answer := infer(server, pki, client, version=version)).status_code != status:
            assert time.monotonic() - written < 5, answer.text
            time.sleep(0.02)
        return time.monotonic() - written

    assert infer(server, pki, "c0", version="2").status_code == 200
    delays = [takes_effect({"versions": ["2"]}, "c0", "2", 503)]
    answer = infer(server, pki, "c1", version="2")
    assert answer.headers["Warden-Error-Code"] == "version_disabled"
    assert infer(server, pki, "c0", version="1").status_code == 200
    # An unversioned request skips the switched-off version as it skips a revoked one: the
    # highest version that serves (3 always fails its output contract, so churn's next is 1).
    unversioned = infer(server, pki, "c0")
    assert unversioned.headers["Warden-Model-Version"] != "2", unversioned.headers
    data.write_text(json.dumps({"kill": {"versions": ["1", "2", "3"], "clients": [], "client_versions": []}}))
    written = time.monotonic()
    while (answer := infer(server, pki, "c0")).status_code != 503:
        assert time.monotonic() - written < 5, answer.text
        time.sleep(0.02)
    assert answer.headers["Warden-Error-Code"] == "version_disabled"  # nothing left to answer
    delays.append(takes_effect({"clients": [c1]}, "c1", "1", 403))
    assert infer(server, pki, "c1", version="1").headers["Warden-Error-Code"] == "policy_denied"
    assert infer(server, pki, "c0", version="1").status_code == 200
    delays.append(takes_effect({"client_versions": [{"client": c0, "version": "1"}]}, "c0", "1", 503))
    assert infer(server, pki, "c0", version="2").status_code == 200 and infer(server, pki, "c2", version="1").status_code == 200
    delays.append(takes_effect({}, "c0", "1", 200))
    print(f"kill switch in force after {', '.join(f'{d * 1000:.0f} ms' for d in delays)}")
    assert max(delays) < 1.0, delays


def test_a_version_killed_for_everyone_says_so_everywhere(start_warden, pki, models, tmp_path):
    """Issue 27: a kill switch on a version is a model state like a revocation — in metadata,
    per-version readiness, the readiness warnings, the index and a gauge — and a version killed
    at start never logs model_ready. A per-client kill does not make the version killed."""
    policy, data = tmp_path / "kill.rego", tmp_path / "kill.json"
    policy.write_text(KILL_SWITCH)
    data.write_text(json.dumps({"kill": {"versions": ["2"], "clients": [], "client_versions": []}}))
    server = serve(start_warden, pki, models, [], policies={"request": {"files": [str(policy)], "data": [str(data)]}})
    ready = [(r["model"], r["version"]) for r in server.records() if r.get("event") == "model_ready"]
    assert ("churn", "1") in ready and ("churn", "2") not in ready, ready
    killed = [r for r in server.records() if r.get("event") == "version_killed" and r["model"] == "churn"]
    assert [(r["model"], r["version"], r["actor"], r["reasons"]) for r in killed] == [
        ("churn", "2", "system:policy-watch", ["version switched off"])]

    def availability(version: str) -> tuple:
        metadata = call(server, pki, "c0", f"/v2/models/churn/versions/{version}", method="GET").json()
        readiness = call(server, pki, "c0", f"/v2/models/churn/versions/{version}/ready", method="GET")
        assert readiness.json()["availability"] == metadata["availability"]
        return metadata["state"], metadata["availability"], metadata["reason"], readiness.status_code

    assert availability("2") == ("UNAVAILABLE", "killed", "switched off by the request policy: version switched off", 503)
    assert availability("1") == ("READY", "ready", "", 200)
    health = call(server, pki, "c0", "/v2/health/ready", method="GET")
    assert health.status_code == 200, "another version and model still serve"
    assert "model churn version 2 is unavailable: switched off by the request policy: version switched off" in health.json()["warnings"]
    index = call(server, pki, "c0", "/v2/models", method="GET").json()["models"]
    churn = next(m["versions"] for m in index if m["name"] == "churn")
    assert {(e["version"], e["availability"]) for e in churn} == {("1", "ready"), ("2", "killed"), ("3", "ready")}
    metrics = call(server, pki, "ops", "/metrics", method="GET").text
    assert 'warden_model_state{model="churn",version="2",state="killed"} 1' in metrics, metrics
    assert 'warden_model_state{model="churn",version="2",state="ready"} 0' in metrics
    assert infer(server, pki, "c0", version="2").headers["Warden-Error-Code"] == "version_disabled"
    # Version 3 (the highest) answers, with the 500 its broken output contract earns.
    assert infer(server, pki, "c0").headers["Warden-Model-Version"] == "3"

    # Killed for one client only: the version still serves the others, so it is not killed.
    mark = server.mark()
    c0 = f"spiffe://{DOMAIN}/ns/serving/sa/c0"
    data.write_text(json.dumps({"kill": {"versions": [], "clients": [], "client_versions": [{"client": c0, "version": "2"}]}}))
    restored = server.wait_for_record(lambda r: r.get("event") == "version_restored" and r["model"] == "churn", since=mark)
    assert (restored["model"], restored["version"], restored["actor"]) == ("churn", "2", "system:policy-watch")
    assert availability("2") == ("READY", "ready", "", 200)
    assert infer(server, pki, "c0", version="2").headers["Warden-Error-Code"] == "version_disabled"
    assert infer(server, pki, "c1", version="2").status_code == 200


def test_log_level_changes_at_run_time_through_tritons_logging_extension(start_warden, pki, models):
    """Issue 27: the level could only be set at start. tritonclient's own calls read and change
    it; only an admin identity may."""
    import tritonclient.http as httpclient

    server = serve(start_warden, pki, models, [])
    assert call(server, pki, "c0", "/v2/logging", method="GET").status_code == 403
    client = httpclient.InferenceServerClient(
        url=f"localhost:{server.port}", ssl=True,
        ssl_options={"keyfile": str(pki / "ops.key"), "certfile": str(pki / "ops.pem"), "ca_certs": str(pki / "ca.pem")})
    settings = client.get_log_settings()
    assert settings["log_info"] is True and settings["log_verbose_level"] == 0 and settings["level"] == "info"
    assert client.update_log_settings({"log_info": False, "log_warning": True})["level"] == "warning"
    time.sleep(0.3)  # routine lines are flushed in batches: let the earlier ones land first
    mark = server.mark()
    assert infer(server, pki, "c0", version="1").status_code == 200
    time.sleep(0.3)
    assert not server.request_records(mark), "request lines are info: silenced at warning"
    changed = [r for r in server.records() if r.get("event") == "log_level_changed"]
    assert changed and changed[-1]["actor"] == ADMIN and changed[-1]["to"] == "warning"
    assert client.update_log_settings({"log_verbose_level": 1})["level"] == "debug"
    bad = call(server, pki, "ops", "/v2/logging", json={"log_file": "/tmp/x"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_request"
    assert call(server, pki, "ops", "/v2/logging", method="PUT", json={"level": "info"}).json()["level"] == "info"
    mark = server.mark()
    assert infer(server, pki, "c0", version="1").status_code == 200
    server.wait_for_record(lambda r: r.get("msg") == "request", since=mark)


def test_sighup_reloads_release_plans_from_the_configuration_file(start_warden, pki, models):
    """SIGHUP re-reads the configuration's `releases:`: a changed plan is put in force and
    audited as the signal's; a file that does not validate keeps the plans in force."""
    server = serve(start_warden, pki, models, [{"model": "churn", "stable": "1"}])
    path = server.workdir / f"warden-{server.label}-{server.port}.yaml"
    config = json.loads(path.read_text())
    config["releases"] = [{"model": "churn", "stable": "1", "canary": "2", "steps": [50], "analysis": {"automatic": False}}]
    path.write_text(json.dumps(config))
    mark = server.mark()
    server.signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while plans(server, pki)["churn"]["canary"] != "2":
        assert time.monotonic() < deadline, plans(server, pki)["churn"]
        time.sleep(0.05)
    [changed] = audit(server, mark, "plan_changed")
    assert changed["actor"] == "system:sighup" and changed["canary"] == "2"

    config["releases"] = [{"model": "churn", "stable": "9"}]  # a version nobody serves
    path.write_text(json.dumps(config))
    mark = server.mark()
    server.signal(signal.SIGHUP)
    failed = server.wait_for_record(lambda r: r.get("event") == "release_reload_failed", since=mark)
    assert "'9' is not served" in failed["reason"] and failed["actor"] == "system:sighup"
    assert plans(server, pki)["churn"]["canary"] == "2" and server.running()
