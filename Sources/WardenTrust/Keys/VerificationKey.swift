import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// A public key that verifies signatures: ECDSA P-256/P-384/P-521, Ed25519 or RSA, read from
/// PEM or DER SubjectPublicKeyInfo (the form `openssl`, cosign and model_signing write).
public struct VerificationKey: Sendable, Hashable, CustomStringConvertible {
    public let spki: Certificate.PublicKey

    public init(_ key: Certificate.PublicKey) {
        spki = key
    }

    public init(pem: String) throws(TrustFailure) {
        let blocks = (try? PEM.blocks(in: pem)) ?? []
        guard blocks.count == 1, blocks[0].label == "PUBLIC KEY", let key = try? Certificate.PublicKey(derEncoded: blocks[0].der) else {
            throw TrustFailure(.malformedKey, "not a PEM SubjectPublicKeyInfo public key (P-256, P-384, P-521, Ed25519 or RSA)")
        }
        spki = key
    }

    public init(der: [UInt8]) throws(TrustFailure) {
        do {
            spki = try Certificate.PublicKey(derEncoded: der)
        } catch {
            throw TrustFailure(.malformedKey, "not a DER SubjectPublicKeyInfo public key")
        }
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo: the key id model_signing and Warden's receipts use.
    public var fingerprint: SHA256Digest {
        SHA256Digest.of(derBytes)
    }

    /// The DER SubjectPublicKeyInfo.
    public var derBytes: [UInt8] {
        var serializer = DER.Serializer()
        // Serializing a key that was parsed from DER cannot fail.
        try! serializer.serialize(spki)
        return serializer.serializedBytes
    }

    public var algorithm: String {
        if P256.Signing.PublicKey(spki) != nil { return "ecdsa-p256" }
        if P384.Signing.PublicKey(spki) != nil { return "ecdsa-p384" }
        if P521.Signing.PublicKey(spki) != nil { return "ecdsa-p521" }
        if Curve25519.Signing.PublicKey(spki) != nil { return "ed25519" }
        return "rsa"
    }

    public var description: String { "\(algorithm) key \(fingerprint.hex.prefix(16))" }

    /// Verifies `signature` over `message`. ECDSA signatures are DER and use the hash that
    /// matches the curve (SHA-256, -384, -512), as Sigstore and model_signing sign; RSA accepts
    /// PKCS#1 v1.5 and PSS, both with SHA-256; Ed25519 signs the message itself.
    public func isValidSignature(_ signature: [UInt8], for message: some DataProtocol, ecdsaHash: ECDSAHash = .matchingCurve) -> Bool {
        // Ed25519 ignores the hash; RSA and P-256 use SHA-256 either way.
        var hash = SignatureHash.sha256
        if ecdsaHash == .matchingCurve, P384.Signing.PublicKey(spki) != nil { hash = .sha384 }
        if ecdsaHash == .matchingCurve, P521.Signing.PublicKey(spki) != nil { hash = .sha512 }
        return isValidSignature(signature, for: message, hash: hash)
    }

    /// Verifies `signature` over `message` hashed with `hash` (what a CMS signer names); an
    /// Ed25519 key signs the message itself.
    public func isValidSignature(_ signature: [UInt8], for message: some DataProtocol, hash: SignatureHash) -> Bool {
        if let key = Curve25519.Signing.PublicKey(spki) { return key.isValidSignature(signature, for: Array(message)) }
        switch hash {
        case .sha256: return isValidSignature(signature, digest: SHA256.hash(data: message))
        case .sha384: return isValidSignature(signature, digest: SHA384.hash(data: message))
        case .sha512: return isValidSignature(signature, digest: SHA512.hash(data: message))
        }
    }

    /// Verifies an ECDSA `signature` over a message known only by its SHA-256 digest (an
    /// artifact named `sha256:<hex>`). RSA and Ed25519 cannot verify a bare digest here.
    public func isValidSignature(_ signature: [UInt8], forSHA256 digest: SHA256Digest) -> Bool {
        guard _RSA.Signing.PublicKey(spki) == nil, Curve25519.Signing.PublicKey(spki) == nil else { return false }
        return isValidSignature(signature, digest: PrecomputedSHA256(bytes: digest.bytes))
    }

    private func isValidSignature<D: Digest>(_ signature: [UInt8], digest: D) -> Bool {
        if let key = P256.Signing.PublicKey(spki) {
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: digest)
        }
        if let key = P384.Signing.PublicKey(spki) {
            guard let parsed = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: digest)
        }
        if let key = P521.Signing.PublicKey(spki) {
            guard let parsed = try? P521.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: digest)
        }
        // swift-crypto's RSA needs to know the digest's type: only its own digests may reach here.
        if let key = _RSA.Signing.PublicKey(spki), !(digest is PrecomputedSHA256) {
            let parsed = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return key.isValidSignature(parsed, for: digest, padding: .insecurePKCS1v1_5)
                || key.isValidSignature(parsed, for: digest, padding: .PSS)
        }
        return false
    }

    /// The hash a signature was made over.
    public enum SignatureHash: Sendable {
        case sha256, sha384, sha512
    }

    /// Which hash an ECDSA signature was made over.
    public enum ECDSAHash: Sendable {
        /// SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521: what current signers use.
        case matchingCurve
        /// SHA-256 whatever the curve: model_signing 0.2 signed this way.
        case sha256
    }
}

/// A SHA-256 digest Warden did not compute itself, in the shape swift-crypto's ECDSA verifies.
private struct PrecomputedSHA256: Digest {
    static let byteCount = 32
    let bytes: [UInt8]

    func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try bytes.withUnsafeBytes(body) }
    var description: String { "SHA256 digest: \(Hex.encode(bytes))" }
}
