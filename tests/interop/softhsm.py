"""A SoftHSM2 token for the HSM key tests, made by the tests themselves: its own token folder
and config (SOFTHSM2_CONF), keys generated inside it with opensc's pkcs11-tool, and the PIN in a
file, which is how Warden takes it (`pin-source=file:`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from trust_tools import TOOLS, TRUST_VENV

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
PIN, SO_PIN = "2718", "31415"


def require_softhsm() -> None:
    """SoftHSM and pkcs11-tool come from scripts/setup.sh; under CI their absence fails."""
    if MODULE.exists() and shutil.which("softhsm2-util") and shutil.which("pkcs11-tool"):
        return
    message = "softhsm2 and opensc are not installed (run scripts/setup.sh)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class Token:
    """One initialized token; `env` is what a process needs to see it."""

    def __init__(self, root: Path, label: str = "warden-ci"):
        require_softhsm()
        self.root, self.label = root, label
        (root / "tokens").mkdir(parents=True)
        self.config = root / "softhsm2.conf"
        self.config.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
        self.env = {"SOFTHSM2_CONF": str(self.config)}
        # Warden strips the newline a PIN file ends with; model_signing reads the file verbatim.
        self.pin_file = root / "pin"
        self.pin_file.write_text(PIN + "\n")
        self.raw_pin_file = root / "pin-raw"
        self.raw_pin_file.write_text(PIN)
        self._run("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", SO_PIN)

    def _run(self, *args: str | Path) -> subprocess.CompletedProcess:
        result = subprocess.run(
            list(map(str, args)), capture_output=True, text=True, timeout=60, env={**os.environ, **self.env})
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def tool(self, *args: str | Path) -> subprocess.CompletedProcess:
        return self._run("pkcs11-tool", "--module", MODULE, "--token-label", self.label, *args)

    def keypair(self, label: str, key_type: str, key_id: str) -> None:
        """A key pair made inside the token (`EC:prime256v1`, `EC:secp384r1`, `rsa:2048`…)."""
        self.tool("--login", "--pin", PIN, "--keypairgen", "--key-type", key_type, "--label", label, "--id", key_id)

    def uri(self, label: str, *, pin: bool = True, raw_pin: bool = False) -> str:
        uri = f"pkcs11:token={self.label};object={label}?module-path={MODULE}"
        if pin:
            uri += f"&pin-source=file:{self.raw_pin_file if raw_pin else self.pin_file}"
        return uri

    def public_pem(self, label: str) -> Path:
        """The public key exported from the token as PEM by PyKCS11 (pkcs11-tool 0.23 cannot
        export P-384 keys), for tools that take a key file."""
        pem = self.root / f"{label}.pub.pem"
        if not pem.exists():
            self._run(TRUST_VENV / "bin" / "python", TOOLS / "hsm_public_key.py", MODULE, self.label, label, pem)
        return pem
