import Foundation
import Testing
import WardenTrust

/// Signatures made by model_signing releases v0.2.0 … v1.1.0 (sigstore/model-transparency's own
/// test vectors), verified in key and certificate modes.
@Suite struct ModelTransparencyVectorTests {
    static let base = "signing-vectors/model-transparency"
    static let keyVectors = ["v0.3.1-elliptic-key", "v1.0.0-elliptic-key", "v1.0.1-elliptic-key", "v1.1.0-elliptic-key"]
    static let certificateVectors = [
        "v0.2.0-certificate", "v0.3.1-certificate", "v1.0.0-certificate", "v1.0.1-certificate", "v1.1.0-certificate",
    ]
    static let sigstoreVectors = ["v0.3.1-sigstore", "v1.0.0-sigstore", "v1.0.1-sigstore", "v1.1.0-sigstore"]
    /// Who signed the keyless vectors: the model-transparency maintainer, through IBM's OIDC provider.
    static let keylessSigner = KeylessIdentityPolicy(
        identity: .exact("stefanb@us.ibm.com"), issuer: .exact("https://sigstore.verify.ibm.com/oauth2"))

    /// These releases' key vectors signed the single file signme-1, not the folder.
    static let singleFileVectors: Set<String> = ["v0.3.1-elliptic-key", "v1.0.0-elliptic-key"]

    static func modelPath(_ vector: String, in folder: String? = nil) -> String {
        let directory = folder ?? SharedSuites.path("\(base)/\(vector)")
        return singleFileVectors.contains(vector) ? directory + "/signme-1" : directory
    }

    static func keyTrust() throws -> BundleTrust {
        let key = try VerificationKey(pem: SharedSuites.text("\(base)/keys/certificate/signing-key-pub.pem"))
        return .keys([TrustedKey(name: "model-transparency", key: key)])
    }

    static func certificateTrust() throws -> BundleTrust {
        .certificateAuthorities(try CertificateChainVerifier(rootPEMs: [SharedSuites.text("\(base)/keys/certificate/ca-cert.pem")]))
    }

    static func keylessTrust(_ signer: KeylessIdentityPolicy = keylessSigner) -> BundleTrust {
        .sigstore(SigstoreTrust(root: .publicGood, signers: .identities([signer])))
    }

    static func verify(_ vector: String, trust: BundleTrust, model: String? = nil) async throws -> ModelSignatureVerifier.Report {
        let bundle = try SigstoreBundle(bytes: SharedSuites.bytes("\(base)/\(vector)/model.sig"))
        // As the upstream checks do: the signature file and ignore-me are not part of the model.
        let verifier = ModelSignatureVerifier(trust: trust, ignorePaths: ["model.sig", "ignore-me"])
        return try await verifier.verify(bundle: bundle, model: model ?? modelPath(vector))
    }

    @Test(arguments: keyVectors) func keyVectorVerifies(_ vector: String) async throws {
        guard SharedSuites.available() else { return }
        let report = try await Self.verify(vector, trust: Self.keyTrust())
        guard case .key = report.signer else { Issue.record("expected a key signer"); return }
        #expect(!report.manifest.resources.isEmpty)
    }

    @Test(arguments: certificateVectors) func certificateVectorVerifies(_ vector: String) async throws {
        guard SharedSuites.available() else { return }
        let report = try await Self.verify(vector, trust: Self.certificateTrust())
        guard case .certificate = report.signer else { Issue.record("expected a certificate signer"); return }
    }

    /// Keyless: a Fulcio certificate for an email identity, a Rekor v1 dsse entry and a
    /// timestamp, all against the public-good root built into Warden.
    @Test(arguments: sigstoreVectors) func sigstoreVectorVerifies(_ vector: String) async throws {
        guard SharedSuites.available() else { return }
        let report = try await Self.verify(vector, trust: Self.keylessTrust())
        #expect(report.signer == .keyless(identity: "stefanb@us.ibm.com", oidcIssuer: "https://sigstore.verify.ibm.com/oauth2"))
        #expect(report.manifest.resources.map(\.name).sorted() == ["signme-1", "signme-2"])
    }

    @Test func sigstoreVectorIsRefusedForAnotherIdentityOrIssuer() async throws {
        guard SharedSuites.available() else { return }
        let others = [
            KeylessIdentityPolicy(identity: .exact("someone@us.ibm.com"), issuer: .exact("https://sigstore.verify.ibm.com/oauth2")),
            KeylessIdentityPolicy(identity: .exact("stefanb@us.ibm.com"), issuer: .exact("https://accounts.google.com")),
            KeylessIdentityPolicy(identity: .pattern("stefanb"), issuer: .pattern(".*")),
        ]
        for other in others {
            let failure = await #expect(throws: TrustFailure.self) {
                _ = try await Self.verify("v1.1.0-sigstore", trust: Self.keylessTrust(other))
            }
            #expect(failure?.code == .identityMismatch)
        }
        let pattern = KeylessIdentityPolicy(
            identity: .pattern(#"[a-z]+@us\.ibm\.com"#), issuer: .pattern(#"https://sigstore\.verify\.ibm\.com/.*"#))
        _ = try await Self.verify("v1.1.0-sigstore", trust: Self.keylessTrust(pattern))
    }

    @Test func tamperedSigstoreVectorIsRefused() async throws {
        guard SharedSuites.available() else { return }
        let scratch = try ScratchDirectory()
        let copy = try scratch.copy(SharedSuites.path("\(Self.base)/v1.1.0-sigstore"), as: "model")
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: copy + "/signme-2"))
        let failure = await #expect(throws: TrustFailure.self) {
            _ = try await Self.verify("v1.1.0-sigstore", trust: Self.keylessTrust(), model: copy)
        }
        #expect(failure?.code == .digestMismatch)
    }

    @Test(arguments: keyVectors) func tamperedFileIsRefused(_ vector: String) async throws {
        guard SharedSuites.available() else { return }
        let scratch = try ScratchDirectory()
        let copy = try scratch.copy(SharedSuites.path("\(Self.base)/\(vector)"), as: vector)
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: copy + "/signme-1"))
        let failure = await #expect(throws: TrustFailure.self) {
            _ = try await Self.verify(vector, trust: Self.keyTrust(), model: Self.modelPath(vector, in: copy))
        }
        #expect(failure?.code == .digestMismatch)
    }

    @Test func extraFileIsRefused() async throws {
        guard SharedSuites.available() else { return }
        let scratch = try ScratchDirectory()
        let copy = try scratch.copy(SharedSuites.path("\(Self.base)/v1.1.0-elliptic-key"), as: "model")
        try Data("payload".utf8).write(to: URL(fileURLWithPath: copy + "/extra.bin"))
        let failure = await #expect(throws: TrustFailure.self) {
            _ = try await Self.verify("v1.1.0-elliptic-key", trust: Self.keyTrust(), model: copy)
        }
        #expect(failure?.code == .unexpectedFile)
        #expect(failure?.detail.contains("extra.bin") == true)
    }

    @Test func missingFileIsRefused() async throws {
        guard SharedSuites.available() else { return }
        let scratch = try ScratchDirectory()
        let copy = try scratch.copy(SharedSuites.path("\(Self.base)/v1.1.0-certificate"), as: "model")
        try FileManager.default.removeItem(atPath: copy + "/signme-2")
        let failure = await #expect(throws: TrustFailure.self) {
            _ = try await Self.verify("v1.1.0-certificate", trust: Self.certificateTrust(), model: copy)
        }
        #expect(failure?.code == .missingFile)
    }

    @Test func symlinkInModelIsRefused() async throws {
        guard SharedSuites.available() else { return }
        let scratch = try ScratchDirectory()
        let copy = try scratch.copy(SharedSuites.path("\(Self.base)/v1.1.0-elliptic-key"), as: "model")
        try FileManager.default.removeItem(atPath: copy + "/signme-2")
        try FileManager.default.createSymbolicLink(atPath: copy + "/signme-2", withDestinationPath: "/etc/passwd")
        let failure = await #expect(throws: TrustFailure.self) {
            _ = try await Self.verify("v1.1.0-elliptic-key", trust: Self.keyTrust(), model: copy)
        }
        #expect(failure?.code == .unsafePath)
    }

    @Test func keyBundleIsRefusedWhenOnlyCertificateAuthoritiesAreTrusted() async throws {
        guard SharedSuites.available() else { return }
        let failure = await #expect(throws: TrustFailure.self) {
            _ = try await Self.verify("v1.1.0-elliptic-key", trust: Self.certificateTrust())
        }
        #expect(failure?.code == .untrustedKey)
    }

    @Test func untrustedKeyIsRefused() async throws {
        guard SharedSuites.available() else { return }
        // The conformance suite's managed key is a real key that did not sign these models.
        let other = try VerificationKey(pem: SharedSuites.text("sigstore-conformance/bundle-verify/managed-key-happy-path/key.pub"))
        let failure = await #expect(throws: TrustFailure.self) {
            _ = try await Self.verify("v1.1.0-elliptic-key", trust: .keys([TrustedKey(name: "other", key: other)]))
        }
        #expect(failure?.code == .untrustedKey)
    }

    @Test func certificateOutsideItsValidityIsRefused() async throws {
        guard SharedSuites.available() else { return }
        let bundle = try SigstoreBundle(bytes: SharedSuites.bytes("\(Self.base)/v1.1.0-certificate/model.sig"))
        let verifier = ModelSignatureVerifier(trust: try Self.certificateTrust(), ignorePaths: ["model.sig", "ignore-me"])
        let farFuture = Date(timeIntervalSince1970: 4_102_444_800)  // 2100-01-01, after the chain expires
        let failure = await #expect(throws: TrustFailure.self) {
            _ = try await verifier.verify(bundle: bundle, model: Self.modelPath("v1.1.0-certificate"), at: farFuture)
        }
        #expect(failure?.code == .certificateInvalid)
    }

    @Test func rotatedOutKeyIsRefused() async throws {
        guard SharedSuites.available() else { return }
        let key = try VerificationKey(pem: SharedSuites.text("\(Self.base)/keys/certificate/signing-key-pub.pem"))
        let retired = TrustedKey(name: "retired", key: key, notAfter: Date(timeIntervalSince1970: 1_000_000_000))
        let failure = await #expect(throws: TrustFailure.self) {
            _ = try await Self.verify("v1.1.0-elliptic-key", trust: .keys([retired]))
        }
        #expect(failure?.code == .keyNotValidAtTime)
    }
}
