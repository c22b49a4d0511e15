import Foundation

/// Who may sign what: the keys, certificate authorities and Sigstore keyless identities Warden
/// trusts, and for each kind of evidence (the model signature, approval, scan, SBOM, revocation
/// list) which of them may sign it. Written by the platform team, mounted read-only; see
/// docs/trust.md.
public struct TrustPolicy: Sendable {
    /// A certificate authority and the signer identities (SAN email/URI) it may vouch for.
    public struct Authority: Sendable {
        public let name: String
        public let verifier: CertificateChainVerifier
        /// Empty: any identity the authority certifies.
        public let identities: [String]
    }

    /// A Sigstore keyless signer: an OIDC issuer and identity (each exact or a pattern), proven
    /// by a Fulcio certificate and a transparency log of `sigstoreRoot`.
    public struct KeylessSigner: Sendable {
        public let name: String
        public let policy: KeylessIdentityPolicy

        public init(name: String, policy: KeylessIdentityPolicy) {
            self.name = name
            self.policy = policy
        }
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
    public let keyless: [String: KeylessSigner]
    /// The Sigstore root keyless signatures are verified against (default: the public-good root).
    public let sigstoreRoot: TrustedRoot
    public let modelSigners: [String]
    public let approval: AttestationRule?
    public let scan: AttestationRule?
    public let sbom: AttestationRule?
    public let revocation: RevocationRule?
    /// Who may sign policy bundles (the kill switch and request policies): keys only, and
    /// never a model signer's key, so publishing models and switching them off stay apart.
    public let policySigners: [String]
    /// The stage an approval must grant for the built-in gate to permit.
    public let requiredStage: String

    public init(
        keys: [String: TrustedKey], authorities: [String: Authority] = [:], keyless: [String: KeylessSigner] = [:],
        sigstoreRoot: TrustedRoot = .publicGood, modelSigners: [String], approval: AttestationRule? = nil,
        scan: AttestationRule? = nil, sbom: AttestationRule? = nil, revocation: RevocationRule? = nil, policySigners: [String] = [],
        requiredStage: String = "Approved"
    ) throws(TrustFailure) {
        self.keys = keys
        self.authorities = authorities
        self.keyless = keyless
        self.sigstoreRoot = sigstoreRoot
        self.modelSigners = modelSigners
        self.approval = approval
        self.scan = scan
        self.sbom = sbom
        self.revocation = revocation
        self.policySigners = policySigners
        self.requiredStage = requiredStage
        try checkSeparationOfDuties()
    }

    /// Trusted keys among `names` (certificate authorities are not DSSE signers).
    public func keys(named names: [String]) -> [TrustedKey] { names.compactMap { keys[$0] } }

    public func authorities(named names: [String]) -> [Authority] { names.compactMap { authorities[$0] } }

    public func keylessSigners(named names: [String]) -> [KeylessSigner] { names.compactMap { keyless[$0] } }

    /// Sigstore trust for the keyless signers among `names`, or nil when there are none.
    public func keylessTrust(named names: [String]) -> SigstoreTrust? {
        let signers = keylessSigners(named: names)
        guard !signers.isEmpty else { return nil }
        return SigstoreTrust(root: sigstoreRoot, signers: .identities(signers.map(\.policy)))
    }

    /// Every name a rule uses must be defined, and whoever signs models may not approve them.
    private func checkSeparationOfDuties() throws(TrustFailure) {
        let rules: [(String, [String])] =
            [("model_signers", modelSigners)]
            + [("approval", approval?.signers), ("scan", scan?.signers), ("sbom", sbom?.signers)]
            .compactMap { name, signers in signers.map { (name, $0) } } + [
                ("revocation", revocation?.signers ?? []), ("policy_signers", policySigners),
            ]
        let names = Array(keys.keys) + Array(authorities.keys) + Array(keyless.keys)
        if let both = Dictionary(grouping: names, by: { $0 }).filter({ $0.value.count > 1 }).keys.sorted().first {
            throw TrustFailure(.malformedKey, "trust policy: \(both) names two signers; every name must be unique")
        }
        for (rule, signers) in rules {
            for signer in signers where keys[signer] == nil && authorities[signer] == nil && keyless[signer] == nil {
                throw TrustFailure(
                    .malformedKey, "trust policy: \(rule) names \(signer), which is not a key, an authority or a keyless identity")
            }
        }
        // A revocation list is a DSSE envelope: only a key can sign it.
        if let keylessRevoker = revocation?.signers.first(where: { keyless[$0] != nil }) {
            throw TrustFailure(
                .malformedKey, "trust policy: revocation names \(keylessRevoker), a keyless identity; revocation lists are signed with keys"
            )
        }
        if let keylessPolicySigner = policySigners.first(where: { keys[$0] == nil }) {
            throw TrustFailure(
                .malformedKey,
                "trust policy: policy_signers names \(keylessPolicySigner), which is not a key; policy bundles are signed with keys")
        }
        let modelKeys = Set(keys(named: modelSigners).map(\.key))
        if let both = keys(named: policySigners).first(where: { modelKeys.contains($0.key) }) {
            throw TrustFailure(
                .malformedKey,
                "trust policy: \(both.name) may both sign models and sign policy bundles; a model signer cannot sign the kill switch")
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
