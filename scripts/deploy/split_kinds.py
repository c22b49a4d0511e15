"""Splits rendered manifests into built-in kinds (validated by kubernetes-validate) and custom
resources (validated against their CRDs' models): `split_kinds.py IN BUILTIN_OUT CUSTOM_OUT`."""

from __future__ import annotations

import sys

import yaml


def is_builtin(api_version: str) -> bool:
    """Kubernetes' own groups: the core group (no slash), unqualified groups (apps, policy,
    autoscaling) and *.k8s.io; anything else is a CRD's."""
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def main(source: str, builtin_out: str, custom_out: str) -> int:
    with open(source, encoding="utf-8") as handle:
        documents = [document for document in yaml.safe_load_all(handle) if document]
    builtin = [document for document in documents if is_builtin(document["apiVersion"])]
    custom = [document for document in documents if not is_builtin(document["apiVersion"])]
    for path, chosen in ((builtin_out, builtin), (custom_out, custom)):
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump_all(chosen, handle, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
