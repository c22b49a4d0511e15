import Foundation
import Testing
import WardenJSON
import WardenTrust

/// Policy bundles: the manifest as authors write it, and the signature over every file.
@Suite struct PolicyBundleTests {
    let ops = SigningKey.generate(.p256)
    var signers: [TrustedKey] { [TrustedKey(name: "ops", key: ops.publicKey)] }
    let manifest = PolicyBundleManifest(revision: 7, roots: ["serving/request"], maxAgeSeconds: 600)

    static func file(_ path: String, _ text: String) throws -> PolicyBundleFile {
        try PolicyBundleFile(path: path, bytes: Array(text.utf8))
    }

    var files: [PolicyBundleFile] {
        get throws {
            [
                try Self.file("serving/request/kill.rego", "package serving.request\nallow := true\n"),
                try Self.file("serving/request/data.json", #"{"killed": []}"#),
            ]
        }
    }

    func envelope(_ files: [PolicyBundleFile], key: SigningKey? = nil) async throws -> [UInt8] {
        try await SignedPolicyBundle.sign(manifest: manifest, files: files, with: key ?? ops)
    }

    @Test func authoredManifestReadsOPAFieldsAndRefusesUnknownOnes() throws {
        let read = try PolicyBundleManifest(
            authored: Array(
                #"{"revision": "12", "roots": ["serving/request"], "rego_version": 0, "metadata": {"max_age_seconds": 30}}"#.utf8))
        #expect(read.revision == 12 && read.roots == ["serving/request"] && read.regoVersion == 0 && read.maxAgeSeconds == 30)
        #expect(try PolicyBundleManifest(authored: Array(#"{"revision": 3}"#.utf8)).regoVersion == 1)
        for bad in [
            #"{"revision": "v2"}"#, #"{"revision": -1}"#, #"{"revision": 1, "max_age": 5}"#,
            #"{"revision": 1, "metadata": {"max_age": 5}}"#,
            #"{"revision": 1, "rego_version": 2}"#, #"{"revision": 1, "roots": ["/serving"]}"#,
            #"{"revision": 1, "metadata": {"max_age_seconds": 0}}"#,
            "[1]",
        ] {
            #expect(throws: TrustFailure.self, "\(bad)") { try PolicyBundleManifest(authored: Array(bad.utf8)) }
        }
    }

    @Test func predicateRoundTripsWithItsSigningTime() throws {
        let issued = Date(timeIntervalSince1970: 1_800_000_000)
        let original = PolicyBundleManifest(revision: 4, roots: ["a/b"], regoVersion: 0, maxAgeSeconds: 9, issuedAt: issued)
        #expect(try PolicyBundleManifest(predicate: original.predicate) == original)
    }

    @Test func aBundleSignedByAPolicySignerVerifies() async throws {
        let (read, signer) = try SignedPolicyBundle.verified(
            envelope: try await envelope(try files), files: try files, signers: signers, at: Date())
        #expect(signer.name == "ops" && read.revision == 7 && read.maxAgeSeconds == 600)
    }

    @Test func everyFileIsAsSignedNoMoreNoLess() async throws {
        let signed = try await envelope(try files)
        let changed = try [Self.file("serving/request/kill.rego", "package serving.request\nallow := false\n"), files[1]]
        let added = try files + [Self.file("serving/request/extra.rego", "package serving.request\n")]
        let dropped = try [files[0]]
        let renamed = try [files[0], Self.file("serving/request/other.json", #"{"killed": []}"#)]
        for (tampered, code) in [
            (changed, TrustFailure.Code.digestMismatch), (added, .unexpectedFile), (dropped, .missingFile), (renamed, .unexpectedFile),
        ] {
            let failure = #expect(throws: TrustFailure.self) {
                try SignedPolicyBundle.verified(envelope: signed, files: tampered, signers: signers, at: Date())
            }
            #expect(failure?.code == code)
        }
    }

    @Test func aBundleSignedByAnyOtherKeyIsRefused() async throws {
        let modelSigner = SigningKey.generate(.p256)
        let failure = await #expect(throws: TrustFailure.self) {
            try SignedPolicyBundle.verified(
                envelope: try await envelope(try files, key: modelSigner), files: try files, signers: signers, at: Date())
        }
        #expect(failure?.code == .untrustedKey && failure?.detail.contains("policy signer") == true)
        #expect(throws: TrustFailure.self) { try SignedPolicyBundle.verified(envelope: [], files: try files, signers: [], at: Date()) }
    }

    @Test func anEnvelopeAroundSomethingElseIsNotABundle() async throws {
        let other = try await DSSEEnvelope.sign(payloadType: RevocationList.payloadType, payload: Array("{}".utf8), with: ops)
        let failure = #expect(throws: TrustFailure.self) {
            try SignedPolicyBundle.verified(envelope: Array(other.json.serialized().utf8), files: try files, signers: signers, at: Date())
        }
        #expect(failure?.code == .policyBundleInvalid)
    }

    @Test func filePathsArePlainAndNamePoliciesOrData() {
        for path in ["../x.rego", "/etc/x.rego", "a/./b.rego", "a//b.rego", ".hidden/x.rego", "a\\b.rego", "a/b\u{0}.rego"] {
            let failure = #expect(throws: TrustFailure.self, "\(path)") { try PolicyBundleFile(path: path, bytes: []) }
            #expect(failure?.code == .unsafePath)
        }
        #expect(throws: TrustFailure.self) { try PolicyBundleFile(path: "run.sh", bytes: []) }
        #expect(throws: Never.self) { try PolicyBundleFile(path: "serving/request/data.yaml", bytes: []) }
    }
}
