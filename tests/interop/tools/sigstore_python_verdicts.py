"""What sigstore-python (the reference client, offline) says of every keyless case of
sigstore-conformance's bundle-verify suite: one JSON object, case name -> "verified" or the
error's type and message. Run with .venv-trust's Python:

    sigstore_python_verdicts.py CONFORMANCE_DIR

Managed-key cases are left out: sigstore-python verifies those through another interface.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sigstore.errors import Error as SigstoreError
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier, policy

BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
    "https://token.actions.githubusercontent.com",
)


def verdict(case: Path, conformance: Path) -> str:
    root = case / "trusted_root.json"
    artifact = case / "artifact" if (case / "artifact").exists() else conformance / "a.txt"
    identity = (case / "identity").read_text().strip() if (case / "identity").exists() else BEACON[0]
    issuer = (case / "issuer").read_text().strip() if (case / "issuer").exists() else BEACON[1]
    try:
        verifier = Verifier(trusted_root=TrustedRoot.from_file(str(root if root.exists() else conformance / "trusted_root.public-good.json")))
        raw = (case / "bundle.sigstore.json").read_bytes()
        bundle = Bundle.from_json(raw)
        wanted = policy.Identity(identity=identity, issuer=issuer)
        if "dsseEnvelope" in json.loads(raw):
            verifier.verify_dsse(bundle, wanted)
        else:
            verifier.verify_artifact(artifact.read_bytes(), bundle, wanted)
    except (SigstoreError, ValueError) as error:  # pydantic's ValidationError is a ValueError
        return f"{type(error).__name__}: {error}"
    return "verified"


def main() -> None:
    conformance = Path(sys.argv[1])
    cases = sorted(p for p in (conformance / "bundle-verify").iterdir() if (p / "bundle.sigstore.json").exists())
    print(json.dumps({case.name: verdict(case, conformance) for case in cases if not (case / "key.pub").exists()
                      and not case.name.startswith("managed-key")}))


if __name__ == "__main__":
    main()
