"""What the deployment files promise, read from what they render to (kubectl kustomize,
docker-compose config) and cross-checked against Warden's own configuration and metrics; and
proof that the CI checkers (checkov, kubernetes-validate) do fail on a weakened manifest."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess

import pytest
import requests
import yaml

from conftest import REPO_ROOT, warden_binary

DEPLOY = REPO_ROOT / "deploy"
VENV = REPO_ROOT / ".venv-deploy" / "bin"
UID = 65532


def require_deploy_tools() -> None:
    if (VENV / "checkov").exists() and (shutil.which("kubectl") or (VENV / "kubectl").exists()):
        return
    message = "the deployment checkers are not installed (scripts/setup.sh makes .venv-deploy)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def render(target: str) -> list[dict]:
    require_deploy_tools()
    kubectl = shutil.which("kubectl") or str(VENV / "kubectl")
    text = subprocess.run([kubectl, "kustomize", str(DEPLOY / "kubernetes" / target)], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    return [document for document in yaml.safe_load_all(text) if document]


def one(documents: list[dict], kind: str) -> dict:
    found = [document for document in documents if document["kind"] == kind]
    assert len(found) == 1, kind
    return found[0]


@pytest.fixture(scope="module", params=["overlays/dev", "overlays/prod", "overlays/prod-keda", "overlays/prod-hsm", "overlays/prod-kms",
                                        "overlays/prod-policy-configmap"])
def rendered(request) -> list[dict]:
    return render(request.param)


def serve_config() -> dict:
    return yaml.safe_load((DEPLOY / "kubernetes" / "base" / "config" / "serve.yaml").read_text())


def pod_templates(rendered: list[dict]) -> dict[str, dict]:
    """Every pod spec the manifests make: the server's (Deployment) and the probe's (CronJob)."""
    return {"Deployment": one(rendered, "Deployment")["spec"]["template"]["spec"],
            "CronJob": one(rendered, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]}


def test_every_container_runs_restricted(rendered):
    assert all(account["automountServiceAccountToken"] is False for account in rendered if account["kind"] == "ServiceAccount")
    names = {kind: [c["name"] for c in pod["initContainers"] + pod["containers"]] for kind, pod in pod_templates(rendered).items()}
    assert names == {"Deployment": ["fetch-verify", "warden"], "CronJob": ["fetch-verify", "probe"]}
    for pod in pod_templates(rendered).values():
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == UID
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for container in pod["initContainers"] + pod["containers"]:
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True and context["runAsUser"] == UID and context["runAsGroup"] == UID
            assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]} and context["seccompProfile"] == {"type": "RuntimeDefault"}
            assert set(container["resources"]["requests"]) >= {"cpu", "memory"} and set(container["resources"]["limits"]) >= {"cpu", "memory"}
            # Secrets are files (Vault Agent); the environment holds only the release's pins.
            assert "env" not in container and container["envFrom"] == [{"configMapRef": {"name": container["envFrom"][0]["configMapRef"]["name"]}}]
            assert container["envFrom"][0]["configMapRef"]["name"].startswith("warden-churn-release")


def test_the_probe_cronjob_checks_the_served_artifact_as_an_allowed_client(rendered):
    """The CronJob's `warden probe` pins the server's SPIFFE ID (the one Vault puts in the
    server's certificate), holds answers to the same digest the server is pinned to, reads the
    contract from the artifact its own fetch verified, and its identity may infer and reach 8443."""
    pod = pod_templates(rendered)["CronJob"]
    fetch, probe = pod["initContainers"][0], pod["containers"][0]
    args = dict(zip(probe["args"][1::2], probe["args"][2::2]))
    assert probe["args"][0] == "probe" and args["--expected-digest"] == "$(MODEL_DIGEST)"
    assert args["--contract"] == fetch["args"][fetch["args"].index("--dest") + 1]
    server_annotations = one(rendered, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert f'"uri_sans={args["--server-id"]}"' in server_annotations["vault.hashicorp.com/agent-inject-template-tls.pem"]
    probe_annotations = one(rendered, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["annotations"]
    prober_id = re.search(r'"uri_sans=([^"]+)"', probe_annotations["vault.hashicorp.com/agent-inject-template-prober.pem"]).group(1)
    assert prober_id == f"spiffe://cluster.local/ns/models/sa/{pod['serviceAccountName']}"
    rules = serve_config()["authorization"]["rules"]
    assert [rule["routes"] for rule in rules if prober_id in rule["allow"]] == [["infer"]]
    assert args["--server"] == f"{one(rendered, 'Service')['metadata']['name']}.models.svc:443"
    policy = next(p for p in rendered if p["kind"] == "NetworkPolicy" and p["metadata"]["name"] == "warden-churn")
    probe_labels = one(rendered, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert any(peer.get("podSelector", {}).get("matchLabels") == {k: probe_labels[k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/instance")}
               and "namespaceSelector" not in peer for rule in policy["spec"]["ingress"] for peer in rule["from"])
    assert one(rendered, "CronJob")["spec"]["concurrencyPolicy"] == "Forbid"
    assert one(rendered, "CronJob")["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 0


def test_the_init_container_verifies_into_a_memory_volume_the_server_mounts_read_only(rendered):
    pod = one(rendered, "Deployment")["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert volumes["models"]["emptyDir"]["medium"] == "Memory"
    fetch, server = pod["initContainers"][0], pod["containers"][0]
    assert fetch["args"][0] == "fetch" and "$(MODEL_DIGEST)" in fetch["args"] and "--expected-digest" in fetch["args"]
    assert server["args"][:3] == ["serve", "--config", "/etc/warden/config/serve.yaml"] and "$(MODEL_DIGEST)" in server["args"]
    mounts = {container["name"]: {m["name"]: m for m in container["volumeMounts"]} for container in (fetch, server)}
    assert not mounts["fetch-verify"]["models"].get("readOnly", False)
    assert mounts["warden"]["models"]["readOnly"] is True
    assert all(mount.get("readOnly") for name, mount in mounts["warden"].items() if name != "tmp")
    config = serve_config()
    assert config["models"][0]["directory"].startswith(mounts["warden"]["models"]["mountPath"] + "/")
    assert fetch["args"][fetch["args"].index("--dest") + 1] == config["models"][0]["directory"]
    assert config["security"] == {**config["security"], "hardened": True, "require_hardened": True}


def test_probes_ports_and_the_drain_agree_with_warden_serve(rendered):
    config = serve_config()
    deployment = one(rendered, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    server = pod["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in server["ports"]}
    listen = config["listen"]
    assert ports == {"https": listen["port"], "probe": listen["probe_port"], "grpc": listen["grpc_port"],
                     "grpc-probe": listen["grpc_probe_port"]}
    assert server["startupProbe"]["httpGet"] == {"path": "/readyz", "port": "probe"}
    # Readiness through gRPC health on the plain gRPC probe port (kubelet's gRPC probes speak no TLS).
    assert server["readinessProbe"]["grpc"] == {"port": listen["grpc_probe_port"], "service": ""}
    assert server["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "probe"}
    # The kubelet must not kill Warden before its drain can finish.
    drain = server["lifecycle"]["preStop"]["sleep"]["seconds"] + sum(config["shutdown"].values())
    assert pod["terminationGracePeriodSeconds"] > drain
    service = one(rendered, "Service")
    assert [port["targetPort"] for port in service["spec"]["ports"]] == ["https", "grpc"]
    assert service["spec"]["ports"][1]["appProtocol"] == "grpc"
    policy = next(p for p in rendered if p["kind"] == "NetworkPolicy" and p["metadata"]["name"] == "warden-churn")
    assert {port["port"] for rule in policy["spec"]["ingress"] for port in rule["ports"]} == {listen["port"], listen["grpc_port"]}
    gateway = next(rule for rule in policy["spec"]["ingress"]
                   if rule["from"][0].get("namespaceSelector", {}).get("matchLabels") == {"kubernetes.io/metadata.name": "gateway"})
    assert {port["port"] for port in gateway["ports"]} == {listen["port"], listen["grpc_port"]}
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_each_vault_issuance_renders_key_and_certificate_into_one_file(rendered):
    """Two templates calling pki/issue make two issuances whose key and certificate need not
    match (hashicorp/vault#19787): every pod renders each issuance once, key and chain in one
    0400 file, and every Warden command that takes a pair is given that file as both halves."""
    for kind, pod in pod_templates(rendered).items():
        owner = one(rendered, kind)
        metadata = owner["spec"]["template"]["metadata"] if kind == "Deployment" else owner["spec"]["jobTemplate"]["spec"]["template"]["metadata"]
        annotations = metadata["annotations"]
        issuing = {name.removeprefix("vault.hashicorp.com/agent-inject-template-"): text for name, text in annotations.items()
                   if name.startswith("vault.hashicorp.com/agent-inject-template-") and "/issue/" in text}
        assert len(issuing) == 1, (kind, sorted(issuing))
        (file, template), = issuing.items()
        assert template.count("with secret") == 1 and ".Data.private_key" in template and ".Data.certificate" in template
        assert annotations[f"vault.hashicorp.com/agent-inject-perms-{file}"] == "0400"
        path = f"/vault/secrets/{file}"
        for container in pod.get("initContainers", []) + pod["containers"]:
            args = container.get("args", [])
            for cert_flag, key_flag in (("--registry-cert", "--registry-key"), ("--tls-cert", "--tls-key")):
                if cert_flag in args:
                    assert args[args.index(cert_flag) + 1] == args[args.index(key_flag) + 1] == path, (kind, container["name"])
    config = serve_config()
    for section in ("tls", "outbound_tls"):
        assert config[section]["certificate"] == config[section]["private_key"] == "/vault/secrets/tls.pem"


def test_namespace_enforces_restricted_and_denies_by_default(rendered):
    labels = one(rendered, "Namespace")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    deny = next(p for p in rendered if p["kind"] == "NetworkPolicy" and p["metadata"]["name"] == "default-deny")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


SECRET_ENVIRONMENT = re.compile(r"AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|PIN|SECRET|PASSWORD|TOKEN", re.I)


def test_no_key_material_is_in_the_environment(rendered):
    """Keys, PINs and cloud credentials reach Warden as files, never as environment variables."""
    for spec in pod_templates(rendered).values():
        for container in spec.get("initContainers", []) + spec["containers"]:
            names = [variable["name"] for variable in container.get("env", [])]
            assert not [name for name in names if SECRET_ENVIRONMENT.search(name)], (container["name"], names)


def test_the_request_policy_comes_as_a_signed_bundle_from_the_models_registry():
    """The base configuration takes the bundle route: the reference is on the registry the
    model comes from (the one host the server may reach on 443), verified against the trust
    policy in the mounted warden-trust volume, with the registry credentials Vault writes."""
    config = serve_config()
    bundle = config["policies"]["bundle"]
    assert "request" not in config["policies"]  # both routes at once is refused at load
    assert bundle["interval_seconds"] == 5 and bundle["max_age_seconds"] == 86400
    prod = render("overlays/prod")
    release = next(d for d in prod if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("warden-churn-release"))
    host = release["data"]["MODEL_REFERENCE"].split("/")[0]
    assert bundle["reference"] == f"{host}/policies/serving:current"
    assert "@" not in bundle["reference"] and not bundle["reference"].startswith("oci:")
    service, namespace = host.split(".")[:2]
    assert host == f"{service}.{namespace}.svc.cluster.local" and config["revocation"]["list"].split("/")[0] == host
    policy = next(p for p in prod if p["kind"] == "NetworkPolicy" and p["metadata"]["name"] == "warden-churn")
    assert any(rule["ports"] == [{"protocol": "TCP", "port": 443}]
               and rule["to"][0].get("namespaceSelector", {}).get("matchLabels") == {"kubernetes.io/metadata.name": namespace}
               and rule["to"][0].get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") == service
               for rule in policy["spec"]["egress"])
    pod = one(prod, "Deployment")["spec"]["template"]["spec"]
    server = pod["containers"][0]
    trust_mounts = [mount for mount in server["volumeMounts"]
                    if next(v for v in pod["volumes"] if v["name"] == mount["name"]).get("configMap", {}).get("name") == "warden-trust"]
    assert len(trust_mounts) == 1 and trust_mounts[0]["readOnly"] is True
    assert bundle["trust_policy"].startswith(trust_mounts[0]["mountPath"] + "/")
    assert bundle["trust_policy"] == config["revocation"]["trust_policy"]
    fetch = pod["initContainers"][0]["args"]
    assert bundle["trust_policy"] == fetch[fetch.index("--trust") + 1]
    assert bundle["registry_credentials"].startswith("/vault/secrets/")
    assert bundle["registry_credentials"] == fetch[fetch.index("--registry-credentials") + 1]
    annotations = one(prod, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    secret = bundle["registry_credentials"].removeprefix("/vault/secrets/")
    assert f"vault.hashicorp.com/agent-inject-template-{secret}" in annotations
    assert "--request-policy" not in " ".join(server["args"])  # no flag overrides the bundle in prod


def kill_switch_decision(tmp_path, files: dict[str, str], data: dict, document: dict) -> dict:
    """`warden policy eval` over the rendered ConfigMap's Rego, with DATA in place of its data.json."""
    (tmp_path / "kill-switch.rego").write_text(files["kill-switch.rego"])
    (tmp_path / "data.json").write_text(json.dumps(data))
    (tmp_path / "input.json").write_text(json.dumps(document))
    result = subprocess.run([str(warden_binary()), "policy", "eval", "-d", str(tmp_path / "kill-switch.rego"), "-d",
                             str(tmp_path / "data.json"), "-i", str(tmp_path / "input.json"), "data.serving.request"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)["result"][0]["expressions"][0]["value"]


def test_policy_configmap_overlay_mounts_a_working_kill_switch(tmp_path):
    """The fallback route: the flags point into a read-only mount of the generated ConfigMap,
    which holds exactly the policy and its data, and the rendered Rego decides as documented."""
    rendered = render("overlays/prod-policy-configmap")
    pod = one(rendered, "Deployment")["spec"]["template"]["spec"]
    server = pod["containers"][0]
    assert server["args"][:5] == ["serve", "--config", "/etc/warden/config/serve.yaml", "--expected-digest", "$(MODEL_DIGEST)"]
    assert server["args"][5:] == ["--request-policy=/etc/warden/policy/kill-switch.rego",
                                  "--policy-data=/etc/warden/policy/data.json"]
    (mount,) = [m for m in server["volumeMounts"] if m["mountPath"] == "/etc/warden/policy"]
    assert mount["readOnly"] is True
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    maps = [d for d in rendered if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("warden-churn-policy-")]
    assert len(maps) == 1 and volume["configMap"]["name"] == maps[0]["metadata"]["name"]
    assert re.fullmatch(r"warden-churn-policy-[a-z0-9]{10}", maps[0]["metadata"]["name"]), maps[0]["metadata"]["name"]
    assert maps[0]["metadata"]["namespace"] == one(rendered, "Deployment")["metadata"]["namespace"]
    files = maps[0]["data"]
    assert set(files) == {"kill-switch.rego", "data.json"} and "binaryData" not in maps[0]
    assert all(not m["mountPath"].startswith("/etc/warden/policy") or m is mount for m in server["volumeMounts"])
    # Only the server reads it: the init container and the probe are unchanged.
    assert all(mount["name"] != volume["name"] for mount in pod["initContainers"][0]["volumeMounts"])

    shipped = json.loads(files["data.json"])
    request = {"client": {"spiffe_id": "spiffe://cluster.local/ns/gateway/sa/inference-gateway"},
               "model": {"name": "churn", "version": "1"}, "route": "infer", "method": "POST", "time_ns": 1}
    allowed = kill_switch_decision(tmp_path, files, shipped, request)
    assert allowed["allow"] is True and allowed.get("version_blocked", False) is False, allowed
    killed = kill_switch_decision(tmp_path, files, {"kill": {"versions": {"churn": ["1"]}, "clients": []}}, request)
    assert killed["allow"] is False and killed["version_blocked"] is True, killed
    assert "version 1 of churn is switched off" in killed["reasons"], killed
    other = kill_switch_decision(tmp_path, files, {"kill": {"versions": {"churn": ["2"]}, "clients": []}}, request)
    assert other["allow"] is True, other
    client = kill_switch_decision(tmp_path, files, {"kill": {"versions": {}, "clients": [request["client"]["spiffe_id"]]}},
                                  request)
    # version_blocked has no default: undefined (absent), as OPA leaves it, is "not blocked".
    assert client["allow"] is False and client["client_blocked"] is True and client.get("version_blocked", False) is False, client
    assert client["reasons"] == ["this client is switched off"], client


def test_hsm_overlay_mounts_the_module_read_only_and_the_pin_from_vault():
    rendered = render("overlays/prod-hsm")
    deployment = one(rendered, "Deployment")
    template = deployment["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert annotations["vault.hashicorp.com/agent-inject-perms-hsm-pin"] == "0400"
    assert ".Data.data.pin" in annotations["vault.hashicorp.com/agent-inject-template-hsm-pin"]
    (module,) = [volume for volume in template["spec"]["volumes"] if volume["name"] == "pkcs11-module"]
    assert "@sha256:" in module["image"]["reference"]
    for container in template["spec"]["initContainers"] + template["spec"]["containers"]:
        if container["name"] in ("fetch-verify", "warden"):
            mounts = {mount["name"]: mount for mount in container["volumeMounts"]}
            assert mounts["pkcs11-module"]["readOnly"] is True, container["name"]


def test_kms_overlay_uses_the_service_accounts_role_and_no_access_key():
    rendered = render("overlays/prod-kms")
    (account,) = [d for d in rendered if d["kind"] == "ServiceAccount" and d["metadata"]["name"] == "warden-churn"]
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    assert account["automountServiceAccountToken"] is False
    assert "aws_access_key_id" not in yaml.safe_dump_all(rendered).lower()
    policy = [d for d in rendered if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "warden-churn"][0]
    assert any(rule.get("to", [{}])[0].get("ipBlock") and rule["ports"] == [{"protocol": "TCP", "port": 443}]
               for rule in policy["spec"]["egress"])


def test_autoscaling_signals_are_metrics_warden_exports(churn_server):
    prod = render("overlays/prod")
    keda = render("overlays/prod-keda")
    assert not [d for d in keda if d["kind"] == "HorizontalPodAutoscaler"]
    hpa = one(prod, "HorizontalPodAutoscaler")
    wanted = {metric["pods"]["metric"]["name"] for metric in hpa["spec"]["metrics"] if metric["type"] == "Pods"}
    adapter = yaml.safe_load(one(render("cluster"), "ConfigMap")["data"]["config.yaml"])
    provided = {rule["name"]["as"]: rule for rule in adapter["rules"]}
    assert wanted == set(provided) == {"warden_infer_latency_p95_seconds", "warden_infer_requests_per_second",
                                       "warden_admission_queue_depth"}
    requests.get(f"{churn_server.url}/v2/health/ready", timeout=5)  # so the latency histogram has a series
    exported = requests.get(f"{churn_server.url}/metrics", timeout=5).text
    series = [rule["seriesQuery"].split("{")[0].strip("'") for rule in adapter["rules"]]
    queries = [trigger["metadata"]["query"] for trigger in one(keda, "ScaledObject")["spec"]["triggers"] if trigger["type"] == "prometheus"]
    for name in series:
        family = name.removesuffix("_bucket")
        assert f"# TYPE {family} " in exported, name
        assert any(name in query for query in queries), name


def test_checkov_fails_a_weakened_deployment(tmp_path):
    prod = render("overlays/prod")
    weakened = copy.deepcopy(prod)
    server = one(weakened, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    server["securityContext"]["readOnlyRootFilesystem"] = False
    server["securityContext"]["allowPrivilegeEscalation"] = True
    for documents, name in ((prod, "prod.yaml"), (weakened, "weakened.yaml")):
        (tmp_path / name).write_text(yaml.safe_dump_all(documents))
    def checkov(name: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(VENV / "checkov"), "--quiet", "--compact", "--skip-download", "--framework", "kubernetes",
                               "-f", str(tmp_path / name), "-o", "json"], capture_output=True, text=True, timeout=300)
    assert checkov("prod.yaml").returncode == 0
    result = checkov("weakened.yaml")
    assert result.returncode == 1
    failed = {check["check_id"] for check in json.loads(result.stdout)["results"]["failed_checks"]}
    assert {"CKV_K8S_22", "CKV_K8S_20"} <= failed, failed


def test_kubernetes_validate_strict_refuses_a_misspelt_field(tmp_path):
    deployment = one(render("overlays/prod"), "Deployment")
    context = deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    context["readOnlyRootFileSystem"] = context.pop("readOnlyRootFilesystem")  # a capital S: silently ignored without --strict
    (tmp_path / "deployment.yaml").write_text(yaml.safe_dump(deployment))
    result = subprocess.run([str(VENV / "kubernetes-validate"), "--strict", "-k", "1.37.0", str(tmp_path / "deployment.yaml")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "readOnlyRootFileSystem" in result.stdout + result.stderr


def test_compose_lab_locks_down_both_services():
    require_deploy_tools()
    environment = {**os.environ, "MODEL_DIGEST": "sha256:" + "0" * 64}
    result = subprocess.run([str(VENV / "docker-compose"), "-f", str(DEPLOY / "compose" / "compose.yaml"), "config",
                             "--format", "json"], capture_output=True, text=True, env=environment, timeout=60, check=True)
    lab = json.loads(result.stdout)
    services = lab["services"]
    for name in ("fetch", "warden"):
        service = services[name]
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
        assert service["security_opt"] == ["no-new-privileges:true"] and service["user"] == f"{UID}:{UID}", name
    assert services["fetch"]["command"][0] == "fetch" and services["fetch"]["network_mode"] == "none"
    assert services["warden"]["depends_on"]["fetch"]["condition"] == "service_completed_successfully"
    model_mounts = {name: next(v for v in services[name]["volumes"] if v["target"] == "/srv/model") for name in ("fetch", "warden")}
    assert model_mounts["warden"]["read_only"] is True and not model_mounts["fetch"].get("read_only", False)
    assert lab["volumes"]["model"]["driver_opts"]["type"] == "tmpfs"
    assert lab["networks"]["internal"]["internal"] is True and list(services["warden"]["networks"]) == ["internal"]
    assert "environment" not in services["warden"]  # secrets come as files (Compose secrets)
    assert {secret["source"] for secret in services["warden"]["secrets"]} == {"server.pem", "server.key", "ca.pem"}


def apparmor_profiles() -> dict[str, str]:
    text = (DEPLOY / "apparmor" / "warden").read_text()
    return {match.group(1): match.group(2) for match in re.finditer(r"^profile (\S+) [^{]*\{(.*?)^\}", text, re.M | re.S)}


def test_containers_are_confined_by_wardens_apparmor_profiles():
    """Issue 24: the prod overlays run the init container as warden-fetch and the server as
    warden-serve (Localhost), every pod defaults to RuntimeDefault, Kyverno requires one of
    the two, and each profile lets its container read every volume it mounts and write only
    the memory-backed ones."""
    profiles = apparmor_profiles()
    assert set(profiles) == {"warden-serve", "warden-fetch"}
    for target in ("overlays/dev", "overlays/prod", "overlays/prod-keda"):
        for pod in pod_templates(render(target)).values():
            assert pod["securityContext"]["appArmorProfile"] == {"type": "RuntimeDefault"}
            if target == "overlays/dev":
                continue
            fetch, main = pod["initContainers"][0], pod["containers"][0]
            assert fetch["securityContext"]["appArmorProfile"] == {"type": "Localhost", "localhostProfile": "warden-fetch"}
            assert main["securityContext"]["appArmorProfile"] == {"type": "Localhost", "localhostProfile": "warden-serve"}
            volumes = {volume["name"]: volume for volume in pod["volumes"]}
            for container, profile in ((fetch, profiles["warden-fetch"]), (main, profiles["warden-serve"])):
                for mount in container["volumeMounts"]:
                    path = mount["mountPath"]
                    readable = [prefix for prefix in re.findall(r"^\s*(?:owner )?(\S+)/\*\* r", profile, re.M)
                                if path == prefix or path.startswith(prefix + "/")]
                    assert readable, f"{container['name']} cannot read {path}"
                    writable = re.search(rf"^\s*owner {re.escape(path)}/\*\* rw", profile, re.M)
                    if writable:
                        assert not mount.get("readOnly"), f"{path} is mounted read-only yet writable in the profile"
                        assert volumes[mount["name"]]["emptyDir"]["medium"] == "Memory", f"{path} is written but not memory-backed"
            assert not re.search(r"^\s*owner /models/\*\* rw", profiles["warden-serve"], re.M)
    kyverno = yaml.safe_load((DEPLOY / "kubernetes" / "cluster" / "kyverno" / "restricted-pods.yaml").read_text())
    rule = next(rule for rule in kyverno["spec"]["rules"] if rule["name"] == "require-apparmor")
    assert rule["validate"]["pattern"]["spec"]["securityContext"]["appArmorProfile"]["type"] == "RuntimeDefault | Localhost"


def test_apparmor_parser_refuses_a_broken_profile(tmp_path):
    """The CI check compiles the profiles for real: a typo in a rule fails it."""
    parser = shutil.which("apparmor_parser") or "/usr/sbin/apparmor_parser"
    if not os.path.exists(parser):
        message = "apparmor_parser is not installed (scripts/setup.sh installs Debian's apparmor)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    good = DEPLOY / "apparmor" / "warden"
    assert subprocess.run([parser, "-Q", "-K", "-T", str(good)], capture_output=True, timeout=60).returncode == 0
    broken = tmp_path / "warden"
    broken.write_text(good.read_text().replace("network inet stream,", "network inet strem,", 1))
    result = subprocess.run([parser, "-Q", "-K", "-T", str(broken)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "Invalid network entry" in result.stderr
