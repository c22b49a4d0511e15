"""Mutual TLS with SPIFFE-ID authorization against real clients: curl, openssl s_client,
Python ssl (requests) and tritonclient. The PKI comes from `warden dev-pki`; certificates it
would never make (expired, two URI SANs, a non-spiffe URI, `..` in the path, no client-auth
EKU, another CA) are made here with PyPI `cryptography` under the same or a foreign CA."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
import tritonclient.http as httpclient
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import CHURN_DIR, REPO_ROOT, warden_binary

DOMAIN = "warden.test"
BODY = (REPO_ROOT / "examples/requests/churn-infer.json").read_bytes()
JSON = {"Content-Type": "application/json"}


def mint(directory: Path, name: str, *, uris: list[str], ca: tuple | None = None, days: tuple[int, int] = (-1, 30),
         usage=ExtendedKeyUsageOID.CLIENT_AUTH) -> tuple[Path, Path]:
    """A client certificate and key; signed by `ca` (certificate, key) or by `directory`'s dev CA."""
    if ca is None:
        ca_cert = x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes())
        ca_key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
    else:
        ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now + datetime.timedelta(days=days[0])).not_valid_after(now + datetime.timedelta(days=days[1]))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               # An X509-SVID's keyUsage: digitalSignature only (a leaf without one is refused).
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                            encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
    if uris:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(u) for u in uris]), critical=False)
    certificate = builder.sign(ca_key, hashes.SHA256())
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def foreign_ca() -> tuple:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Someone else's CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(key, hashes.SHA256()))
    return certificate, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    result = subprocess.run([str(warden_binary()), "dev-pki", "--out", str(directory), "--trust-domain", DOMAIN,
                             "--client", "gateway=ns/serving/sa/gateway", "--client", "scraper=ns/monitoring/sa/prometheus",
                             "--client", "stranger=ns/other/sa/x"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert oct((directory / "gateway.key").stat().st_mode & 0o777) == "0o600"
    return directory


@pytest.fixture(scope="module")
def server(_session_starter, pki):
    return _session_starter(config={
        "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"),
                "client_ca_bundle": str(pki / "ca.pem")},
        "authorization": {"rules": [
            {"routes": ["infer", "metadata"], "models": ["churn"], "allow": [f"spiffe://{DOMAIN}/ns/serving/*"]},
            {"routes": ["metrics"], "allow": [f"spiffe://{DOMAIN}/ns/monitoring/sa/prometheus"]},
        ]},
        "models": [{"directory": str(CHURN_DIR)}],
    }, label="mtls")  # readiness is checked on the plain probe port


def https(server, pki: Path, path: str, cert: tuple[Path, Path] | None, **kwargs):
    return requests.request(kwargs.pop("method", "GET"), f"https://localhost:{server.port}{path}", cert=cert,
                            verify=str(pki / "ca.pem"), timeout=10, **kwargs)


def test_allowed_identity_is_served_and_logged(server, pki):
    mark = server.mark()
    response = https(server, pki, "/v2/models/churn/infer", (pki / "gateway.pem", pki / "gateway.key"), method="POST", data=BODY,
                     headers=JSON)
    assert response.status_code == 200, response.text
    record = server.wait_for_request_ids([response.headers["X-Request-Id"]], since=mark)[response.headers["X-Request-Id"]][0]
    assert record["client"] == f"spiffe://{DOMAIN}/ns/serving/sa/gateway"


def test_identities_are_authorized_per_route(server, pki):
    gateway, scraper, stranger = [(pki / f"{n}.pem", pki / f"{n}.key") for n in ("gateway", "scraper", "stranger")]
    assert https(server, pki, "/metrics", scraper).status_code == 200
    for cert, path in [(gateway, "/metrics"), (scraper, "/v2/models/churn"), (stranger, "/v2/models/churn"), (stranger, "/v2")]:
        refused = https(server, pki, path, cert)
        assert refused.status_code == 403 and refused.json()["code"] == "identity_not_allowed", (cert, path)


def test_curl_with_the_allowed_certificate(server, pki):
    if shutil.which("curl") is None:
        pytest.fail("curl is missing (scripts/setup.sh installs it)")
    result = subprocess.run(["curl", "-sS", "--fail-with-body", "--cacert", str(pki / "ca.pem"), "--cert", str(pki / "gateway.pem"),
                             "--key", str(pki / "gateway.key"), "-H", "Content-Type: application/json", "--data-binary", "@-",
                             f"https://localhost:{server.port}/v2/models/churn/infer"], input=BODY, capture_output=True, timeout=20)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["model_name"] == "churn"


def test_openssl_s_client_negotiates_tls13_only(server, pki):
    def handshake(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}", "-CAfile", str(pki / "ca.pem"),
                               "-cert", str(pki / "gateway.pem"), "-key", str(pki / "gateway.key"), "-verify_return_error", *extra],
                              input=b"", capture_output=True, timeout=20)
    ok = handshake()
    assert b"Protocol  : TLSv1.3" in ok.stdout or b"New, TLSv1.3" in ok.stdout, ok.stdout[-2000:]
    assert b"Verify return code: 0 (ok)" in ok.stdout
    assert handshake("-tls1_2").returncode != 0


def test_tritonclient_with_a_client_certificate(server, pki):
    client = httpclient.InferenceServerClient(
        f"localhost:{server.port}", ssl=True,
        ssl_options={"keyfile": str(pki / "gateway.key"), "certfile": str(pki / "gateway.pem"), "ca_certs": str(pki / "ca.pem")},
        ssl_context_factory=None, insecure=False)
    assert client.is_model_ready("churn")
    metadata = client.get_model_metadata("churn")
    assert metadata["name"] == "churn"


@pytest.mark.parametrize("case", ["no certificate", "foreign CA", "expired", "not yet valid", "two URI SANs", "non-spiffe URI",
                                  "dot-dot path", "no URI SAN", "server-only EKU", "uppercase trust domain"])
def test_handshake_refuses_bad_client_certificates(server, pki, tmp_path, case):
    for name in ("ca.pem", "ca.key"):
        shutil.copy(pki / name, tmp_path / name)
    good = [f"spiffe://{DOMAIN}/ns/serving/sa/gateway"]
    cert = {
        "no certificate": lambda: None,
        "foreign CA": lambda: mint(tmp_path, "x", uris=good, ca=foreign_ca()),
        "expired": lambda: mint(tmp_path, "x", uris=good, days=(-30, -1)),
        "not yet valid": lambda: mint(tmp_path, "x", uris=good, days=(2, 30)),
        "two URI SANs": lambda: mint(tmp_path, "x", uris=good + [f"spiffe://{DOMAIN}/ns/serving/sa/other"]),
        "non-spiffe URI": lambda: mint(tmp_path, "x", uris=["https://warden.test/ns/serving/sa/gateway"]),
        "dot-dot path": lambda: mint(tmp_path, "x", uris=[f"spiffe://{DOMAIN}/ns/serving/../admin"]),
        "no URI SAN": lambda: mint(tmp_path, "x", uris=[]),
        "server-only EKU": lambda: mint(tmp_path, "x", uris=good, usage=ExtendedKeyUsageOID.SERVER_AUTH),
        "uppercase trust domain": lambda: mint(tmp_path, "x", uris=["spiffe://Warden.test/ns/serving/sa/gateway"]),
    }[case]()
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        https(server, pki, "/v2/models/churn", cert)


def test_plain_http_on_the_serving_port_fails(server):
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{server.port}/v2", timeout=5)


def test_serve_needs_tls_or_an_explicit_plaintext_flag(pki, tmp_path):
    def serve(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["timeout", "5", str(warden_binary()), "serve", "--port", "0", "--probe-port", "0", *args],
                              capture_output=True, text=True, timeout=20)
    neither = serve()
    assert neither.returncode == 2 and "needs mutual TLS" in neither.stderr
    hardened = serve("--insecure-plaintext", "--hardened")
    assert hardened.returncode == 2 and "refuses --insecure-plaintext" in hardened.stderr
    tls = ["--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server.key"), "--client-ca", str(pki / "ca.pem")]
    no_rules = serve(*tls)
    assert no_rules.returncode == 2 and "needs authorization rules" in no_rules.stderr
    both = serve(*tls, "--allow-client", f"spiffe://{DOMAIN}/x", "--insecure-plaintext")
    assert both.returncode == 2 and "exclude each other" in both.stderr
    plain = serve("--insecure-plaintext")  # runs until `timeout` stops it, warning first
    assert '"event":"insecure_plaintext"' in plain.stdout


def mint_server(directory: Path, serial_days: int) -> int:
    """A new serving certificate and key from the dev CA, written as an agent does: to temporary
    names, then renamed over the old ones."""
    ca_cert = x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes())
    ca_key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "server")]))
                   .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=serial_days))
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                               x509.UniformResourceIdentifier(f"spiffe://{DOMAIN}/warden")]),
                                  critical=False)
                   .sign(ca_key, hashes.SHA256()))
    (directory / "server.pem.new").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "server.key.new").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    os.replace(directory / "server.pem.new", directory / "server.pem")
    os.replace(directory / "server.key.new", directory / "server.key")
    return certificate.serial_number


def served_serial(port: int, pki: Path) -> int:
    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    context.load_cert_chain(str(pki / "gateway.pem"), str(pki / "gateway.key"))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, context.wrap_socket(raw, server_hostname="localhost") as tls:
        return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True)).serial_number


def test_rotation_under_load_fails_no_request(start_warden, tmp_path):
    pki = tmp_path / "pki"
    subprocess.run([str(warden_binary()), "dev-pki", "--out", str(pki), "--trust-domain", DOMAIN,
                    "--client", "gateway=ns/serving/sa/gateway"], check=True, capture_output=True, timeout=30)
    server = start_warden(config={
        "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"),
                "client_ca_bundle": str(pki / "ca.pem"), "reload_interval_seconds": 0.3},
        "authorization": {"rules": [{"allow": [f"spiffe://{DOMAIN}/ns/serving/*", f"spiffe://{DOMAIN}/other/*"]}]},
        "models": [{"directory": str(CHURN_DIR)}],
    }, label="rotating")
    gateway = (pki / "gateway.pem", pki / "gateway.key")
    failures, successes, stop = [], [0], threading.Event()

    def load():
        keep_alive = requests.Session()
        while not stop.is_set():
            for client in (keep_alive, requests):  # a kept connection, and a new handshake each time
                try:
                    response = client.post(f"https://localhost:{server.port}/v2/models/churn/infer", data=BODY, headers=JSON,
                                           cert=gateway, verify=str(pki / "ca.pem"), timeout=10)
                    if response.status_code == 200:
                        successes[0] += 1
                    else:
                        failures.append(response.status_code)
                except requests.RequestException as error:
                    failures.append(repr(error))

    worker = threading.Thread(target=load)
    worker.start()
    try:
        before = served_serial(server.port, pki)
        time.sleep(0.5)
        rotated = mint_server(pki, serial_days=60)
        deadline = time.time() + 10
        while served_serial(server.port, pki) != rotated:
            assert time.time() < deadline, "the rotated certificate was never served"
            time.sleep(0.1)
        # The trust bundle rotates too: a client from a second CA is refused, then accepted.
        other_ca = foreign_ca()
        other = tmp_path / "other"
        other.mkdir()
        stranger = mint(other, "newcomer", uris=[f"spiffe://{DOMAIN}/other/sa/new"], ca=other_ca)
        with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
            https(server, pki, "/v2/models/churn", stranger)
        (pki / "ca.pem.new").write_bytes((pki / "ca.pem").read_bytes() + other_ca[0].public_bytes(serialization.Encoding.PEM))
        os.replace(pki / "ca.pem.new", pki / "ca.pem")
        deadline = time.time() + 10
        while True:
            try:
                if https(server, pki, "/v2/models/churn", stranger).status_code == 200:
                    break
            except (requests.exceptions.SSLError, requests.exceptions.ConnectionError):
                pass
            assert time.time() < deadline, "the rotated bundle was never used"
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert rotated != before
    assert not failures, f"{len(failures)} failed requests during rotation: {failures[:3]}"
    assert successes[0] > 20
    assert server.wait_for_record(lambda r: r.get("event") == "certificate_rotated")
    metrics = https(server, pki, "/metrics", gateway).text
    line = next(l for l in metrics.splitlines() if l.startswith('warden_tls_certificate_expiry_seconds{certificate="server"}'))
    assert 59 * 86400 < float(line.split()[-1]) <= 60 * 86400


def test_a_certificate_close_to_expiry_warns_in_readiness_and_the_log(start_warden, tmp_path):
    pki = tmp_path / "pki"
    subprocess.run([str(warden_binary()), "dev-pki", "--out", str(pki), "--days", "3"], check=True, capture_output=True, timeout=30)
    server = start_warden(config={
        "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"), "client_ca_bundle": str(pki / "ca.pem")},
        "authorization": {"rules": [{"allow": ["spiffe://warden.test/ns/serving/sa/gateway"]}]},
        "models": [{"directory": str(CHURN_DIR)}]}, label="expiring")
    assert server.wait_for_record(lambda r: r.get("event") == "certificate_expiring" and r.get("certificate") == "server")
    ready = https(server, pki, "/v2/health/ready", (pki / "gateway.pem", pki / "gateway.key"))
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert any(w.startswith("the server certificate expires in") for w in ready.json()["warnings"]), ready.json()
    assert requests.get(f"{server.probe_url}/readyz", timeout=5).text == "", "the probe port carries status only"


def test_a_client_over_its_quota_gets_429_and_others_are_served(start_warden, pki):
    server = start_warden(config={
        "tls": {"certificate": str(pki / "server.pem"), "private_key": str(pki / "server.key"),
                "client_ca_bundle": str(pki / "ca.pem")},
        "authorization": {"rules": [{"routes": ["infer"], "allow": [f"spiffe://{DOMAIN}/ns/*"]}]},
        "resilience": {"client_quota": {"rate_per_second": 2, "burst": 3}},
        "models": [{"directory": str(CHURN_DIR)}],
    }, label="quota")
    gateway, stranger = (pki / "gateway.pem", pki / "gateway.key"), (pki / "stranger.pem", pki / "stranger.key")
    with requests.Session() as session:
        # One kept-alive connection, as a gateway holds it (verify per request: the environment's
        # CA bundle would override a session-level one).
        statuses = [session.post(f"https://localhost:{server.port}/v2/models/churn/infer", data=BODY, headers=JSON,
                                 cert=gateway, verify=str(pki / "ca.pem"), timeout=10) for _ in range(6)]
    assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
    throttled = [r for r in statuses if r.status_code == 429]
    assert throttled, [r.status_code for r in statuses]
    assert throttled[0].headers["Warden-Error-Code"] == "client_quota_exceeded"
    assert int(throttled[0].headers["Retry-After"]) >= 1
    # Another identity has its own bucket.
    response = https(server, pki, "/v2/models/churn/infer", stranger, method="POST", data=BODY, headers=JSON)
    assert response.status_code == 200
    time.sleep(0.6)
    assert https(server, pki, "/v2/models/churn/infer", gateway, method="POST", data=BODY, headers=JSON).status_code == 200


def test_one_issuance_in_one_file_serves_and_a_mismatched_pair_never_loads(start_warden, tmp_path):
    """Vault Agent's fix for separately issued certificates and keys (hashicorp/vault#19787):
    render both from one `pki/issue` response into one file, given as both paths. A rotation
    to a pair that does not match is refused and the previous pair keeps serving; at first
    start a mismatched pair is a clear startup error."""
    pki = tmp_path / "pki"
    subprocess.run([str(warden_binary()), "dev-pki", "--out", str(pki), "--trust-domain", DOMAIN,
                    "--client", "gateway=ns/serving/sa/gateway"], check=True, capture_output=True, timeout=30)
    combined = pki / "tls.pem"  # key first, then the chain, as one template renders them
    combined.write_bytes((pki / "server.key").read_bytes() + (pki / "server.pem").read_bytes())
    config = {
        "tls": {"certificate": str(combined), "private_key": str(combined), "client_ca_bundle": str(pki / "ca.pem"),
                "reload_interval_seconds": 0.3},
        "authorization": {"rules": [{"allow": [f"spiffe://{DOMAIN}/ns/serving/*"]}]},
        "models": [{"directory": str(CHURN_DIR)}],
    }
    server = start_warden(config=config, label="one-file")
    gateway = (pki / "gateway.pem", pki / "gateway.key")
    assert https(server, pki, "/v2/models/churn", gateway).status_code == 200
    first = served_serial(server.port, pki)

    # A new certificate beside a key from another issuance: refused, the first pair stays.
    mint_server(pki, serial_days=60)
    stray_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (pki / "tls.pem.new").write_bytes(stray_key + (pki / "server.pem").read_bytes())
    os.replace(pki / "tls.pem.new", combined)
    refusal = server.wait_for_record(lambda r: r.get("event") == "certificate_rotation_failed")
    assert "does not match" in refusal["reason"], refusal
    assert served_serial(server.port, pki) == first
    assert https(server, pki, "/v2/models/churn", gateway).status_code == 200

    # The same mismatched file at first start: Warden refuses to start and says why.
    config_file = tmp_path / "mismatched.yaml"
    config_file.write_text(json.dumps({**config, "listen": {"host": "127.0.0.1", "port": 0, "probe_port": 0}}))
    result = subprocess.run([str(warden_binary()), "serve", "--config", str(config_file)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "does not match the certificate" in result.stdout + result.stderr, result.stdout[-2000:] + result.stderr[-2000:]
