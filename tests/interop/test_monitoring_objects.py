"""The monitoring objects every overlay ships (deploy/kubernetes/base): the PodMonitor scrapes
the port that serves /metrics, over mutual TLS as an identity serve.yaml lets reach the metrics
route, through a NetworkPolicy that admits Prometheus to that port; the PrometheusRule carries
exactly the promtool-tested groups of deploy/monitoring. A real Prometheus, configured as the
Operator would configure it from the PodMonitor, scrapes a Warden that runs serve.yaml's own
authorization rules; the same scrape as the gateway's identity is refused."""

from __future__ import annotations

import copy
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from conftest import CHURN_DIR, REPO_ROOT, warden_binary
from podmonitor_scrape import Pod, scrape_config
from prometheus import query, running_prometheus
from test_deploy_manifests import one, render, serve_config

OVERLAYS = ["overlays/dev", "overlays/prod", "overlays/prod-keda", "overlays/prod-argo-rollouts", "overlays/prod-hsm",
            "overlays/prod-kms"]
RULE_FILES = [REPO_ROOT / "deploy/monitoring/prometheus/recording-rules.yaml", REPO_ROOT / "deploy/monitoring/prometheus/alerts.yaml"]
GENERATOR = REPO_ROOT / "scripts/deploy/generate_prometheus_rule.py"
VALIDATOR = REPO_ROOT / "scripts/deploy/validate_custom_resources.py"
DEPLOY_PYTHON = REPO_ROOT / ".venv-deploy/bin/python"
PROMETHEUS_ID = "spiffe://cluster.local/ns/monitoring/sa/prometheus"


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request) -> list[dict]:
    return render(request.param)


def metrics_identities() -> set[str]:
    return {spiffe for rule in serve_config()["authorization"]["rules"] if "metrics" in rule["routes"] for spiffe in rule["allow"]}


def test_the_podmonitor_scrapes_the_metrics_port_as_an_allowed_identity(rendered):
    monitor, deployment = one(rendered, "PodMonitor"), one(rendered, "Deployment")
    template = deployment["spec"]["template"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= template["metadata"]["labels"].items()
    # Only the serving port routes /metrics; the probe port answers it 404 (docs/security.md).
    ports = {port["name"]: port["containerPort"] for port in template["spec"]["containers"][0]["ports"]}
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    assert ports[endpoint["port"]] == serve_config()["listen"]["port"] != serve_config()["listen"]["probe_port"]
    assert (endpoint["scheme"], endpoint["path"]) == ("https", "/metrics")
    tls = endpoint["tlsConfig"]
    assert {tls["ca"]["secret"]["name"], tls["cert"]["secret"]["name"], tls["keySecret"]["name"]} == {"warden-metrics-scraper"}
    assert "insecureSkipVerify" not in tls and tls["minVersion"] == "TLS13"
    # The name the server's Vault certificate carries, so the scraper verifies who it reached.
    certificate = Path(serve_config()["tls"]["certificate"]).name
    server_template = template["metadata"]["annotations"][f"vault.hashicorp.com/agent-inject-template-{certificate}"]
    assert f'"common_name={tls["serverName"]}"' in server_template
    assert PROMETHEUS_ID in metrics_identities()
    # The alerts select job="warden": the job label comes from the pod's own name label.
    assert template["metadata"]["labels"][monitor["spec"]["jobLabel"]] == "warden"
    assert 'up{job="warden"}' in RULE_FILES[1].read_text()


def test_the_network_policy_admits_prometheus_to_the_metrics_port(rendered):
    policy = next(p for p in rendered if p["kind"] == "NetworkPolicy" and p["metadata"]["name"] == "warden-churn")
    port = serve_config()["listen"]["port"]
    admitted = [rule for rule in policy["spec"]["ingress"]
                if {"protocol": "TCP", "port": port} in rule["ports"]
                and {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                     "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}} in rule["from"]]
    assert len(admitted) == 1
    assert {"protocol": "TCP", "port": serve_config()["listen"]["probe_port"]} not in admitted[0]["ports"]


def test_the_prometheusrule_is_exactly_the_tested_rule_files(rendered):
    rule = one(rendered, "PrometheusRule")
    expected = [group for path in RULE_FILES for group in yaml.safe_load(path.read_text())["groups"]]
    assert rule["spec"]["groups"] == expected
    assert rule["metadata"]["namespace"] == "models"
    assert sum(len(group["rules"]) for group in expected) > 20


def test_the_generated_file_is_up_to_date():
    result = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_refuses_a_misspelt_rule(tmp_path):
    """The PrometheusRule is held to the Operator CRD's model: a typo is an error, not ignored."""
    rule = yaml.safe_load((REPO_ROOT / "deploy/kubernetes/base/prometheusrule.yaml").read_text())
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(yaml.safe_dump(rule))
    broken = copy.deepcopy(rule)
    broken["spec"]["groups"][0]["rules"][0]["expresion"] = broken["spec"]["groups"][0]["rules"][0].pop("expr")
    bad.write_text(yaml.safe_dump(broken))
    run = lambda path: subprocess.run([str(DEPLOY_PYTHON), str(VALIDATOR), str(path)], capture_output=True, text=True,
                                      timeout=60, cwd=VALIDATOR.parent)
    assert run(good).returncode == 0
    result = run(bad)
    assert result.returncode == 1 and "expresion" in result.stdout, result.stdout


@pytest.fixture
def pki(tmp_path) -> Path:
    directory = tmp_path / "pki"
    subprocess.run([str(warden_binary()), "dev-pki", "--out", str(directory), "--trust-domain", "cluster.local",
                    "--client", "scraper=ns/monitoring/sa/prometheus", "--client", "gateway=ns/gateway/sa/inference-gateway"],
                   check=True, capture_output=True, timeout=30)
    return directory


def test_prometheus_scrapes_over_mtls_with_the_shipped_config_and_authorization(pki, tmp_path, start_warden):
    """Warden with serve.yaml's own authorization rules (the cluster's trust domain); Prometheus
    with the PodMonitor's TLS config and relabelling. The scraper's identity is let in and the
    series carry job, namespace and pod; the gateway's identity, with the same CA, is refused."""
    server = start_warden(config={
        "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"), "client_ca_bundle": str(pki / "ca.pem")},
        "authorization": serve_config()["authorization"], "models": [{"directory": str(CHURN_DIR)}]}, label="scraped-mtls")
    monitor = one(render("overlays/prod"), "PodMonitor")
    pod = Pod(f"localhost:{server.port}", "warden-churn-7d9f-abcde", "models",
              {"app.kubernetes.io/name": "warden", "app.kubernetes.io/instance": "churn"})
    scraper = {"ca.pem": pki / "ca.pem", "scraper.pem": pki / "scraper.pem", "scraper.key": pki / "scraper.key"}
    gateway = {**scraper, "scraper.pem": pki / "gateway.pem", "scraper.key": pki / "gateway.key"}
    allowed = scrape_config(monitor, [pod], scraper, server_name="localhost", interval="1s")
    # The same server under another pod name: the PodMonitor relabels both jobs to job="warden",
    # and two targets with one label set would write their `up` into one series.
    as_gateway = Pod(pod.host_port, "warden-churn-as-gateway", pod.namespace, pod.labels)
    refused = {**scrape_config(monitor, [as_gateway], gateway, server_name="localhost", interval="1s"), "job_name": "as-gateway"}
    with running_prometheus(tmp_path, [allowed, refused]) as url:
        deadline = time.time() + 20
        while time.time() < deadline:
            targets = requests.get(f"{url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
            health = {t["scrapePool"]: (t["health"], t["lastError"]) for t in targets}
            if len(health) == 2 and all(state != "unknown" for state, _ in health.values()):
                break
            time.sleep(0.3)
        assert health[allowed["job_name"]] == ("up", ""), health
        assert health["as-gateway"][0] == "down" and "403" in health["as-gateway"][1], health
        up = query(url, 'up{job="warden",namespace="models",pod="warden-churn-7d9f-abcde"}')
        assert [sample["value"][1] for sample in up] == ["1"], up
        assert query(url, 'warden_model_info{job="warden",namespace="models",container="warden",endpoint="https"}')
