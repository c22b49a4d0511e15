import Foundation
import WardenJSON

/// Reads the attestation envelopes attached to an artifact: each counts only when it is signed
/// by a key the policy allows for its predicate type and is about this artifact. Required
/// kinds that end up with no valid attestation fail with the most telling reason seen.
struct AttestationCheck {
    let policy: TrustPolicy
    let subject: SHA256Digest
    let author: SignerIdentity?

    private enum Kind: String { case approval, scan, sbom }

    func apply(_ envelopes: [[UInt8]], to report: inout VerificationReport, at time: Date) throws(TrustFailure) {
        var rejections: [Kind: TrustFailure] = [:]
        for bytes in envelopes {
            guard let json = try? JSONParser.parse(bytes), let envelope = try? DSSEEnvelope(json: json),
                envelope.payloadType == InTotoStatement.payloadType, let statement = try? InTotoStatement(payload: envelope.payload),
                let (kind, rule) = rule(for: statement.predicateType)
            else { continue }
            do throws(TrustFailure) {
                if kind == .approval, let author = try? envelope.signer(among: policy.keys(named: policy.modelSigners), at: time) {
                    throw TrustFailure(
                        .attestationRejected, "an approval is signed by \(author.name), who signs the model; an author cannot approve")
                }
                let signer = try envelope.signer(among: policy.keys(named: rule.signers), at: time)
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
        _ kind: Kind, statement: InTotoStatement, signer: TrustedKey, rule: TrustPolicy.AttestationRule,
        into report: inout VerificationReport
    ) throws(TrustFailure) {
        switch kind {
        case .approval:
            if case let .key(_, fingerprint) = author, fingerprint == signer.key.fingerprint {
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
