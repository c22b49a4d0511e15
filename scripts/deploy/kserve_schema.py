"""Strict checks of KServe's custom resources (InferenceService, ClusterServingRuntime,
ClusterStorageContainer) against the models the KServe Python SDK generates from KServe's own
OpenAPI document (package `kserve`, kserve.models), with the Kubernetes types they embed
(containers, volumes, probes) from the `kubernetes` client's models. Every object's keys must be
ones its model's attribute_map names, and every value must have the model's type: a misspelt
field is an error, as with kubernetes-validate --strict."""

from __future__ import annotations

import functools
import importlib
import re

MODELS = {
    ("serving.kserve.io/v1beta1", "InferenceService"): "V1beta1InferenceService",
    ("serving.kserve.io/v1alpha1", "ClusterServingRuntime"): "V1alpha1ClusterServingRuntime",
    ("serving.kserve.io/v1alpha1", "ClusterStorageContainer"): "V1alpha1ClusterStorageContainer",
}

# The generator spells containers two ways: kserve's list[X] and dict(str, X), the Kubernetes
# client's List[X] and Dict[str, X].
LIST = re.compile(r"^[Ll]ist\[(.+)\]$")
MAP = re.compile(r"^(?:dict\(str, (.+)\)|Dict\[str, (.+)\])$")
SCALARS = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "datetime": lambda v: isinstance(v, str),
    # A resource.Quantity: "500m", "2Gi", or a bare number.
    "ResourceQuantity": lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool),
    # Free-form in the schema (IntOrString, RawExtension): any value is the schema's.
    "object": lambda v: True,
}


@functools.cache
def model_modules() -> tuple:
    """Imported on first use: `import kserve` takes seconds, and most targets have no KServe kind."""
    return importlib.import_module("kserve.models"), importlib.import_module("kubernetes.client.models")


def model_class(name: str):
    kserve_models, kubernetes_models = model_modules()
    found = getattr(kserve_models, name, None) or getattr(kubernetes_models, name, None)
    if found is None or not hasattr(found, "openapi_types"):
        raise LookupError(f"no generated model {name}")
    return found


def check(value, type_name: str, path: str) -> list[str]:
    """The errors in VALUE read as TYPE_NAME, under PATH."""
    if type_name in SCALARS:
        return [] if SCALARS[type_name](value) else [f"{path}: expected {type_name}, got {value!r}"]
    if match := LIST.match(type_name):
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        return [e for index, item in enumerate(value) for e in check(item, match.group(1), f"{path}/{index}")]
    if match := MAP.match(type_name):
        if not isinstance(value, dict):
            return [f"{path}: expected a map"]
        inner = match.group(1) or match.group(2)
        return [e for key, item in value.items() for e in check(item, inner, f"{path}/{key}")]
    model = model_class(type_name)
    if not isinstance(value, dict):
        return [f"{path}: expected an object ({type_name})"]
    attribute_of = {json_key: attribute for attribute, json_key in model.attribute_map.items()}
    errors = []
    for key, item in value.items():
        if key not in attribute_of:
            errors.append(f"{path}/{key}: unknown field ({type_name})")
        else:
            errors += check(item, model.openapi_types[attribute_of[key]], f"{path}/{key}")
    return errors


def validate(document: dict) -> list[str]:
    return check(document, MODELS[(document.get("apiVersion"), document.get("kind"))], "")
