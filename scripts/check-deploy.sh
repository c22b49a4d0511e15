#!/usr/bin/env bash
# Checks everything in deploy/ and the Dockerfile with the real tools (installed into
# .venv-deploy by scripts/setup.sh): yamllint, hadolint, apparmor_parser (the AppArmor
# profiles compile), `kubectl kustomize` for every overlay,
# kubernetes-validate --strict (no schema may be missing), the custom resources against their
# CRDs' schemas, checkov with zero failed checks (every skip is justified inline), and
# `docker-compose config` for the Compose lab. Prints "N passed, N failed" and exits non-zero
# on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

venv=.venv-deploy/bin
kubectl=$(command -v kubectl || echo "$venv/kubectl")
kubernetes_version=1.37.0
targets=(overlays/dev overlays/prod overlays/prod-keda overlays/prod-argo-rollouts overlays/prod-hsm overlays/prod-kms overlays/prod-policy-configmap cluster kserve)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
passed=0
failed=0

# step NAME COMMAND…: runs one check, prints its output only when it fails.
step() {
    local name=$1
    shift
    if "$@" >"$out/step.log" 2>&1; then
        passed=$((passed + 1))
        echo "PASS $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        sed 's/^/    /' "$out/step.log"
    fi
}

no_missing_schema() {
    "$venv/kubernetes-validate" --strict --kubernetes-version "$kubernetes_version" "$@" | tee "$out/validate.log"
    local status=${PIPESTATUS[0]}
    if grep -q "Couldn't find schema" "$out/validate.log"; then return 1; fi
    return "$status"
}

# checkov never calls home here (--skip-download): the scan is the local policies alone.
checkov() { "$venv/checkov" --quiet --compact --skip-download "$@"; }

step "yamllint deploy/" "$venv/yamllint" --strict -c .yamllint.yaml deploy .yamllint.yaml
# Compiles the profiles without loading them (-Q): this kernel need not have AppArmor.
step "apparmor_parser deploy/apparmor/warden" apparmor_parser -Q -K -T deploy/apparmor/warden
step "hadolint Dockerfile" "$venv/hadolint" Dockerfile
step "checkov Dockerfile" checkov --framework dockerfile -f Dockerfile
for target in "${targets[@]}"; do
    name=${target//\//-}
    step "kubectl kustomize $target" sh -c "'$kubectl' kustomize 'deploy/kubernetes/$target' >'$out/$name.yaml'"
    [[ -s $out/$name.yaml ]] || continue
    "$venv/python" scripts/deploy/split_kinds.py "$out/$name.yaml" "$out/$name.builtin.yaml" "$out/$name.custom.yaml"
    step "kubernetes-validate --strict $target (Kubernetes $kubernetes_version)" no_missing_schema "$out/$name.builtin.yaml"
    if grep -q '^kind:' "$out/$name.custom.yaml"; then
        step "custom resources $target (Kyverno, KEDA, Prometheus Operator, Argo Rollouts, KServe schemas)" \
            "$venv/python" scripts/deploy/validate_custom_resources.py "$out/$name.custom.yaml" "$out/$name.builtin.yaml"
    fi
    step "checkov $target" checkov --framework kubernetes -f "$out/$name.yaml"
done
step "docker-compose config deploy/compose" env MODEL_DIGEST="sha256:$(printf '0%.0s' {1..64})" \
    "$venv/docker-compose" -f deploy/compose/compose.yaml config --quiet

echo "deployment checks: $passed passed, $failed failed"
((failed == 0))
