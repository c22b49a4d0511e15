"""The monitoring assets under deploy/monitoring, checked by real tools against a real Warden:
promtool checks and unit-tests the rules; the Grafana dashboard is well formed and every
metric its queries (and the rules') name is one Warden exports or a rule records; and a real
Prometheus (Debian's package) scrapes a running Warden and answers the documented p95 and
error-ratio queries through its HTTP API."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time

import pytest
import requests
import yaml

from conftest import CHURN_DIR, REPO_ROOT
from prometheus import query, running_prometheus, tool

MONITORING = REPO_ROOT / "deploy" / "monitoring"
RULES = [MONITORING / "prometheus" / "recording-rules.yaml", MONITORING / "prometheus" / "alerts.yaml"]
DASHBOARD = MONITORING / "grafana" / "warden-dashboard.json"
JSON = {"Content-Type": "application/json"}
# The queries docs/observability.md gives for the p95 latency and the 5xx ratio.
P95_QUERY = ('histogram_quantile(0.95, sum by (le, model, version) '
             '(rate(warden_http_request_duration_seconds_bucket{route="/v2/models/{model}/infer"}[5m])))')
ERROR_RATIO_QUERY = ('(sum by (model, version) (rate(warden_http_request_duration_seconds_count{status_class="5xx"}[5m]))\n'
                     ' or sum by (model, version) (rate(warden_http_request_duration_seconds_count[5m])) * 0)\n'
                     '/ sum by (model, version) (rate(warden_http_request_duration_seconds_count[5m]))')
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan",
                # aggregation operators: their grouping clause may sit between the name and the "("
                "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile"}


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers that are not functions, keywords,
    label names or label values."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)                   # string literals
    text = re.sub(r"\{[^}]*\}", "", text)                               # label matchers
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", r"\1", text)
    text = re.sub(r"\[[^\]]*\]", "", text)                              # range selectors
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        rest = text[match.end():].lstrip()
        if rest.startswith("(") or match.group(0) in PROMQL_WORDS:
            continue
        names.add(match.group(0))
    return names


def exported(server) -> set[str]:
    """Metric names Warden's /metrics exposes, histograms with their series suffixes."""
    body = json.dumps(json.loads((REPO_ROOT / "examples/requests/churn-infer.json").read_text())).encode()
    assert requests.post(f"{server.url}/v2/models/churn/infer", data=body, headers=JSON, timeout=10).status_code == 200
    names = set()
    for line in requests.get(f"{server.url}/metrics", timeout=5).text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            names.add(name)
            if kind == "histogram":
                names |= {name + "_bucket", name + "_count", name + "_sum"}
    return names


def test_rules_pass_promtool_check_and_unit_tests():
    check = subprocess.run([tool("promtool"), "check", "rules", *map(str, RULES)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    tests = sorted((MONITORING / "prometheus" / "tests").glob("*.test.yaml"))
    assert len(tests) >= 2
    unit = subprocess.run([tool("promtool"), "test", "rules", *map(str, tests)], capture_output=True, text=True)
    assert unit.returncode == 0 and unit.stdout.count("SUCCESS") == len(tests), unit.stdout + unit.stderr


def test_dashboard_is_well_formed():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"] and isinstance(dashboard["schemaVersion"], int)
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert "datasource" in variables
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in dashboard["panels"]:
        assert panel["type"] in {"timeseries", "table", "stat", "gauge"}, panel["title"]
        assert {"x", "y", "w", "h"} <= panel["gridPos"].keys() and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert panel["datasource"]["uid"] == "${datasource}"
        assert panel["targets"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs))
        assert all(t["expr"].strip() for t in panel["targets"])


@pytest.fixture(scope="module")
def mtls_metrics(_session_starter, tmp_path_factory) -> set[str]:
    """The metrics only an mTLS server exports (certificate expiry; the outbound breaker of a
    configured feature proxy, which is never called here), scraped over mTLS."""
    from conftest import warden_binary

    pki = tmp_path_factory.mktemp("monitoring-pki")
    subprocess.run([str(warden_binary()), "dev-pki", "--out", str(pki), "--client", "scraper=ns/monitoring/sa/prometheus"],
                   check=True, capture_output=True, timeout=30)
    server = _session_starter(config={
        "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"), "client_ca_bundle": str(pki / "ca.pem")},
        "authorization": {"rules": [{"routes": ["metrics"], "allow": ["spiffe://warden.test/ns/monitoring/sa/prometheus"]}]},
        "feature_proxy": {"url": "https://127.0.0.1:9", "server_id": "spiffe://warden.test/ns/features/sa/feast"},
        "models": [{"directory": str(CHURN_DIR)}]}, label="monitoring-mtls")
    text = requests.get(f"https://localhost:{server.port}/metrics", cert=(pki / "scraper.pem", pki / "scraper.key"),
                        verify=str(pki / "ca.pem"), timeout=5).text
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


# Exported only with live revocation, which needs a signed world of keys and lists: their
# presence is asserted on a live server by test_fetch.py's revocation tests.
LIVE_REVOCATION_METRICS = {"warden_model_withdrawn", "warden_revocation_checks_total", "warden_revocation_list_expiry_seconds",
                           "warden_revocation_list_serial"}
# Exported only while a signed policy bundle is polled: asserted on live replicas by
# test_policy_bundles.py.
POLICY_BUNDLE_METRICS = {"warden_policy_bundle_checks_total", "warden_policy_bundle_revision", "warden_policy_bundle_age_seconds",
                         "warden_policy_bundle_stale"}


def test_every_query_names_a_metric_warden_exports(churn_server, mtls_metrics):
    metrics = exported(churn_server) | mtls_metrics
    assert "warden_tls_certificate_expiry_seconds" in mtls_metrics
    assert "warden_outbound_circuit_state" in mtls_metrics
    recorded = set()
    queries = []
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                recorded.add(rule.get("record", ""))
                queries.append((f"{path.name}: {rule.get('record') or rule.get('alert')}", rule["expr"]))
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        queries += [(f"dashboard: {panel['title']}", t["expr"]) for t in panel["targets"]]
    queries += [("docs: p95", P95_QUERY), ("docs: error ratio", ERROR_RATIO_QUERY)]
    known = metrics | recorded | {"up"} | LIVE_REVOCATION_METRICS | POLICY_BUNDLE_METRICS
    unknown = {(where, name) for where, expr in queries for name in metric_names(expr) if name not in known}
    assert not unknown, f"queries name metrics Warden does not export: {sorted(unknown)}"
    assert "warden_http_request_duration_seconds_bucket" in metrics


def test_metric_name_extraction_finds_names_only():
    assert metric_names('sum by (le, model) (rate(x_bucket{route=~"a|b", le="0.1"}[5m])) / ignoring (v) group_left y') == {"x_bucket", "y"}
    assert metric_names("warden:slo_errors:ratio_rate1h > (14.4 * 0.001)") == {"warden:slo_errors:ratio_rate1h"}
    assert metric_names("count by (a) (count by (a, b) (m))") == {"m"}


@pytest.fixture
def prometheus(tmp_path, start_warden):
    """Warden serving the churn model and a copy whose output contract it always breaks (so
    it answers 500s), and a real Prometheus scraping it every second."""
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copyfile(CHURN_DIR / "model.onnx", broken / "model.onnx")
    contract = json.loads((CHURN_DIR / "warden-model.json").read_text())
    contract["name"] = "broken"
    contract["output_schema"]["properties"]["label"] = {"enum": [7]}
    (broken / "warden-model.json").write_text(json.dumps(contract))
    server = start_warden(config={"models": [{"directory": str(CHURN_DIR)}, {"directory": str(broken)}]}, label="scraped")
    with running_prometheus(tmp_path, [{"job_name": "warden", "static_configs": [{"targets": [server.host_port]}]}]) as url:
        yield server, url


def test_prometheus_scrapes_warden_and_answers_the_documented_queries(prometheus):
    server, url = prometheus
    body = (REPO_ROOT / "examples/requests/churn-infer.json").read_bytes()
    deadline = time.time() + 60
    while time.time() < deadline:
        for model in ("churn", "churn", "churn", "broken"):
            requests.post(f"{server.url}/v2/models/{model}/infer", data=body, headers=JSON, timeout=10)
        p95 = query(url, P95_QUERY)
        ratios = {r["metric"]["model"]: float(r["value"][1]) for r in query(url, ERROR_RATIO_QUERY)}
        if len(p95) == 2 and "broken" in ratios and ratios["broken"] > 0:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"Prometheus never answered both queries: p95={p95}, ratios={ratios}")
    targets = requests.get(f"{url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
    assert [t["health"] for t in targets] == ["up"]
    p95_by_model = {r["metric"]["model"]: float(r["value"][1]) for r in p95}
    assert 0 < p95_by_model["churn"] < 1, p95_by_model
    assert ratios["churn"] == 0 and ratios["broken"] == 1, ratios
