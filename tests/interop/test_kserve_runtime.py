"""Warden under KServe (deploy/kubernetes/kserve), checked as far as can be without a cluster:
the runtime runs `warden serve` with flags the binary has, on Warden's ports, restricted; the
storage container makes `warden fetch` KServe's storage initializer for warden:// URIs in the
way KServe's pod webhook merges it; the InferenceService pins its artifact by digest; and the
strict schema check refuses what KServe's CRDs would."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT, warden_binary
from test_deploy_manifests import DEPLOY, UID, one, render, serve_config

VALIDATOR = REPO_ROOT / "scripts" / "deploy" / "validate_custom_resources.py"
DEPLOY_PYTHON = REPO_ROOT / ".venv-deploy" / "bin" / "python"
MOUNT_ROOT = "/mnt/models"  # where KServe mounts the storage initializer's volume


@pytest.fixture(scope="module")
def rendered() -> list[dict]:
    return render("kserve")


def flags_of(command: str) -> set[str]:
    """The options `warden COMMAND --help` lists."""
    text = subprocess.run([str(warden_binary()), command, "--help"], capture_output=True, text=True, check=True,
                          timeout=30).stdout
    return set(re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", text))


def options(args: list[str]) -> dict[str, str | None]:
    """--flag VALUE pairs, and bare --flags as None."""
    found = {}
    for index, arg in enumerate(args):
        if arg.startswith("--"):
            following = args[index + 1] if index + 1 < len(args) else None
            found[arg] = following if following is not None and not following.startswith("--") else None
    return found


def server(rendered: list[dict]) -> dict:
    containers = one(rendered, "ClusterServingRuntime")["spec"]["containers"]
    assert [c["name"] for c in containers] == ["kserve-container"]  # the name KServe merges the predictor into
    return containers[0]


def assert_restricted(context: dict) -> None:
    assert context["runAsNonRoot"] is True and context["runAsUser"] == UID and context["runAsGroup"] == UID
    assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
    assert context["privileged"] is False
    assert context["capabilities"] == {"drop": ["ALL"]} and context["seccompProfile"] == {"type": "RuntimeDefault"}


def test_the_runtime_serves_onnx_over_v2_and_v1_with_flags_warden_serve_has(rendered):
    spec = one(rendered, "ClusterServingRuntime")["spec"]
    assert [f["name"] for f in spec["supportedModelFormats"]] == ["onnx"] and spec["supportedModelFormats"][0]["autoSelect"]
    assert spec["protocolVersions"] == ["v2", "v1"]
    args = server(rendered)["args"]
    assert args[0] == "serve"
    given = options(args[1:])
    assert set(given) <= flags_of("serve"), set(given) - flags_of("serve")
    # fetch installs into <root>/model; serve takes only that, read-only, and re-checks it.
    assert given["--model-dir"] == f"{MOUNT_ROOT}/model"
    assert "--hardened" in given and "--require-hardened" in given and "--insecure-plaintext" not in given
    assert {"--tls-cert", "--tls-key", "--client-ca", "--allow-client"} <= set(given)


def test_ports_and_probes_are_warden_s_own(rendered):
    listen = serve_config()["listen"]
    container = server(rendered)
    given = options(container["args"][1:])
    wanted = {"--port": listen["port"], "--probe-port": listen["probe_port"], "--grpc-port": listen["grpc_port"],
              "--grpc-probe-port": listen["grpc_probe_port"]}
    assert {flag: int(given[flag]) for flag in wanted} == wanted
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"https": listen["port"], "grpc": listen["grpc_port"], "probe": listen["probe_port"],
                     "grpc-probe": listen["grpc_probe_port"]}
    spec = one(rendered, "ClusterServingRuntime")["spec"]
    assert spec["grpcEndpoint"] == f"port:{listen['grpc_port']}" and spec["httpDataEndpoint"] == f"port:{listen['port']}"
    assert container["startupProbe"]["httpGet"] == {"path": "/readyz", "port": listen["probe_port"]}
    assert container["readinessProbe"]["grpc"] == {"port": listen["grpc_probe_port"], "service": ""}
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": listen["probe_port"]}


def test_every_container_and_the_pod_run_restricted(rendered):
    container = server(rendered)
    assert_restricted(container["securityContext"])
    assert_restricted(one(rendered, "ClusterStorageContainer")["spec"]["container"]["securityContext"])
    predictor = one(rendered, "InferenceService")["spec"]["predictor"]
    pod = predictor["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] == UID and pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert predictor["automountServiceAccountToken"] is False
    # Writable only where Warden writes: scratch in memory. The TLS material is read-only.
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["warden-tls"]["readOnly"] is True and set(mounts) == {"warden-tls", "warden-tmp"}
    volumes = {v["name"]: v for v in one(rendered, "ClusterServingRuntime")["spec"]["volumes"]}
    assert volumes["warden-tmp"]["emptyDir"]["medium"] == "Memory"


def test_the_storage_container_runs_warden_fetch_as_kserve_calls_it(rendered):
    storage = one(rendered, "ClusterStorageContainer")
    container = storage["spec"]["container"]
    # KServe finds its init container by this name, and appends [storageUri, /mnt/models] as
    # args; args set here would replace them (strategic merge replaces a plain list).
    assert container["name"] == "storage-initializer" and "args" not in container
    command = container["command"]
    assert command[:2] == ["/usr/local/bin/warden", "fetch"]
    given = options(command[2:])
    assert given["--trust"] == "/etc/warden/trust/trust-policy.yaml"
    assert set(given) <= flags_of("fetch"), set(given) - flags_of("fetch")
    assert storage["spec"]["supportedUriFormats"] == [{"prefix": "warden://"}]
    assert storage["spec"]["supportsMultiModelDownload"] is False
    # The volumes it mounts are the runtime's: a ClusterStorageContainer cannot declare any.
    runtime_volumes = {v["name"]: v for v in one(rendered, "ClusterServingRuntime")["spec"]["volumes"]}
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert set(mounts) <= set(runtime_volumes)
    assert mounts["warden-trust"]["readOnly"] is True and runtime_volumes["warden-trust"]["configMap"]["name"] == "warden-trust"
    assert MOUNT_ROOT not in {m["mountPath"] for m in container["volumeMounts"]}  # KServe's own mount


def release_digest() -> str:
    """The churn model's release pin in Warden's own manifests (base/kustomization.yaml)."""
    kustomization = yaml.safe_load((DEPLOY / "kubernetes" / "base" / "kustomization.yaml").read_text())
    release = next(g for g in kustomization["configMapGenerator"] if g["name"] == "warden-churn-release")
    return next(v.split("=", 1)[1] for v in release["literals"] if v.startswith("MODEL_DIGEST="))


def test_the_inference_service_pins_its_artifact_and_sets_a_canary(rendered):
    service = one(rendered, "InferenceService")
    predictor = service["spec"]["predictor"]
    model = predictor["model"]
    uri = re.fullmatch(r"warden://([^/@]+)/([^@:]+)@(sha256:[0-9a-f]{64})", model["storageUri"])
    assert uri, model["storageUri"]
    assert uri.group(3) == release_digest()  # the same artifact Warden's own manifests serve
    storage = one(rendered, "ClusterStorageContainer")
    assert any(model["storageUri"].startswith(f["prefix"]) for f in storage["spec"]["supportedUriFormats"])
    assert predictor["storageContainerName"] == storage["metadata"]["name"]
    assert model["runtime"] == one(rendered, "ClusterServingRuntime")["metadata"]["name"]
    assert model["modelFormat"]["name"] == "onnx" and model["protocolVersion"] == "v2"
    assert isinstance(predictor["canaryTrafficPercent"], int) and 0 < predictor["canaryTrafficPercent"] < 100
    # KServe appends the model's args to the runtime's: `serve --hardened` needs the pin, and
    # it must be the storageUri's (the artifact fetch verified).
    runtime_args = one(rendered, "ClusterServingRuntime")["spec"]["containers"][0]["args"]
    assert "--hardened" in runtime_args and "--expected-digest" not in runtime_args
    assert options(model["args"]) == {"--expected-digest": uri.group(3)}
    assert set(options(model["args"])) <= flags_of("serve")
    assert service["metadata"]["annotations"]["storage.kserve.io/readonly"] == "true"


def validate(tmp_path: Path, documents: list[dict]) -> subprocess.CompletedProcess:
    """The custom-resource check as scripts/check-deploy.sh runs it."""
    custom = tmp_path / "custom.yaml"
    custom.write_text(yaml.safe_dump_all(documents))
    return subprocess.run([str(DEPLOY_PYTHON), str(VALIDATOR), str(custom)], capture_output=True, text=True, timeout=120,
                          cwd=VALIDATOR.parent)


def rename(mapping: dict, old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


def test_the_schema_check_passes_the_manifests_as_written(rendered, tmp_path):
    result = validate(tmp_path, rendered)
    assert result.returncode == 0 and "3 checked, 0 failed" in result.stdout, result.stdout


@pytest.mark.parametrize("kind, change, message", [
    ("InferenceService", lambda d: rename(d["spec"]["predictor"], "canaryTrafficPercent", "canaryTraficPercent"),
     "/spec/predictor/canaryTraficPercent: unknown field"),
    ("InferenceService", lambda d: d["spec"]["predictor"].update(canaryTrafficPercent="10"),
     "/spec/predictor/canaryTrafficPercent: expected int"),
    ("ClusterServingRuntime", lambda d: rename(d["spec"], "protocolVersions", "protocolVersion"),
     "/spec/protocolVersion: unknown field"),
    ("ClusterServingRuntime", lambda d: rename(d["spec"]["containers"][0]["securityContext"], "readOnlyRootFilesystem",
                                               "readOnlyRootFileSystem"),
     "/spec/containers/0/securityContext/readOnlyRootFileSystem: unknown field"),
    ("ClusterStorageContainer", lambda d: rename(d["spec"], "supportedUriFormats", "supportedUriFormat"),
     "/spec/supportedUriFormat: unknown field"),
    ("ClusterStorageContainer", lambda d: d["spec"]["supportedUriFormats"][0].update(prefx="warden://"),
     "/spec/supportedUriFormats/0/prefx: unknown field"),
])
def test_the_schema_check_refuses_what_kserve_would(rendered, tmp_path, kind, change, message):
    documents = copy.deepcopy(rendered)
    change(one(documents, kind))
    result = validate(tmp_path, documents)
    assert result.returncode == 1 and message in result.stdout, result.stdout
