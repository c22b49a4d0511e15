import SwiftASN1
import X509

/// Who a Fulcio certificate says signed: the identity in its subject alternative name (a URI
/// for workloads such as CI workflows, an email for people) and the OIDC issuer that vouched
/// for it, from Fulcio's extension 1.3.6.1.4.1.57264.1.8 (a DER UTF8String) or, on older
/// certificates, 1.3.6.1.4.1.57264.1.1 (the raw string).
public struct FulcioIdentity: Sendable, Equatable, CustomStringConvertible {
    public let subjectAlternativeName: String
    public let issuer: String

    static let issuerV2: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 8]
    static let issuerV1: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 1]

    public init(subjectAlternativeName: String, issuer: String) {
        self.subjectAlternativeName = subjectAlternativeName
        self.issuer = issuer
    }

    public init(certificate: Certificate) throws(TrustFailure) {
        var names: [String] = []
        if let sans = try? certificate.extensions.subjectAlternativeNames {
            for name in sans {
                switch name {
                case let .uniformResourceIdentifier(uri): names.append(uri)
                case let .rfc822Name(email): names.append(email)
                default: continue
                }
            }
        }
        guard names.count == 1 else {
            throw TrustFailure(
                .certificateInvalid, "the signing certificate must name exactly one identity (URI or email), not \(names.count)")
        }
        subjectAlternativeName = names[0]
        var v2: String?
        if let ext = certificate.extensions[oid: Self.issuerV2] {
            guard let value = try? ASN1UTF8String(derEncoded: ext.value) else {
                throw TrustFailure(.certificateInvalid, "the certificate's OIDC issuer extension is not a UTF8String")
            }
            v2 = String(value)
        }
        let v1 = certificate.extensions[oid: Self.issuerV1].map { String(decoding: $0.value, as: UTF8.self) }
        // Verifiers differ in which of the two they read: a certificate naming two issuers names none.
        if let v1, let v2, v1 != v2 {
            throw TrustFailure(.certificateInvalid, "the certificate names two OIDC issuers, \(v1) and \(v2)")
        }
        guard let found = v2 ?? v1, !found.isEmpty else { throw TrustFailure(.certificateInvalid, "the certificate names no OIDC issuer") }
        issuer = found
    }

    public var description: String { "\(subjectAlternativeName) (issuer \(issuer))" }
}

/// Which keyless signers to accept: an identity and an issuer, each exact or a pattern that
/// must match the whole value (cosign's --certificate-identity[-regexp] and
/// --certificate-oidc-issuer[-regexp]).
public struct KeylessIdentityPolicy: Sendable, CustomStringConvertible {
    public enum Match: Sendable, CustomStringConvertible {
        case exact(String)
        case pattern(String)

        func matches(_ value: String) throws(TrustFailure) -> Bool {
            switch self {
            case let .exact(expected): return value == expected
            case let .pattern(pattern):
                let regex: Regex<AnyRegexOutput>
                do {
                    regex = try Regex(pattern)
                } catch {
                    throw TrustFailure(.malformedStatement, "identity pattern \(pattern) is not a valid regular expression")
                }
                return (try? regex.wholeMatch(in: value)) != nil
            }
        }

        public var description: String {
            switch self {
            case let .exact(value): value
            case let .pattern(pattern): "/\(pattern)/"
            }
        }
    }

    public let identity: Match
    public let issuer: Match

    public init(identity: Match, issuer: Match) {
        self.identity = identity
        self.issuer = issuer
    }

    public func check(_ signer: FulcioIdentity) throws(TrustFailure) {
        guard try issuer.matches(signer.issuer) else {
            throw TrustFailure(.identityMismatch, "signed through issuer \(signer.issuer), expected \(issuer)")
        }
        guard try identity.matches(signer.subjectAlternativeName) else {
            throw TrustFailure(.identityMismatch, "signed by \(signer.subjectAlternativeName), expected \(identity)")
        }
    }

    public var description: String { "\(identity) via \(issuer)" }
}
