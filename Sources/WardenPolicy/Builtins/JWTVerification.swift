import Crypto
import Foundation
import _CryptoExtras

/// `io.jwt.verify_*`: each takes a compact JWS and a key (a PEM public key, or for HS* the
/// shared secret) and answers whether the signature holds for that algorithm. A token whose
/// header names another algorithm does not verify.
extension Builtins {
    static let jwtVerifiers: [String: Builtin] = Dictionary(
        uniqueKeysWithValues: JWT.algorithms.map { algorithm in
            (
                "io.jwt.verify_\(algorithm.lowercased())",
                fixed(2) { args in .bool(try JWT(try args.string(0)).verify(key: try args.string(1), algorithm: algorithm)) }
            )
        })
}

extension JWT {
    static let algorithms = [
        "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "HS256", "HS384", "HS512", "EdDSA",
    ]

    func verify(key: String, algorithm: String) throws -> Bool {
        guard header[.string("alg")] == .string(algorithm) else { return false }
        let input = Data(signingInput)
        switch algorithm {
        case "ES256":
            let publicKey = try Self.parse { try P256.Signing.PublicKey(pemRepresentation: key) }
            guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return publicKey.isValidSignature(parsed, for: SHA256.hash(data: input))
        case "ES384":
            let publicKey = try Self.parse { try P384.Signing.PublicKey(pemRepresentation: key) }
            guard let parsed = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return publicKey.isValidSignature(parsed, for: SHA384.hash(data: input))
        case "ES512":
            let publicKey = try Self.parse { try P521.Signing.PublicKey(pemRepresentation: key) }
            guard let parsed = try? P521.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return publicKey.isValidSignature(parsed, for: SHA512.hash(data: input))
        case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
            let publicKey = try Self.parse { try _RSA.Signing.PublicKey(pemRepresentation: key) }
            let padding: _RSA.Signing.Padding = algorithm.hasPrefix("PS") ? .PSS : .insecurePKCS1v1_5
            let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: signature)
            switch algorithm.suffix(3) {
            case "256": return publicKey.isValidSignature(rsaSignature, for: SHA256.hash(data: input), padding: padding)
            case "384": return publicKey.isValidSignature(rsaSignature, for: SHA384.hash(data: input), padding: padding)
            default: return publicKey.isValidSignature(rsaSignature, for: SHA512.hash(data: input), padding: padding)
            }
        case "HS256":
            return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: input, using: SymmetricKey(data: Data(key.utf8)))
        case "HS384":
            return HMAC<SHA384>.isValidAuthenticationCode(signature, authenticating: input, using: SymmetricKey(data: Data(key.utf8)))
        case "HS512":
            return HMAC<SHA512>.isValidAuthenticationCode(signature, authenticating: input, using: SymmetricKey(data: Data(key.utf8)))
        case "EdDSA":
            let publicKey = try Self.parse { try Curve25519.Signing.PublicKey(rawRepresentation: try Self.ed25519Key(pem: key)) }
            return publicKey.isValidSignature(signature, for: input)
        default:
            return false
        }
    }

    private static func parse<Key>(_ make: () throws -> Key) throws -> Key {
        do { return try make() } catch { throw BuiltinError(message: "failed to parse PEM key") }
    }

    /// The 32 key bytes of an Ed25519 SubjectPublicKeyInfo in PEM (the fixed 12-byte prefix
    /// names the algorithm, OID 1.3.101.112).
    private static func ed25519Key(pem: String) throws -> Data {
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let prefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
        guard let der = Data(base64Encoded: body), der.count == 44, Array(der.prefix(12)) == prefix else {
            throw BuiltinError(message: "failed to parse PEM key")
        }
        return der.suffix(32)
    }
}
