"""The kill switch: `warden serve --request-policy` asks data.serving.request.allow for every
model request; flipping the policy's data switches a version off without a restart, and a
broken policy file keeps the last good policy in force (logged as policy_reload_failed)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
import requests

from conftest import CHURN_DIR, ServerStartError, churn_batch, churn_v2_json

POLICY = """\
package serving.request

import rego.v1

default allow := false

allow if {
	not killed
	input.route in {"infer", "metadata"}
}

# A helper rule, not `not input.model.version in data.killed_versions[…]`: for a model with
# no entry that reference is undefined, and OPA (so Warden) makes the negation undefined too.
killed if input.model.version in data.killed_versions[input.model.name]

reasons contains sprintf("version %v of %v is switched off", [input.model.version, input.model.name]) if {
	input.model.version in data.killed_versions[input.model.name]
}
"""


def infer(server) -> requests.Response:
    return requests.post(f"{server.url}/v2/models/churn/infer", json=churn_v2_json(churn_batch(1)), timeout=10)


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_kill_switch_turns_a_version_off_and_on_without_restart(start_warden, tmp_path):
    policy, data = tmp_path / "kill.rego", tmp_path / "kill.json"
    policy.write_text(POLICY)
    data.write_text(json.dumps({"killed_versions": {}}))
    config = {
        "models": [{"directory": str(CHURN_DIR)}],
        "policies": {"request": {"files": [str(policy)], "data": [str(data)], "reload_interval_seconds": 0.2}},
    }
    server = start_warden(config=config)
    assert infer(server).status_code == 200
    data.write_text(json.dumps({"killed_versions": {"churn": ["1"]}}))
    assert wait_for(lambda: infer(server).status_code == 403), "the kill switch did not take effect"
    refused = infer(server)
    assert refused.json()["code"] == "policy_denied"
    assert requests.get(f"{server.url}/v2/models/churn", timeout=5).status_code == 403
    server.wait_for_record(lambda r: r.get("event") == "policy_denied" and any("switched off" in reason for reason in r.get("reasons", [])))
    data.write_text(json.dumps({"killed_versions": {"churn": ["2"]}}))
    assert wait_for(lambda: infer(server).status_code == 200), "switching back on did not take effect"


def test_broken_policy_keeps_the_last_good_one(start_warden, tmp_path):
    policy, data = tmp_path / "kill.rego", tmp_path / "kill.json"
    policy.write_text(POLICY)
    data.write_text(json.dumps({"killed_versions": {"churn": ["1"]}}))
    config = {
        "models": [{"directory": str(CHURN_DIR)}],
        "policies": {"request": {"files": [str(policy)], "data": [str(data)], "reload_interval_seconds": 0.2}},
    }
    server = start_warden(config=config)
    assert infer(server).status_code == 403
    mark = server.mark()
    policy.write_text(POLICY.replace("default allow := false", "default allow := ") + "\nallow if {")
    server.wait_for_record(lambda r: r.get("event") == "policy_reload_failed", since=mark)
    assert infer(server).status_code == 403, "a broken policy must not open the gate"
    # The fixed file is picked up again.
    policy.write_text(POLICY)
    data.write_text(json.dumps({"killed_versions": {}}))
    assert wait_for(lambda: infer(server).status_code == 200)


def test_server_refuses_to_start_with_a_broken_request_policy(start_warden, tmp_path):
    policy = tmp_path / "kill.rego"
    policy.write_text("package serving.request\nallow {\n")
    config = {"models": [{"directory": str(CHURN_DIR)}], "policies": {"request": {"files": [str(policy)]}}}
    with pytest.raises(ServerStartError):
        start_warden(config=config)
    server = start_warden.started[-1]
    assert any(r.get("event") == "policy_load_failed" for r in server.records()), server.output()


def test_the_audit_trail_survives_any_log_level_and_numbers_its_lines(start_warden, tmp_path):
    """Issue 27: at --log-level warning the audit events disappeared. They go to their own
    trail now: every line at any level, numbered, naming who caused it."""
    policy, data = tmp_path / "kill.rego", tmp_path / "kill.json"
    policy.write_text(POLICY)
    data.write_text(json.dumps({"killed_versions": {"churn": ["1"]}}))
    server = start_warden(config={
        "models": [{"directory": str(CHURN_DIR)}],
        "logging": {"level": "error"},
        "policies": {"request": {"files": [str(policy)], "data": [str(data)], "reload_interval_seconds": 0.2}},
    }, label="audit-level")
    assert infer(server).status_code == 403
    data.write_text(json.dumps({"killed_versions": {}}))
    assert wait_for(lambda: infer(server).status_code == 200)
    trail = [r for r in server.records() if r.get("audit") == "true"]
    events = [r["event"] for r in trail]
    assert events[:2] == ["model_verified", "policy_denied"] and "policy_reloaded" in events, events
    assert [int(r["seq"]) for r in trail] == list(range(1, len(trail) + 1))
    reloaded = trail[events.index("policy_reloaded")]
    assert (trail[0]["actor"], trail[1]["actor"], reloaded["actor"]) == ("system:startup", "anonymous", "system:policy-watch")
    # Nothing else at info got through: the level still governs the rest.
    assert not [r for r in server.records() if r.get("level") == "info" and r.get("audit") != "true"]


def test_sighup_reloads_the_policy_at_once_and_does_not_end_the_process(start_warden, tmp_path):
    """Issue 27: kill -HUP ended Warden at once (exit 129, no drain). It reloads what is
    reloadable now: here a policy watched only every 60 s is in force right after the signal."""
    policy, data = tmp_path / "kill.rego", tmp_path / "kill.json"
    policy.write_text(POLICY)
    data.write_text(json.dumps({"killed_versions": {}}))
    server = start_warden(config={
        "models": [{"directory": str(CHURN_DIR)}],
        "policies": {"request": {"files": [str(policy)], "data": [str(data)], "reload_interval_seconds": 60}},
    }, label="sighup")
    assert infer(server).status_code == 200
    data.write_text(json.dumps({"killed_versions": {"churn": ["1"]}}))
    time.sleep(0.3)
    assert infer(server).status_code == 200, "the 60 s poll has not run yet"
    server.signal(signal.SIGHUP)
    assert wait_for(lambda: infer(server).status_code == 403, timeout=3), "SIGHUP did not reload the policy"
    assert server.running()
    server.wait_for_record(lambda r: r.get("event") == "reload_requested")
    server.wait_for_record(lambda r: r.get("event") == "policy_reloaded")
