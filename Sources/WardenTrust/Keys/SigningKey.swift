import Crypto
import Foundation
import SwiftASN1
import X509

/// A key Warden signs with (`warden sign`, `attest`, `revocation publish`, `push`): ECDSA P-256
/// or P-384, or Ed25519, held in memory from a PKCS#8 PEM file, or a key that never leaves an
/// HSM or a KMS. ECDSA signatures are DER over the curve's hash, the form model_signing, cosign
/// and securesystemslib produce.
public enum SigningKey: Sendable {
    case p256(P256.Signing.PrivateKey)
    case p384(P384.Signing.PrivateKey)
    case ed25519(Curve25519.Signing.PrivateKey)
    /// A key in a PKCS#11 token or a cloud KMS: it signs there, and only its public half is here.
    case external(any ExternalSigningKey)

    public enum Algorithm: String, Sendable, CaseIterable, CustomStringConvertible {
        case p256 = "ecdsa-p256", p384 = "ecdsa-p384", ed25519

        public var description: String { rawValue }
    }

    public static func generate(_ algorithm: Algorithm) -> SigningKey {
        switch algorithm {
        case .p256: .p256(P256.Signing.PrivateKey())
        case .p384: .p384(P384.Signing.PrivateKey())
        case .ed25519: .ed25519(Curve25519.Signing.PrivateKey())
        }
    }

    /// The PKCS#8 DER prefix of an Ed25519 private key (RFC 8410); the 32-byte seed follows.
    private static let ed25519PKCS8Prefix: [UInt8] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]

    public init(pem: String) throws(TrustFailure) {
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            self = .p256(key)
        } else if let key = try? P384.Signing.PrivateKey(pemRepresentation: pem) {
            self = .p384(key)
        } else if let document = try? PEMDocument(pemString: pem), document.discriminator == "PRIVATE KEY",
            document.derBytes.count == 48, Array(document.derBytes.prefix(16)) == Self.ed25519PKCS8Prefix,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: document.derBytes.suffix(32))
        {
            self = .ed25519(key)
        } else {
            throw TrustFailure(.malformedKey, "not a PEM ECDSA P-256/P-384 or Ed25519 private key")
        }
    }

    /// The PKCS#8 PEM of a key held in memory; nil for a key in an HSM or KMS, which cannot leave it.
    public var pemRepresentation: String? {
        switch self {
        case let .p256(key): return key.pemRepresentation + "\n"
        case let .p384(key): return key.pemRepresentation + "\n"
        case let .ed25519(key):
            return PEMDocument(type: "PRIVATE KEY", derBytes: Self.ed25519PKCS8Prefix + Array(key.rawRepresentation)).pemString + "\n"
        case .external: return nil
        }
    }

    public var publicKey: VerificationKey {
        switch self {
        case let .p256(key): VerificationKey(Certificate.PublicKey(key.publicKey))
        case let .p384(key): VerificationKey(Certificate.PublicKey(key.publicKey))
        case let .ed25519(key): VerificationKey(Certificate.PublicKey(key.publicKey))
        case let .external(key): key.publicKey
        }
    }

    /// Signs `message`. A key in an HSM or KMS is asked over its own channel, and its answer is
    /// checked against its public key before it is used: a token or KMS that signs with some
    /// other key is refused here, not by a verifier later.
    public func signature(for message: [UInt8]) async throws(TrustFailure) -> [UInt8] {
        do {
            switch self {
            case let .p256(key): return Array(try key.signature(for: SHA256.hash(data: message)).derRepresentation)
            case let .p384(key): return Array(try key.signature(for: SHA384.hash(data: message)).derRepresentation)
            case let .ed25519(key): return Array(try key.signature(for: message))
            case let .external(key):
                let signature = try await key.signature(for: message)
                guard key.publicKey.isValidSignature(signature, for: message) else {
                    throw TrustFailure(.keyMismatch, "\(key.location) returned a signature its public key \(key.publicKey) does not verify")
                }
                return signature
            }
        } catch let failure as TrustFailure {
            throw failure
        } catch {
            throw TrustFailure(.malformedKey, "signing failed: \(error)")
        }
    }
}

extension VerificationKey {
    /// PEM SubjectPublicKeyInfo with 64-column lines and a final newline, byte for byte what
    /// Python's `cryptography` writes, so hints computed over it agree with model_signing's.
    public var pemRepresentation: String {
        PEMDocument(type: "PUBLIC KEY", derBytes: derBytes).pemString + "\n"
    }

    /// model_signing's key hint: SHA-256 of the PEM text, in hex.
    public var modelSigningHint: String { SHA256Digest.of(Array(pemRepresentation.utf8)).hex }
}
