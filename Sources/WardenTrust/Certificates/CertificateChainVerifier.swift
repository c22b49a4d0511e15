import Foundation
import SwiftASN1
import X509

/// Verifies a signer's certificate chain (leaf first, then intermediates) up to roots Warden
/// was configured with, under RFC 5280 rules at a given time, and requires the leaf to be
/// meant for code signing.
public struct CertificateChainVerifier: Sendable {
    public let roots: [Certificate]

    public init(roots: [Certificate]) {
        self.roots = roots
    }

    /// Reads every `CERTIFICATE` block of the PEM texts as a root.
    public init(rootPEMs: [String]) throws(TrustFailure) {
        var roots: [Certificate] = []
        for text in rootPEMs {
            let blocks: [PEM.Block]
            do {
                blocks = try PEM.blocks(in: text)
            } catch {
                throw TrustFailure(.malformedCertificate, "trust root file is not PEM")
            }
            for block in blocks where block.label == "CERTIFICATE" {
                do {
                    roots.append(try Certificate(derEncoded: block.der))
                } catch {
                    throw TrustFailure(.malformedCertificate, "a trust root is not a valid X.509 certificate")
                }
            }
        }
        guard !roots.isEmpty else { throw TrustFailure(.malformedCertificate, "no trust root certificate given") }
        self.init(roots: roots)
    }

    /// The validated leaf certificate, or the reason the chain is refused.
    public func validate(chain: [[UInt8]], at time: Date) async throws(TrustFailure) -> Certificate {
        guard let leafBytes = chain.first else { throw TrustFailure(.certificateInvalid, "the certificate chain is empty") }
        let leaf: Certificate
        var intermediates: [Certificate] = []
        do {
            leaf = try Certificate(derEncoded: leafBytes)
            for bytes in chain.dropFirst() { intermediates.append(try Certificate(derEncoded: bytes)) }
        } catch {
            throw TrustFailure(.malformedCertificate, "a certificate in the chain is not valid X.509")
        }
        switch await ChainValidation.validate(
            leaf: leaf, intermediates: intermediates, roots: roots, at: time, leafRules: CodeSigningLeafPolicy())
        {
        case .valid:
            return leaf
        case let .invalid(reason):
            throw TrustFailure(.certificateInvalid, "certificate \(Self.identity(of: leaf)) is not valid at \(time): \(reason)")
        }
    }

    /// The signer identity to report: the first SAN (email, URI or DNS name), else the subject.
    public static func identity(of certificate: Certificate) -> String {
        if let names = try? certificate.extensions.subjectAlternativeNames {
            for name in names {
                switch name {
                case let .rfc822Name(email): return email
                case let .uniformResourceIdentifier(uri): return uri
                case let .dnsName(dns): return dns
                default: continue
                }
            }
        }
        return String(describing: certificate.subject)
    }
}

/// The leaf must be meant for signing: when it names extended key usages, code signing must be
/// one of them (a TLS server certificate from the same CA does not sign models); without any,
/// its key usage must allow digital signatures. model_signing accepts either of the two alone,
/// which would let a TLS certificate sign; Warden does not.
struct CodeSigningLeafPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        let extensions = chain.leaf.extensions
        if let usage = try? extensions.extendedKeyUsage {
            return usage.contains(.codeSigning)
                ? .meetsPolicy : .failsToMeetPolicy(reason: "the leaf certificate's extended key usage does not include code signing")
        }
        if let usage = try? extensions.keyUsage, usage.digitalSignature {
            return .meetsPolicy
        }
        return .failsToMeetPolicy(reason: "the leaf certificate allows neither code signing nor digital signatures")
    }
}
