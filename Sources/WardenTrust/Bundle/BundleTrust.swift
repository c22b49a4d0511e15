import Foundation
import X509

/// The trusted material a bundle is verified against, chosen before any bundle is read.
public enum BundleTrust: Sendable {
    /// Managed keys: the bundle carries only a hint, the verifier holds the keys.
    case keys([TrustedKey])
    /// Certificates: the bundle carries the chain, the verifier holds the roots.
    case certificateAuthorities(CertificateChainVerifier)
    /// Sigstore: keyless identities (or managed keys) whose signing is proven by a
    /// transparency log and timestamps of a trusted root.
    case sigstore(SigstoreTrust)
}

extension SigstoreBundle {
    /// Verifies the bundle's signature over `message` (the DSSE pre-authentication encoding,
    /// or the artifact for a message signature) and names who made it.
    func signer(
        of message: SignedMessage, signature: [UInt8], trust: BundleTrust, at time: Date,
        ecdsaHash: VerificationKey.ECDSAHash = .matchingCurve
    ) async throws(TrustFailure) -> SignerIdentity {
        switch (trust, material) {
        case let (.sigstore(sigstore), _):
            return try await sigstoreSigner(of: message, signature: signature, trust: sigstore, now: time, ecdsaHash: ecdsaHash)
        case let (.keys(keys), .publicKey):
            switch keys.match(at: time, where: { message.isSigned(signature, by: $0, ecdsaHash: ecdsaHash) }) {
            case let .verified(key): return .key(name: key.name, fingerprint: key.key.fingerprint)
            case let .outsideValidity(key):
                throw TrustFailure(.keyNotValidAtTime, "signed by key \(key.name), which is not trusted at \(time)")
            case .noTrustedKey:
                throw TrustFailure(.untrustedKey, "the signature does not verify with any trusted key")
            }
        case let (.certificateAuthorities(verifier), .certificates(chain)):
            let leaf = try await verifier.validate(chain: chain, at: time)
            guard message.isSigned(signature, by: VerificationKey(leaf.publicKey), ecdsaHash: ecdsaHash) else {
                throw TrustFailure(.signatureInvalid, "the signature does not verify with the signing certificate's key")
            }
            return .certificate(identity: CertificateChainVerifier.identity(of: leaf), issuer: String(describing: leaf.issuer))
        case (.keys, .certificates):
            throw TrustFailure(.untrustedKey, "the bundle is signed with a certificate, but only keys are trusted")
        case (.certificateAuthorities, .publicKey):
            throw TrustFailure(.untrustedKey, "the bundle is signed with a bare key, but only certificate authorities are trusted")
        }
    }
}
