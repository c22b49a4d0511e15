import Foundation

/// Who may sign what: the keys and certificate authorities Warden trusts, and for each kind
/// of evidence (the model signature, approval, scan, SBOM, revocation list) which of them may
/// sign it. Written by the platform team, mounted read-only; see docs/trust.md.
public struct TrustPolicy: Sendable {
    /// A certificate authority and the signer identities (SAN email/URI) it may vouch for.
    public struct Authority: Sendable {
        public let name: String
        public let verifier: CertificateChainVerifier
        /// Empty: any identity the authority certifies.
        public let identities: [String]
    }

    public struct AttestationRule: Sendable {
        public let signers: [String]
        public let required: Bool
        /// Scans only: the highest severity a finding may have and still pass.
        public let maximumSeverity: Severity?
    }

    public struct RevocationRule: Sendable {
        public let signers: [String]
        /// Tag (in the model's store) or reference of the signed revocation list.
        public let reference: String
        /// Remembers the highest serial seen, so an older list is refused (rollback).
        public let stateFile: String?
        /// The oldest serial accepted even without a state file.
        public let minimumSerial: Int64
    }

    public let keys: [String: TrustedKey]
    public let authorities: [String: Authority]
    public let modelSigners: [String]
    public let approval: AttestationRule?
    public let scan: AttestationRule?
    public let sbom: AttestationRule?
    public let revocation: RevocationRule?
    /// The stage an approval must grant for the built-in gate to permit.
    public let requiredStage: String

    public init(
        keys: [String: TrustedKey], authorities: [String: Authority] = [:], modelSigners: [String], approval: AttestationRule? = nil,
        scan: AttestationRule? = nil, sbom: AttestationRule? = nil, revocation: RevocationRule? = nil, requiredStage: String = "Approved"
    ) throws(TrustFailure) {
        self.keys = keys
        self.authorities = authorities
        self.modelSigners = modelSigners
        self.approval = approval
        self.scan = scan
        self.sbom = sbom
        self.revocation = revocation
        self.requiredStage = requiredStage
        try checkSeparationOfDuties()
    }

    /// Trusted keys among `names` (certificate authorities are not DSSE signers).
    public func keys(named names: [String]) -> [TrustedKey] { names.compactMap { keys[$0] } }

    public func authorities(named names: [String]) -> [Authority] { names.compactMap { authorities[$0] } }

    /// Every name a rule uses must be defined, and whoever signs models may not approve them.
    private func checkSeparationOfDuties() throws(TrustFailure) {
        let rules: [(String, [String])] =
            [("model_signers", modelSigners)]
            + [("approval", approval?.signers), ("scan", scan?.signers), ("sbom", sbom?.signers)]
            .compactMap { name, signers in signers.map { (name, $0) } } + [("revocation", revocation?.signers ?? [])]
        for (rule, signers) in rules {
            for signer in signers where keys[signer] == nil && authorities[signer] == nil {
                throw TrustFailure(.malformedKey, "trust policy: \(rule) names \(signer), which is neither a key nor an authority")
            }
        }
        guard !modelSigners.isEmpty else { throw TrustFailure(.malformedKey, "trust policy: model_signers is empty") }
        if let approval {
            let both = Set(approval.signers).intersection(modelSigners)
            guard both.isEmpty else {
                throw TrustFailure(
                    .malformedKey,
                    "trust policy: \(both.sorted().joined(separator: ", ")) may both sign and approve models; the author cannot approve")
            }
            let authorKeys = Set(keys(named: modelSigners).map(\.key))
            guard keys(named: approval.signers).allSatisfy({ !authorKeys.contains($0.key) }) else {
                throw TrustFailure(.malformedKey, "trust policy: an approval key is also a model-signing key under another name")
            }
        }
    }
}
