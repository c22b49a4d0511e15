#!/usr/bin/env python3
"""What the model contract costs: validation per record, and infer throughput with and
without contract checks, side by side in one run.

1. `warden schema bench` times the churn contract's input schema (and output schema) on one
   record in-process: median and p99 nanoseconds per validation.
2. One `warden serve` holds the churn model twice: `churn` with its full contract (input and
   output schemas) and `churnopen`, the same model.onnx and contract minus both schemas.
   `wrk` drives each in turn with the same one-row OIP v2 request, alternating rounds (A B A B
   ...) so drift hits both; the server is pinned to CPU 1 and wrk to CPU 0. Reported: req/s
   and p99 per round, medians, and the throughput ratio checked/open (goal: >= 0.9).

Usage (after `swift build -c release --product warden` and scripts/setup.sh, which installs wrk):
    python3 benchmarks/contract.py [--warden .build/release/warden] [--duration 8] [--rounds 6]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from paired_wrk import CHURN_ROW as ROW, one_row_body, start_serve, wrk  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHURN = ROOT / "examples" / "churn"




def schema_bench(warden: Path, schema: dict, instance: dict, workdir: Path, iterations: int) -> dict:
    schema_file, instance_file = workdir / "schema.json", workdir / "instance.json"
    schema_file.write_text(json.dumps(schema))
    instance_file.write_text(json.dumps(instance))
    out = subprocess.run([str(warden), "schema", "bench", "--schema", str(schema_file), "--iterations", str(iterations),
                          str(instance_file)], capture_output=True, text=True, check=True).stdout
    result = json.loads(out)
    assert result["valid"], "the benchmark record must satisfy the contract"
    return result




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warden", type=Path, default=ROOT / ".build" / "release" / "warden")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=50_000)
    args = parser.parse_args()
    if not args.warden.exists():
        sys.exit(f"{args.warden} is missing: swift build -c release --product warden")
    contract = json.loads((CHURN / "warden-model.json").read_text())

    with tempfile.TemporaryDirectory(prefix="warden-contract-bench-") as tmp:
        work = Path(tmp)
        validation = {
            "input": schema_bench(args.warden, contract["input_schema"], ROW, work, args.iterations),
            "output": schema_bench(args.warden, contract["output_schema"], {"label": 1, "probabilities": [0.25, 0.75]},
                                   work, args.iterations),
        }
        open_dir = work / "churnopen"
        open_dir.mkdir()
        shutil.copyfile(CHURN / "model.onnx", open_dir / "model.onnx")
        open_contract = {k: v for k, v in contract.items() if k not in ("input_schema", "output_schema")}
        open_contract["name"] = "churnopen"
        (open_dir / "warden-model.json").write_text(json.dumps(open_contract))
        body = work / "body.json"
        body.write_text(json.dumps(one_row_body(contract)))
        server, port = start_serve(args.warden, work, "serve", {
            "listen": {"insecure_plaintext": True}, "logging": {"level": "warning"},
            "models": [{"directory": str(CHURN)}, {"directory": str(open_dir)}]})
        try:
            urls = {name: f"http://127.0.0.1:{port}/v2/models/{name}/infer" for name in ("churn", "churnopen")}
            for url in urls.values():
                answer = json.loads(urllib.request.urlopen(urllib.request.Request(
                    url, data=body.read_bytes(), headers={"Content-Type": "application/json"})).read())
                assert [o["name"] for o in answer["outputs"]] == ["label", "probabilities"]
                wrk(url, body, args.warmup, args.connections)
            rounds: dict[str, list[dict]] = {"churn": [], "churnopen": []}
            for round_number in range(args.rounds):
                # A B, then B A: neither model always runs first.
                order = list(urls.items()) if round_number % 2 == 0 else list(reversed(urls.items()))
                for name, url in order:
                    rounds[name].append(wrk(url, body, args.duration, args.connections))
        finally:
            server.terminate()
            server.wait(timeout=30)

    print("## Contract cost (churn)\n")
    print("| schema | p50 ns/validation | p99 ns |\n|---|---:|---:|")
    for name, result in validation.items():
        print(f"| {name} (one record) | {result['p50_ns']:.0f} | {result['p99_ns']:.0f} |")
    print("\n| model | rounds req/s | median req/s | median p99 µs |\n|---|---|---:|---:|")
    medians = {}
    for name, runs in rounds.items():
        medians[name] = statistics.median(r["rps"] for r in runs)
        p99 = statistics.median(r["p99_us"] for r in runs)
        label = "checked (input + output schema)" if name == "churn" else "open (no schemas)"
        each = ", ".join(f"{r['rps']:.0f}" for r in runs)
        print(f"| {label} | {each} | {medians[name]:.0f} | {p99:.0f} |")
    # Each round's two runs are adjacent in time, so their ratio cancels most of the drift
    # a shared 2-core machine shows between rounds (+-10% here).
    paired = sorted(c["rps"] / o["rps"] for c, o in zip(rounds["churn"], rounds["churnopen"]))
    print(f"\nthroughput ratio checked/open: median of paired rounds {statistics.median(paired):.3f} "
          f"(rounds {', '.join(f'{r:.3f}' for r in paired)}; ratio of medians {medians['churn'] / medians['churnopen']:.3f}; "
          f"goal >= 0.9)")
    print(f"wrk -t1 -c{args.connections}, {args.duration}s x {args.rounds} rounds, server on CPU 1, wrk on CPU 0")


if __name__ == "__main__":
    main()
