"""Makes DSSE attestation envelopes the way in-toto users do: an in-toto Statement v1 from
`in_toto_attestation`, signed with `securesystemslib`'s CryptoSigner (ECDSA P-256 PEM key).

    attest.py KIND PRIVATE_KEY SUBJECT_DIGEST OUT [options]

KIND: approval  --stage S --approver A
      scan      --severity SEV [--severity SEV ...]   (a Trivy report with those findings)
      sbom      --sbom FILE                            (a CycloneDX JSON document)
SUBJECT_DIGEST is sha256:<hex> (the artifact's manifest digest).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from google.protobuf import json_format
from in_toto_attestation.v1 import resource_descriptor, statement
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner

PREDICATE_TYPES = {
    "approval": "https://warden.dev/attestations/approval/v1",
    "scan": "https://cosign.sigstore.dev/attestation/vuln/v1",
    "sbom": "https://cyclonedx.org/bom",
}


def predicate(args) -> dict:
    if args.kind == "approval":
        return {"stage": args.stage, "approver": args.approver, "approved_at": dt.datetime.now(dt.timezone.utc).isoformat()}
    if args.kind == "scan":
        findings = [
            {"VulnerabilityID": f"CVE-2026-{1000 + i}", "PkgName": "example", "Severity": severity.upper()}
            for i, severity in enumerate(args.severity or [])
        ]
        report = {"SchemaVersion": 2, "ArtifactName": "model", "Results": [{"Target": "model", "Vulnerabilities": findings}]}
        return {
            "invocation": {"uri": "", "event_id": "", "builder.id": ""},
            "scanner": {"uri": "pkg:github/aquasecurity/trivy@0.58.0", "version": "0.58.0", "result": report},
            "metadata": {"scanStartedOn": "2026-11-26T00:00:00Z", "scanFinishedOn": "2026-11-26T00:00:05Z"},
        }
    return json.loads(Path(args.sbom).read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=sorted(PREDICATE_TYPES))
    parser.add_argument("private_key")
    parser.add_argument("subject_digest")
    parser.add_argument("out")
    parser.add_argument("--stage")
    parser.add_argument("--approver")
    parser.add_argument("--severity", action="append")
    parser.add_argument("--sbom")
    parser.add_argument("--subject-name", default="model")
    args = parser.parse_args()

    algorithm, hex_digest = args.subject_digest.split(":", 1)
    subject = resource_descriptor.ResourceDescriptor(name=args.subject_name, digest={algorithm: hex_digest}).pb
    body = statement.Statement([subject], PREDICATE_TYPES[args.kind], predicate(args)).pb
    payload = json_format.MessageToJson(body).encode()

    key = serialization.load_pem_private_key(Path(args.private_key).read_bytes(), password=None)
    envelope = Envelope(payload=payload, payload_type="application/vnd.in-toto+json", signatures={})
    envelope.sign(CryptoSigner(key))
    Path(args.out).write_text(json.dumps(envelope.to_dict()))


if __name__ == "__main__":
    main()
