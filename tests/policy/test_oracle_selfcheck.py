"""Re-checks every corpus case (tests/policy/cases/*.yaml) against the real OPA, live.

The engines live in .venv-policy (requirements/policy.txt, installed with
--ignore-requires-python), so this test runs `oracle.py check FILE` with that venv's Python
and works from any pytest (e.g. `.venv/bin/python -m pytest tests/policy`).  Without
.venv-policy it skips, except under CI=true, where it fails.  WARDEN_POLICY_PYTHON
overrides the interpreter.

For each case the oracle re-runs OPA v1.20.2 and compares with the stored
want_result / want_values / want_error_code / want_error, and re-runs regorus (v1, or v0
for v0_compatible cases) unless the case says regorus_differs / regorus_unchecked.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CASE_FILES = sorted((HERE / "cases").glob("*.yaml"))
INSTALL_HINT = (
    "python3 -m venv .venv-policy && "
    ".venv-policy/bin/pip install --ignore-requires-python -r requirements/policy.txt"
)


def _policy_python() -> Path:
    override = os.environ.get("WARDEN_POLICY_PYTHON")
    py = Path(override) if override else ROOT / ".venv-policy" / "bin" / "python"
    if py.exists():
        return py
    msg = f"{py} missing (the Rego oracle venv): {INSTALL_HINT}"
    if os.environ.get("CI") == "true":
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def reports() -> dict[str, dict]:
    py = _policy_python()
    proc = subprocess.run(
        [str(py), str(HERE / "oracle.py"), "check", *map(str, CASE_FILES)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert proc.returncode == 0, f"oracle.py check failed:\n{proc.stderr[-4000:]}"
    out = {}
    for line in proc.stdout.splitlines():
        r = json.loads(line)
        out[Path(r["file"]).name] = r
    return out


def test_corpus_files_present():
    names = {p.name for p in CASE_FILES}
    assert "v0.yaml" in names and "rules.yaml" in names and len(names) >= 10, names


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_cases_still_match_opa(reports, path):
    r = reports[path.name]
    assert r["cases"] > 0, f"{path.name}: no cases"
    problems = [f"{f['note']}: {' | '.join(f['problems'])}" for f in r["failures"]]
    assert not problems, f"{len(problems)} case(s) in {path.name} no longer match:\n" + "\n".join(problems)


def test_corpus_size_and_unique_notes(reports):
    notes = [n for r in reports.values() for n in r["notes"]]
    dupes = sorted({n for n in notes if notes.count(n) > 1})
    assert not dupes, f"duplicate notes: {dupes}"
    v0 = sum(r["v0_cases"] for r in reports.values())
    v1 = len(notes) - v0
    assert v1 >= 330, f"only {v1} Rego v1 cases"
    assert v0 >= 20, f"only {v0} Rego v0 cases"
