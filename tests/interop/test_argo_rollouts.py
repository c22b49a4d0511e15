"""The cluster-scale release (deploy/kubernetes/components/argo-rollouts), checked as far as can
be without a cluster: the rendered objects fit together as Argo Rollouts needs; the strict
schema check refuses what a CRD schema would; and the AnalysisTemplate's queries, run by a real
Prometheus against real Warden servers labelled as canary and stable pods, pass a healthy
canary and fail one that errors and one that is slow, by the template's own success conditions."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml

from conftest import CHURN_DIR, REPO_ROOT
from prometheus import query, running_prometheus
from slow_model import slow_request, write_slow_model
from test_deploy_manifests import one, render, require_deploy_tools

VALIDATOR = REPO_ROOT / "scripts" / "deploy" / "validate_custom_resources.py"
DEPLOY_PYTHON = REPO_ROOT / ".venv-deploy" / "bin" / "python"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def rendered() -> list[dict]:
    require_deploy_tools()
    return render("overlays/prod-argo-rollouts")


def test_the_rollout_takes_over_from_the_deployment(rendered):
    rollout, deployment = one(rendered, "Rollout"), one(rendered, "Deployment")
    assert rollout["spec"]["workloadRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment["metadata"]["name"],
                                              "scaleDown": "onsuccess"}
    assert deployment["spec"]["replicas"] == 0  # the template holder runs no pods of its own
    assert one(rendered, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"] == {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "warden-churn"}
    canary = rollout["spec"]["strategy"]["canary"]
    assert [s["setWeight"] for s in canary["steps"] if "setWeight" in s] == [10, 25, 50, 100]
    assert canary["analysis"]["templates"] == [{"templateName": "warden-canary-slo"}] and canary["maxUnavailable"] == 0
    monitor = one(rendered, "PodMonitor")
    assert monitor["spec"]["podTargetLabels"] == ["rollouts-pod-template-hash"]
    assert all(d["metadata"].get("namespace") == "models" for d in rendered if d["kind"] != "Namespace")


def test_the_analysis_thresholds_are_warden_s_own():
    """The cluster-scale canary is judged like the in-process one (ReleaseAnalysis defaults)."""
    source = (REPO_ROOT / "Sources" / "WardenServing" / "Release" / "ReleasePlan.swift").read_text()
    error_increase = float(re.search(r"var maxErrorRateIncrease = ([0-9.]+)", source).group(1))
    latency_ratio = float(re.search(r"var maxLatencyRatio = ([0-9.]+)", source).group(1))
    floor = re.search(r"var latencyFloor: Duration = \.milliseconds\((\d+)\)", source).group(1)
    conditions = {m["name"]: m for m in template()["spec"]["metrics"]}
    assert conditions["error-ratio-increase"]["successCondition"] == f"result[0] <= {error_increase}"
    assert conditions["p95-latency-ratio"]["successCondition"] == f"result[0] <= {latency_ratio}"
    assert f", {int(floor) / 1000})" in conditions["p95-latency-ratio"]["provider"]["prometheus"]["query"]


def template() -> dict:
    return yaml.safe_load((REPO_ROOT / "deploy/kubernetes/components/argo-rollouts/analysistemplate.yaml").read_text())


def validate(tmp_path: Path, documents: list[dict]) -> subprocess.CompletedProcess:
    """The custom-resource check as scripts/check-deploy.sh runs it: split by split_kinds.py."""
    rendered, builtin, custom = (tmp_path / name for name in ("rendered.yaml", "builtin.yaml", "custom.yaml"))
    rendered.write_text(yaml.safe_dump_all(documents))
    subprocess.run([str(DEPLOY_PYTHON), str(VALIDATOR.parent / "split_kinds.py"), str(rendered), str(builtin), str(custom)],
                   check=True, timeout=60)
    return subprocess.run([str(DEPLOY_PYTHON), str(VALIDATOR), str(custom), str(builtin)], capture_output=True, text=True,
                          timeout=60, cwd=VALIDATOR.parent)


@pytest.mark.parametrize("change, message", [
    (lambda r, t: r["spec"]["strategy"]["canary"]["steps"][0].update(setWieght=10), "/setWieght: unknown field"),
    (lambda r, t: r["spec"]["strategy"]["canary"].update(maxSurge=True), "/maxSurge: expected int or string"),
    (lambda r, t: t["spec"]["metrics"][0].update(interval=60), "/interval: expected a Go duration"),
    (lambda r, t: r["spec"]["workloadRef"].update(scaleDown="later"), "/scaleDown: expected a string in"),
    (lambda r, t: r["spec"]["strategy"]["canary"]["analysis"]["args"].pop(), "args missing ['namespace']"),
    (lambda r, t: r["spec"]["strategy"]["canary"].update(canaryService="nowhere"), "canaryService nowhere is not a Service"),
    (lambda r, t: r["spec"]["workloadRef"].update(name="other"), "workloadRef names no object"),
    (lambda r, t: r["spec"]["strategy"]["canary"]["steps"].insert(0, {"setWeight": 30}), "canary weights must rise"),
    (lambda r, t: t["spec"]["metrics"][0]["provider"].update(web={"url": "x"}), "/provider/web: unknown field"),
])
def test_the_schema_check_refuses_what_argo_rollouts_would(rendered, tmp_path, change, message):
    assert validate(tmp_path, rendered).returncode == 0
    documents = copy.deepcopy(rendered)
    change(one(documents, "Rollout"), one(documents, "AnalysisTemplate"))
    result = validate(tmp_path, documents)
    assert result.returncode == 1 and message in result.stdout, result.stdout


# --- The analysis queries against a real Prometheus --------------------------------------------


def substituted(query_text: str, canary: str, stable: str) -> str:
    for name, value in {"canary-hash": canary, "stable-hash": stable, "namespace": "models"}.items():
        query_text = query_text.replace("{{args.%s}}" % name, value)
    assert "{{" not in query_text
    return query_text


def succeeds(condition: str, result: list) -> bool:
    """Argo's successCondition over a Prometheus vector, for the one form the template uses."""
    match = re.fullmatch(r"result\[0\] <= ([0-9.]+)", condition)
    assert match, f"the test cannot evaluate {condition!r}"
    assert len(result) == 1, result
    return float(result[0]["value"][1]) <= float(match.group(1))


@pytest.fixture(scope="module")
def pods(tmp_path_factory, _session_starter) -> dict[str, object]:
    """Warden servers standing in for pods: churn healthy twice, churn whose every answer
    breaks its output contract, and a dense model fast and slow."""
    root = tmp_path_factory.mktemp("argo-pods")
    broken = root / "churn-broken"
    broken.mkdir()
    (broken / "model.onnx").write_bytes((CHURN_DIR / "model.onnx").read_bytes())
    contract = json.loads((CHURN_DIR / "warden-model.json").read_text())
    contract["output_schema"]["properties"]["label"] = {"enum": [7]}
    (broken / "warden-model.json").write_text(json.dumps(contract))
    write_slow_model(root / "dense-fast", name="dense", layers=1)
    write_slow_model(root / "dense-slow", name="dense", layers=16)
    directories = {"churn-stable": CHURN_DIR, "churn-good": CHURN_DIR, "churn-erroring": broken,
                   "dense-stable": root / "dense-fast", "dense-slow": root / "dense-slow"}
    return {name: _session_starter(model_dir=directory, label=f"pod-{name}") for name, directory in directories.items()}


def test_the_analysis_passes_a_healthy_canary_and_fails_an_erroring_and_a_slow_one(pods, tmp_path):
    scrape = [{"job_name": "warden", "static_configs": [
        {"targets": [server.host_port], "labels": {"namespace": "models", "rollouts_pod_template_hash": name}}
        for name, server in pods.items()]}]
    churn = (REPO_ROOT / "examples/requests/churn-infer.json").read_bytes()
    dense = json.dumps(slow_request(4))
    metrics = {m["name"]: m for m in template()["spec"]["metrics"]}
    with running_prometheus(tmp_path, scrape) as url:
        def evaluate(metric: str, canary: str, stable: str) -> tuple[bool, float]:
            found = query(url, substituted(metrics[metric]["provider"]["prometheus"]["query"], canary, stable))
            return succeeds(metrics[metric]["successCondition"], found), float(found[0]["value"][1])

        verdicts = {}
        deadline = time.time() + 60
        while time.time() < deadline:
            for _ in range(5):
                for name, server in pods.items():
                    body = dense if name.startswith("dense") else churn
                    requests.post(f"{server.url}/v2/models/{'dense' if name.startswith('dense') else 'churn'}/infer",
                                  data=body, headers=JSON, timeout=10)
            verdicts = {
                "good canary, errors": evaluate("error-ratio-increase", "churn-good", "churn-stable"),
                "erroring canary, errors": evaluate("error-ratio-increase", "churn-erroring", "churn-stable"),
                "good canary, latency": evaluate("p95-latency-ratio", "churn-good", "churn-stable"),
                "fast canary, latency": evaluate("p95-latency-ratio", "dense-stable", "dense-stable"),
                "slow canary, latency": evaluate("p95-latency-ratio", "dense-slow", "dense-stable"),
            }
            if not verdicts["erroring canary, errors"][0] and not verdicts["slow canary, latency"][0]:
                break
            time.sleep(0.5)
        print({name: f"{'pass' if ok else 'FAIL'} ({value:.4g})" for name, (ok, value) in verdicts.items()})
        assert verdicts["good canary, errors"] == (True, 0.0)
        assert verdicts["erroring canary, errors"] == (False, 1.0)
        assert verdicts["good canary, latency"][0] and verdicts["fast canary, latency"][0]
        assert not verdicts["slow canary, latency"][0]
        # A canary with no traffic yet measures 0 errors and the floor latency, not NaN.
        assert evaluate("error-ratio-increase", "no-such-pod", "churn-stable") == (True, 0.0)
        assert evaluate("p95-latency-ratio", "no-such-pod", "no-such-pod-either") == (True, 1.0)
