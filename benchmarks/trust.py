#!/usr/bin/env python3
"""Artifact-trust costs, measured side by side in one run.

1. SHA-256 throughput on the same 1 GiB file (in the page cache): `warden digest` (the hasher
   fetch and verify use: swift-crypto/BoringSSL, SHA-NI) against `openssl dgst -sha256` (the
   CPU's limit here), rounds alternating; coreutils `sha256sum` once for context.
2. Many files: 8 files of 128 MiB, `warden digest` (parallel, one file per core) against
   `openssl dgst -sha256` over the same files (one after another).
3. Time from `warden fetch` start to verified and installed, for a 100 MiB model signed with
   `warden sign`, approved and pushed: from an OCI image layout, and from Debian's
   docker-registry on loopback.

Usage (after `swift build -c release --product warden`):
    python3 benchmarks/trust.py [--warden .build/release/warden] [--rounds 5] [--size-mib 1024]
Needs openssl; part 3 uses docker-registry when installed (scripts/setup.sh installs it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIB = 1 << 20


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def random_file(path: Path, size: int) -> None:
    with path.open("wb") as out:
        chunk = os.urandom(16 * MIB)
        written = 0
        while written < size:
            out.write(chunk[: min(len(chunk), size - written)])
            written += len(chunk)


def throughput(label_commands: dict[str, list[str]], size: int, rounds: int) -> dict[str, list[float]]:
    for command in label_commands.values():  # warm the page cache and the binaries
        timed(command)
    results: dict[str, list[float]] = {label: [] for label in label_commands}
    for _ in range(rounds):
        for label, command in label_commands.items():
            results[label].append(size / timed(command) / 1e9)
    return results


def report(title: str, results: dict[str, list[float]], baseline: str) -> None:
    print(f"\n### {title}\n")
    print("| tool | median GB/s | best GB/s | vs " + baseline + " (median) |")
    print("|---|---:|---:|---:|")
    base = statistics.median(results[baseline])
    for label, values in results.items():
        median = statistics.median(values)
        print(f"| {label} | {median:.2f} | {max(values):.2f} | {median / base:.0%} |")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch_timing(warden: str, work: Path, rounds: int) -> None:
    model = work / "big-model"
    model.mkdir()
    random_file(model / "model.onnx", 100 * MIB)
    shutil.copy(REPO / "examples/churn/warden-model.json", model / "warden-model.json")
    keys = work / "keys"
    keys.mkdir()
    for role in ("author", "approver", "security"):
        subprocess.run([warden, "keygen", "--out", keys / role], check=True, stdout=subprocess.DEVNULL)
    (work / "trust.yaml").write_text(
        "keys:\n  author: {public_key: keys/author.pub}\n  approver: {public_key: keys/approver.pub}\n"
        "  security: {public_key: keys/security.pub}\nmodel_signers: [author]\n"
        "attestations:\n  approval: {signers: [approver]}\nrevocation: {signers: [security], reference: revocations}\n"
    )
    signature = work / "model.sig"
    subprocess.run([warden, "sign", model, "--private-key", keys / "author.key", "--signature", signature], check=True, stdout=subprocess.DEVNULL)

    stores = {"OCI layout": f"oci:{work / 'layout'}"}
    registry = None
    if shutil.which("docker-registry"):
        port = free_port()
        config = work / "registry.yml"
        config.write_text(
            f"version: 0.1\nlog: {{level: error}}\nstorage: {{filesystem: {{rootdirectory: {work / 'registry-data'}}}}}\n"
            f"http: {{addr: 127.0.0.1:{port}}}\n"
        )
        registry = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        stores["docker-registry (loopback HTTP)"] = f"127.0.0.1:{port}/bench/model"
    try:
        print("\n### `warden fetch` of a 100 MiB model, start to verified and installed\n")
        print("| store | median s | best s | MiB/s (median) |")
        print("|---|---:|---:|---:|")
        for label, base in stores.items():
            ref = f"{base}:v1"
            pushed = subprocess.run([warden, "push", model, "--to", ref, "--signature", signature], check=True, capture_output=True, text=True)
            digest = pushed.stdout.split()[-1]
            subprocess.run([warden, "attest", ref, "--private-key", keys / "approver.key", "--approve", "Approved", "--approver", "bench"],
                           check=True, stdout=subprocess.DEVNULL)
            subprocess.run([warden, "revocation", "publish", "--to", f"{base}:revocations", "--private-key", keys / "security.key",
                            "--serial", "1"], check=True, stdout=subprocess.DEVNULL)
            times = []
            for round_ in range(rounds):
                dest = work / f"installed-{abs(hash(label))}-{round_}"
                times.append(timed([warden, "fetch", "--model", ref, "--trust", work / "trust.yaml", "--expected-digest", digest,
                                    "--dest", dest]))
                subprocess.run(["chmod", "-R", "u+w", dest], check=True)
                shutil.rmtree(dest)
            median = statistics.median(times)
            print(f"| {label} | {median:.2f} | {min(times):.2f} | {100 / median:.0f} |")
    finally:
        if registry:
            registry.terminate()
            registry.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warden", default=str(REPO / ".build/release/warden"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args()
    warden = args.warden
    if not Path(warden).exists():
        sys.exit(f"{warden} not found; build it with: swift build -c release --product warden")
    print(f"cores: {os.cpu_count()}; CPU: {cpu_model()}")
    with tempfile.TemporaryDirectory(prefix="warden-trust-bench-") as scratch:
        work = Path(scratch)
        big = work / "one.bin"
        size = args.size_mib * MIB
        random_file(big, size)
        results = throughput({"openssl dgst -sha256": ["openssl", "dgst", "-sha256", str(big)],
                              "warden digest": [warden, "digest", str(big)]}, size, args.rounds)
        results["sha256sum (coreutils)"] = [size / timed(["sha256sum", str(big)]) / 1e9]
        report(f"SHA-256 of one {args.size_mib} MiB file", results, "openssl dgst -sha256")
        big.unlink()

        files = [work / f"part-{i}.bin" for i in range(8)]
        for path in files:
            random_file(path, 128 * MIB)
        results = throughput({"openssl dgst -sha256 (sequential)": ["openssl", "dgst", "-sha256", *map(str, files)],
                              "warden digest (parallel)": [warden, "digest", *map(str, files)]}, 8 * 128 * MIB, args.rounds)
        report("SHA-256 of 8 files x 128 MiB", results, "openssl dgst -sha256 (sequential)")
        for path in files:
            path.unlink()

        fetch_timing(warden, work, max(3, args.rounds // 2))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    main()
