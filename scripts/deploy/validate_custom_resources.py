"""Validates the custom resources in rendered manifests (Kyverno ClusterPolicy, KEDA
ScaledObject) against models generated from their CRDs' schemas, strictly: a key the schema
does not know is an error, as kubernetes-validate --strict does for built-in kinds. Exit 1 on
any error, or on a custom kind no schema here covers."""

from __future__ import annotations

import sys

import yaml
from cloudcoil.models.keda import v1alpha1 as keda
from cloudcoil.models.kyverno import v1 as kyverno

MODELS = {
    ("kyverno.io/v1", "ClusterPolicy"): kyverno.ClusterPolicy,
    ("kyverno.io/v1", "Policy"): kyverno.Policy,
    ("keda.sh/v1alpha1", "ScaledObject"): keda.ScaledObject,
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
    model = MODELS.get(key)
    if model is None:
        return [f"no schema for {key[1]} {key[0]}"]
    try:
        parsed = model.model_validate(document)
    except Exception as error:  # pydantic's ValidationError lists every field
        return [str(error)]
    dumped = parsed.model_dump(by_alias=True, exclude_unset=True, mode="json")
    return [f"unknown field {path}" for path in unknown_keys(document, dumped)]


def main(paths: list[str]) -> int:
    failures = checked = 0
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for document in yaml.safe_load_all(handle):
                if not document:
                    continue
                checked += 1
                name = f"{path}: {document.get('kind')}/{document.get('metadata', {}).get('name')}"
                problems = validate(document)
                for problem in problems:
                    print(f"FAIL {name}: {problem}")
                failures += bool(problems)
                if not problems:
                    print(f"PASS {name}")
    print(f"custom resources: {checked - failures} valid, {failures} invalid")
    return 1 if failures or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
