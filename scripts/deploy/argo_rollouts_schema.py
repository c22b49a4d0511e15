"""A strict structural schema for the Argo Rollouts kinds Warden ships (Rollout, AnalysisTemplate,
argoproj.io/v1alpha1), for lack of their CRD schemas offline: every field name and type of the
parts of the API these manifests use, written from the v1alpha1 Go types (types.go and
analysis_types.go; `json` tags, `omitempty` = optional). An unknown key, a wrong type or a
missing required field is an error, as with kubernetes-validate --strict. Parts the manifests do
not use (blueGreen, trafficRouting, experiments, non-Prometheus providers) are refused rather
than passed unchecked: extend the schema when a manifest needs one.

The pod template is not here: the Rollout takes it from the Deployment (workloadRef), which
kubernetes-validate and checkov check."""

from __future__ import annotations

import re

GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")


class Field:
    """A value's expected form; `check` returns the errors under PATH."""

    def __init__(self, kind: str, *, fields: dict | None = None, required: tuple = (), item: "Field | None" = None,
                 allowed: tuple = ()):
        self.kind, self.fields, self.required, self.item, self.allowed = kind, fields or {}, required, item, allowed

    def check(self, value, path: str) -> list[str]:
        kind = self.kind
        if kind == "string":
            ok = isinstance(value, str) and (not self.allowed or value in self.allowed)
            return [] if ok else [f"{path}: expected a string{' in ' + str(self.allowed) if self.allowed else ''}, got {value!r}"]
        if kind == "int":
            return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{path}: expected an integer, got {value!r}"]
        if kind == "bool":
            return [] if isinstance(value, bool) else [f"{path}: expected true or false, got {value!r}"]
        if kind == "int-or-string":
            return [] if isinstance(value, (int, str)) and not isinstance(value, bool) else [f"{path}: expected int or string"]
        if kind == "duration":  # DurationString: Go's time.ParseDuration
            return [] if isinstance(value, str) and GO_DURATION.match(value) else [f"{path}: expected a Go duration, got {value!r}"]
        if kind == "pause-duration":  # IntOrString: seconds, or a Go duration
            ok = isinstance(value, int) or (isinstance(value, str) and (value.isdigit() or GO_DURATION.match(value)))
            return [] if ok else [f"{path}: expected seconds or a Go duration, got {value!r}"]
        if kind == "string-map":
            ok = isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
            return [] if ok else [f"{path}: expected a map of strings"]
        if kind == "list":
            if not isinstance(value, list):
                return [f"{path}: expected a list"]
            return [error for index, entry in enumerate(value) for error in self.item.check(entry, f"{path}/{index}")]
        if kind == "object":
            if not isinstance(value, dict):
                return [f"{path}: expected an object"]
            errors = [f"{path}/{key}: unknown field" for key in value if key not in self.fields]
            errors += [f"{path}/{key}: required" for key in self.required if key not in value]
            for key, entry in value.items():
                if key in self.fields:
                    errors += self.fields[key].check(entry, f"{path}/{key}")
            return errors
        raise ValueError(kind)


STRING, INT, BOOL = Field("string"), Field("int"), Field("bool")
INT_OR_STRING, DURATION, STRING_MAP = Field("int-or-string"), Field("duration"), Field("string-map")


def obj(required: tuple = (), **fields: Field) -> Field:
    return Field("object", fields=fields, required=required)


def listof(item: Field) -> Field:
    return Field("list", item=item)


METADATA = obj(name=STRING, namespace=STRING, labels=STRING_MAP, annotations=STRING_MAP)
LABEL_SELECTOR = obj(
    matchLabels=STRING_MAP,
    matchExpressions=listof(obj(("key", "operator"), key=STRING, values=listof(STRING),
                                operator=Field("string", allowed=("In", "NotIn", "Exists", "DoesNotExist")))))
FIELD_REF = obj(("fieldPath",), fieldPath=STRING)
DRY_RUN = listof(obj(("metricName",), metricName=STRING))
RETENTION = listof(obj(("metricName", "limit"), metricName=STRING, limit=INT))
RUN_ARGUMENT = obj(("name",), name=STRING, value=STRING, valueFrom=obj(
    podTemplateHashValue=Field("string", allowed=("Stable", "Latest")), fieldRef=FIELD_REF))
ANALYSIS_FIELDS = dict(
    templates=listof(obj(("templateName",), templateName=STRING, clusterScope=BOOL)),
    args=listof(RUN_ARGUMENT), dryRun=DRY_RUN, measurementRetention=RETENTION,
    analysisRunMetadata=obj(labels=STRING_MAP, annotations=STRING_MAP))
POD_METADATA = obj(labels=STRING_MAP, annotations=STRING_MAP)

CANARY_STEP = obj(
    setWeight=INT, pause=obj(duration=Field("pause-duration")), analysis=obj(**ANALYSIS_FIELDS),
    setCanaryScale=obj(weight=INT, replicas=INT, matchTrafficWeight=BOOL))
CANARY = obj(
    canaryService=STRING, stableService=STRING, steps=listof(CANARY_STEP), maxUnavailable=INT_OR_STRING,
    maxSurge=INT_OR_STRING, analysis=obj(startingStep=INT, **ANALYSIS_FIELDS), canaryMetadata=POD_METADATA,
    stableMetadata=POD_METADATA, scaleDownDelaySeconds=INT, scaleDownDelayRevisionLimit=INT,
    abortScaleDownDelaySeconds=INT, dynamicStableScale=BOOL, minPodsPerReplicaSet=INT,
    antiAffinity=obj(preferredDuringSchedulingIgnoredDuringExecution=obj(("weight",), weight=INT),
                     requiredDuringSchedulingIgnoredDuringExecution=obj()))

ROLLOUT = obj(
    ("apiVersion", "kind", "metadata", "spec"), apiVersion=STRING, kind=STRING, metadata=METADATA,
    # selector, template and strategy carry no omitempty; with workloadRef the template comes from the workload.
    spec=obj(("selector", "strategy"),
             replicas=INT, selector=LABEL_SELECTOR, minReadySeconds=INT, revisionHistoryLimit=INT, paused=BOOL,
             progressDeadlineSeconds=INT, progressDeadlineAbort=BOOL, rollbackWindow=obj(revisions=INT),
             analysis=obj(successfulRunHistoryLimit=INT, unsuccessfulRunHistoryLimit=INT),
             workloadRef=obj(("apiVersion", "kind", "name"), apiVersion=STRING, kind=STRING, name=STRING,
                             scaleDown=Field("string", allowed=("never", "onsuccess", "progressively"))),
             strategy=obj(canary=CANARY)))

PROMETHEUS = obj(("address", "query"), address=STRING, query=STRING, timeout=INT, insecure=BOOL,
                 headers=listof(obj(("key", "value"), key=STRING, value=STRING)))
METRIC = obj(
    ("name", "provider"), name=STRING, interval=DURATION, initialDelay=DURATION, count=INT_OR_STRING,
    successCondition=STRING, failureCondition=STRING, failureLimit=INT_OR_STRING, inconclusiveLimit=INT_OR_STRING,
    consecutiveErrorLimit=INT_OR_STRING, provider=obj(prometheus=PROMETHEUS))
ANALYSIS_TEMPLATE = obj(
    ("apiVersion", "kind", "metadata", "spec"), apiVersion=STRING, kind=STRING, metadata=METADATA,
    spec=obj(("metrics",), metrics=listof(METRIC), dryRun=DRY_RUN, measurementRetention=RETENTION,
             args=listof(obj(("name",), name=STRING, value=STRING, valueFrom=obj(
                 secretKeyRef=obj(("name", "key"), name=STRING, key=STRING), fieldRef=FIELD_REF)))))

SCHEMAS = {("argoproj.io/v1alpha1", "Rollout"): ROLLOUT, ("argoproj.io/v1alpha1", "AnalysisTemplate"): ANALYSIS_TEMPLATE}


def references(documents: list[dict]) -> list[str]:
    """What the schema cannot see: the Rollout's workload, Services and templates exist; its
    selector selects the workload's pods; every template argument without a value is passed;
    every {{args.X}} a template uses is declared; canary weights rise within 0..100."""
    by_kind: dict[tuple[str, str], dict] = {(d["kind"], d["metadata"]["name"]): d for d in documents}
    errors = []
    for rollout in (d for d in documents if d["kind"] == "Rollout"):
        name = f"Rollout/{rollout['metadata']['name']}"
        spec = rollout["spec"]
        workload = by_kind.get((spec.get("workloadRef", {}).get("kind"), spec.get("workloadRef", {}).get("name")))
        if workload is None:
            errors.append(f"{name}: workloadRef names no object in these manifests")
            continue
        pod_labels = workload["spec"]["template"]["metadata"].get("labels", {})
        if not all(pod_labels.get(k) == v for k, v in spec["selector"].get("matchLabels", {}).items()):
            errors.append(f"{name}: selector does not select the workload's pods")
        canary = spec["strategy"].get("canary", {})
        for key in ("canaryService", "stableService"):
            service = by_kind.get(("Service", canary.get(key)))
            if key in canary and service is None:
                errors.append(f"{name}: {key} {canary[key]} is not a Service here")
            elif service and not all(pod_labels.get(k) == v for k, v in service["spec"].get("selector", {}).items()):
                errors.append(f"{name}: {key} {canary[key]} does not select the Rollout's pods")
        weights = [step["setWeight"] for step in canary.get("steps", []) if "setWeight" in step]
        if not all(0 <= w <= 100 for w in weights) or weights != sorted(set(weights)):
            errors.append(f"{name}: canary weights must rise within 0..100: {weights}")
        analyses = [canary.get("analysis", {})] + [step["analysis"] for step in canary.get("steps", []) if "analysis" in step]
        for analysis in analyses:
            passed = {arg["name"] for arg in analysis.get("args", [])}
            for ref in analysis.get("templates", []):
                template = by_kind.get(("AnalysisTemplate", ref["templateName"]))
                if template is None:
                    errors.append(f"{name}: AnalysisTemplate {ref['templateName']} is not here")
                    continue
                declared = template["spec"].get("args", [])
                missing = {a["name"] for a in declared if "value" not in a and "valueFrom" not in a} - passed
                unknown = passed - {a["name"] for a in declared}
                if missing or unknown:
                    errors.append(f"{name}: template {ref['templateName']}: args missing {sorted(missing)}, unknown {sorted(unknown)}")
    for template in (d for d in documents if d["kind"] == "AnalysisTemplate"):
        declared = {a["name"] for a in template["spec"].get("args", [])}
        used = set(re.findall(r"\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}", str(template["spec"]["metrics"])))
        if used - declared:
            errors.append(f"AnalysisTemplate/{template['metadata']['name']}: undeclared args {sorted(used - declared)}")
    return errors
