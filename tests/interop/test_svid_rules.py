"""Client identities to the X509-SVID specification, against a PKI made by the openssl CLI
(not Warden's dev-pki): a CA certificate carrying an allowed SPIFFE ID, a leaf without a
keyUsage or one that may sign certificates, a server-only leaf, two URI SANs, the trust
domain's own ID, malformed IDs, and a chain through an intermediate whose path length forbids
it — each refused at the handshake with an audit event naming the rule, while a conforming
leaf (directly, or through an allowed intermediate) gets its answer."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests

from conftest import CHURN_DIR, churn_batch, churn_v2_json

DOMAIN = "warden.test"
GATEWAY = f"spiffe://{DOMAIN}/ns/serving/sa/gateway"
LEAF = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=clientAuth"]


def openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


class PKI:
    def __init__(self, directory: Path):
        self.dir = directory
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "root.key",
                "-out", "root.pem", "-days", "2", "-subj", "/CN=svid-test-root",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)

    def issue(self, name: str, extensions: list[str], issuer: str = "root") -> Path:
        (self.dir / f"{name}.ext").write_text("\n".join(extensions) + "\n")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{name}.key",
                "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=self.dir)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.pem", "-CAkey", f"{issuer}.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "1", "-extfile", f"{name}.ext", cwd=self.dir)
        return self.dir / f"{name}.pem"

    def chain(self, name: str, *intermediates: str) -> Path:
        """The leaf followed by the intermediates, as a client presents them."""
        path = self.dir / f"{name}-chain.pem"
        path.write_text("".join((self.dir / f"{part}.pem").read_text() for part in (name, *intermediates)))
        return path


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> PKI:
    pki = PKI(tmp_path_factory.mktemp("svid-pki"))
    pki.issue("server", ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=serverAuth",
                         "subjectAltName=DNS:localhost,IP:127.0.0.1,URI:spiffe://warden.test/ns/serving/sa/warden"])
    pki.issue("gateway", [*LEAF, f"subjectAltName=URI:{GATEWAY}"])
    pki.issue("intermediate", ["basicConstraints=critical,CA:TRUE,pathlen:0", "keyUsage=critical,keyCertSign,cRLSign"])
    pki.issue("below-intermediate", [*LEAF, f"subjectAltName=URI:{GATEWAY}"], issuer="intermediate")
    pki.issue("second-intermediate", ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"], issuer="intermediate")
    pki.issue("too-deep", [*LEAF, f"subjectAltName=URI:{GATEWAY}"], issuer="second-intermediate")
    return pki


@pytest.fixture(scope="module")
def server(pki, _session_starter):
    return _session_starter(config={
        "tls": {"certificate": str(pki.dir / "server.pem"), "private_key": str(pki.dir / "server.key"),
                "client_ca_bundle": str(pki.dir / "root.pem")},
        # The broadest rule a deployment could write: a whole trust domain.
        "authorization": {"rules": [{"routes": ["infer", "metadata"], "allow": [f"spiffe://{DOMAIN}/*"]}]},
        "models": [{"directory": str(CHURN_DIR)}],
    }, label="svid-rules")


def infer(server, pki: PKI, certificate: Path, key: Path) -> requests.Response:
    return requests.post(f"https://localhost:{server.port}/v2/models/churn/infer", json=churn_v2_json(churn_batch(1)),
                         cert=(str(certificate), str(key)), verify=str(pki.dir / "root.pem"), timeout=10)


def test_a_conforming_leaf_is_served_directly_and_through_an_intermediate(server, pki):
    assert infer(server, pki, pki.dir / "gateway.pem", pki.dir / "gateway.key").status_code == 200
    chain = pki.chain("below-intermediate", "intermediate")
    assert infer(server, pki, chain, pki.dir / "below-intermediate.key").status_code == 200


REFUSED = {
    # name: (extensions, the audit reason must mention)
    "ca-as-client": (["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,digitalSignature", f"subjectAltName=URI:{GATEWAY}"],
                     "svid_leaf_is_ca"),
    "no-key-usage": (["basicConstraints=critical,CA:FALSE", "extendedKeyUsage=clientAuth", f"subjectAltName=URI:{GATEWAY}"],
                     "svid_key_usage_missing"),
    "no-digital-signature": (["basicConstraints=critical,CA:FALSE", "keyUsage=critical,keyAgreement", f"subjectAltName=URI:{GATEWAY}"],
                             "svid_key_usage_without_digital_signature"),
    "signs-certificates": (["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyCertSign",
                            f"subjectAltName=URI:{GATEWAY}"], "svid_key_usage_signs_certificates"),
    "signs-crls": (["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,cRLSign", f"subjectAltName=URI:{GATEWAY}"],
                   "svid_key_usage_signs_certificates"),
    "server-only": (["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=serverAuth",
                     f"subjectAltName=URI:{GATEWAY}"], "svid_extended_key_usage"),
    "two-ids": ([*LEAF, f"subjectAltName=URI:{GATEWAY},URI:spiffe://{DOMAIN}/ns/serving/sa/other"], "exactly one URI SAN"),
    "trust-domain-only": ([*LEAF, f"subjectAltName=URI:spiffe://{DOMAIN}"], "names only the trust domain"),
    "uppercase-domain": ([*LEAF, "subjectAltName=URI:spiffe://Warden.test/ns/serving/sa/gateway"], "trust domain may hold only"),
    "port": ([*LEAF, f"subjectAltName=URI:spiffe://{DOMAIN}:8443/ns/serving/sa/gateway"], "trust domain may hold only"),
    "query": ([*LEAF, f"subjectAltName=URI:{GATEWAY}?x=1"], "the path may hold only"),
    "dot-segment": ([*LEAF, f"subjectAltName=URI:spiffe://{DOMAIN}/ns/../sa/gateway"], "'.' or '..' segment"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_leaf_that_is_not_an_x509_svid_is_refused_at_the_handshake(server, pki, name):
    extensions, rule = REFUSED[name]
    certificate = pki.issue(name, extensions)
    since = len(server.lines())
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        infer(server, pki, certificate, pki.dir / f"{name}.key")
    if name == "no-digital-signature":
        # OpenSSL will not sign the handshake with a key its certificate forbids to sign, so this
        # one never reaches Warden's verifier (X509SVIDPolicyTests covers the rule there).
        assert not any(r.get("event") == "client_certificate_refused" for r in server.records(since))
    else:
        record = server.wait_for_record(lambda r: r.get("event") == "client_certificate_refused", since=since)
        assert rule in record["reason"], record
    # And the server is unharmed: a conforming client is served next.
    assert infer(server, pki, pki.dir / "gateway.pem", pki.dir / "gateway.key").status_code == 200


def test_a_chain_past_an_intermediates_path_length_is_refused(server, pki):
    chain = pki.chain("too-deep", "second-intermediate", "intermediate")
    since = len(server.lines())
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        infer(server, pki, chain, pki.dir / "too-deep.key")
    record = server.wait_for_record(lambda r: r.get("event") == "client_certificate_refused", since=since)
    assert "path length" in record["reason"], record
