#!/usr/bin/env bash
# Runs every test: installs what is missing, checks formatting, builds, runs the Swift tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== deployment checks (deploy/, Dockerfile)"
bash scripts/check-deploy.sh

echo "== swift format lint"
swift format lint --strict --recursive Sources Tests

echo "== swift build --build-tests"
swift build --build-tests

echo "== swift test"
swift test --skip-build

echo "== interop tests (real clients against a running warden serve)"
WARDEN_BINARY="$PWD/.build/debug/warden" .venv/bin/python -m pytest tests/interop -q -p no:cacheprovider --ignore=tests/interop/test_grpc.py
# tritonclient.grpc and kserve both register the `inference` protobuf package: one process each.
echo "== interop tests over gRPC (tritonclient.grpc, in a process of its own)"
WARDEN_BINARY="$PWD/.build/debug/warden" .venv/bin/python -m pytest tests/interop/test_grpc.py -q -p no:cacheprovider

echo "== Rego against the real OPA (corpus self-check and property tests)"
WARDEN_BINARY="$PWD/.build/debug/warden" .venv-policy/bin/python -m pytest tests/policy -q -p no:cacheprovider
