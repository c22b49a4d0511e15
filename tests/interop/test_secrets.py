"""Secrets come from files (as Vault Agent renders them), are re-read when they change, are
never logged, and in hardened mode must not also be in the environment."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import time

import requests

from conftest import CHURN_DIR, REPO_ROOT, warden_binary

BODY = (REPO_ROOT / "examples/requests/churn-infer.json").read_bytes()
JSON = {"Content-Type": "application/json"}


def hashing_model(directory):
    directory.mkdir()
    shutil.copyfile(CHURN_DIR / "model.onnx", directory / "model.onnx")
    contract = json.loads((CHURN_DIR / "warden-model.json").read_text())
    contract["output_schema"]["properties"]["label"]["x-warden-redact"] = "hash"
    (directory / "warden-model.json").write_text(json.dumps(contract))
    return directory


def write_secret(path, text: str) -> None:
    """As an agent writes: a temporary file renamed over the old one."""
    temporary = path.with_suffix(".new")
    temporary.write_text(text)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def test_redaction_key_rotates_from_its_file_and_is_never_logged(start_warden, tmp_path):
    key_file = tmp_path / "redaction-key"
    first, second = secrets.token_hex(32), secrets.token_hex(32)
    write_secret(key_file, first)
    server = start_warden(config={
        "security": {"redaction_key_file": str(key_file), "secret_reload_interval_seconds": 0.3},
        "models": [{"directory": str(hashing_model(tmp_path / "churn"))}]}, label="secrets")

    def hashed() -> str:
        response = requests.post(f"{server.url}/v2/models/churn/infer", data=BODY, headers=JSON, timeout=10)
        assert response.status_code == 200
        return response.json()["outputs"][0]["data"][0]

    before = hashed()
    assert before == hashed(), "one key, one hash"
    write_secret(key_file, second)
    deadline = time.time() + 10
    while hashed() == before:
        assert time.time() < deadline, "the rotated key was never used"
        time.sleep(0.1)
    assert server.wait_for_record(lambda r: r.get("event") == "secret_rotated" and r.get("secret") == "redaction_key")
    write_secret(key_file, "short")  # refused: the last good key stays
    assert server.wait_for_record(lambda r: r.get("event") == "secret_rotation_failed")
    assert hashed() != before
    logs = "\n".join(server.lines()) + server.stderr()
    for key in (first, second):
        for form in (key, base64.b64encode(key.encode()).decode(), key[:16]):
            assert form not in logs


def test_tls_private_key_is_never_logged(start_warden, tmp_path):
    pki = tmp_path / "pki"
    subprocess.run([str(warden_binary()), "dev-pki", "--out", str(pki)], check=True, capture_output=True, timeout=30)
    server = start_warden(config={
        "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"), "client_ca_bundle": str(pki / "ca.pem")},
        "authorization": {"rules": [{"allow": ["spiffe://warden.test/ns/serving/sa/gateway"]}]},
        "models": [{"directory": str(CHURN_DIR)}]}, label="tls-secret")
    requests.get(f"https://localhost:{server.port}/v2", cert=(pki / "gateway.pem", pki / "gateway.key"), verify=str(pki / "ca.pem"),
                 timeout=10)
    key_lines = [line for line in (pki / "server.key").read_text().splitlines() if line and not line.startswith("-----")]
    logs = "\n".join(server.lines()) + server.stderr()
    assert key_lines and not any(line in logs for line in key_lines)


def test_hardened_mode_refuses_a_secret_name_in_the_environment(tmp_path):
    key_file = tmp_path / "redaction-key"
    write_secret(key_file, secrets.token_hex(32))
    value = "VALUE" + secrets.token_hex(8)
    command = ["timeout", "5", str(warden_binary()), "serve", "--insecure-plaintext", "--port", "0", "--probe-port", "0",
               "--redaction-key-file", str(key_file)]
    env = dict(os.environ, WARDEN_REDACTION_KEY=value)
    pki = tmp_path / "pki"
    subprocess.run([str(warden_binary()), "dev-pki", "--out", str(pki)], check=True, capture_output=True, timeout=30)
    mtls = ["--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server.key"), "--client-ca", str(pki / "ca.pem"),
            "--allow-client", "spiffe://warden.test/ns/serving/sa/gateway"]
    hardened = subprocess.run([*[c for c in command if c != "--insecure-plaintext"], *mtls, "--hardened"], capture_output=True,
                              text=True, env=env, timeout=20)
    assert hardened.returncode == 2 and "WARDEN_REDACTION_KEY set in the environment" in hardened.stderr
    warned = subprocess.run(command, capture_output=True, text=True, env=env, timeout=20)
    assert '"event":"secret_in_environment"' in warned.stdout and "WARDEN_REDACTION_KEY" in warned.stdout
    assert value not in warned.stdout + warned.stderr + hardened.stdout + hardened.stderr
