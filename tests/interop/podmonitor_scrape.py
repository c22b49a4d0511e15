"""The Prometheus scrape job Prometheus Operator generates from a PodMonitor endpoint, for a
Prometheus without Kubernetes service discovery: each "pod" is a static target carrying the
__meta_kubernetes_* labels pod discovery would give it, and the relabelling is the Operator's
(keep by selector and port name; namespace, container, pod, podTargetLabels, jobLabel,
endpoint), so the series carry the labels a cluster's would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Pod:
    host_port: str
    name: str
    namespace: str
    labels: dict[str, str]
    container: str = "warden"
    port_name: str = "https"


def sanitized(name: str) -> str:
    """A Kubernetes label name as Prometheus' pod discovery spells it in __meta_* labels."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def discovered(pod: Pod) -> dict:
    """A static target with the labels Prometheus' `role: pod` discovery would attach."""
    labels = {"__meta_kubernetes_namespace": pod.namespace, "__meta_kubernetes_pod_name": pod.name,
              "__meta_kubernetes_pod_container_name": pod.container, "__meta_kubernetes_pod_container_port_name": pod.port_name}
    for key, value in pod.labels.items():
        labels[f"__meta_kubernetes_pod_label_{sanitized(key)}"] = value
        labels[f"__meta_kubernetes_pod_labelpresent_{sanitized(key)}"] = "true"
    return {"targets": [pod.host_port], "labels": labels}


def relabelling(monitor: dict, endpoint: dict) -> list[dict]:
    """The relabel_configs the Operator writes for ENDPOINT of MONITOR (its generator's order)."""
    spec, name = monitor["spec"], monitor["metadata"]
    configs = [{"source_labels": ["job"], "target_label": "__tmp_prometheus_job_name"}]
    for key, value in spec["selector"].get("matchLabels", {}).items():
        configs.append({"action": "keep", "source_labels": [f"__meta_kubernetes_pod_label_{sanitized(key)}",
                                                             f"__meta_kubernetes_pod_labelpresent_{sanitized(key)}"],
                        "regex": f"({value});true"})
    assert not spec["selector"].get("matchExpressions"), "matchExpressions are not translated here"
    configs.append({"action": "keep", "source_labels": ["__meta_kubernetes_pod_container_port_name"], "regex": endpoint["port"]})
    configs += [{"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
                {"source_labels": ["__meta_kubernetes_pod_container_name"], "target_label": "container"},
                {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"}]
    for label in spec.get("podTargetLabels", []):
        configs.append({"source_labels": [f"__meta_kubernetes_pod_label_{sanitized(label)}"], "regex": "(.+)",
                        "target_label": sanitized(label), "replacement": "${1}"})
    configs.append({"target_label": "job", "replacement": f"{name['namespace']}/{name['name']}"})
    if "jobLabel" in spec:
        configs.append({"source_labels": [f"__meta_kubernetes_pod_label_{sanitized(spec['jobLabel'])}"], "regex": "(.+)",
                        "target_label": "job", "replacement": "${1}"})
    configs.append({"target_label": "endpoint", "replacement": endpoint["port"]})
    return configs + endpoint.get("relabelings", [])


def scrape_config(monitor: dict, pods: list[Pod], secrets: dict[str, Path] | None = None, server_name: str | None = None,
                  interval: str | None = None) -> dict:
    """The scrape job for MONITOR's only endpoint. SECRETS maps each Secret key the TLS config
    names to a file (the Operator mounts them); SERVER_NAME replaces the cluster DNS name,
    which a loopback test certificate cannot carry; INTERVAL overrides the scrape interval."""
    endpoints = monitor["spec"]["podMetricsEndpoints"]
    assert len(endpoints) == 1, endpoints
    endpoint = endpoints[0]
    job = {"job_name": f"podMonitor/{monitor['metadata']['namespace']}/{monitor['metadata']['name']}/0",
           "honor_labels": False, "scrape_interval": interval or endpoint.get("interval", "30s"),
           "metrics_path": endpoint.get("path", "/metrics"), "scheme": endpoint.get("scheme", "http"),
           "static_configs": [discovered(pod) for pod in pods], "relabel_configs": relabelling(monitor, endpoint)}
    if "tlsConfig" in endpoint:
        tls = endpoint["tlsConfig"]
        assert secrets is not None, "the endpoint needs its Secret's keys as files"
        job["tls_config"] = {"ca_file": str(secrets[tls["ca"]["secret"]["key"]]),
                             "cert_file": str(secrets[tls["cert"]["secret"]["key"]]),
                             "key_file": str(secrets[tls["keySecret"]["key"]]),
                             "server_name": server_name or tls["serverName"],
                             "min_version": tls.get("minVersion", "TLS12")}
    return job
