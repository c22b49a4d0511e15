"""The Kyverno policies (deploy/kubernetes/cluster/kyverno) applied to every pod the overlays
make, and to broken copies of them; and the PodDisruptionBudget against the replica counts and
rollout strategies, so a drain and a rollout can always make progress.

No Kyverno CLI installs from Debian or PyPI, so `validate.pattern` is evaluated here with
Kyverno's semantics for what these policies use (and the test fails on anything else): a key
must be present unless it is under an equality anchor `=(key)`, and absent under a negation
anchor `X(key)`; a list of maps applies its one
element to every item; a list of scalars compares item by item; string values may be
alternatives `a | b`, comparisons `>0`, negations `!x` and wildcards `*` `?`. Rules match by
kind and by the labels of the pod's Namespace. Kyverno applies Pod rules to the pod templates
of Deployments and CronJobs (its auto-generated rules), so each template is checked as a Pod.
verifyImages needs a registry and Rekor; here only its coverage is checked: every image is one
it verifies."""

from __future__ import annotations

import copy
import fnmatch
import math
import re

import pytest
import yaml

from conftest import REPO_ROOT
from test_deploy_manifests import one, render

POLICIES = sorted((REPO_ROOT / "deploy/kubernetes/cluster/kyverno").glob("*.yaml"))
OVERLAYS = ["overlays/dev", "overlays/prod", "overlays/prod-keda", "overlays/prod-argo-rollouts", "overlays/prod-hsm",
            "overlays/prod-kms", "overlays/prod-policy-configmap"]
ANCHOR = re.compile(r"^(=|X|\+|\^|<|)\((.+)\)$")


def policies() -> list[dict]:
    return [document for path in POLICIES for document in yaml.safe_load_all(path.read_text()) if document]


# --- pattern evaluation --------------------------------------------------------------------


def scalar_matches(pattern, value) -> bool:
    if isinstance(pattern, bool) or not isinstance(pattern, str):
        return pattern == value and type(pattern) is type(value)
    if "|" in pattern:
        return any(scalar_matches(part.strip(), value) for part in pattern.split("|"))
    assert "&" not in pattern, f"the evaluator does not know {pattern!r}"
    comparison = re.fullmatch(r"(>=|<=|>|<)\s*(-?[0-9.]+)", pattern)
    if comparison:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return False
        operator, bound = comparison.group(1), float(comparison.group(2))
        return {">": value > bound, "<": value < bound, ">=": value >= bound, "<=": value <= bound}[operator]
    if pattern.startswith("!"):
        return not scalar_matches(pattern[1:], value)
    if value is None or isinstance(value, (dict, list)):
        return False
    return fnmatch.fnmatchcase(str(value).lower() if isinstance(value, bool) else str(value), pattern)


def mismatch(pattern, resource, path: str = "") -> str | None:
    """The path where RESOURCE fails PATTERN, or None when it matches."""
    if isinstance(pattern, dict):
        if not isinstance(resource, dict):
            return path or "/"
        for key, sub in pattern.items():
            anchor = ANCHOR.match(key)
            assert anchor is None or anchor.group(1) in ("=", "X"), f"the evaluator does not know the anchor {key!r}"
            name = anchor.group(2) if anchor else key
            if anchor and anchor.group(1) == "X":  # X(key): the key must be absent
                if name in resource:
                    return f"{path}/{name}"
                continue
            if name not in resource:
                if anchor:
                    continue  # =(key): only checked where present
                return f"{path}/{name}"
            found = mismatch(sub, resource[name], f"{path}/{name}")
            if found:
                return found
        return None
    if isinstance(pattern, list):
        if not isinstance(resource, list):
            return path
        if pattern and isinstance(pattern[0], dict):
            assert len(pattern) == 1, "a list of maps in a pattern has one element"
            return next((m for i, item in enumerate(resource) if (m := mismatch(pattern[0], item, f"{path}/{i}"))), None)
        if len(resource) < len(pattern):
            return path
        return next((m for i, sub in enumerate(pattern) if (m := mismatch(sub, resource[i], f"{path}/{i}"))), None)
    return None if scalar_matches(pattern, resource) else path


def matches(block: dict, kind: str, namespace: dict) -> bool:
    resources = block["resources"]
    assert set(resources) <= {"kinds", "namespaceSelector", "namespaces"}, resources
    if kind not in resources.get("kinds", [kind]):
        return False
    if "namespaces" in resources and not any(fnmatch.fnmatchcase(namespace["metadata"]["name"], n) for n in resources["namespaces"]):
        return False
    selector = resources.get("namespaceSelector", {})
    assert set(selector) <= {"matchLabels"}, selector
    labels = namespace["metadata"].get("labels", {})
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def applies(rule: dict, namespace: dict) -> bool:
    match = rule["match"]
    blocks = match.get("any") or match.get("all")
    assert blocks, match
    matched = (any if "any" in match else all)(matches(block, "Pod", namespace) for block in blocks)
    excluded = rule.get("exclude") and any(matches(b, "Pod", namespace) for b in rule["exclude"].get("any", []))
    return matched and not excluded


def refusals(pod: dict, namespace: dict) -> set[str]:
    """The validate rules that refuse POD in NAMESPACE, as policy/rule."""
    found = set()
    for policy in policies():
        for rule in policy["spec"]["rules"]:
            if "validate" in rule and applies(rule, namespace) and mismatch(rule["validate"]["pattern"], pod):
                found.add(f"{policy['metadata']['name']}/{rule['name']}")
    return found


def image_verified(image: str) -> bool:
    rules = [rule for policy in policies() for rule in policy["spec"]["rules"] if "verifyImages" in rule]
    return any(fnmatch.fnmatchcase(image, reference) and entry.get("required") and entry.get("verifyDigest")
               for rule in rules for entry in rule["verifyImages"] for reference in entry["imageReferences"])


def pods_of(rendered: list[dict]) -> dict[str, dict]:
    """Every pod template the overlay makes, as the Pod Kyverno's auto-generated rules check."""
    templates = {}
    for document in rendered:
        if document["kind"] in ("Deployment", "Rollout") and "template" in document["spec"]:
            templates[document["kind"]] = document["spec"]["template"]
        elif document["kind"] == "CronJob":
            templates["CronJob"] = document["spec"]["jobTemplate"]["spec"]["template"]
    return {kind: {"apiVersion": "v1", "kind": "Pod", **copy.deepcopy(template)} for kind, template in templates.items()}


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request) -> list[dict]:
    return render(request.param)


def test_every_rendered_pod_passes_every_rule(rendered):
    namespace = one(rendered, "Namespace")
    pods = pods_of(rendered)
    assert {"Deployment", "CronJob"} <= set(pods)
    rules = {f"{p['metadata']['name']}/{r['name']}" for p in policies() for r in p["spec"]["rules"] if "validate" in r}
    assert all(applies(r, namespace) for p in policies() for r in p["spec"]["rules"] if "validate" in r), "the namespace is matched"
    assert len(rules) == 5
    for kind, pod in pods.items():
        assert refusals(pod, namespace) == set(), kind
        images = [c["image"] for c in pod["spec"]["containers"] + pod["spec"].get("initContainers", [])]
        assert images and all(image_verified(image) for image in images), images


def container(pod: dict) -> dict:
    return pod["spec"]["containers"][0]


def init(pod: dict) -> dict:
    return pod["spec"]["initContainers"][0]


# Each change breaks one thing; exactly the rule named must refuse it.
BREAKS = {
    # The API server refuses privileged with allowPrivilegeEscalation false, so a privileged
    # container also escalates; require-restricted refuses that.
    "privileged": (lambda p: container(p)["securityContext"].update(privileged=True, allowPrivilegeEscalation=True),
                   {"enforce-restricted-pod/require-restricted", "enforce-restricted-pod/forbid-host-access"}),
    "host path": (lambda p: p["spec"].setdefault("volumes", []).append({"name": "host", "hostPath": {"path": "/"}}),
                  "enforce-restricted-pod/forbid-host-access"),
    "host network": (lambda p: p["spec"].update(hostNetwork=True), "enforce-restricted-pod/forbid-host-access"),
    "host PID": (lambda p: p["spec"].update(hostPID=True), "enforce-restricted-pod/forbid-host-access"),
    "runAsNonRoot false": (lambda p: p["spec"]["securityContext"].update(runAsNonRoot=False), "enforce-restricted-pod/require-restricted"),
    "seccomp missing": (lambda p: p["spec"]["securityContext"].pop("seccompProfile"), "enforce-restricted-pod/require-restricted"),
    "seccomp Unconfined": (lambda p: p["spec"]["securityContext"].update(seccompProfile={"type": "Unconfined"}),
                           "enforce-restricted-pod/require-restricted"),
    "writable root": (lambda p: init(p)["securityContext"].update(readOnlyRootFilesystem=False), "enforce-restricted-pod/require-restricted"),
    "a capability kept": (lambda p: container(p)["securityContext"].update(capabilities={"add": ["NET_ADMIN"]}),
                          "enforce-restricted-pod/require-restricted"),
    "root user": (lambda p: p["spec"]["securityContext"].update(runAsUser=0), "enforce-restricted-pod/forbid-root-user"),
    "root container": (lambda p: container(p)["securityContext"].update(runAsUser=0), "enforce-restricted-pod/forbid-root-user"),
    "API token": (lambda p: p["spec"].update(automountServiceAccountToken=True), "enforce-restricted-pod/no-service-account-token"),
    "API token by default": (lambda p: p["spec"].pop("automountServiceAccountToken"), "enforce-restricted-pod/no-service-account-token"),
    "AppArmor Unconfined": (lambda p: container(p)["securityContext"].update(appArmorProfile={"type": "Unconfined"}),
                            "enforce-restricted-pod/require-apparmor"),
    "pod AppArmor missing": (lambda p: p["spec"]["securityContext"].pop("appArmorProfile"), "enforce-restricted-pod/require-apparmor"),
}


@pytest.mark.parametrize("name", BREAKS)
def test_each_broken_pod_is_refused_by_exactly_its_rule(name):
    rendered = render("overlays/prod")
    namespace = one(rendered, "Namespace")
    for kind, pod in pods_of(rendered).items():
        change, rule = BREAKS[name]
        broken = copy.deepcopy(pod)
        change(broken)
        assert refusals(broken, namespace) == (rule if isinstance(rule, set) else {rule}), (kind, name)


def test_the_rules_apply_only_in_restricted_namespaces():
    rendered = render("overlays/prod")
    pod = pods_of(rendered)["Deployment"]
    BREAKS["privileged"][0](pod)
    other = {"metadata": {"name": "sandbox", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}}
    assert refusals(pod, other) == set()
    assert refusals(pod, one(rendered, "Namespace"))


def test_an_image_outside_the_signed_repositories_is_not_verified():
    """verifyImages checks only the references it names: an image from elsewhere would be
    admitted unverified, so every image the manifests use must be under them."""
    assert image_verified("registry.example.com/warden/warden:0.1.0")
    assert not image_verified("docker.io/library/warden:latest")
    assert not image_verified("registry.example.com/other/warden:0.1.0")


def test_the_evaluator_follows_kyverno_semantics():
    assert mismatch({"a": {"=(b)": 1}}, {"a": {}}) is None and mismatch({"a": {"b": 1}}, {"a": {}}) == "/a/b"
    assert mismatch({"c": [{"x": True}]}, {"c": [{"x": True}, {"x": False}]}) == "/c/1/x"
    assert mismatch({"d": ["ALL"]}, {"d": ["ALL", "NET_RAW"]}) is None and mismatch({"d": ["ALL"]}, {"d": ["NET_RAW"]}) == "/d/0"
    assert scalar_matches(">0", 65532) and not scalar_matches(">0", 0) and not scalar_matches(">0", "1")
    assert scalar_matches("RuntimeDefault | Localhost", "Localhost") and not scalar_matches("RuntimeDefault | Localhost", "Unconfined")
    assert scalar_matches("!Unconfined", "RuntimeDefault") and scalar_matches("registry.*/warden", "registry.example.com/warden")
    assert scalar_matches(True, True) and not scalar_matches(True, "true") and not scalar_matches(False, None)
    with pytest.raises(AssertionError):
        mismatch({"^(x)": 1}, {"x": 1})


# --- PodDisruptionBudget against replicas and the rollout strategy ---------------------------


def scaled(value, replicas: int, round_up: bool) -> int:
    """An int-or-percent field of REPLICAS, rounded the way its consumer rounds it."""
    if isinstance(value, str) and value.endswith("%"):
        exact = replicas * int(value[:-1]) / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)


def allowed_disruptions(pdb: dict, healthy: int) -> int:
    """The disruption controller's answer with HEALTHY pods, all of them expected."""
    spec = pdb["spec"]
    if "maxUnavailable" in spec:
        return max(0, healthy - (healthy - scaled(spec["maxUnavailable"], healthy, round_up=True)))
    return max(0, healthy - scaled(spec["minAvailable"], healthy, round_up=True))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_drain_and_a_rollout_can_always_make_progress(overlay):
    rendered = render(overlay)
    pdb = one(rendered, "PodDisruptionBudget")
    # With Argo Rollouts the Rollout runs the pods (the Deployment holds their template).
    workload = next((d for d in rendered if d["kind"] == "Rollout"), None) or one(rendered, "Deployment")
    labels = one(rendered, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    autoscaler = next((d["spec"] for d in rendered if d["kind"] == "HorizontalPodAutoscaler"), None)
    scaled_object = next((d["spec"] for d in rendered if d["kind"] == "ScaledObject"), None)
    floors = [workload["spec"]["replicas"]]
    floors += [autoscaler["minReplicas"]] if autoscaler else []
    floors += [scaled_object["minReplicaCount"]] if scaled_object else []
    for replicas in set(floors):
        # A node drain evicts through the PDB: at the fewest replicas it still lets one go.
        assert allowed_disruptions(pdb, replicas) >= 1, (overlay, replicas)
        # and never more than one at a time where there is more than one.
        assert replicas == 1 or allowed_disruptions(pdb, replicas) == 1, (overlay, replicas)
    strategy = workload["spec"]["strategy"]
    update = strategy.get("rollingUpdate") or strategy["canary"]
    for replicas in set(floors):
        surge = scaled(update.get("maxSurge", "25%"), replicas, round_up=True)
        unavailable = scaled(update.get("maxUnavailable", "25%"), replicas, round_up=False)
        # A rollout moves only if it may add a pod or take one away; with no unavailability
        # allowed it must surge, so serving capacity never drops below the replica count.
        assert surge + unavailable >= 1, (overlay, replicas, update)
        assert unavailable == 0 and surge >= 1, (overlay, update)
    assert pdb["spec"].get("unhealthyPodEvictionPolicy") == "AlwaysAllow"  # a stuck pod never blocks a drain


def test_the_budget_arithmetic_refuses_a_budget_that_blocks_drains():
    assert allowed_disruptions({"spec": {"maxUnavailable": 1}}, 3) == 1
    assert allowed_disruptions({"spec": {"minAvailable": 3}}, 3) == 0  # a drain would hang
    assert allowed_disruptions({"spec": {"minAvailable": "50%"}}, 3) == 1
    assert allowed_disruptions({"spec": {"maxUnavailable": "10%"}}, 3) == 1  # rounded up
    assert scaled("25%", 3, round_up=False) == 0 and scaled("25%", 3, round_up=True) == 1
