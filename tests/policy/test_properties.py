"""Property tests: random input documents through the startup-gate and kill-switch policies,
evaluated by the real OPA (embedded through opa-golib-python-bindings) and by `warden policy
eval` (batch mode), 10,000 inputs per policy in all; every answer must be the same."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
POLICIES = HERE / "policies"
SEED = 20261126

try:
    from oracle import opa_eval
except ImportError:  # outside .venv-policy
    opa_eval = None


def require_oracle() -> None:
    # oracle.py imports anywhere (it loads OPA's bindings lazily): the bindings decide.
    if opa_eval is not None and importlib.util.find_spec("opa_bindings") is not None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail("the OPA oracle is not importable: run under .venv-policy (scripts/setup.sh)")
    pytest.skip("the OPA oracle is not importable")


class Number(str):
    """A JSON number spelled as written (Python floats cannot say 1.10 apart from 1.1, or 1e400)."""


def dump(value) -> str:
    """A JSON value as Rego literal text, numbers spelled as written."""
    if isinstance(value, Number):
        return value
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dump(v) for k, v in value.items()) + "}"
    return json.dumps(value)


def warden() -> str:
    return os.environ.get("WARDEN_BINARY", str(REPO / ".build/debug/warden"))


def maybe(rng: random.Random, value, absent: float = 0.1):
    """The value, or a missing field (None → dropped), or a value of the wrong type."""
    roll = rng.random()
    if roll < absent:
        return None
    if roll < absent * 1.5:
        return rng.choice([1, True, None, [], {}, "x"])
    return value


def drop_none(document):
    if isinstance(document, dict):
        return {k: drop_none(v) for k, v in document.items() if v is not None}
    return document


def gate_input(rng: random.Random) -> dict:
    digests = ["sha256:" + c * 64 for c in "abc"]
    return drop_none({
        "model": maybe(rng, {
            "stage": maybe(rng, rng.choice(["Approved", "Staging", "approved", ""])),
            "signatures": maybe(rng, {"valid": maybe(rng, rng.random() < 0.8), "signer": "key author"}),
            "digest": maybe(rng, rng.choice(digests)),
            "revoked": maybe(rng, rng.random() < 0.2),
            "attestations": {"approval": {"signer": "approver"}},
        }, absent=0.03),
        "expected_digest": maybe(rng, rng.choice(digests)),
    })


def request_input(rng: random.Random) -> dict:
    clients = ["spiffe://prod.example/gateway", "spiffe://prod.example/batch", "spiffe://prod.example/canary", "spiffe://dev.example/x"]
    return drop_none({
        "client": maybe(rng, {"spiffe_id": maybe(rng, rng.choice(clients))}, absent=0.03),
        "model": maybe(rng, {"name": maybe(rng, rng.choice(["churn", "fraud", "other"])), "version": maybe(rng, str(rng.randint(1, 5)))}),
        "route": maybe(rng, rng.choice(["infer", "metadata", "ready", "admin"])),
        "time_ns": maybe(rng, rng.choice([1767225600000000000 + rng.randint(-7200, 7200) * 1_000_000_000, 0])),
    })


def warden_answers(
    tmp_path: Path, name: str, module: str, query: str, inputs: list[dict], strict: bool = False, more: dict[str, str] | None = None
) -> list[dict]:
    """`module` (written as NAME.rego, with the `more` modules by name beside it) evaluated by
    `warden policy eval --inputs` for every input: one answer per input, in order."""
    modules = {name: module, **(more or {})}
    data = []
    for module_name, text in modules.items():
        (tmp_path / f"{module_name}.rego").write_text(text)
        data += ["--data", str(tmp_path / f"{module_name}.rego")]
    lines = tmp_path / "inputs.jsonl"
    lines.write_text("".join(json.dumps(document) + "\n" for document in inputs))
    command = [warden(), "policy", "eval", *(["--strict-builtin-errors"] if strict else []), *data, "--inputs", str(lines)]
    ours = subprocess.run([*command, query], capture_output=True, text=True, timeout=600)
    assert ours.returncode == 0, ours.stderr
    # Lines end at "\n" only: splitlines() would also break at U+0085 and U+2028, which Warden
    # rightly writes raw inside JSON strings.
    answers = [json.loads(line) for line in ours.stdout.split("\n") if line]
    assert len(answers) == len(inputs)
    return answers


def run_both(policy: Path, data: dict, query: str, inputs: list[dict], tmp_path: Path) -> None:
    require_oracle()
    lines = tmp_path / "inputs.jsonl"
    lines.write_text("".join(json.dumps(document) + "\n" for document in inputs))
    data_args = []
    if data:
        (tmp_path / "data.json").write_text(json.dumps(data))
        data_args = ["--data", str(tmp_path / "data.json")]
    ours = subprocess.run(
        [warden(), "policy", "eval", "--data", str(policy), *data_args, "--inputs", str(lines), query],
        capture_output=True, text=True, timeout=600,
    )
    assert ours.returncode == 0, ours.stderr
    answers = [json.loads(line) for line in ours.stdout.splitlines()]
    assert len(answers) == len(inputs)
    module = policy.read_text()
    differences = []
    for document, answer in zip(inputs, answers):
        theirs = opa_eval({policy.name: module}, data, document, query)
        expected = [r["expressions"][0]["value"] for r in theirs["result"] or []]
        got = [r["expressions"][0]["value"] for r in answer.get("result", [])]
        if theirs.get("error") or answer.get("errors") or expected != got:
            differences.append((document, expected, got, theirs.get("error"), answer.get("errors")))
    assert not differences, f"{len(differences)} differences, first: {differences[:3]}"


def test_startup_gate_agrees_with_opa_on_5000_random_inputs(tmp_path):
    rng = random.Random(SEED)
    inputs = [gate_input(rng) for _ in range(5000)]
    permitted = 0
    run_both(POLICIES / "startup-gate.rego", {}, "data.serving.startup.permit", inputs, tmp_path)
    for document in inputs:
        model = document.get("model", {})
        permitted += int(isinstance(model, dict) and model.get("stage") == "Approved" and model.get("revoked") is False)
    assert permitted > 100, "the generator must reach the permitting branch"


@pytest.mark.parametrize("query", ["data.serving.request.allow", "data.serving.request.reasons"])
def test_kill_switch_agrees_with_opa_on_2500_random_inputs(query, tmp_path):
    rng = random.Random(SEED + len(query))
    inputs = [request_input(rng) for _ in range(2500)]
    data = json.loads((POLICIES / "kill-switch-data.json").read_text())
    run_both(POLICIES / "kill-switch.rego", data, query, inputs, tmp_path)
