#!/usr/bin/env bash
# Installs everything Warden's build and tests need on a fresh Debian 12 machine with the
# Swift toolchain: Debian packages, and a Python virtualenv (.venv) with the pinned test peers.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(python3-venv curl)
missing=()
for package in "${apt_packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ -s requirements/test.txt ]]; then
    if [[ ! -x .venv/bin/python ]]; then
        python3 -m venv .venv
    fi
    stamp=.venv/.requirements-test.sha256
    wanted=$(sha256sum requirements/test.txt | cut -d' ' -f1)
    if [[ ! -f $stamp || $(cat "$stamp") != "$wanted" ]]; then
        echo "setup: installing Python test requirements"
        .venv/bin/pip install --quiet --disable-pip-version-check -r requirements/test.txt
        echo "$wanted" >"$stamp"
    fi
fi
