#!/usr/bin/env bash
# Builds Warden and walks the bundled example churn model through the whole supply chain on
# the embedded defaults: dev keys generated now (never committed), sign (OpenSSF
# model-signing), push to an OCI image-layout folder, approve (in-toto attestation), publish a
# signed revocation list, fetch (verify everything, install read-only with a receipt), then
# serve the installed artifact pinned by digest over mutual TLS on 127.0.0.1:8080 (a dev PKI
# made now: a CA, Warden's certificate, and a client certificate with the SPIFFE ID the server
# allows; plain-HTTP probes on :8081), send it one Open Inference Protocol request with curl and
# the client certificate, print the request and the answer, and run `warden probe` (the contract's
# signed samples, each answer checked against its expected output). The server keeps running until
# Ctrl-C; with --check it stops after the request (for CI and scripts).
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

# Everything the walk-through makes lives in .quickstart/ (git-ignored), made anew each run.
work=.quickstart
if [[ -d $work ]]; then chmod -R u+w "$work" && rm -rf "$work"; fi
mkdir -p "$work/keys" "$work/models"
store="oci:$work/registry"

echo "== dev keys (generated now, never committed): author, approver, security"
for role in author approver security; do
    "$warden" keygen --out "$work/keys/$role" >/dev/null
done
cp examples/trust/trust-policy.yaml "$work/trust-policy.yaml"

echo "== sign examples/churn (OpenSSF model-signing bundle)"
"$warden" sign examples/churn --private-key "$work/keys/author.key" --signature "$work/churn.sig"

echo "== push to $store:churn-v1"
digest=$("$warden" push examples/churn --to "$store:churn-v1" --signature "$work/churn.sig" | awk '{print $NF}')
echo "   pinned digest: $digest"

echo "== approve for stage Approved (approver's key), publish the revocation list (security's key)"
"$warden" attest "$store:churn-v1" --private-key "$work/keys/approver.key" --approve Approved --approver quickstart
"$warden" revocation publish --to "$store:revocations" --private-key "$work/keys/security.key" --serial 1

echo "== fetch: verify signature, attestations, revocation and the startup gate; install read-only"
"$warden" fetch --model "$store:churn-v1" --trust "$work/trust-policy.yaml" --expected-digest "$digest" --dest "$work/models/churn"

echo "== dev PKI (generated now, never committed): CA, server, client spiffe://warden.test/ns/serving/sa/gateway"
"$warden" dev-pki --out "$work/pki" --client gateway=ns/serving/sa/gateway >/dev/null
pki=$work/pki
echo "== serving the installed artifact over mTLS on 127.0.0.1:$port (re-hashed against $digest first)"
"$warden" serve --model-dir "$work/models/churn" --expected-digest "$digest" --port "$port" --probe-port "$probe_port" \
    --tls-cert "$pki/server.pem" --tls-key "$pki/server.key" --client-ca "$pki/ca.pem" \
    --allow-client spiffe://warden.test/ns/serving/sa/gateway &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$probe_port/readyz" >/dev/null 2>&1; then break; fi
    kill -0 $server 2>/dev/null || { echo "warden serve exited before becoming ready" >&2; exit 1; }
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$probe_port/readyz" >/dev/null

request="curl -s --cacert $pki/ca.pem --cert $pki/gateway.pem --key $pki/gateway.key -H 'Content-Type: application/json' -d @examples/requests/churn-infer.json https://localhost:$port/v2/models/churn/infer"
echo
echo "== request:"
echo "$request"
echo "== response:"
eval "$request"
echo
echo
echo "== synthetic check: warden probe sends the contract's signed samples and checks every answer and the digest"
"$warden" probe --server "127.0.0.1:$port" --server-id spiffe://warden.test/warden --ca "$pki/ca.pem" \
    --tls-cert "$pki/gateway.pem" --tls-key "$pki/gateway.key" --contract "$work/models/churn" --expected-digest "$digest"
echo

if $check; then
    exit 0
fi
echo "== serving; press Ctrl-C to stop"
wait $server
