"""The autoscaling queries the deployment ships, run by a real Prometheus against real Warden
pods under a load applied here: prometheus-adapter's rules rendered into the PromQL the adapter
runs for the HPA, and KEDA's trigger queries verbatim. Their values are held to the load (QPS
to the requests sent, p95 to the client's own timings, the queue to zero or above it), and the
HPA's replica arithmetic, with the shipped targets, scales up the overloaded pod and not the
steady one.

Two pods, scraped every second through the PodMonitor's relabelling (plain HTTP here; the mTLS
scrape itself is test_monitoring_objects.py's): "steady" serves churn at a paced rate far
below capacity; "overloaded" serves a dense model (about 25 ms per request) to more clients than
serve.yaml's admission slots, so requests queue. Each runs serve.yaml's resilience settings.
The queries' [2m] windows are longer than this test, so a rate is the requests sent over 120 s."""

from __future__ import annotations

import copy
import json
import math
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import yaml

from conftest import CHURN_DIR, REPO_ROOT
from podmonitor_scrape import Pod, scrape_config
from prometheus import query, running_prometheus
from slow_model import slow_request, write_slow_model
from test_deploy_manifests import one, render, serve_config

KUBERNETES = REPO_ROOT / "deploy" / "kubernetes"
JSON = {"Content-Type": "application/json"}
WINDOW_SECONDS = 120  # every rate in the adapter's and KEDA's queries is over [2m]
STEADY_RATE, LOAD_SECONDS = 20.0, 12.0
OVERLOAD_CLIENTS = 8
HPA_TOLERANCE = 0.1  # kube-controller-manager's --horizontal-pod-autoscaler-tolerance default


def quantity(text: str | int | float) -> float:
    """A Kubernetes quantity as a number: "50m" is 0.05."""
    text = str(text)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def adapter_rules() -> dict[str, dict]:
    """prometheus-adapter's rules by the metric name they expose (name.as)."""
    config = yaml.safe_load((KUBERNETES / "cluster/prometheus-adapter/rules.yaml").read_text())["data"]["config.yaml"]
    return {rule["name"]["as"]: rule for rule in yaml.safe_load(config)["rules"]}


def adapter_query(rule: dict, namespace: str, pods: list[str]) -> str:
    """The query prometheus-adapter runs for the HPA's pods metric: the series name the rule's
    seriesQuery found, matchers for the namespace and the pods (a list, as the HPA asks for the
    pods its selector matches: pod=~"a|b"), grouped by the pod resource's label."""
    overrides = {override["resource"]: label for label, override in rule["resources"]["overrides"].items()}
    series = re.fullmatch(r"\^(\w+)\$", rule["name"]["matches"]).group(1)
    matchers = f'{overrides["namespace"]}="{namespace}",{overrides["pod"]}=~"{"|".join(pods)}"'
    text = rule["metricsQuery"].replace("<<.Series>>", series).replace("<<.LabelMatchers>>", matchers)
    text = text.replace("<<.GroupBy>>", overrides["pod"])
    assert "<<" not in text, text
    return text


def hpa_proposal(current: int, value: float, target: float, per_replica_value: bool = True) -> int:
    """The replicas one metric asks for (pkg/controller/podautoscaler): within the tolerance the
    count stays; else ceil(ratio × current). An AverageValue external metric (KEDA's
    default) divides its total by the target instead."""
    ratio = value / target if per_replica_value else value / (target * current)
    return current if abs(ratio - 1) <= HPA_TOLERANCE else math.ceil(ratio * current)


def hpa_decision(hpa: dict, current: int, proposals: list[int]) -> int:
    """The largest proposal, within min/max and the scale-up policy (Percent per period)."""
    desired = max(proposals)
    if desired > current:
        cap = max(math.ceil(current * (1 + p["value"] / 100)) if p["type"] == "Percent" else current + p["value"]
                  for p in hpa["spec"]["behavior"]["scaleUp"]["policies"])
        desired = min(desired, cap)
    return min(max(desired, hpa["spec"]["minReplicas"]), hpa["spec"]["maxReplicas"])


def value_of(result: list) -> float:
    assert len(result) == 1, result
    return float(result[0]["value"][1])


def server_buckets(server) -> list[float]:
    text = requests.get(f"{server.url}/metrics", timeout=5).text
    return sorted({float(m) for m in re.findall(r'warden_http_request_duration_seconds_bucket\{[^}]*le="([0-9.e+-]+)"', text)})


def bucket_bounds(buckets: list[float], seconds: float) -> tuple[float, float]:
    """The histogram bucket a latency falls in, as (lower, upper]."""
    upper = next(b for b in buckets if seconds <= b)
    return max([b for b in buckets if b < upper], default=0.0), upper


class Load:
    """Clients posting BODY to URL until stopped, paced to RATE in total when given; records
    each request's latency and status."""

    def __init__(self, url: str, body: str, clients: int, rate: float | None = None):
        self.url, self.body, self.clients, self.rate = url, body, clients, rate
        self.latencies: list[float] = []
        self.statuses: list[int] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def client(self, index: int) -> None:
        session = requests.Session()
        start = time.monotonic()
        sent = 0
        while not self.stop.is_set():
            if self.rate:  # each client sends every clients/rate seconds, staggered
                due = start + (sent + index / self.clients) * self.clients / self.rate
                if self.stop.wait(max(0.0, due - time.monotonic())):
                    break
            began = time.perf_counter()
            status = session.post(self.url, data=self.body, headers=JSON, timeout=10).status_code
            with self.lock:
                self.latencies.append(time.perf_counter() - began)
                self.statuses.append(status)
            sent += 1

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@pytest.fixture
def pods(tmp_path, start_warden) -> dict[str, tuple[object, Pod]]:
    resilience = serve_config()["resilience"]
    dense = write_slow_model(tmp_path / "dense", name="dense")
    servers = {"steady": start_warden(config={"resilience": resilience, "models": [{"directory": str(CHURN_DIR)}]}, label="steady"),
               "overloaded": start_warden(config={"resilience": resilience, "models": [{"directory": str(dense)}]}, label="overloaded")}
    labels = {"app.kubernetes.io/name": "warden", "app.kubernetes.io/instance": "churn"}
    # KEDA's queries select namespace "models": only the overloaded deployment lives there.
    return {"steady": (servers["steady"], Pod(servers["steady"].host_port, "warden-churn-6b7c9-steady", "models-steady", labels)),
            "overloaded": (servers["overloaded"], Pod(servers["overloaded"].host_port, "warden-churn-6b7c9-loaded", "models", labels))}


def test_the_adapter_and_keda_queries_measure_the_load_and_scale_the_overloaded_pod_only(pods, tmp_path):
    rendered = render("overlays/prod")
    hpa, monitor = one(rendered, "HorizontalPodAutoscaler"), copy.deepcopy(one(rendered, "PodMonitor"))
    scaled = one(render("overlays/prod-keda"), "ScaledObject")
    monitor["spec"]["podMetricsEndpoints"][0].update(scheme="http")
    del monitor["spec"]["podMetricsEndpoints"][0]["tlsConfig"]
    rules = adapter_rules()
    targets = {m["pods"]["metric"]["name"]: quantity(m["pods"]["target"]["averageValue"]) for m in hpa["spec"]["metrics"] if m["type"] == "Pods"}
    assert set(targets) == set(rules), "every HPA pods metric is one the adapter serves"
    triggers = {t["name"]: t for t in scaled["spec"]["triggers"] if t["type"] == "prometheus"}
    assert set(triggers) == {"latency_p95", "qps", "queue_depth"}
    current = hpa["spec"]["minReplicas"]
    assert scaled["spec"]["minReplicaCount"] == current

    (steady, steady_pod), (loaded, loaded_pod) = pods["steady"], pods["overloaded"]
    job = scrape_config(monitor, [steady_pod, loaded_pod], interval="1s")
    with running_prometheus(tmp_path, [job]) as url:
        at: list[float] = []  # once set, every query is evaluated at that one instant

        def run(expr: str) -> list:
            if not at:
                return query(url, expr)
            response = requests.get(f"{url}/api/v1/query", params={"query": expr, "time": at[0]}, timeout=5)
            assert response.status_code == 200, response.text
            return response.json()["data"]["result"]

        def adapter(name: str, pod: Pod) -> list:
            return run(adapter_query(rules[name], pod.namespace, [pod.name]))

        def keda(name: str) -> list:
            return run(triggers[name]["metadata"]["query"])

        # Idle: both pods scraped, nothing queued, no request rate, and KEDA sees nothing.
        deadline = time.time() + 15
        while len(query(url, "up == 1")) < 2 and time.time() < deadline:
            time.sleep(0.2)
        for _, pod in pods.values():
            assert value_of(adapter("warden_admission_queue_depth", pod)) == 0
            rate = adapter("warden_infer_requests_per_second", pod)
            assert not rate or value_of(rate) == 0, rate  # no inference series yet, or a zero rate
        assert all(not keda(name) or value_of(keda(name)) == 0 for name in ("qps", "queue_depth")), "KEDA sees load before any"

        steady_load = Load(f"{steady.url}/v2/models/churn/infer", (REPO_ROOT / "examples/requests/churn-infer.json").read_text(), 4,
                           STEADY_RATE)
        heavy = Load(f"{loaded.url}/v2/models/dense/infer", json.dumps(slow_request(1)), OVERLOAD_CLIENTS)
        began = time.monotonic()
        with ThreadPoolExecutor(4 + OVERLOAD_CLIENTS) as pool:
            for index in range(4):
                pool.submit(steady_load.client, index)
            for index in range(OVERLOAD_CLIENTS):
                pool.submit(heavy.client, index)
            time.sleep(LOAD_SECONDS)
            # Under load: the queue gauge, as the adapter and KEDA read it, while it is there.
            queued = [value_of(adapter("warden_admission_queue_depth", loaded_pod)) for _ in range(5) if not time.sleep(0.5)]
            keda_queue = value_of(keda("queue_depth"))
            steady_load.stop.set()
            heavy.stop.set()
            loaded_for = time.monotonic() - began
        time.sleep(2.5)  # two more scrapes: the counters' last values are in
        at.append(time.time())

        slots = serve_config()["resilience"]["concurrency"]
        assert max(queued) > 0, f"{OVERLOAD_CLIENTS} clients on {slots} slots queued nothing: {queued}"
        assert max(queued) <= OVERLOAD_CLIENTS - slots and keda_queue <= OVERLOAD_CLIENTS - slots
        assert value_of(adapter("warden_admission_queue_depth", steady_pod)) == 0

        measured = {}
        for name, (server, pod), load in (("steady", pods["steady"], steady_load), ("overloaded", pods["overloaded"], heavy)):
            qps = value_of(adapter("warden_infer_requests_per_second", pod))
            p95 = value_of(adapter("warden_infer_latency_p95_seconds", pod))
            # Every request sent is inside the 2m window; extrapolation to the window's edges and
            # the last scrape's timing allow 15 %.
            assert qps == pytest.approx(len(load.latencies) / WINDOW_SECONDS, rel=0.15), (name, qps, len(load.latencies))
            # The server's histogram p95 lies between the bucket of the fastest answer the client
            # saw and the bucket of the client's own p95 (which adds the client's side of each request).
            buckets = server_buckets(server)
            assert bucket_bounds(buckets, min(load.latencies))[0] <= p95 <= bucket_bounds(buckets, load.quantile(0.95))[1], \
                (name, p95, min(load.latencies), load.quantile(0.95))
            measured[name] = {"qps": qps, "p95": p95}
        # The paced client kept its rate: requests sent ≈ rate × duration.
        assert len(steady_load.latencies) == pytest.approx(STEADY_RATE * loaded_for, rel=0.1)
        assert measured["steady"]["p95"] < targets["warden_infer_latency_p95_seconds"] < measured["overloaded"]["p95"]

        # The HPA, each replica seeing what the measured pod saw (the Service spreads requests).
        def decision(values: dict[str, float]) -> tuple[list[int], int]:
            proposals = [hpa_proposal(current, values[name], targets[name]) for name in targets]
            return proposals, hpa_decision(hpa, current, proposals)

        steady_values = {"warden_infer_latency_p95_seconds": measured["steady"]["p95"], "warden_admission_queue_depth": 0,
                         "warden_infer_requests_per_second": measured["steady"]["qps"]}
        loaded_values = {"warden_infer_latency_p95_seconds": measured["overloaded"]["p95"],
                         "warden_admission_queue_depth": max(queued), "warden_infer_requests_per_second": measured["overloaded"]["qps"]}
        steady_proposals, steady_replicas = decision(steady_values)
        loaded_proposals, loaded_replicas = decision(loaded_values)
        print({"targets": targets, "measured": measured, "queued": queued, "steady": steady_proposals, "overloaded": loaded_proposals})
        assert steady_replicas == current, steady_proposals
        expected = min(math.ceil(current * measured["overloaded"]["p95"] / targets["warden_infer_latency_p95_seconds"]), 2 * current,
                       hpa["spec"]["maxReplicas"])
        assert loaded_replicas == max(expected, hpa_decision(hpa, current, loaded_proposals[1:])) > current

        # KEDA, verbatim: its queries select the overloaded deployment alone (namespace
        # "models"), so they equal that pod's adapter values; with `current` such replicas the
        # sums are `current` times larger, and the latency (metricType Value) is not divided.
        keda_latency, keda_qps = value_of(keda("latency_p95")), value_of(keda("qps"))
        assert keda_latency == pytest.approx(measured["overloaded"]["p95"], rel=1e-6)
        assert keda_qps == pytest.approx(measured["overloaded"]["qps"], rel=1e-6)
        threshold = {name: float(trigger["metadata"]["threshold"]) for name, trigger in triggers.items()}
        assert triggers["latency_p95"]["metricType"] == "Value" and "metricType" not in triggers["qps"]
        keda_proposals = [hpa_proposal(current, keda_latency, threshold["latency_p95"]),
                          hpa_proposal(current, current * keda_qps, threshold["qps"], per_replica_value=False),
                          hpa_proposal(current, current * keda_queue, threshold["queue_depth"], per_replica_value=False)]
        assert keda_proposals[0] == math.ceil(current * keda_latency / threshold["latency_p95"]) > current, keda_proposals
        assert max(keda_proposals) > scaled["spec"]["minReplicaCount"]
