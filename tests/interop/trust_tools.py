"""Helpers for the trust tests: the real signing tools live in their own venv (.venv-trust)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CHURN_DIR, REPO_ROOT, warden_binary

TRUST_VENV = Path(os.environ.get("WARDEN_TRUST_VENV", REPO_ROOT / ".venv-trust"))
TOOLS = Path(__file__).resolve().parent / "tools"

# Exit statuses of `warden verify` / `warden fetch` per failure class.
EXIT_INPUT, EXIT_SIGNATURE, EXIT_INTEGRITY = 10, 11, 12
EXIT_ATTESTATION, EXIT_REVOCATION, EXIT_POLICY, EXIT_REGISTRY, EXIT_KEY_STORE = 13, 14, 15, 16, 17


def require_trust_venv() -> None:
    """The real tools must be there; under CI their absence is a failure, not a skip."""
    if (TRUST_VENV / "bin" / "model_signing").exists():
        return
    message = f"{TRUST_VENV} has no model_signing (run scripts/setup.sh)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def model_signing(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(TRUST_VENV / "bin" / "model_signing"), *map(str, args)], capture_output=True, text=True, timeout=120,
        env={**os.environ, **env} if env else None,
    )


def trust_python(script: str, *args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(TRUST_VENV / "bin" / "python"), str(TOOLS / script), *map(str, args)], capture_output=True, text=True, timeout=120
    )


def warden(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`warden ARGS`; `env` adds to (never replaces) this process's environment."""
    return subprocess.run(
        [str(warden_binary()), *map(str, args)], capture_output=True, text=True, timeout=120, cwd=cwd,
        env={**os.environ, **env} if env else None,
    )


def copy_churn_model(target: Path) -> Path:
    """The bundled example artifact (model.onnx + warden-model.json), as a fresh folder."""
    shutil.copytree(CHURN_DIR, target)
    for extra in target.glob("*.sig"):
        extra.unlink()
    return target


def push_artifact(model: Path, ref: str, signature: Path | None, *attestations: Path, checked: bool = True) -> str:
    """`warden push`; the manifest digest it printed. `checked=False` publishes what fetch must
    refuse (push refuses it by default), to test fetch's own refusals."""
    args = ["push", model, "--to", ref] + ([] if checked else ["--skip-artifact-checks"])
    if signature:
        args += ["--signature", signature]
    if attestations:
        args += ["--attestation", *attestations]
    result = warden(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-1]


def refused(result: subprocess.CompletedProcess, exit_status: int, code: str) -> dict:
    """The `--json` refusal document, after checking its exit status and code."""
    assert result.returncode == exit_status, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["verified"] is False and document["code"] == code, document
    return document


def refused_line(result: subprocess.CompletedProcess, exit_status: int, code: str) -> str:
    """The one-line refusal on stderr (`warden: refused: CODE: …`), after checking the status."""
    assert result.returncode == exit_status, result.stdout + result.stderr
    assert f"refused: {code}:" in result.stderr, result.stderr
    return result.stderr
