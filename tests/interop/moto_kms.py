"""AWS KMS and STS for the KMS key tests: moto in server mode behind TLS from a private CA,
started by the tests. With `authenticated=True` moto checks every request's SigV4 signature
(with botocore's own signer) against IAM users it knows, so a signing mistake in Warden fails
there; the setup calls made with boto3 before that are the only unauthenticated ones."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from conftest import free_ports
from tls_pki import PrivatePKI

REGION = "eu-west-1"
ALLOW_KMS = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]})
WEB_IDENTITY_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.example"},
    "Action": "sts:AssumeRoleWithWebIdentity"}]})
# create_user, put_user_policy, create_access_key, create_role, put_role_policy, and the keys.
KEY_SPECS = {
    "p256": ("ECC_NIST_P256", "SIGN_VERIFY"),
    "p384": ("ECC_NIST_P384", "SIGN_VERIFY"),
    "secp256k1": ("ECC_SECG_P256K1", "SIGN_VERIFY"),
    "encryption": ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
}
SETUP_CALLS = 5 + len(KEY_SPECS)


@dataclass
class MotoKMS:
    root: Path
    authenticated: bool
    port: int = 0
    keys: dict[str, str] = field(default_factory=dict)
    role_arn: str = ""
    process: subprocess.Popen | None = None

    def start(self) -> "MotoKMS":
        pki = PrivatePKI(self.root / "pki", name="kms-ca")
        self.ca = pki.ca_file
        certificate, key = pki.issue("kms", server=True, ips=("127.0.0.1",), dns=("localhost",))
        (self.port,) = free_ports(1)
        env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_CALLS)} if self.authenticated else dict(os.environ)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port), "-c", str(certificate),
             "-k", str(key)],
            stdout=subprocess.DEVNULL, stderr=(self.root / "moto.log").open("w"), env=env)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and self.process.poll() is None, (self.root / "moto.log").read_text()
                time.sleep(0.1)
        self._set_up()
        return self

    def client(self, service: str):
        """A boto3 client: the setup identity first, the signer's key once it exists."""
        key_id, secret = getattr(self, "access_key_id", "setup"), getattr(self, "secret", "setup")
        return boto3.client(service, endpoint_url=self.url, region_name=REGION, aws_access_key_id=key_id,
                            aws_secret_access_key=secret, verify=str(self.ca))

    def _set_up(self) -> None:
        iam = self.client("iam")
        iam.create_user(UserName="release-signer")
        iam.put_user_policy(UserName="release-signer", PolicyName="kms", PolicyDocument=ALLOW_KMS)
        access = iam.create_access_key(UserName="release-signer")["AccessKey"]
        self.access_key_id, self.secret = access["AccessKeyId"], access["SecretAccessKey"]
        self.role_arn = iam.create_role(RoleName="warden-signer", AssumeRolePolicyDocument=WEB_IDENTITY_TRUST)["Role"]["Arn"]
        iam.put_role_policy(RoleName="warden-signer", PolicyName="kms", PolicyDocument=ALLOW_KMS)
        kms = boto3.client("kms", endpoint_url=self.url, region_name=REGION, aws_access_key_id="setup",
                           aws_secret_access_key="setup", verify=str(self.ca))
        for name, (spec, usage) in KEY_SPECS.items():
            self.keys[name] = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]
        self.credentials = self.write_credentials("credentials", self.access_key_id, self.secret)

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    def ref(self, name: str) -> str:
        return f"awskms://localhost:{self.port}/{self.keys.get(name, name)}"

    def write_credentials(self, name: str, key_id: str, secret: str) -> Path:
        path = self.root / name
        path.write_text(f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")
        path.chmod(0o600)
        return path

    def env(self, credentials: Path | None = None, **extra: str) -> dict[str, str]:
        """What Warden needs to reach this KMS: paths and names only, never a secret."""
        return {"AWS_SHARED_CREDENTIALS_FILE": str(credentials or self.credentials), "AWS_CA_BUNDLE": str(self.ca),
                "AWS_REGION": REGION, **extra}

    def public_pem(self, name: str) -> Path:
        der = self.client("kms").get_public_key(KeyId=self.keys[name])["PublicKey"]
        pem = self.root / f"{name}.pub.pem"
        subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-out", str(pem)], input=der, check=True, timeout=30)
        return pem

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
