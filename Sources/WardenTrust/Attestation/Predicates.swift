import Foundation
import WardenJSON

/// The predicate types Warden understands, and what it reads from each.
public enum PredicateType {
    /// Warden's approval: `{stage, approver, approved_at}`.
    public static let approval = "https://warden.dev/attestations/approval/v1"
    /// cosign's vulnerability attestation; `scanner.result` is a Trivy or Grype JSON report.
    public static let vulnerabilityScan = "https://cosign.sigstore.dev/attestation/vuln/v1"
    public static let cycloneDX = "https://cyclonedx.org/bom"
    public static let spdx = "https://spdx.dev/Document"
}

/// An approval: who moved the model to which stage, when.
public struct ApprovalPredicate: Sendable, Equatable {
    public let stage: String
    public let approver: String
    public let approvedAt: String

    public init(json: JSONValue) throws(TrustFailure) {
        guard case let .string(stage)? = json["stage"], !stage.isEmpty, case let .string(approver)? = json["approver"], !approver.isEmpty
        else {
            throw TrustFailure(.malformedStatement, "approval predicate needs stage and approver")
        }
        self.stage = stage
        self.approver = approver
        if case let .string(time)? = json["approved_at"] { approvedAt = time } else { approvedAt = "" }
    }

    public static func json(stage: String, approver: String, approvedAt: Date) -> JSONValue {
        .object([
            ("stage", .string(stage)), ("approver", .string(approver)),
            ("approved_at", .string(ISO8601DateFormatter().string(from: approvedAt))),
        ])
    }
}

/// The findings of a vulnerability scan, counted by severity.
public struct ScanSummary: Sendable, Equatable {
    public let scanner: String
    public let counts: [Severity: Int]

    public var highest: Severity? { counts.filter { $0.value > 0 }.keys.max() }

    /// Reads cosign's vuln predicate: Trivy reports (`Results[].Vulnerabilities[].Severity`) and
    /// Grype reports (`matches[].vulnerability.severity`) as `scanner.result`.
    public init(json: JSONValue) throws(TrustFailure) {
        guard let scanner = json["scanner"], let result = scanner["result"] else {
            throw TrustFailure(.malformedStatement, "vulnerability predicate has no scanner.result")
        }
        var name = "unknown"
        if case let .string(uri)? = scanner["uri"] { name = uri }
        var counts: [Severity: Int] = [:]
        var recognised = false
        if case let .array(results)? = result["Results"] {
            recognised = true
            for target in results {
                guard case let .array(findings)? = target["Vulnerabilities"] else { continue }
                for finding in findings {
                    guard case let .string(text)? = finding["Severity"] else {
                        throw TrustFailure(.malformedStatement, "a Trivy finding has no Severity")
                    }
                    counts[Severity(text) ?? .unknown, default: 0] += 1
                }
            }
        }
        if case let .array(matches)? = result["matches"] {
            recognised = true
            for match in matches {
                guard case let .string(text)? = match["vulnerability"]?["severity"] else {
                    throw TrustFailure(.malformedStatement, "a Grype match has no vulnerability.severity")
                }
                counts[Severity(text) ?? .unknown, default: 0] += 1
            }
        }
        guard recognised else { throw TrustFailure(.malformedStatement, "scanner.result is neither a Trivy nor a Grype report") }
        self.scanner = name
        self.counts = counts
    }
}

/// What an SBOM says, in brief.
public struct SBOMSummary: Sendable, Equatable {
    public let format: String
    public let specVersion: String
    public let components: Int

    public init(predicateType: String, json: JSONValue) throws(TrustFailure) {
        switch predicateType {
        case PredicateType.cycloneDX:
            guard case .string("CycloneDX")? = json["bomFormat"], case let .string(version)? = json["specVersion"] else {
                throw TrustFailure(.malformedStatement, "CycloneDX predicate lacks bomFormat or specVersion")
            }
            format = "CycloneDX"
            specVersion = version
            if case let .array(items)? = json["components"] { components = items.count } else { components = 0 }
        case PredicateType.spdx:
            guard case let .string(version)? = json["spdxVersion"] else {
                throw TrustFailure(.malformedStatement, "SPDX predicate lacks spdxVersion")
            }
            format = "SPDX"
            specVersion = version
            if case let .array(items)? = json["packages"] { components = items.count } else { components = 0 }
        default:
            throw TrustFailure(.malformedStatement, "\(predicateType) is not an SBOM predicate")
        }
    }
}
