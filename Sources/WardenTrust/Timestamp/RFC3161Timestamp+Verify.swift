import Crypto
import Foundation
import SwiftASN1
import X509

extension RFC3161Timestamp {
    /// The time this timestamp proves for `stamped` (a bundle's signature), once it is shown
    /// to be over those bytes and signed by a timestamp authority of `root` that was trusted at
    /// that time, through a certificate chain valid at that time. An authority's chain that
    /// has expired since still counts: what matters is when it stamped.
    public func verifiedTime(over stamped: [UInt8], in root: TrustedRoot) async throws(TrustFailure) -> Date {
        guard hashedMessage == Self.hash(stamped, with: hashAlgorithm) else {
            throw TrustFailure(.timestampInvalid, "the RFC 3161 timestamp is not over this bundle's signature")
        }
        guard signer.contentType == Self.tstInfoType, signer.messageDigest == Self.hash(content, with: signer.digestAlgorithm) else {
            throw TrustFailure(.timestampInvalid, "the timestamp's signed attributes do not describe its TSTInfo")
        }
        let authorities = root.timestampAuthorities.filter { $0.validity.contains(time) }
        guard !authorities.isEmpty else {
            throw TrustFailure(.timestampInvalid, "no timestamp authority of the trusted root was trusted at \(time)")
        }
        for authority in authorities {
            guard let root = authority.chain.last else { continue }
            let candidates = (certificates + authority.chain.prefix(1)).filter(signer.names)
            for candidate in candidates
            where VerificationKey(candidate.publicKey).isValidSignature(
                signer.signature, for: signer.signedAttributes, hash: signer.signatureHash)
            {
                let outcome = await ChainValidation.validate(
                    leaf: candidate, intermediates: authority.chain.dropLast() + certificates, roots: [root], at: time,
                    leafRules: TimestampingLeafPolicy())
                if case .valid = outcome { return time }
            }
        }
        throw TrustFailure(
            .timestampInvalid, "the RFC 3161 timestamp is not signed by a timestamp authority of the trusted root valid at \(time)")
    }

    static func hash(_ bytes: [UInt8], with hash: VerificationKey.SignatureHash) -> [UInt8] {
        switch hash {
        case .sha256: Array(SHA256.hash(data: bytes))
        case .sha384: Array(SHA384.hash(data: bytes))
        case .sha512: Array(SHA512.hash(data: bytes))
        }
    }
}

/// A timestamp signer's certificate must be meant for timestamping (RFC 3161 §2.3): a
/// certificate a TSA's CA issued for anything else does not stamp.
struct TimestampingLeafPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        guard let usage = try? chain.leaf.extensions.extendedKeyUsage, usage.contains(.timeStamping) else {
            return .failsToMeetPolicy(reason: "the timestamp signer's certificate is not for timestamping")
        }
        return .meetsPolicy
    }
}
