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

    func load(_ yaml: String) async throws -> TrustPolicy { try await TrustPolicy(yaml: yaml, baseDirectory: folder.path) }

    static let keys = "keys:\n  author: {public_key: author.pub}\n  approver: {public_key: approver.pub, not_after: 2030-01-01T00:00:00Z}\n"

    @Test func completePolicyLoads() async throws {
        let policy = try await load(
            Self.keys
                + "model_signers: [author]\nattestations:\n  approval: {signers: [approver]}\n  scan: {signers: [approver], max_severity: medium}\n"
        )
        #expect(policy.modelSigners == ["author"])
        #expect(policy.scan?.maximumSeverity == .medium)
        #expect(policy.keys["approver"]?.notAfter == ISO8601DateFormatter().date(from: "2030-01-01T00:00:00Z"))
        #expect(policy.requiredStage == "Approved")
    }

    @Test func authorMayNotApprove() async throws {
        let failure = await #expect(throws: TrustFailure.self) {
            try await load(Self.keys + "model_signers: [author]\nattestations:\n  approval: {signers: [approver, author]}\n")
        }
        #expect(failure?.detail.contains("author cannot approve") == true)
    }

    @Test func sameKeyUnderTwoNamesMayNotApprove() async throws {
        try folder.write("alias.pub", String(contentsOfFile: folder.path + "/author.pub", encoding: .utf8))
        await #expect(throws: TrustFailure.self) {
            try await load(
                Self.keys + "  alias: {public_key: alias.pub}\nmodel_signers: [author]\nattestations:\n  approval: {signers: [alias]}\n")
        }
    }

    @Test func undefinedSignerIsRefused() async throws {
        await #expect(throws: TrustFailure.self) { try await load(Self.keys + "model_signers: [nobody]\n") }
    }

    @Test func misspeltKeyIsRefused() async throws {
        await #expect(throws: (any Error).self) { try await load(Self.keys + "model_signer: [author]\n") }
    }

    @Test func unknownSeverityIsRefused() async throws {
        await #expect(throws: (any Error).self) {
            try await load(Self.keys + "model_signers: [author]\nattestations:\n  scan: {signers: [approver], max_severity: dire}\n")
        }
    }

    static let keyless = """
        keyless_identities:
          ci-release:
            identity_regexp: https://github\\.com/acme/models/\\.github/workflows/release\\.yml@refs/tags/v.*
            issuer: https://token.actions.githubusercontent.com
          security-team: {identity: security@acme.example, issuer: https://accounts.google.com}

        """

    @Test func keylessIdentitiesMaySignModelsAndAttestations() async throws {
        let policy = try await load(
            Self.keys + Self.keyless
                + "model_signers: [author, ci-release]\nattestations:\n  approval: {signers: [approver, security-team]}\n")
        let trust = try #require(policy.keylessTrust(named: policy.modelSigners))
        guard case let .identities(identities) = trust.signers else {
            Issue.record("expected keyless identities")
            return
        }
        #expect(
            identities.map(\.description) == [
                "/https://github\\.com/acme/models/\\.github/workflows/release\\.yml@refs/tags/v.*/ via https://token.actions.githubusercontent.com"
            ])
        let release = FulcioIdentity(
            subjectAlternativeName: "https://github.com/acme/models/.github/workflows/release.yml@refs/tags/v1.2",
            issuer: "https://token.actions.githubusercontent.com")
        #expect(throws: Never.self) { try identities[0].check(release) }
        let branch = FulcioIdentity(
            subjectAlternativeName: "https://github.com/acme/models/.github/workflows/release.yml@refs/heads/main",
            issuer: "https://token.actions.githubusercontent.com")
        #expect(throws: TrustFailure.self) { try identities[0].check(branch) }
        #expect(trust.root.transparencyLogs.count == TrustedRoot.publicGood.transparencyLogs.count)
        #expect(policy.keylessTrust(named: ["author"]) == nil)
    }

    @Test func aKeylessIdentityNeedsExactlyOneFormOfEachField() async throws {
        for entry in [
            "{issuer: https://accounts.google.com}",
            "{identity: a@b.example, identity_regexp: a.*, issuer: https://accounts.google.com}",
            "{identity: a@b.example}",
            "{identity: a@b.example, issuer: https://accounts.google.com, subject: x}",
            "{identity_regexp: '(unclosed', issuer: https://accounts.google.com}",
        ] {
            await #expect(throws: (any Error).self, "\(entry)") {
                try await load(Self.keys + "keyless_identities:\n  ci: \(entry)\nmodel_signers: [ci]\n")
            }
        }
    }

    @Test func aRevocationListCannotBeSignedKeylessly() async throws {
        let failure = await #expect(throws: TrustFailure.self) {
            try await load(Self.keys + Self.keyless + "model_signers: [author]\nrevocation: {signers: [security-team]}\n")
        }
        #expect(failure?.detail.contains("keyless") == true)
    }

    @Test func aNameMayNameOnlyOneSigner() async throws {
        await #expect(throws: TrustFailure.self) {
            try await load(
                Self.keys + "keyless_identities:\n  author: {identity: a@b.example, issuer: https://x.example}\nmodel_signers: [author]\n")
        }
    }

    @Test func aCustomSigstoreRootIsReadBesideThePolicy() async throws {
        guard SharedSuites.available() else { return }
        try folder.write("root.json", try SharedSuites.text("sigstore-conformance/trusted_root.staging.json"))
        let policy = try await load(Self.keys + Self.keyless + "sigstore: {trusted_root: root.json}\nmodel_signers: [ci-release]\n")
        #expect(policy.sigstoreRoot.transparencyLogs.map(\.baseURL).contains { $0.contains("sigstage") })
        await #expect(throws: (any Error).self) {
            try await load(Self.keys + "sigstore: {trusted_root: missing.json}\nmodel_signers: [author]\n")
        }
    }
}

/// `policy_signers`: keys only, and never a model signer's key.
@Suite struct PolicySignerTests {
    let folder: ScratchDirectory
    init() throws {
        folder = try ScratchDirectory()
        for name in ["author", "ops"] {
            try folder.write("\(name).pub", SigningKey.generate(.p256).publicKey.pemRepresentation)
        }
    }

    func load(_ yaml: String) async throws -> TrustPolicy { try await TrustPolicy(yaml: yaml, baseDirectory: folder.path) }

    static let keys = "keys:\n  author: {public_key: author.pub}\n  ops: {public_key: ops.pub}\nmodel_signers: [author]\n"

    @Test func policySignersAreRead() async throws {
        #expect(try await load(Self.keys + "policy_signers: [ops]\n").policySigners == ["ops"])
    }

    @Test func aModelSignerCannotSignPolicies() async throws {
        let failure = await #expect(throws: TrustFailure.self) { try await load(Self.keys + "policy_signers: [author]\n") }
        #expect(failure?.detail.contains("cannot sign the kill switch") == true)
        try folder.write("alias.pub", String(contentsOfFile: folder.path + "/author.pub", encoding: .utf8))
        await #expect(throws: TrustFailure.self) {
            try await load(
                Self.keys.replacingOccurrences(of: "model_signers", with: "  alias: {public_key: alias.pub}\nmodel_signers")
                    + "policy_signers: [alias]\n")
        }
    }

    @Test func policySignersMustBeKeys() async throws {
        let keyless = "keyless_identities:\n  ci: {identity: ci@example.com, issuer: https://accounts.example.com}\n"
        let failure = await #expect(throws: TrustFailure.self) { try await load(Self.keys + keyless + "policy_signers: [ci]\n") }
        #expect(failure?.detail.contains("not a key") == true)
        await #expect(throws: TrustFailure.self) { try await load(Self.keys + "policy_signers: [nobody]\n") }
    }
}
