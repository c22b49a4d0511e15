import Foundation
import WardenJSON

/// Reads the attestations attached to an artifact: DSSE envelopes signed with a key, or Sigstore
/// bundles holding one, signed with a key or a keyless identity. Each counts only when its
/// signer is one the policy allows for its predicate type and it is about this artifact.
/// Required kinds that end up with no valid attestation fail with the most telling reason seen.
struct AttestationCheck {
    let policy: TrustPolicy
    let subject: SHA256Digest
    let author: SignerIdentity?

    private enum Kind: String { case approval, scan, sbom }

    /// One attached attestation, as read before any signature is checked.
    private enum Attached {
        case envelope(DSSEEnvelope)
        case bundle(SigstoreBundle, DSSEEnvelope)

        init?(_ bytes: [UInt8]) {
            guard let json = try? JSONParser.parse(bytes) else { return nil }
            if case let .string(mediaType)? = json["mediaType"], mediaType.hasPrefix("application/vnd.dev.sigstore.bundle") {
                guard let bundle = try? SigstoreBundle(json: json), case let .dsse(envelope) = bundle.content else { return nil }
                self = .bundle(bundle, envelope)
            } else {
                guard let envelope = try? DSSEEnvelope(json: json) else { return nil }
                self = .envelope(envelope)
            }
        }

        var envelope: DSSEEnvelope {
            switch self {
            case let .envelope(envelope), let .bundle(_, envelope): envelope
            }
        }
    }

    func apply(_ attestations: [[UInt8]], to report: inout VerificationReport, at time: Date) async throws(TrustFailure) {
        var rejections: [Kind: TrustFailure] = [:]
        for bytes in attestations {
            guard let attached = Attached(bytes), attached.envelope.payloadType == InTotoStatement.payloadType,
                let statement = try? InTotoStatement(payload: attached.envelope.payload),
                let (kind, rule) = rule(for: statement.predicateType)
            else { continue }
            do throws(TrustFailure) {
                if kind == .approval, let author = try? await signer(of: attached, among: policy.modelSigners, at: time) {
                    throw TrustFailure(
                        .attestationRejected, "an approval is signed by \(author.name), who signs the model; an author cannot approve")
                }
                let signer = try await signer(of: attached, among: rule.signers, at: time)
                guard statement.covers(subject) else {
                    let others = statement.subjects.compactMap { $0.sha256?.description }.joined(separator: ", ")
                    throw TrustFailure(.subjectMismatch, "the \(kind.rawValue) attestation is about \(others), not \(subject)")
                }
                try record(kind, statement: statement, signer: signer, rule: rule, into: &report)
            } catch {
                // A hard verdict on this artifact (author approving, scan too severe) stands at once.
                if error.code == .attestationRejected { throw error }
                rejections[kind] = rejections[kind] ?? error
            }
        }
        for (kind, rule) in [(Kind.approval, policy.approval), (.scan, policy.scan), (.sbom, policy.sbom)] {
            guard let rule, rule.required, !isPresent(kind, in: report) else { continue }
            if let rejection = rejections[kind] {
                throw TrustFailure(
                    rejection.code == .subjectMismatch ? .subjectMismatch : .attestationMissing, "\(kind.rawValue): \(rejection.detail)")
            }
            throw TrustFailure(
                .attestationMissing, "no \(kind.rawValue) attestation for \(subject) is signed by \(rule.signers.joined(separator: " or "))"
            )
        }
    }

    /// Which of the policy's `names` signed the attestation, and as whom.
    private func signer(of attached: Attached, among names: [String], at time: Date) async throws(TrustFailure)
        -> (name: String, identity: SignerIdentity)
    {
        switch attached {
        case let .envelope(envelope):
            let key = try envelope.signer(among: policy.keys(named: names), at: time)
            return (key.name, .key(name: key.name, fingerprint: key.key.fingerprint))
        case let .bundle(bundle, envelope):
            let trust: BundleTrust
            switch bundle.material {
            case .publicKey:
                trust = .keys(policy.keys(named: names))
            case .certificates:
                guard let keyless = policy.keylessTrust(named: names) else {
                    throw TrustFailure(.untrustedKey, "the attestation is signed with a certificate, and no keyless identity may sign it")
                }
                trust = .sigstore(keyless)
            }
            let (identity, _) = try await ArtifactBundleVerifier(trust: trust).verifyStatement(in: envelope, bundle: bundle, at: time)
            switch identity {
            case let .key(name, _): return (name, identity)
            case let .keyless(san, issuer):
                let signer = FulcioIdentity(subjectAlternativeName: san, issuer: issuer)
                let name = policy.keylessSigners(named: names).first { (try? $0.policy.check(signer)) != nil }?.name
                return (name ?? san, identity)
            case .certificate: return (identity.description, identity)
            }
        }
    }

    private func rule(for predicateType: String) -> (Kind, TrustPolicy.AttestationRule)? {
        switch predicateType {
        case PredicateType.approval: policy.approval.map { (.approval, $0) }
        case PredicateType.vulnerabilityScan: policy.scan.map { (.scan, $0) }
        case PredicateType.cycloneDX, PredicateType.spdx: policy.sbom.map { (.sbom, $0) }
        default: nil
        }
    }

    private func isPresent(_ kind: Kind, in report: VerificationReport) -> Bool {
        switch kind {
        case .approval: report.approval != nil
        case .scan: report.scan != nil
        case .sbom: report.sbom != nil
        }
    }

    private func record(
        _ kind: Kind, statement: InTotoStatement, signer: (name: String, identity: SignerIdentity), rule: TrustPolicy.AttestationRule,
        into report: inout VerificationReport
    ) throws(TrustFailure) {
        switch kind {
        case .approval:
            if let author, Self.same(author, signer.identity) {
                throw TrustFailure(
                    .attestationRejected, "the approval is signed by the model's author (\(signer.name)); an author cannot approve")
            }
            let approval = try ApprovalPredicate(json: statement.predicate)
            report.stage = approval.stage
            report.approval = VerificationReport.Attested(
                signer: signer.name,
                summary: .object([
                    ("stage", .string(approval.stage)), ("approver", .string(approval.approver)),
                    ("approved_at", .string(approval.approvedAt)),
                ]))
        case .scan:
            let summary = try ScanSummary(json: statement.predicate)
            if let maximum = rule.maximumSeverity, let highest = summary.highest, highest > maximum {
                throw TrustFailure(
                    .attestationRejected,
                    "the scan by \(summary.scanner) found \(summary.counts[highest] ?? 0) \(highest) finding(s); the policy allows at most \(maximum)"
                )
            }
            let counts = Severity.allCases.reversed().map {
                (key: $0.description, value: JSONValue.integer(Int64(summary.counts[$0] ?? 0)))
            }
            report.scan = VerificationReport.Attested(
                signer: signer.name,
                summary: .object([
                    ("scanner", .string(summary.scanner)), ("highest", .string(summary.highest?.description ?? "none")),
                    ("counts", .object(counts)),
                ]))
        case .sbom:
            let summary = try SBOMSummary(predicateType: statement.predicateType, json: statement.predicate)
            report.sbom = VerificationReport.Attested(
                signer: signer.name,
                summary: .object([
                    ("format", .string(summary.format)), ("spec_version", .string(summary.specVersion)),
                    ("components", .integer(Int64(summary.components))),
                ]))
        }
    }
}

extension AttestationCheck {
    /// The same signer, whatever name the policy gives it: one key, or one keyless identity.
    static func same(_ first: SignerIdentity, _ second: SignerIdentity) -> Bool {
        switch (first, second) {
        case let (.key(_, one), .key(_, other)): one == other
        case let (.keyless(one, oneIssuer), .keyless(other, otherIssuer)): one == other && oneIssuer == otherIssuer
        default: first == second
        }
    }
}
