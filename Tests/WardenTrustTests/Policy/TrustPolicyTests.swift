import Foundation
import Testing
import WardenTrust

/// Trust policy files: what they accept, and the mistakes they refuse at load.
@Suite struct TrustPolicyTests {
    let folder: ScratchDirectory
    init() throws {
        folder = try ScratchDirectory()
        for name in ["author", "approver"] {
            try folder.write("\(name).pub", SigningKey.generate(.p256).publicKey.pemRepresentation)
        }
    }

    func load(_ yaml: String) throws -> TrustPolicy { try TrustPolicy(yaml: yaml, baseDirectory: folder.path) }

    static let keys = "keys:\n  author: {public_key: author.pub}\n  approver: {public_key: approver.pub, not_after: 2030-01-01T00:00:00Z}\n"

    @Test func completePolicyLoads() throws {
        let policy = try load(
            Self.keys
                + "model_signers: [author]\nattestations:\n  approval: {signers: [approver]}\n  scan: {signers: [approver], max_severity: medium}\n"
        )
        #expect(policy.modelSigners == ["author"])
        #expect(policy.scan?.maximumSeverity == .medium)
        #expect(policy.keys["approver"]?.notAfter == ISO8601DateFormatter().date(from: "2030-01-01T00:00:00Z"))
        #expect(policy.requiredStage == "Approved")
    }

    @Test func authorMayNotApprove() throws {
        let failure = #expect(throws: TrustFailure.self) {
            try load(Self.keys + "model_signers: [author]\nattestations:\n  approval: {signers: [approver, author]}\n")
        }
        #expect(failure?.detail.contains("author cannot approve") == true)
    }

    @Test func sameKeyUnderTwoNamesMayNotApprove() throws {
        try folder.write("alias.pub", String(contentsOfFile: folder.path + "/author.pub", encoding: .utf8))
        #expect(throws: TrustFailure.self) {
            try load(
                Self.keys + "  alias: {public_key: alias.pub}\nmodel_signers: [author]\nattestations:\n  approval: {signers: [alias]}\n")
        }
    }

    @Test func undefinedSignerIsRefused() throws {
        #expect(throws: TrustFailure.self) { try load(Self.keys + "model_signers: [nobody]\n") }
    }

    @Test func misspeltKeyIsRefused() throws {
        #expect(throws: (any Error).self) { try load(Self.keys + "model_signer: [author]\n") }
    }

    @Test func unknownSeverityIsRefused() throws {
        #expect(throws: (any Error).self) {
            try load(Self.keys + "model_signers: [author]\nattestations:\n  scan: {signers: [approver], max_severity: dire}\n")
        }
    }
}
