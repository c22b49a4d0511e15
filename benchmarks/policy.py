#!/usr/bin/env python3
"""Rego evaluation cost, Warden against the real OPA, side by side in one run.

Two policies on realistic inputs:
- the kill switch: `data.serving.request.allow` with 1,000 `killed` rules, each switching off
  one client/model/version (as an incident runbook accumulates them), for a request that is
  allowed (no rule matches) and one that is killed (one matches);
- the startup gate of the requirements (examples/policies/startup-gate.rego) over a
  verification report.

Warden: `warden policy bench` (compiled once, timed in-process per evaluation; p50/p99).
OPA v1.20.2: the same policy and data loaded once into opa-golib-python-bindings' engine,
`eval_document` timed per call from Python. That figure includes the ctypes call and the
JSON encoding of input and result, so it is an upper bound on OPA's own evaluation time; it
is the embedded-OPA cost a Python service would pay, not OPA's server-side latency.

Usage (after `swift build -c release --product warden` and scripts/setup.sh):
    .venv-policy/bin/python benchmarks/policy.py [--iterations 20000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def kill_switch(rules: int) -> tuple[str, dict]:
    lines = ["package serving.request", "", "import rego.v1", "", "default allow := false", "",
             "allow if {", "\tnot killed", "\tinput.client.spiffe_id in data.allowed_clients", "}", ""]
    for i in range(rules):
        lines.append(
            f'killed if {{\n\tinput.client.spiffe_id == "spiffe://prod.example/client-{i}"\n'
            f'\tinput.model.name == "model-{i % 37}"\n\tinput.model.version == "{i % 5}"\n}}\n'
        )
    data = {"allowed_clients": [f"spiffe://prod.example/client-{i}" for i in range(0, 2000, 7)]}
    return "\n".join(lines), data


INPUTS = {
    "allowed": {"client": {"spiffe_id": "spiffe://prod.example/client-1400"}, "model": {"name": "model-3", "version": "2"},
                "route": "infer", "time_ns": 1767225600000000000},
    "killed": {"client": {"spiffe_id": "spiffe://prod.example/client-17"}, "model": {"name": "model-17", "version": "2"},
               "route": "infer", "time_ns": 1767225600000000000},
}

GATE_INPUT = {
    "model": {"name": "churn", "digest": "sha256:" + "a" * 64, "stage": "Approved",
              "signatures": {"valid": True, "signer": "key author (sha256:…)"}, "revoked": False,
              "attestations": {"approval": {"signer": "approver", "predicate": {"stage": "Approved", "approver": "alice"}}}},
    "expected_digest": "sha256:" + "a" * 64,
}


def warden_bench(warden: str, policy: Path, data: Path | None, document: dict, path: str, iterations: int, work: Path) -> dict:
    input_file = work / "input.json"
    input_file.write_text(json.dumps(document))
    command = [warden, "policy", "bench", "--data", str(policy), "--input", str(input_file), "--iterations", str(iterations), path]
    if data:
        command[3:3] = ["--data", str(data)]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def opa_bench(policy_text: str, data: dict, document: dict, path: str, iterations: int) -> dict:
    from opa_bindings import OpaEngine

    engine = OpaEngine()
    engine.add_policy("policy.rego", policy_text)
    engine.add_data(data)
    dotted = path.removeprefix("data.")
    samples = []
    for round_ in range(2 * iterations):
        start = time.perf_counter()
        result = engine.eval_document(dotted, document)
        if round_ >= iterations:
            samples.append((time.perf_counter() - start) * 1e6)
    engine.close()
    samples.sort()
    return {"result": result, "p50_us": samples[len(samples) // 2], "p99_us": samples[int(len(samples) * 0.99)]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warden", default=str(REPO / ".build/release/warden"))
    parser.add_argument("--iterations", type=int, default=20_000)
    args = parser.parse_args()
    if not Path(args.warden).exists():
        sys.exit(f"{args.warden} not found; build it with: swift build -c release --product warden")
    rows = []
    with tempfile.TemporaryDirectory(prefix="warden-policy-bench-") as scratch:
        work = Path(scratch)
        text, data = kill_switch(1000)
        (work / "kill.rego").write_text(text)
        (work / "data.json").write_text(json.dumps(data))
        for label, document in INPUTS.items():
            ours = warden_bench(args.warden, work / "kill.rego", work / "data.json", document, "data.serving.request.allow",
                                args.iterations, work)
            theirs = opa_bench(text, data, document, "data.serving.request.allow", max(2000, args.iterations // 10))
            assert ours["result"] == theirs["result"], (ours, theirs)
            rows.append((f"kill switch, 1,000 rules, {label}", ours, theirs))
        gate = REPO / "examples/policies/startup-gate.rego"
        ours = warden_bench(args.warden, gate, None, GATE_INPUT, "data.serving.startup.permit", args.iterations, work)
        theirs = opa_bench(gate.read_text(), {}, GATE_INPUT, "data.serving.startup.permit", max(2000, args.iterations // 10))
        assert ours["result"] == theirs["result"]
        rows.append(("startup gate", ours, theirs))
    print("| policy | result | Warden p50 µs | Warden p99 µs | OPA (embedded, from Python) p50 µs | p99 µs | OPA p50 ÷ Warden p50 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, ours, theirs in rows:
        ratio = theirs["p50_us"] / ours["p50_us"]
        print(f"| {label} | {json.dumps(ours['result'])} | {ours['p50_us']:.1f} | {ours['p99_us']:.1f} | "
              f"{theirs['p50_us']:.1f} | {theirs['p99_us']:.1f} | {ratio:.1f}× |")


if __name__ == "__main__":
    main()
