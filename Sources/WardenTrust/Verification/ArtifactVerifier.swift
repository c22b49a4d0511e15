import Foundation
import WardenJSON

/// Verifies fetched evidence against a trust policy, in order: the model signature (and that
/// the files are exactly what it signed), attestations, revocation, then the startup gate.
/// Every check fails closed with its own reason; the gate can only add refusals.
public struct ArtifactVerifier: Sendable {
    public let policy: TrustPolicy
    public let gate: any StartupGate
    /// Names inside the model folder that are Warden's own (receipt, manifest copy).
    public static let metadataFolder = ".warden"

    public init(policy: TrustPolicy, gate: any StartupGate) {
        self.policy = policy
        self.gate = gate
    }

    public func verify(
        _ evidence: ArtifactEvidence, expectedDigest: SHA256Digest?, at time: Date = Date()
    ) async throws(TrustFailure) -> VerificationReport {
        var report = VerificationReport(manifestDigest: evidence.manifestDigest, expectedDigest: expectedDigest)
        report.reference = evidence.reference
        report.files = evidence.files
        report.verifiedAt = time
        try await verifyModelSignature(evidence, into: &report, at: time)
        // Attestations come as DSSE envelopes or as Sigstore bundles, attached beside the signature.
        try await AttestationCheck(policy: policy, subject: evidence.manifestDigest, author: report.signer)
            .apply(evidence.attestationEnvelopes + evidence.signatureBundles, to: &report, at: time)
        try checkRevocation(evidence, into: &report, at: time)
        let decision = try await gate.decide(report.gateInput)
        report.decision = decision
        guard decision.permit else {
            throw TrustFailure(.policyDenied, "startup gate (\(decision.gate)) denied: " + decision.reasons.joined(separator: "; "))
        }
        return report
    }

    private func verifyModelSignature(_ evidence: ArtifactEvidence, into report: inout VerificationReport, at time: Date)
        async throws(TrustFailure)
    {
        guard !evidence.signatureBundles.isEmpty || !evidence.cosignSignatures.isEmpty else {
            throw TrustFailure(.signatureMissing, "no model signature is attached to \(evidence.manifestDigest)")
        }
        var firstFailure: TrustFailure?
        // A cosign signature covers the manifest, whose layer digests every file was checked against.
        let cosign = SimpleSigningVerifier(keys: policy.keys(named: policy.modelSigners))
        for signature in evidence.cosignSignatures {
            do throws(TrustFailure) {
                let key = try cosign.verify(
                    payload: signature.payload, signature: signature.signature, manifestDigest: evidence.manifestDigest, at: time)
                report.signer = .key(name: key.name, fingerprint: key.key.fingerprint)
                report.bundleVersion = "cosign-simple-signing"
                return
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        for bytes in evidence.signatureBundles {
            do throws(TrustFailure) {
                let bundle = try SigstoreBundle(bytes: bytes)
                let modelReport = try await verify(bundle, model: evidence.modelDirectory, at: time)
                try Self.requireCovered(evidence.files.map(\.name), by: modelReport.manifest)
                report.signer = modelReport.signer
                report.modelName = modelReport.manifest.modelName
                report.bundleVersion = modelReport.bundleVersion.rawValue
                return
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        throw firstFailure!
    }

    /// Every file the artifact installs must be a signed resource. The model-signing check
    /// skips the paths the signer declared ignored (and git's); a layer at such a path would be
    /// installed unsigned, so it is refused here.
    static func requireCovered(_ names: [String], by manifest: SignedModelManifest) throws(TrustFailure) {
        let signed = Set(
            manifest.resources.map { resource in
                guard case .shards = manifest.method else { return resource.name }
                // `path:start:end` → path
                return resource.name.split(separator: ":").dropLast(2).joined(separator: ":")
            })
        for name in names where !signed.contains(name) {
            throw TrustFailure(.unexpectedFile, "\(name) is in the artifact but not covered by the signature")
        }
    }

    /// One bundle, with the trust material its kind of signer calls for.
    private func verify(_ bundle: SigstoreBundle, model: String, at time: Date) async throws(TrustFailure) -> ModelSignatureVerifier.Report
    {
        let ignored = [Self.metadataFolder]
        switch bundle.material {
        case .publicKey:
            let keys = policy.keys(named: policy.modelSigners)
            return try await ModelSignatureVerifier(trust: .keys(keys), ignorePaths: ignored).verify(bundle: bundle, model: model, at: time)
        case .certificates:
            // Reported when no signer accepts the bundle: the last one's reason.
            var lastFailure = TrustFailure(.untrustedKey, "no certificate authority or keyless identity may sign models under this policy")
            for authority in policy.authorities(named: policy.modelSigners) {
                do throws(TrustFailure) {
                    let report = try await ModelSignatureVerifier(trust: .certificateAuthorities(authority.verifier), ignorePaths: ignored)
                        .verify(bundle: bundle, model: model, at: time)
                    if case let .certificate(identity, _) = report.signer, !authority.identities.isEmpty,
                        !authority.identities.contains(identity)
                    {
                        throw TrustFailure(.identityMismatch, "signed by \(identity), which \(authority.name) may not sign models as")
                    }
                    return report
                } catch {
                    lastFailure = error
                }
            }
            if let keyless = policy.keylessTrust(named: policy.modelSigners) {
                return try await ModelSignatureVerifier(trust: .sigstore(keyless), ignorePaths: ignored).verify(
                    bundle: bundle, model: model, at: time)
            }
            throw lastFailure
        }
    }

    private func checkRevocation(_ evidence: ArtifactEvidence, into report: inout VerificationReport, at time: Date) throws(TrustFailure) {
        guard let rule = policy.revocation else { return }
        guard let envelope = evidence.revocationEnvelope else {
            throw TrustFailure(.revocationListInvalid, "no revocation list at \(rule.reference); the policy requires one")
        }
        let state = rule.stateFile.map(RevocationState.init(path:))
        let minimum = max(rule.minimumSerial, state?.highestSerial() ?? 0)
        let (list, _) = try RevocationList.verified(
            envelope: envelope, keys: policy.keys(named: rule.signers), minimumSerial: minimum, at: time)
        report.revocationSerial = list.serial
        if let entry = list.entry(for: evidence.manifestDigest) {
            report.revoked = true
            throw TrustFailure(.revoked, "\(evidence.manifestDigest) is revoked (list \(list.serial)): \(entry.reason)")
        }
        try state?.record(list.serial)
    }
}
