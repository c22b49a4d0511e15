"""A private, offline, throwaway Sigstore instance for tests.

    mini_sigstore.py init DIR
    mini_sigstore.py sign-dsse DIR --identity ID --issuer URL --payload-type TYPE --payload FILE --out BUNDLE
                               [--timestamp] [--no-tlog-time]
    mini_sigstore.py sign-blob DIR --identity ID --issuer URL --artifact FILE --out BUNDLE
                               [--timestamp] [--no-tlog-time]
    mini_sigstore.py verify DIR --bundle BUNDLE --identity ID --issuer URL (--artifact FILE | --dsse)

Verifier tests need real keyless Sigstore bundles (a Fulcio-style certificate with an embedded SCT,
a Rekor v1 entry with inclusion proof, signed checkpoint and inclusion promise, and optionally an
RFC 3161 timestamp) whose identity, issuer and payload the test chooses. The public-good instance
cannot make those on demand, so `init` stands in for Fulcio, the CT log, Rekor and a timestamp
authority with keys generated at run time (never committed) and writes the matching
trusted_root.json. `verify` is an oracle: the real sigstore-python verifier, offline.

DIR holds trusted_root.json, certs/*.pem (the public CA and TSA certificates), rekor-leaves.bin
(the log's leaf hashes, 32 bytes each; every signature appends one) and private/*.pem (mode 0600).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import fcntl
import hashlib
import json
import os
import struct
import sys
from pathlib import Path

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from sigstore.errors import Error as SigstoreError
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier, policy

HOST = "mini-sigstore.test"
REKOR_HOST = f"rekor.{HOST}"
# Rekor's checkpoint origin is "<host> - <tree id>"; the signature line names the host alone.
CHECKPOINT_ORIGIN = f"{REKOR_HOST} - 1"
OIDC_ISSUER_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OIDC_ISSUER_V2_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
SCT_LIST_OID = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
TSA_POLICY_OID = "1.3.6.1.4.1.57264.2"
# Every issuing key (Fulcio root and intermediate, TSA root) is P-384, so certificates use SHA-384.
CA_HASH = hashes.SHA384()
KEY_CURVES = {
    "fulcio-root": ec.SECP384R1, "fulcio-intermediate": ec.SECP384R1,
    "ct": ec.SECP256R1, "rekor": ec.SECP256R1,
    "tsa-root": ec.SECP384R1, "tsa-leaf": ec.SECP384R1,
}
# Stand-ins for other people's log entries, so even the first real entry has a non-trivial proof.
DUMMY_LEAVES = 5
NOW = dt.datetime.now(dt.timezone.utc)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def canonical_json(value) -> bytes:
    # Rekor's canonical form; with our ASCII-only content this is also RFC 8785.
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def rfc3339(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def spki_der(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def log_id(private_key) -> bytes:
    # Sigstore names CT and Rekor logs (and Fulcio issuers, in SCTs) by the SHA-256 of their SPKI.
    return sha256(spki_der(private_key.public_key()))


def ecdsa_sign(key, data: bytes) -> bytes:
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_key(root: Path, name: str):
    return serialization.load_pem_private_key((root / "private" / f"{name}.pem").read_bytes(), None)


def load_cert(root: Path, name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((root / "certs" / f"{name}.pem").read_bytes())


def write_private_key(path: Path, key) -> None:
    # Created 0600 from the start, so the key is never briefly world-readable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, HOST), x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def key_usage(**flags: bool) -> x509.KeyUsage:
    fields = dict.fromkeys([
        "digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
        "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"], False)
    return x509.KeyUsage(**{**fields, **flags})


def ca_extensions(path_length: int) -> list:
    return [(x509.BasicConstraints(ca=True, path_length=path_length), True),
            (key_usage(key_cert_sign=True, crl_sign=True), True)]


def certificate(subject, public_key, issuer_name, issuer_key, not_before, not_after, extensions,
                serial=None) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer_name).public_key(public_key)
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, CA_HASH)


def trusted_root(keys: dict, fulcio_chain: list, tsa_chain: list, start: dt.datetime) -> dict:
    def tlog(url: str, key) -> dict:
        return {
            "baseUrl": url, "hashAlgorithm": "SHA2_256",
            "publicKey": {"rawBytes": b64(spki_der(key.public_key())), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                          "validFor": {"start": rfc3339(start)}},
            "logId": {"keyId": b64(log_id(key))},
        }

    def authority(url: str, chain: list) -> dict:  # chain: leaf first, root last
        subject = chain[-1].subject
        return {
            "subject": {"organization": subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value,
                        "commonName": subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value},
            "uri": url,
            "certChain": {"certificates": [
                {"rawBytes": b64(c.public_bytes(serialization.Encoding.DER))} for c in chain]},
            "validFor": {"start": rfc3339(start)},
        }

    return {
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [tlog(f"https://{REKOR_HOST}", keys["rekor"])],
        "certificateAuthorities": [authority(f"https://fulcio.{HOST}", fulcio_chain)],
        "ctlogs": [tlog(f"https://ctfe.{HOST}", keys["ct"])],
        "timestampAuthorities": [authority(f"https://tsa.{HOST}/api/v1/timestamp", tsa_chain)],
    }


def cmd_init(args) -> int:
    root = Path(args.dir)
    if (root / "trusted_root.json").exists():
        sys.exit(f"{root} already holds an instance; use a fresh directory")
    (root / "private").mkdir(parents=True, mode=0o700, exist_ok=True)
    (root / "certs").mkdir(exist_ok=True)
    keys = {key_name: ec.generate_private_key(curve()) for key_name, curve in KEY_CURVES.items()}
    for key_name, key in keys.items():
        write_private_key(root / "private" / f"{key_name}.pem", key)

    start, end = NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=3 * 365)
    pub = {key_name: key.public_key() for key_name, key in keys.items()}
    fulcio_root_name, tsa_root_name = name("mini-sigstore"), name("mini-sigstore-tsa-root")
    certs = {
        "fulcio-root": certificate(fulcio_root_name, pub["fulcio-root"], fulcio_root_name, keys["fulcio-root"],
                                   start, end, ca_extensions(1)),
        "fulcio-intermediate": certificate(name("mini-sigstore-intermediate"), pub["fulcio-intermediate"],
                                           fulcio_root_name, keys["fulcio-root"], start, end, ca_extensions(0)),
        "tsa-root": certificate(tsa_root_name, pub["tsa-root"], tsa_root_name, keys["tsa-root"],
                                start, end, ca_extensions(0)),
        # RFC 3161 §2.3 (and rfc3161-client) require the timeStamping EKU, marked critical.
        "tsa-leaf": certificate(name("mini-sigstore-tsa"), pub["tsa-leaf"], tsa_root_name, keys["tsa-root"],
                                start, end, [(key_usage(digital_signature=True), True),
                                             (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True)]),
    }
    for cert_name, cert in certs.items():
        (root / "certs" / f"{cert_name}.pem").write_bytes(cert_pem(cert))
    (root / "rekor-leaves.bin").write_bytes(b"".join(leaf_hash(os.urandom(32)) for _ in range(DUMMY_LEAVES)))
    document = trusted_root(keys, [certs["fulcio-intermediate"], certs["fulcio-root"]],
                            [certs["tsa-leaf"], certs["tsa-root"]], start)
    (root / "trusted_root.json").write_text(json.dumps(document, indent=2) + "\n")
    print(root / "trusted_root.json")
    return 0


def sct_list(ct_key, issuer_public_key, precert_tbs: bytes) -> bytes:
    """A TLS-encoded SignedCertificateTimestampList with one v1 SCT over the precertificate (RFC 6962 §3.2)."""
    timestamp = int(NOW.timestamp() * 1000)
    signed = (struct.pack(">BBQH", 0, 0, timestamp, 1) + sha256(spki_der(issuer_public_key))
              + len(precert_tbs).to_bytes(3, "big") + precert_tbs + struct.pack(">H", 0))
    signature = ecdsa_sign(ct_key, signed)
    sct = (b"\x00" + log_id(ct_key) + struct.pack(">QH", timestamp, 0)
           + bytes([4, 3]) + struct.pack(">H", len(signature)) + signature)  # sha256, ecdsa
    entries = struct.pack(">H", len(sct)) + sct
    return struct.pack(">H", len(entries)) + entries


def issue_signing_certificate(root: Path, public_key, identity: str, issuer: str) -> x509.Certificate:
    """What Fulcio would issue for an OIDC token with this identity and issuer."""
    ca_key, ca_cert = load_key(root, "fulcio-intermediate"), load_cert(root, "fulcio-intermediate")
    san = x509.UniformResourceIdentifier(identity) if "://" in identity else x509.RFC822Name(identity)
    extensions = [
        (key_usage(digital_signature=True), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False),
        (x509.SubjectAlternativeName([san]), True),  # critical because the subject is empty (RFC 5280)
        (x509.UnrecognizedExtension(OIDC_ISSUER_OID, issuer.encode()), False),  # legacy: raw bytes
        (x509.UnrecognizedExtension(OIDC_ISSUER_V2_OID, core.UTF8String(issuer).dump()), False),
    ]
    serial, not_before = x509.random_serial_number(), NOW - dt.timedelta(seconds=30)

    def build(extra: list) -> x509.Certificate:
        return certificate(x509.Name([]), public_key, ca_cert.subject, ca_key, not_before,
                           not_before + dt.timedelta(minutes=10), extensions + extra, serial)

    precert = build([])
    scts = sct_list(load_key(root, "ct"), ca_key.public_key(), precert.tbs_certificate_bytes)
    cert = build([(x509.UnrecognizedExtension(SCT_LIST_OID, core.OctetString(scts).dump()), False)])
    # The SCT signs the final TBS minus its own extension: that must be the precertificate's TBS exactly.
    assert cert.tbs_precertificate_bytes == precert.tbs_certificate_bytes
    return cert


def leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def split_point(size: int) -> int:
    return 1 << ((size - 1).bit_length() - 1)  # largest power of two below size (RFC 6962 §2.1)


def merkle_root(leaves: list) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def inclusion_path(index: int, leaves: list) -> list:
    """RFC 6962 §2.1.1 audit path, bottom-up, as sigstore-python expects."""
    if len(leaves) == 1:
        return []
    k = split_point(len(leaves))
    if index < k:
        return inclusion_path(index, leaves[:k]) + [merkle_root(leaves[k:])]
    return inclusion_path(index - k, leaves[k:]) + [merkle_root(leaves[:k])]


def append_leaf(root: Path, body: bytes) -> list:
    # Locked, so parallel tests signing against one instance still get distinct log indices.
    with open(root / "rekor-leaves.bin", "r+b") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        data = log.read()
        log.write(leaf_hash(body))
    return [data[i:i + 32] for i in range(0, len(data), 32)] + [leaf_hash(body)]


def signed_checkpoint(rekor_key, tree_size: int, root_hash: bytes) -> str:
    """A signed note; the 4-byte key hint lets verifiers pick the log key."""
    note = f"{CHECKPOINT_ORIGIN}\n{tree_size}\n{b64(root_hash)}\n"
    signature = log_id(rekor_key)[:4] + ecdsa_sign(rekor_key, note.encode())
    return f"{note}\n\u2014 {REKOR_HOST} {b64(signature)}\n"


def log_entry(root: Path, body: bytes, kind: str, tlog_time: bool) -> dict:
    """A Rekor v1 entry for `body`, appended to this instance's log."""
    rekor_key = load_key(root, "rekor")
    leaves = append_leaf(root, body)
    index, rekor_id = len(leaves) - 1, log_id(rekor_key)
    integrated_time = int(NOW.timestamp()) if tlog_time else 0
    entry = {
        "logIndex": str(index),
        "logId": {"keyId": b64(rekor_id)},
        "kindVersion": {"kind": kind, "version": "0.0.1"},
        "integratedTime": str(integrated_time),
    }
    if tlog_time:
        # The inclusion promise (SET) is what makes integratedTime a trusted time source.
        promised = canonical_json({"body": b64(body), "integratedTime": integrated_time,
                                   "logID": rekor_id.hex(), "logIndex": index})
        entry["inclusionPromise"] = {"signedEntryTimestamp": b64(ecdsa_sign(rekor_key, promised))}
    root_hash = merkle_root(leaves)
    entry["inclusionProof"] = {
        "logIndex": str(index), "rootHash": b64(root_hash), "treeSize": str(len(leaves)),
        "hashes": [b64(h) for h in inclusion_path(index, leaves)],
        "checkpoint": {"envelope": signed_checkpoint(rekor_key, len(leaves), root_hash)},
    }
    entry["canonicalizedBody"] = b64(body)
    return entry


def rfc3161_timestamp(root: Path, message: bytes) -> bytes:
    """A DER TimeStampResp over SHA-256(message), signed by the TSA leaf (RFC 3161, CMS per RFC 5652)."""
    tsa_key, tsa_cert = load_key(root, "tsa-leaf"), load_cert(root, "tsa-leaf")
    tst_info = tsp.TSTInfo({
        "version": "v1",
        "policy": TSA_POLICY_OID,
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": sha256(message)},
        "serial_number": x509.random_serial_number(),
        "gen_time": NOW.replace(microsecond=0),  # fractional seconds are legal but not every parser takes them
    })
    attributes = [cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
                  cms.CMSAttribute({"type": "message_digest", "values": [sha256(tst_info.dump())]})]
    # DER orders SET OF by encoding; the signature covers the attributes re-tagged as a SET.
    signed_attrs = cms.CMSAttributes(sorted(attributes, key=lambda attribute: attribute.dump()))
    signature = ecdsa_sign(tsa_key, signed_attrs.dump())
    asn1_cert = asn1_x509.Certificate.load(tsa_cert.public_bytes(serialization.Encoding.DER))
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": {"issuer_and_serial_number": {"issuer": asn1_cert.issuer, "serial_number": asn1_cert.serial_number}},
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": signed_attrs,
        "signature_algorithm": {"algorithm": "sha256_ecdsa"},
        "signature": signature,
    })
    signed_data = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": {"content_type": "tst_info", "content": tst_info},
        "certificates": [asn1_cert],
        "signer_infos": [signer],
    })
    token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()


def write_bundle(args, cert: x509.Certificate, signature: bytes, kind: str, body: dict, content: dict) -> int:
    root = Path(args.dir)
    material = {
        "certificate": {"rawBytes": b64(cert.public_bytes(serialization.Encoding.DER))},
        "tlogEntries": [log_entry(root, canonical_json(body), kind, not args.no_tlog_time)],
    }
    if args.timestamp:
        material["timestampVerificationData"] = {
            "rfc3161Timestamps": [{"signedTimestamp": b64(rfc3161_timestamp(root, signature))}]}
    bundle = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": material, **content}
    Path(args.out).write_text(json.dumps(bundle, indent=2) + "\n")
    print(args.out)
    return 0


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding: what a DSSE signature actually covers."""
    return b"DSSEv1 %d %s %d %s" % (len(payload_type.encode()), payload_type.encode(), len(payload), payload)


def cmd_sign_dsse(args) -> int:
    payload = Path(args.payload).read_bytes()
    key = ec.generate_private_key(ec.SECP256R1())  # ephemeral, as in keyless signing
    cert = issue_signing_certificate(Path(args.dir), key.public_key(), args.identity, args.issuer)
    signature = ecdsa_sign(key, pae(args.payload_type, payload))
    envelope = {"payload": b64(payload), "payloadType": args.payload_type, "signatures": [{"sig": b64(signature)}]}
    body = {"apiVersion": "0.0.1", "kind": "dsse", "spec": {
        # Rekor hashes the envelope as submitted; sigstore-python submits (and we write) this compact form.
        "envelopeHash": {"algorithm": "sha256", "value": sha256(canonical_json(envelope)).hex()},
        "payloadHash": {"algorithm": "sha256", "value": sha256(payload).hex()},
        "signatures": [{"signature": b64(signature), "verifier": b64(cert_pem(cert))}],
    }}
    return write_bundle(args, cert, signature, "dsse", body, {"dsseEnvelope": envelope})


def cmd_sign_blob(args) -> int:
    artifact = Path(args.artifact).read_bytes()
    key = ec.generate_private_key(ec.SECP256R1())
    cert = issue_signing_certificate(Path(args.dir), key.public_key(), args.identity, args.issuer)
    signature, digest = ecdsa_sign(key, artifact), sha256(artifact)
    body = {"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
        "data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
        "signature": {"content": b64(signature), "publicKey": {"content": b64(cert_pem(cert))}},
    }}
    content = {"messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": b64(digest)},
                                    "signature": b64(signature)}}
    return write_bundle(args, cert, signature, "hashedrekord", body, content)


def cmd_verify(args) -> int:
    # Built straight from the trusted root: no TUF, no signing config, nothing contacts a server.
    verifier = Verifier(trusted_root=TrustedRoot.from_file(str(Path(args.dir) / "trusted_root.json")))
    identity = policy.Identity(identity=args.identity, issuer=args.issuer)
    try:
        bundle = Bundle.from_json(Path(args.bundle).read_bytes())
        if args.dsse:
            verifier.verify_dsse(bundle, identity)
        else:
            verifier.verify_artifact(Path(args.artifact).read_bytes(), bundle, identity)
    except (SigstoreError, ValueError) as error:  # pydantic's ValidationError is a ValueError
        print(f"FAILED: {type(error).__name__}: {error}")
        return 1
    print("OK")
    return 0


def parse_args(argv: list) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="make a new instance in DIR").add_argument("dir")

    signer = argparse.ArgumentParser(add_help=False)
    signer.add_argument("dir")
    signer.add_argument("--identity", required=True, help="SAN: a URI if it contains ://, else an email")
    signer.add_argument("--issuer", required=True, help="OIDC issuer URL recorded in the certificate")
    signer.add_argument("--out", required=True, help="where to write the bundle")
    signer.add_argument("--timestamp", action="store_true", help="add an RFC 3161 timestamp")
    signer.add_argument("--no-tlog-time", action="store_true",
                        help="omit the inclusion promise, so only --timestamp proves the signing time")
    dsse = commands.add_parser("sign-dsse", parents=[signer], help="sign a DSSE envelope")
    dsse.add_argument("--payload-type", required=True)
    dsse.add_argument("--payload", required=True, help="file holding the payload bytes")
    commands.add_parser("sign-blob", parents=[signer], help="sign a file (message signature)").add_argument(
        "--artifact", required=True)

    verify = commands.add_parser("verify", help="verify a bundle with sigstore-python against DIR's trusted root")
    verify.add_argument("dir")
    verify.add_argument("--bundle", required=True)
    verify.add_argument("--identity", required=True)
    verify.add_argument("--issuer", required=True)
    what = verify.add_mutually_exclusive_group(required=True)
    what.add_argument("--artifact", help="the signed file (message-signature bundles)")
    what.add_argument("--dsse", action="store_true", help="the bundle holds a DSSE envelope")
    return parser.parse_args(argv)


def main(argv: list) -> int:
    args = parse_args(argv)
    commands = {"init": cmd_init, "sign-dsse": cmd_sign_dsse, "sign-blob": cmd_sign_blob, "verify": cmd_verify}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
