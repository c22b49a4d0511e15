import SwiftASN1
import X509

/// The X509-SVID specification's rules for a leaf (sections 4.1–4.4), which RFC 5280 alone does
/// not impose: the leaf is not a CA, its keyUsage is present with digitalSignature and neither
/// keyCertSign nor cRLSign, and its extended key usages, when named, include the one its role
/// needs (a server-only certificate from the same CA is not a client identity). A CA
/// certificate carrying an allowed SPIFFE ID was once accepted as a client; it is refused here,
/// at the handshake. (The one URI SAN and its path are checked after the chain verifies.)
struct X509SVIDPolicy: VerifierPolicy {
    let role: PeerVerifier.Role
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

    /// Why a leaf is not an X509-SVID, as a stable rule name (audit events and metrics use it).
    enum Violation: String, Sendable {
        case leafIsCA = "svid_leaf_is_ca"
        case keyUsageMissing = "svid_key_usage_missing"
        case keyUsageWithoutDigitalSignature = "svid_key_usage_without_digital_signature"
        case keyUsageSignsCertificates = "svid_key_usage_signs_certificates"
        case wrongExtendedKeyUsage = "svid_extended_key_usage"
        case malformedExtension = "svid_malformed_extension"
    }

    static func violation(of leaf: Certificate, role: PeerVerifier.Role) -> Violation? {
        let constraints: BasicConstraints?
        let usage: KeyUsage?
        let extended: ExtendedKeyUsage?
        do {
            constraints = try leaf.extensions.basicConstraints
            usage = try leaf.extensions.keyUsage
            extended = try leaf.extensions.extendedKeyUsage
        } catch {
            return .malformedExtension
        }
        if case .isCertificateAuthority = constraints { return .leafIsCA }
        guard let usage else { return .keyUsageMissing }
        guard usage.digitalSignature else { return .keyUsageWithoutDigitalSignature }
        guard !usage.keyCertSign, !usage.cRLSign else { return .keyUsageSignsCertificates }
        if let extended, !extended.contains(role == .client ? .clientAuth : .serverAuth) { return .wrongExtendedKeyUsage }
        return nil
    }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        guard let violation = Self.violation(of: chain.leaf, role: role) else { return .meetsPolicy }
        return .failsToMeetPolicy(reason: violation.rawValue)
    }
}
