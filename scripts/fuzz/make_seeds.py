"""Seed corpora for the libFuzzer targets in Fuzz/, made from the project's own tests and
fixtures (docs/fuzzing.md): Rego modules from the OPA-checked case corpus, OIP and KServe
bodies like the interop tests send, OCI manifests from a layout `warden push` writes, and
certificate chains from `warden dev-pki` plus a ring of same-named CAs.

    .venv/bin/python scripts/fuzz/make_seeds.py [--out fuzz-corpus] [--warden .build/debug/warden]
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REPO = Path(__file__).resolve().parents[2]


def write(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def rego_seeds(out: Path) -> int:
    count = 0
    for case_file in sorted((REPO / "tests/policy/cases").glob("*.yaml")):
        for index, case in enumerate(yaml.safe_load(case_file.read_text()).get("cases", [])):
            for module_index, module in enumerate(case.get("modules", [])):
                write(out, f"{case_file.stem}-{index}-{module_index}.rego", module.encode())
                count += 1
    for policy in sorted((REPO / "examples/policies").glob("*.rego")) + sorted((REPO / "tests/policy/policies").glob("*.rego")):
        write(out, policy.name, policy.read_bytes())
        count += 1
    return count


def inference_seeds(out: Path) -> int:
    count = 0
    for request in sorted((REPO / "examples/requests").glob("*.json")):
        write(out, request.name, request.read_bytes())
        count += 1
    contract = json.loads((REPO / "examples/churn/warden-model.json").read_text())
    for sample in contract.get("samples", []):
        tensors = []
        for spec in contract["inputs"]:
            values = sample["inputs"][spec["name"]]
            tensors.append({"name": spec["name"], "datatype": spec["datatype"], "shape": [len(values), 1],
                            "data": [v[0] for v in values]})
        body = json.dumps({"id": sample["name"], "inputs": tensors}).replace("null", "NaN", 1).encode()
        write(out, f"sample-{sample['name']}.json", body)
        instances = [[tensor["data"][row] for tensor in tensors] for row in range(len(tensors[0]["data"]))]
        write(out, f"sample-{sample['name']}-v1.json", json.dumps({"instances": instances}).encode())
        count += 2
    # A JSON header with binary data after it, as the decoder target splits it (first byte × 8).
    header = json.dumps({"inputs": [{"name": "tenure", "datatype": "INT64", "shape": [1, 1], "parameters": {"binary_data_size": 8}}]})
    padded = header + " " * (-len(header) % 8)
    write(out, "binary.bin", bytes([len(padded) // 8]) + padded.encode() + (3).to_bytes(8, "little"))
    return count + 1


def oci_seeds(out: Path, warden: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        layout = Path(scratch) / "layout"
        model = Path(scratch) / "churn"
        shutil.copytree(REPO / "examples/churn", model)
        subprocess.run([str(warden), "push", str(model), "--to", f"oci:{layout}:seed"], check=True, capture_output=True)
        count = 0
        for blob in sorted((layout / "blobs/sha256").iterdir()):
            data = blob.read_bytes()
            if data.startswith(b"{") and b"mediaType" in data:
                write(out, blob.name + ".json", data)
                count += 1
        write(out, "index.json", (layout / "index.json").read_bytes())
        manifest = json.loads(next(p.read_bytes() for p in (out).glob("*.json") if b'"layers"' in p.read_bytes()))
        manifest["layers"][0]["size"] = 2**63 - 1
        write(out, "huge-layer.json", json.dumps(manifest).encode())
        return count + 2


def length_prefixed(ders: list[bytes]) -> bytes:
    return b"".join(len(d).to_bytes(2, "big") + d for d in ders)


def peer_seeds(out: Path, pki: Path, warden: Path) -> int:
    subprocess.run([str(warden), "dev-pki", "--out", str(pki), "--trust-domain", "warden.test", "--client",
                    "gateway=ns/serving/sa/gateway"], check=True, capture_output=True)
    def der(path: Path) -> list[bytes]:
        return [c.public_bytes(serialization.Encoding.DER) for c in x509.load_pem_x509_certificates(path.read_bytes())]
    write(out, "gateway.bin", length_prefixed(der(pki / "gateway.pem")))
    write(out, "gateway-with-ca.bin", length_prefixed(der(pki / "gateway.pem") + der(pki / "ca.pem")))
    # A short ring of same-named CAs, each signed by the next (the pre-authentication CPU attack).
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ring")])
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(4)]
    ring = [x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(keys[(i + 1) % 4], hashes.SHA256()).public_bytes(serialization.Encoding.DER) for i, k in enumerate(keys)]
    write(out, "ring.bin", length_prefixed(der(pki / "gateway.pem") + ring))
    return 3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(REPO / "fuzz-corpus"))
    parser.add_argument("--warden", default=str(REPO / ".build/debug/warden"))
    args = parser.parse_args()
    out, warden = Path(args.out), Path(args.warden)
    counts = {
        "rego": rego_seeds(out / "rego"),
        "inference": inference_seeds(out / "inference"),
        "oci": oci_seeds(out / "oci", warden),
        "peer": peer_seeds(out / "peer", out / "pki", warden),
    }
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
