#!/usr/bin/env bash
# Rollback drill (docs/releases.md, "Rollback drill"): proves, against a running Warden, that
# traffic can be moved to a new version and back, and how long the way back takes. Every step
# is checked by `warden probe` (the contract's samples, with their expected answers, and the
# digest that must answer) or by the admin endpoint's own answer; any failed step ends the
# drill with a non-zero exit and the step's name.
#
#   scripts/drills/rollback.sh --server HOST:PORT --server-id SPIFFE_ID --ca CA.pem \
#       --prober CERT.pem,KEY.pem --operator CERT.pem,KEY.pem --contract DIR_OR_FILE \
#       --model NAME --stable VERSION=DIGEST --candidate VERSION=DIGEST [--warden BINARY]
#
# The prober is a client identity allowed to infer; the operator one allowed the `admin`
# route. The model's release plan is left as the drill found it: stable serving everything.
set -euo pipefail

warden=${WARDEN:-warden}
while [[ $# -gt 0 ]]; do
    case $1 in
        --server) server=$2 ;;
        --server-id) server_id=$2 ;;
        --ca) ca=$2 ;;
        --prober) IFS=, read -r prober_cert prober_key <<<"$2" ;;
        --operator) IFS=, read -r operator_cert operator_key <<<"$2" ;;
        --contract) contract=$2 ;;
        --model) model=$2 ;;
        --stable) IFS== read -r stable stable_digest <<<"$2" ;;
        --candidate) IFS== read -r candidate candidate_digest <<<"$2" ;;
        --warden) warden=$2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift 2
done
for required in server server_id ca prober_cert prober_key operator_cert operator_key contract model stable stable_digest \
    candidate candidate_digest; do
    [[ -n ${!required:-} ]] || { echo "missing: $required (see the usage at the top of $0)" >&2; exit 2; }
done

step=0
begin() { step=$((step + 1)); echo "== step $step: $1"; }
fail() { echo "DRILL FAILED at step $step: $1" >&2; exit 1; }
now_ms() { date +%s%3N; }

probe() {  # probe [--version V] --expected-digest D
    "$warden" probe --server "$server" --server-id "$server_id" --ca "$ca" --tls-cert "$prober_cert" --tls-key "$prober_key" \
        --contract "$contract" --model "$model" "$@"
}

admin() {  # admin METHOD PATH [JSON]: prints the body; fails the step unless the answer is 200
    local method=$1 path=$2 body=${3:-} out status
    out=$(mktemp)
    status=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" --cacert "$ca" --cert "$operator_cert" --key "$operator_key" \
        -H 'Content-Type: application/json' ${body:+--data "$body"} "https://$server$path") || { rm -f "$out"; fail "admin $method $path: no answer"; }
    cat "$out"; echo
    rm -f "$out"
    [[ $status == 200 ]] || fail "admin $method $path answered $status"
}

begin "both versions answer their samples as approved, each by its pinned digest"
probe --version "$stable" --expected-digest "$stable_digest" || fail "stable $stable does not pass its samples"
probe --version "$candidate" --expected-digest "$candidate_digest" || fail "candidate $candidate does not pass its samples"

begin "clients are on stable $stable"
probe --expected-digest "$stable_digest" || fail "unversioned requests are not answered by stable $stable"

begin "switch every client to $candidate (blue/green: steps [100], automatic analysis off)"
admin PUT "/admin/releases/$model" "{\"stable\": \"$stable\", \"canary\": \"$candidate\", \"steps\": [100], \"analysis\": {\"automatic\": false}}"
probe --expected-digest "$candidate_digest" || fail "clients did not move to $candidate"

begin "roll back"
started=$(now_ms)
admin POST "/admin/releases/$model/rollback"
until probe --expected-digest "$stable_digest" >/dev/null; do
    (( $(now_ms) - started < 5000 )) || fail "clients were not back on $stable within 5 s"
    sleep 0.1
done
echo "clients back on stable $stable (digest $stable_digest) $(( $(now_ms) - started )) ms after the rollback call"

begin "the plan says rolled back, and stable passes its samples"
plan=$(admin GET "/admin/releases/$model")
grep -q '"phase":"rolled_back"' <<<"$plan" || fail "the plan is not rolled back: $plan"
probe --expected-digest "$stable_digest" || fail "stable $stable does not pass its samples after the rollback"

echo "DRILL PASSED: $step steps"
