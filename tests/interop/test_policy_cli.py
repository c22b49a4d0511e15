"""`warden policy eval` and the Rego startup gate in `warden fetch`: the requirements' policy
text works verbatim as v0, its v1 form works as v1, and a revoked model is never permitted in
either syntax, including v1 text read as v0 (the fail-open case of engines that take `if` as
a rule name)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from test_fetch import World, refused, world, sbom  # noqa: F401  (fixtures)
from trust_tools import EXIT_POLICY, warden

GATE_V0 = REPO_ROOT / "examples/policies/startup-gate.v0.rego"
GATE_V1 = REPO_ROOT / "examples/policies/startup-gate.rego"


def gate_input(**model) -> dict:
    base = {"stage": "Approved", "signatures": {"valid": True}, "digest": "sha256:aa", "revoked": False}
    base.update(model)
    return {"model": base, "expected_digest": "sha256:aa"}


def permit(tmp_path: Path, policy: Path, document: dict, *flags: str):
    (tmp_path / "input.json").write_text(json.dumps(document))
    result = warden("policy", "eval", *flags, "--data", policy, "--input", tmp_path / "input.json", "data.serving.startup.permit")
    return result


def value(result) -> object:
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)["result"][0]["expressions"][0]["value"]


@pytest.mark.parametrize("policy, flags", [(GATE_V0, ["--v0-compatible"]), (GATE_V1, []), (GATE_V1, ["--v0-compatible"])])
def test_gate_permits_only_the_approved_pinned_unrevoked_model(tmp_path, policy, flags):
    assert value(permit(tmp_path, policy, gate_input(), *flags)) is True
    for bad in (gate_input(revoked=True), gate_input(stage="Staging"), gate_input(signatures={"valid": False}),
                gate_input(digest="sha256:bb"), {"model": {}}):
        assert value(permit(tmp_path, policy, bad, *flags)) is False, bad


def test_v0_gate_is_a_parse_error_in_v1_mode(tmp_path):
    result = permit(tmp_path, GATE_V0, gate_input())
    assert result.returncode == 1
    error = json.loads(result.stdout)["errors"][0]
    assert error["code"] == "rego_parse_error" and "if" in error["message"] and error["location"]["row"] == 3


def test_v1_text_read_as_v0_never_permits_a_revoked_model(tmp_path):
    """Engines that parse `permit if { … }` in v0 as a rule named `if` permit everything;
    Warden reads `if` as the keyword in both syntaxes."""
    policy = tmp_path / "gate.rego"
    policy.write_text("package serving.startup\ndefault permit = false\npermit if {\n  not input.model.revoked\n}\n")
    for flags in ([], ["--v0-compatible"]):
        assert value(permit(tmp_path, policy, gate_input(revoked=True), *flags)) is False
        assert value(permit(tmp_path, policy, gate_input(), *flags)) is True


def test_policy_check_reports_line_and_column(tmp_path):
    broken = tmp_path / "broken.rego"
    broken.write_text("package p\n\nallow if {\n  input.x ==\n}\n")
    result = warden("policy", "check", broken)
    assert result.returncode == 1 and "broken.rego:4:" in result.stderr and "rego_parse_error" in result.stderr


def test_fetch_with_the_requirements_gate_verbatim(world):
    result = world.fetch("--gate-policy", str(GATE_V0), "--v0-compatible")
    assert result.returncode == 0, result.stdout + result.stderr
    decision = json.loads((world.root / "installed/.warden/receipt.json").read_text())["decision"]
    assert decision["permit"] is True and decision["gate"].startswith("rego ")


def test_fetch_gate_policy_can_deny(world, tmp_path):
    strict = tmp_path / "strict.rego"
    strict.write_text(
        "package serving.startup\n\ndefault permit := false\n\npermit if {\n"
        "\tinput.model.stage == \"Approved\"\n\tinput.model.attestations.scan.predicate.highest == \"none\"\n}\n"
    )
    document = refused(world.fetch("--gate-policy", str(strict)), EXIT_POLICY, "policy_denied")
    assert "data.serving.startup.permit is false" in document["detail"]
    assert not (world.root / "installed").exists()


def serve(installed: Path, digest: str, *extra: str):
    import subprocess

    from test_fetch import serve_args

    return subprocess.run([*serve_args(installed, digest), *extra], capture_output=True, text=True, timeout=20)


def test_serve_re_evaluates_the_startup_gate_over_the_receipt(world, tmp_path):
    assert world.fetch().returncode == 0
    installed = world.root / "installed"
    ok = serve(installed, world.digest, "--gate-policy", str(GATE_V0), "--gate-v0-compatible")
    assert "server_ready" in ok.stdout, ok.stdout + ok.stderr
    # A gate tightened after fetch (now requiring another approver) stops the model at the next start.
    strict = tmp_path / "strict.rego"
    strict.write_text(
        "package serving.startup\n\ndefault permit := false\n\npermit if {\n"
        "\tinput.model.attestations.approval.predicate.approver == \"bob\"\n}\n"
    )
    denied = serve(installed, world.digest, "--gate-policy", str(strict))
    assert denied.returncode != 0 and "startup gate denied" in denied.stdout and "server_ready" not in denied.stdout
