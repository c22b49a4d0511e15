"""Checks a DSSE signature from a Sigstore bundle with the openssl CLI: an implementation that is
neither Warden's nor the signer's."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path


def pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def openssl_verifies(bundle: Path, public_pem: Path, work: Path, *, digest: str = "sha256", pss: bool = False) -> bool:
    envelope = json.loads(bundle.read_text())["dsseEnvelope"]
    message, signature = work / "pae.bin", work / "signature.bin"
    message.write_bytes(pae(envelope["payloadType"], base64.b64decode(envelope["payload"])))
    signature.write_bytes(base64.b64decode(envelope["signatures"][0]["sig"]))
    options = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"] if pss else []
    result = subprocess.run(
        ["openssl", "dgst", f"-{digest}", *options, "-verify", str(public_pem), "-signature", str(signature), str(message)],
        capture_output=True, text=True, timeout=30)
    return result.returncode == 0 and "Verified OK" in result.stdout
