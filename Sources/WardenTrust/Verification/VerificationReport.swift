import Foundation
import WardenJSON

/// Everything verification established about one artifact. It is the startup gate's input
/// document, the receipt written beside the model, and the audit record, all in one.
public struct VerificationReport: Sendable {
    public struct File: Sendable, Equatable {
        public let name: String
        public let digest: SHA256Digest
        public let size: Int64

        public init(name: String, digest: SHA256Digest, size: Int64) {
            self.name = name
            self.digest = digest
            self.size = size
        }
    }

    public struct Attested: Sendable {
        public let signer: String
        public let summary: JSONValue
    }

    public var reference = ""
    public var manifestDigest: SHA256Digest
    public var expectedDigest: SHA256Digest?
    public var files: [File] = []
    public var modelName = ""
    public var signer: SignerIdentity?
    public var bundleVersion = ""
    public var stage = ""
    public var approval: Attested?
    public var scan: Attested?
    public var sbom: Attested?
    public var revocationSerial: Int64?
    public var revoked = false
    public var decision: GateDecision?
    public var verifiedAt = Date()

    public init(manifestDigest: SHA256Digest, expectedDigest: SHA256Digest?) {
        self.manifestDigest = manifestDigest
        self.expectedDigest = expectedDigest
    }

    /// The startup gate's `input`: `input.model.{stage, digest, signatures.valid, revoked,
    /// attestations}` and `input.expected_digest`, as the requirements' policy reads them.
    public var gateInput: JSONValue {
        var attestations: [(key: String, value: JSONValue)] = []
        for (name, attested) in [("approval", approval), ("scan", scan), ("sbom", sbom)] {
            guard let attested else { continue }
            attestations.append((name, .object([("signer", .string(attested.signer)), ("predicate", attested.summary)])))
        }
        return .object([
            (
                "model",
                .object([
                    ("name", .string(modelName)), ("digest", .string(manifestDigest.description)), ("stage", .string(stage)),
                    (
                        "signatures",
                        .object([("valid", .bool(signer != nil)), ("signer", signer.map { .string($0.description) } ?? .null)])
                    ),
                    ("revoked", .bool(revoked)), ("attestations", .object(attestations)),
                ])
            ),
            ("expected_digest", expectedDigest.map { .string($0.description) } ?? .null),
        ])
    }

    /// The receipt: the gate input plus the file list, bundle and decision, and when.
    public var receipt: JSONValue {
        .object([
            ("schema", .string("https://warden.dev/receipt/v1")),
            ("reference", .string(reference)),
            ("manifest_digest", .string(manifestDigest.description)),
            (
                "files",
                .array(
                    files.map { .object([("name", .string($0.name)), ("sha256", .string($0.digest.hex)), ("size", .integer($0.size))]) })
            ),
            ("signature_bundle_version", .string(bundleVersion)),
            ("revocation_serial", revocationSerial.map { .integer($0) } ?? .null),
            ("input", gateInput),
            (
                "decision",
                decision.map {
                    .object([
                        ("permit", .bool($0.permit)), ("gate", .string($0.gate)), ("reasons", .array($0.reasons.map(JSONValue.string))),
                    ])
                }
                    ?? .null
            ),
            ("verified_at", .string(ISO8601DateFormatter().string(from: verifiedAt))),
        ])
    }
}

/// What the startup gate decided, and why not when it did not permit.
public struct GateDecision: Sendable, Equatable {
    public let permit: Bool
    public let gate: String
    public let reasons: [String]

    public init(permit: Bool, gate: String, reasons: [String]) {
        self.permit = permit
        self.gate = gate
        self.reasons = reasons
    }
}

/// The startup gate: decides over the report's gate input. The Rego engine plugs in here.
public protocol StartupGate: Sendable {
    func decide(_ input: JSONValue) async throws(TrustFailure) -> GateDecision
}

/// The requirements' policy, built in until a Rego policy is configured:
/// stage Approved, signatures valid, digest == expected digest, not revoked.
public struct BuiltinStartupGate: StartupGate {
    public let requiredStage: String

    public init(requiredStage: String = "Approved") {
        self.requiredStage = requiredStage
    }

    public func decide(_ input: JSONValue) async throws(TrustFailure) -> GateDecision {
        let model = input["model"]
        var reasons: [String] = []
        if model?["stage"] != .string(requiredStage) {
            reasons.append("stage is \(model?["stage"]?.serialized() ?? "missing"), not \"\(requiredStage)\"")
        }
        if model?["signatures"]?["valid"] != .bool(true) { reasons.append("signatures are not valid") }
        if case let .string(expected)? = input["expected_digest"], model?["digest"] == .string(expected) {
        } else if input["expected_digest"] == nil || input["expected_digest"] == .null {
            reasons.append(
                "no digest is pinned: pass --expected-digest sha256:… (or a reference ending in @sha256:…); the artifact is \(model?["digest"]?.serialized() ?? "?")"
            )
        } else {
            reasons.append(
                "digest \(model?["digest"]?.serialized() ?? "?") is not the expected digest \(input["expected_digest"]?.serialized() ?? "null")"
            )
        }
        if model?["revoked"] != .bool(false) { reasons.append("the model is revoked") }
        return GateDecision(permit: reasons.isEmpty, gate: "builtin", reasons: reasons)
    }
}
