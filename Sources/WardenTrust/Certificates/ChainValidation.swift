import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// X.509 path validation, in one place for every chain Warden checks — a client's or a
/// server's SVID at the handshake, a trust policy's certificate chains, a Fulcio signing
/// certificate, an RFC 3161 timestamp authority: RFC 5280 (names, signatures, basic
/// constraints and path length, name constraints) at a given time, plus the leaf rules of
/// that use. The time is explicit because signatures are judged when they were made.
public enum ChainValidation {
    /// The chain found, leaf first, or the first failure's reason.
    public enum Outcome: Sendable {
        case valid([Certificate])
        case invalid(reason: String)
    }

    public static func validate(
        leaf: Certificate, intermediates: [Certificate], roots: [Certificate], at time: Date, leafRules: some VerifierPolicy
    ) async -> Outcome {
        var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
            RFC5280Policy(fixedExpiryValidationTime: time)
            leafRules
        }
        switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates)) {
        case let .validCertificate(chain):
            return .valid(Array(chain))
        case let .couldNotValidate(failures):
            return .invalid(reason: failures.first.map { String(describing: $0.policyFailureReason) } ?? "no chain to a trusted root")
        }
    }
}

/// Two leaf rules as one (a Fulcio certificate is a code-signing leaf that names its identity).
public struct BothLeafRules<First: VerifierPolicy, Second: VerifierPolicy>: VerifierPolicy {
    var first: First
    var second: Second

    public init(_ first: First, _ second: Second) {
        self.first = first
        self.second = second
    }

    public var verifyingCriticalExtensions: [ASN1ObjectIdentifier] {
        first.verifyingCriticalExtensions + second.verifyingCriticalExtensions
    }

    public mutating func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        let firstResult = await first.chainMeetsPolicyRequirements(chain: chain)
        if case .failsToMeetPolicy = firstResult { return firstResult }
        return await second.chainMeetsPolicyRequirements(chain: chain)
    }
}
