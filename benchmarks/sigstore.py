#!/usr/bin/env python3
"""Keyless Sigstore verification, Warden beside sigstore-python, side by side in one run.

1. In process, the verification alone: `warden sigstore bench` against sigstore-python 4.5.1's
   `Verifier.verify_artifact` / `verify_dsse`, timed in a loop, on the same bundle, trusted root
   and identity policy (both offline; both after as many warm-up runs as timed ones).
2. Per process, as a user or an init container runs them: `warden sigstore verify-bundle` against
   `sigstore verify identity --offline`, and `warden verify sigstore` against
   `model_signing verify sigstore` on model_signing's v1.1.0 keyless vector.

Cases from sigstore-conformance: a Rekor v1 hashedrekord (happy-path-v0.3), a Rekor v1 DSSE
(happy-path-intoto-in-dsse-v3) and a Rekor v2 entry placed in time by an RFC 3161 timestamp
(rekor2-happy-path).

Usage (after `swift build -c release --product warden`; needs .venv-trust from scripts/setup.sh
and ../shared/suites):
    python3 benchmarks/sigstore.py [--warden .build/release/warden] [--iterations 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TRUST_VENV = REPO / ".venv-trust"
SUITES = REPO.parent / "shared" / "suites"
CONFORMANCE = SUITES / "sigstore-conformance"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
    "https://token.actions.githubusercontent.com",
)
CASES = {"Rekor v1 hashedrekord": "happy-path-v0.3", "Rekor v1 DSSE": "happy-path-intoto-in-dsse-v3",
         "Rekor v2 + RFC 3161": "rekor2-happy-path"}

# sigstore-python's verifier in a loop: the peer of `warden sigstore bench`.
PEER = r"""
import json, sys, time
from pathlib import Path
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier, policy
root, bundle_path, artifact, identity, issuer, dsse, n = sys.argv[1:]
verifier = Verifier(trusted_root=TrustedRoot.from_file(root))
bundle = Bundle.from_json(Path(bundle_path).read_bytes())
wanted = policy.Identity(identity=identity, issuer=issuer)
data = Path(artifact).read_bytes()
def once():
    if dsse == "1":
        verifier.verify_dsse(bundle, wanted)
    else:
        verifier.verify_artifact(data, bundle, wanted)
for _ in range(int(n)):
    once()
samples = []
for _ in range(int(n)):
    start = time.perf_counter_ns()
    once()
    samples.append(time.perf_counter_ns() - start)
samples.sort()
print(json.dumps({"p50_ns": samples[len(samples) // 2], "p99_ns": samples[min(len(samples) - 1, int(len(samples) * 0.99))]}))
"""


def case_files(name: str) -> tuple[Path, Path, Path, bool]:
    folder = CONFORMANCE / "bundle-verify" / name
    root = folder / "trusted_root.json"
    artifact = folder / "artifact"
    dsse = "dsseEnvelope" in json.loads((folder / "bundle.sigstore.json").read_text())
    return (folder / "bundle.sigstore.json", root if root.exists() else CONFORMANCE / "trusted_root.public-good.json",
            artifact if artifact.exists() else CONFORMANCE / "a.txt", dsse)


def in_process(warden: str, iterations: int) -> None:
    print(f"\nIn process, the verification alone ({iterations} timed after {iterations} warm-up):\n")
    print("| case | sigstore-python p50 µs | Warden p50 µs | speed-up | sigstore-python p99 µs | Warden p99 µs |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, name in CASES.items():
        bundle, root, artifact, dsse = case_files(name)
        ours = json.loads(subprocess.run(
            [warden, "sigstore", "bench", "--bundle", str(bundle), "--trusted-root", str(root), "--certificate-identity", BEACON[0],
             "--certificate-oidc-issuer", BEACON[1], "--iterations", str(iterations), str(artifact)],
            check=True, capture_output=True, text=True).stdout)
        theirs = json.loads(subprocess.run(
            [str(TRUST_VENV / "bin" / "python"), "-c", PEER, str(root), str(bundle), str(artifact), *BEACON, "1" if dsse else "0",
             str(iterations)], check=True, capture_output=True, text=True).stdout)
        print(f"| {label} | {theirs['p50_ns'] / 1e3:.0f} | {ours['p50_ns'] / 1e3:.0f} | {theirs['p50_ns'] / ours['p50_ns']:.1f}× "
              f"| {theirs['p99_ns'] / 1e3:.0f} | {ours['p99_ns'] / 1e3:.0f} |")


def median_seconds(command: list[str], rounds: int) -> float:
    subprocess.run(command, check=True, capture_output=True)  # warm the page cache
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def trust_config(root: Path, out: Path) -> Path:
    """sigstore-python's and model_signing's offline form of a trusted root."""
    signing = {"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json", "caUrls": [], "oidcUrls": [],
               "rekorTlogUrls": [], "tsaUrls": [], "rekorTlogConfig": {"selector": "ANY"}, "tsaConfig": {"selector": "ANY"}}
    out.write_text(json.dumps({"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                               "trustedRoot": json.loads(root.read_text()), "signingConfig": signing}))
    return out


def per_process(warden: str, rounds: int, scratch: Path) -> None:
    print(f"\nPer process, start to exit (median of {rounds}):\n")
    print("| what | peer | peer ms | Warden ms | speed-up |")
    print("|---|---|---:|---:|---:|")
    for label, name in CASES.items():
        bundle, root, artifact, _ = case_files(name)
        config = trust_config(root, scratch / f"{name}.json")
        theirs = median_seconds(
            [str(TRUST_VENV / "bin" / "sigstore"), "--trust-config", str(config), "verify", "identity", "--offline", "--bundle",
             str(bundle), "--cert-identity", BEACON[0], "--cert-oidc-issuer", BEACON[1], str(artifact)], rounds)
        ours = median_seconds(
            [warden, "sigstore", "verify-bundle", "--bundle", str(bundle), "--trusted-root", str(root), "--certificate-identity",
             BEACON[0], "--certificate-oidc-issuer", BEACON[1], str(artifact)], rounds)
        print(f"| {label} | `sigstore verify identity --offline` | {theirs * 1e3:.0f} | {ours * 1e3:.0f} | {theirs / ours:.1f}× |")
    vector = SUITES / "signing-vectors" / "model-transparency" / "v1.1.0-sigstore"
    root = CONFORMANCE / "trusted_root.public-good.json"
    signer = ("stefanb@us.ibm.com", "https://sigstore.verify.ibm.com/oauth2")
    common = ["--signature", str(vector / "model.sig"), "--ignore-paths", str(vector / "ignore-me")]
    theirs = median_seconds(
        [str(TRUST_VENV / "bin" / "model_signing"), "verify", "sigstore", "--trust_config", str(trust_config(root, scratch / "ms.json")),
         *common, "--identity", signer[0], "--identity_provider", signer[1], str(vector)], rounds)
    ours = median_seconds(
        [warden, "verify", "sigstore", str(vector), *common, "--certificate-identity", signer[0], "--certificate-oidc-issuer", signer[1],
         "--trusted-root", str(root)], rounds)
    print(f"| keyless model (v1.1.0 vector) | `model_signing verify sigstore` | {theirs * 1e3:.0f} | {ours * 1e3:.0f} | {theirs / ours:.1f}× |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warden", default=str(REPO / ".build" / "release" / "warden"))
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    in_process(args.warden, args.iterations)
    with tempfile.TemporaryDirectory() as scratch:
        per_process(args.warden, args.rounds, Path(scratch))


if __name__ == "__main__":
    main()
