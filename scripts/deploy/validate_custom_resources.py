"""Validates the custom resources in rendered manifests strictly, as kubernetes-validate --strict
does for built-in kinds (a key the schema does not know is an error): Kyverno ClusterPolicy,
KEDA ScaledObject, Prometheus Operator PodMonitor and PrometheusRule against models generated
from their CRDs' schemas; Argo Rollouts' Rollout and AnalysisTemplate against
argo_rollouts_schema.py, with the cross-references between them and the built-in objects (given
as further files); KServe's InferenceService, ClusterServingRuntime and ClusterStorageContainer
against the KServe SDK's generated models (kserve_schema.py). Exit 1 on any error, or on a
custom kind no schema here covers.

    validate_custom_resources.py CUSTOM.yaml [BUILTIN.yaml]"""

from __future__ import annotations

import sys

import yaml
from cloudcoil.models.keda import v1alpha1 as keda
from cloudcoil.models.kyverno import v1 as kyverno
from cloudcoil.models.prometheus_operator import v1 as prometheus_operator

from argo_rollouts_schema import SCHEMAS as ARGO_SCHEMAS
from argo_rollouts_schema import references as argo_references
from kserve_schema import MODELS as KSERVE_MODELS
from kserve_schema import validate as validate_kserve

MODELS = {
    ("kyverno.io/v1", "ClusterPolicy"): kyverno.ClusterPolicy,
    ("kyverno.io/v1", "Policy"): kyverno.Policy,
    ("keda.sh/v1alpha1", "ScaledObject"): keda.ScaledObject,
    ("monitoring.coreos.com/v1", "PodMonitor"): prometheus_operator.PodMonitor,
    ("monitoring.coreos.com/v1", "PrometheusRule"): prometheus_operator.PrometheusRule,
}


def unknown_keys(given, parsed, path: str = "") -> list[str]:
    """Keys in GIVEN that did not survive into PARSED (pydantic drops what the model lacks).
    Free-form maps (a Kyverno pattern, KEDA trigger metadata) survive whole, so they pass."""
    if isinstance(given, dict) and isinstance(parsed, dict):
        found = []
        for key, value in given.items():
            if key not in parsed:
                found.append(f"{path}/{key}")
            else:
                found += unknown_keys(value, parsed[key], f"{path}/{key}")
        return found
    if isinstance(given, list) and isinstance(parsed, list):
        return [problem for index, (a, b) in enumerate(zip(given, parsed)) for problem in unknown_keys(a, b, f"{path}/{index}")]
    return []


def validate(document: dict) -> list[str]:
    key = (document.get("apiVersion"), document.get("kind"))
    if key in ARGO_SCHEMAS:
        return ARGO_SCHEMAS[key].check(document, "")
    if key in KSERVE_MODELS:
        return validate_kserve(document)
    model = MODELS.get(key)
    if model is None:
        return [f"no schema for {key[1]} {key[0]}"]
    try:
        parsed = model.model_validate(document)
    except Exception as error:  # pydantic's ValidationError lists every field
        return [str(error)]
    dumped = parsed.model_dump(by_alias=True, exclude_unset=True, mode="json")
    return [f"unknown field {path}" for path in unknown_keys(document, dumped)]


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [document for document in yaml.safe_load_all(handle) if document]


def main(custom: str, builtin: str | None = None) -> int:
    documents = load(custom)
    failures = 0
    for document in documents:
        name = f"{custom}: {document.get('kind')}/{document.get('metadata', {}).get('name')}"
        problems = validate(document)
        for problem in problems:
            print(f"FAIL {name}: {problem}")
        failures += bool(problems)
        if not problems:
            print(f"PASS {name}")
    if not failures:
        for problem in argo_references(documents + (load(builtin) if builtin else [])):
            print(f"FAIL {custom}: {problem}")
            failures += 1
    print(f"custom resources: {len(documents)} checked, {failures} failed")
    return 1 if failures or not documents else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
