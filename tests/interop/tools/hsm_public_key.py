"""Writes the public key of a PKCS#11 token object as PEM, read with PyKCS11 (model_signing's
own PKCS#11 binding) and encoded by `cryptography`: an export that shares no code with Warden.

usage: hsm_public_key.py MODULE TOKEN_LABEL OBJECT_LABEL OUT.pem
"""

import sys

import PyKCS11
from asn1crypto.core import OctetString
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

CURVES = {
    "06082a8648ce3d030107": ec.SECP256R1(),
    "06052b81040022": ec.SECP384R1(),
    "06052b81040023": ec.SECP521R1(),
    "06052b8104000a": ec.SECP256K1(),
}


def main(module: str, token_label: str, object_label: str, out: str) -> None:
    library = PyKCS11.PyKCS11Lib()
    library.load(module)
    slot = next(s for s in library.getSlotList(tokenPresent=True) if library.getTokenInfo(s).label.strip() == token_label)
    session = library.openSession(slot)
    (key,) = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PUBLIC_KEY), (PyKCS11.CKA_LABEL, object_label)])
    (key_type,) = session.getAttributeValue(key, [PyKCS11.CKA_KEY_TYPE])
    if key_type == PyKCS11.CKK_RSA:
        modulus, exponent = session.getAttributeValue(key, [PyKCS11.CKA_MODULUS, PyKCS11.CKA_PUBLIC_EXPONENT])
        public = rsa.RSAPublicNumbers(int.from_bytes(bytes(exponent), "big"), int.from_bytes(bytes(modulus), "big")).public_key()
    else:
        params, point = session.getAttributeValue(key, [PyKCS11.CKA_EC_PARAMS, PyKCS11.CKA_EC_POINT])
        curve = CURVES[bytes(params).hex()]
        public = ec.EllipticCurvePublicKey.from_encoded_point(curve, bytes(OctetString.load(bytes(point))))
    with open(out, "wb") as handle:
        handle.write(public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


if __name__ == "__main__":
    main(*sys.argv[1:])
