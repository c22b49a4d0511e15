#!/usr/bin/env bash
# Prepares the Compose lab in deploy/compose/lab/ (git-ignored), as the quickstart does: dev keys
# made now (never committed), the example model signed, pushed to an OCI layout, approved, a
# signed revocation list, a dev PKI, and lab/.env with the pinned digest. Files the containers
# read are handed to uid 65532, the image's user (so this needs root, or sudo).
set -euo pipefail
cd "$(dirname "$0")"
repo=$(cd ../.. && pwd)
warden=${WARDEN_BINARY:-$repo/.build/release/warden}
[[ -x $warden ]] || (cd "$repo" && swift build -c release --product warden)

lab=lab
if [[ -d $lab ]]; then chmod -R u+w "$lab" && rm -rf "$lab"; fi
mkdir -p "$lab/keys" "$lab/trust"
for role in author approver security; do "$warden" keygen --out "$lab/keys/$role" >/dev/null; done
cp "$lab"/keys/*.pub "$lab/trust/"
sed -e 's#keys/##' -e 's#state_file: revocation-serial#state_file: /tmp/revocation-serial#' \
    "$repo/examples/trust/trust-policy.yaml" >"$lab/trust/trust-policy.yaml"

"$warden" sign "$repo/examples/churn" --private-key "$lab/keys/author.key" --signature "$lab/churn.sig"
digest=$("$warden" push "$repo/examples/churn" --to "oci:$lab/registry:churn-v1" --signature "$lab/churn.sig" | awk '{print $NF}')
"$warden" attest "oci:$lab/registry:churn-v1" --private-key "$lab/keys/approver.key" --approve Approved --approver lab
"$warden" revocation publish --to "oci:$lab/registry:revocations" --private-key "$lab/keys/security.key" --serial 1
"$warden" dev-pki --out "$lab/pki" --client gateway=ns/serving/sa/gateway >/dev/null
echo "MODEL_DIGEST=$digest" >"$lab/.env"

chown -R 65532:65532 "$lab/registry" "$lab/trust" "$lab/pki"
echo "lab ready: docker compose --env-file $lab/.env up --build  (pinned $digest)"
