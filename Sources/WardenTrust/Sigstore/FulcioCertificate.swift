import Foundation
import SwiftASN1
import X509

/// A short-lived keyless signing certificate, checked the way Sigstore trusts one: it chains to
/// a certificate authority of the trusted root that was trusted at the signing time, is valid
/// at that time, is meant for code signing, and carries an SCT from a CT log of the root.
struct FulcioCertificate {
    let leaf: Certificate
    let der: [UInt8]

    /// The bundle's chain: its leaf, and any intermediates. Trust comes only from the trusted
    /// root, so a bundle that carries a root (a self-signed certificate) of its own is refused.
    init(chain: [[UInt8]]) throws(TrustFailure) {
        guard let first = chain.first else { throw TrustFailure(.certificateInvalid, "the bundle's certificate chain is empty") }
        do {
            leaf = try Certificate(derEncoded: first)
            for bytes in chain.dropFirst() {
                let certificate = try Certificate(derEncoded: bytes)
                guard certificate.subject != certificate.issuer else {
                    throw TrustFailure(.certificateInvalid, "the bundle carries a root certificate; roots come only from the trusted root")
                }
            }
        } catch let failure as TrustFailure {
            throw failure
        } catch {
            throw TrustFailure(.malformedCertificate, "a certificate in the bundle is not valid X.509")
        }
        // A signing certificate that may issue others would make its holder a CA.
        if let constraints = try? leaf.extensions.basicConstraints, case .isCertificateAuthority = constraints {
            throw TrustFailure(.certificateInvalid, "the signing certificate is a CA certificate")
        }
        der = first
    }

    /// Checks the certificate at a verified signing time and returns the CA certificate that
    /// issued it.
    func verify(at time: Date, in root: TrustedRoot) async throws(TrustFailure) -> Certificate {
        guard leaf.notValidBefore <= time, time <= leaf.notValidAfter else {
            throw TrustFailure(
                .certificateInvalid, "the signing certificate is valid from \(leaf.notValidBefore) to \(leaf.notValidAfter), not at \(time)"
            )
        }
        let authorities = root.certificateAuthorities.filter { $0.validity.contains(time) }
        guard !authorities.isEmpty else {
            throw TrustFailure(.certificateInvalid, "no certificate authority of the trusted root was trusted at \(time)")
        }
        for authority in authorities {
            guard let anchor = authority.chain.last else { continue }
            let outcome = await ChainValidation.validate(
                leaf: leaf, intermediates: Array(authority.chain.dropLast()), roots: [anchor], at: time,
                leafRules: BothLeafRules(CodeSigningLeafPolicy(), IdentityNamedPolicy()))
            if case let .valid(chain) = outcome, chain.count >= 2 { return chain[1] }
        }
        throw TrustFailure(
            .certificateInvalid,
            "at \(time) the signing certificate does not chain to a certificate authority of the trusted root as a code-signing "
                + "certificate that names one identity and its OIDC issuer")
    }

    /// At least one embedded SCT verifies under a CT log of the root: the certificate was
    /// publicly logged when it was issued.
    func verifyTimestamps(issuer: Certificate, in root: TrustedRoot) throws(TrustFailure) {
        let scts = try EmbeddedSCT.all(in: leaf)
        guard !scts.isEmpty else { throw TrustFailure(.certificateInvalid, "the signing certificate carries no SCT") }
        guard scts.contains(where: { $0.isValid(for: leaf, issuer: issuer, in: root) }) else {
            throw TrustFailure(.certificateInvalid, "no SCT of the signing certificate verifies under a CT log of the trusted root")
        }
    }
}

/// A keyless certificate with no subject names its signer only in its SAN, which RFC 5280 then
/// requires to be critical. FulcioIdentity reads and matches that SAN, so the chain may accept it.
struct IdentityNamedPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.subjectAlternativeName]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        guard (try? FulcioIdentity(certificate: chain.leaf)) != nil else {
            return .failsToMeetPolicy(reason: "the signing certificate does not name exactly one identity and an OIDC issuer")
        }
        return .meetsPolicy
    }
}
