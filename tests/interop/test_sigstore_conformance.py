"""sigstore-conformance's bundle-verify suite, run through `warden sigstore verify-bundle` as
the conformance harness runs a client: every case with the artifact as a file and as
`sha256:<hex>`. A case ending in `_fail` must be refused with a trust failure's exit status
(not a crash or a usage error); every other case must verify.

The suite is read in place from ../shared/suites (or $WARDEN_SHARED_SUITES). Without it the
test is skipped, except under CI=true, where a suite that did not run is a failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO_ROOT, warden_binary
from trust_tools import TOOLS, TRUST_VENV, require_trust_venv

BEACON_IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
BEACON_ISSUER = "https://token.actions.githubusercontent.com"
# Where sigstore-python 4.5.1, offline with the same roots, parts ways with the suite; Warden
# follows the suite. Every other keyless case gets the same verdict from both.
PEER_DISAGREEMENTS = {
    "intoto-with-custom-trust-root": "sigstore-python takes integrated time only from dsse and hashedrekord 0.0.1 entries",
    "trust-root-tsa-validity-end-inclusive": "sigstore-python leaves a timestamp authority's last instant out of its window",
}
# `warden` exit statuses for refusals, one per failure class (TrustFailure.Class).
TRUST_REFUSALS = set(range(10, 17))


def shared_suites() -> Path | None:
    configured = os.environ.get("WARDEN_SHARED_SUITES")
    candidates = [Path(configured)] if configured else []
    candidates += [folder.parent / "shared" / "suites" for folder in REPO_ROOT.parents]
    candidates.append(Path("/work/shared/suites"))
    return next((c for c in candidates if (c / "sigstore-conformance").is_dir()), None)


def suite_or_skip() -> Path:
    suites = shared_suites()
    if suites is None:
        if os.environ.get("CI") == "true":
            pytest.fail("../shared/suites/sigstore-conformance is missing, and CI=true requires it")
        pytest.skip("../shared/suites is not on this machine")
    return suites / "sigstore-conformance"


def command(case: Path, conformance: Path, by_digest: bool) -> list[str]:
    args = [str(warden_binary()), "sigstore", "verify-bundle", "--bundle", str(case / "bundle.sigstore.json")]
    root = case / "trusted_root.json"
    args += ["--trusted-root", str(root if root.exists() else conformance / "trusted_root.public-good.json")]
    if (case / "key.pub").exists():
        args += ["--key", str(case / "key.pub")]
    else:
        identity = (case / "identity").read_text().strip() if (case / "identity").exists() else BEACON_IDENTITY
        issuer = (case / "issuer").read_text().strip() if (case / "issuer").exists() else BEACON_ISSUER
        args += ["--certificate-identity", identity, "--certificate-oidc-issuer", issuer]
    artifact = case / "artifact" if (case / "artifact").exists() else conformance / "a.txt"
    args.append("sha256:" + hashlib.sha256(artifact.read_bytes()).hexdigest() if by_digest else str(artifact))
    return args


def test_every_bundle_verify_case_with_file_and_digest(capsys: pytest.CaptureFixture[str]) -> None:
    conformance = suite_or_skip()
    cases = sorted(p for p in (conformance / "bundle-verify").iterdir() if (p / "bundle.sigstore.json").exists())
    assert len(cases) >= 70, f"only {len(cases)} cases found in {conformance}"
    passed, failures = 0, []
    for case in cases:
        for by_digest in (False, True):
            run = subprocess.run(command(case, conformance, by_digest), capture_output=True, text=True, timeout=60)
            mode = "digest" if by_digest else "file"
            if case.name.endswith("_fail"):
                ok = run.returncode in TRUST_REFUSALS
                why = "verified" if run.returncode == 0 else f"exit {run.returncode}: {run.stderr.strip()}"
            else:
                ok = run.returncode == 0
                why = run.stderr.strip()
            if ok:
                passed += 1
            else:
                failures.append(f"{case.name} ({mode}): {why}")
    with capsys.disabled():
        print(f"\nsigstore-conformance bundle-verify: {passed} passed, {len(failures)} failed")
    assert passed == 2 * len(cases) and not failures, "\n".join(failures)


def test_a_refusal_names_its_reason_and_class() -> None:
    conformance = suite_or_skip()
    case = conformance / "bundle-verify" / "rekor2-timestamp-payload-mismatch_fail"
    run = subprocess.run(command(case, conformance, False) + ["--json"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 11, run.stdout + run.stderr
    assert '"code":"timestamp_invalid"' in run.stdout and '"class":"signature"' in run.stdout


def test_a_keyless_signer_outside_the_policy_is_refused() -> None:
    conformance = suite_or_skip()
    case = conformance / "bundle-verify" / "happy-path-v0.3"
    args = command(case, conformance, False)
    args[args.index("--certificate-identity") + 1] = "https://github.com/someone-else/.github/workflows/release.yml@refs/heads/main"
    run = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert run.returncode == 11 and "identity_mismatch" in run.stderr, run.stderr
    args = command(case, conformance, False)
    identity_at = args.index("--certificate-identity")
    args[identity_at : identity_at + 2] = [
        "--certificate-identity-regexp",
        r"https://github\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.*@refs/heads/main",
    ]
    assert subprocess.run(args, capture_output=True, text=True, timeout=60).returncode == 0
    # A pattern must match the whole identity, not a part of it.
    args[identity_at + 1] = "sigstore-conformance"
    run = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert run.returncode == 11 and "identity_mismatch" in run.stderr, run.stderr


def test_sigstore_python_gives_every_keyless_case_warden_s_verdict_but_the_known_ones() -> None:
    conformance = suite_or_skip()
    require_trust_venv()
    peer = subprocess.run(
        [str(TRUST_VENV / "bin" / "python"), str(TOOLS / "sigstore_python_verdicts.py"), str(conformance)],
        capture_output=True, text=True, timeout=300,
    )
    assert peer.returncode == 0, peer.stderr
    verdicts = json.loads(peer.stdout)
    assert len(verdicts) >= 60, f"sigstore-python judged only {len(verdicts)} cases"
    disagreements = {}
    for name, theirs in verdicts.items():
        ours = subprocess.run(command(conformance / "bundle-verify" / name, conformance, False), capture_output=True, text=True, timeout=60)
        if (ours.returncode == 0) != (theirs == "verified"):
            disagreements[name] = f"warden exit {ours.returncode}, sigstore-python: {theirs}"
    assert set(disagreements) == set(PEER_DISAGREEMENTS), disagreements
