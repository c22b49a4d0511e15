import Crypto
import SwiftASN1
import WardenTrust
import X509
import _CryptoExtras

/// A token's public key object (CKA_KEY_TYPE and its attributes) turned into the
/// SubjectPublicKeyInfo Warden verifies with.
enum PKCS11PublicKey {
    /// The curves Warden signs with, by the DER OID a token stores in CKA_EC_PARAMS.
    enum Curve: CaseIterable {
        case p256, p384, p521

        var parametersDER: [UInt8] {
            switch self {
            case .p256: [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
            case .p384: [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22]
            case .p521: [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x23]
            }
        }

        /// Bytes of an uncompressed point: 0x04, x, y.
        var pointLength: Int {
            switch self {
            case .p256: 65
            case .p384: 97
            case .p521: 133
            }
        }
    }

    static func curve(parameters: [UInt8], at location: String) throws(TrustFailure) -> Curve {
        guard let curve = Curve.allCases.first(where: { $0.parametersDER == parameters }) else {
            throw TrustFailure(
                .unsupportedKey, "\(location): the EC key's curve (CKA_EC_PARAMS \(Hex.encode(parameters))) is not P-256, P-384 or P-521")
        }
        return curve
    }

    /// CKA_EC_POINT is a DER OCTET STRING around the point in the specification; some tokens
    /// store the bare point. Both are read.
    static func ec(curve: Curve, point stored: [UInt8], at location: String) throws(TrustFailure) -> VerificationKey {
        var point = stored
        if point.count != curve.pointLength, let node = try? DER.parse(stored), let octets = try? ASN1OctetString(derEncoded: node) {
            point = Array(octets.bytes)
        }
        let key: Certificate.PublicKey?
        switch curve {
        case .p256: key = (try? P256.Signing.PublicKey(x963Representation: point)).map(Certificate.PublicKey.init)
        case .p384: key = (try? P384.Signing.PublicKey(x963Representation: point)).map(Certificate.PublicKey.init)
        case .p521: key = (try? P521.Signing.PublicKey(x963Representation: point)).map(Certificate.PublicKey.init)
        }
        guard let key else { throw TrustFailure(.unsupportedKey, "\(location): CKA_EC_POINT is not an uncompressed point on its curve") }
        return VerificationKey(key)
    }

    /// An RSA key from its modulus and public exponent (big-endian, as PKCS#11 stores them).
    static func rsa(modulus: [UInt8], exponent: [UInt8], at location: String) throws(TrustFailure) -> VerificationKey {
        do {
            var serializer = DER.Serializer()
            try serializer.appendConstructedNode(identifier: .sequence) { sequence in
                try sequence.serialize(ArraySlice(modulus))
                try sequence.serialize(ArraySlice(exponent))
            }
            let key = try _RSA.Signing.PublicKey(derRepresentation: serializer.serializedBytes)
            return VerificationKey(Certificate.PublicKey(key))
        } catch {
            throw TrustFailure(
                .unsupportedKey, "\(location): the RSA key is not usable (\(modulus.count * 8) bits; 2048 or more are needed)")
        }
    }
}
