#!/usr/bin/env bash
# Builds Warden, serves the bundled example churn model on the embedded defaults
# (127.0.0.1:8080, probes on :8081), sends it one Open Inference Protocol request and prints
# the request and the answer. The server keeps running until Ctrl-C; with --check it stops
# after the request (for CI and scripts).
set -euo pipefail
cd "$(dirname "$0")/.."

check=false
[[ ${1:-} == --check ]] && check=true
port=${WARDEN_PORT:-8080}
probe_port=${WARDEN_PROBE_PORT:-8081}

bash scripts/setup.sh
echo "== building warden (release)"
swift build -c release --product warden
warden=.build/release/warden

echo "== serving examples/churn on 127.0.0.1:$port"
"$warden" serve --port "$port" --probe-port "$probe_port" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$probe_port/readyz" >/dev/null 2>&1; then break; fi
    kill -0 $server 2>/dev/null || { echo "warden serve exited before becoming ready" >&2; exit 1; }
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$probe_port/readyz" >/dev/null

request="curl -s -H 'Content-Type: application/json' -d @examples/requests/churn-infer.json http://127.0.0.1:$port/v2/models/churn/infer"
echo
echo "== request:"
echo "$request"
echo "== response:"
eval "$request"
echo
echo

if $check; then
    exit 0
fi
echo "== serving; press Ctrl-C to stop"
wait $server
