"""Makes a small PKI with Python's `cryptography`, for certificate-mode signing tests.

    make_pki.py OUT_DIR

Writes root-ca.pem, intermediate-ca.pem, and signing leaves (each NAME.pem + NAME.key):
  leaf            code signing, valid now                 (chain: intermediate -> root)
  expired-leaf    code signing, expired yesterday
  future-leaf     code signing, valid only from next year
  tls-leaf        serverAuth only: must not sign models
plus other-root-ca.pem, a root that issued nothing here. Keys are EC P-256, made fresh.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = dt.datetime.now(dt.timezone.utc)


def name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def certificate(subject, key, issuer, issuer_key, *, ca, not_before, not_after, eku=None, email=None):
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if email:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def write(out: Path, stem: str, cert, key=None) -> None:
    (out / f"{stem}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        (out / f"{stem}.key").write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        (out / f"{stem}.pub").write_bytes(
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    day = dt.timedelta(days=1)
    root_key, other_key, intermediate_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = certificate("warden-test-root", root_key, "warden-test-root", root_key, ca=True, not_before=NOW - day, not_after=NOW + 3650 * day)
    other = certificate("other-root", other_key, "other-root", other_key, ca=True, not_before=NOW - day, not_after=NOW + 3650 * day)
    intermediate = certificate(
        "warden-test-intermediate", intermediate_key, "warden-test-root", root_key, ca=True,
        not_before=NOW - day, not_after=NOW + 1000 * day,
    )
    write(out, "root-ca", root)
    write(out, "other-root-ca", other)
    write(out, "intermediate-ca", intermediate)
    leaves = {
        "leaf": (NOW - day, NOW + 30 * day, [ExtendedKeyUsageOID.CODE_SIGNING]),
        "expired-leaf": (NOW - 30 * day, NOW - day, [ExtendedKeyUsageOID.CODE_SIGNING]),
        "future-leaf": (NOW + 365 * day, NOW + 400 * day, [ExtendedKeyUsageOID.CODE_SIGNING]),
        "tls-leaf": (NOW - day, NOW + 30 * day, [ExtendedKeyUsageOID.SERVER_AUTH]),
    }
    for stem, (start, end, eku) in leaves.items():
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = certificate(
            stem, key, "warden-test-intermediate", intermediate_key, ca=False,
            not_before=start, not_after=end, eku=eku, email=f"{stem}@models.example",
        )
        write(out, stem, leaf, key)


if __name__ == "__main__":
    main()
