import Foundation
import Testing
import WardenJSON

@testable import WardenTrust

/// Trusted roots, Rekor entries, inclusion proofs and signed checkpoints, on the bundles of
/// sigstore-conformance: every case whose log material is sound must verify, and exactly the
/// cases built to break the proof, the checkpoint or the promise must be refused.
@Suite struct TransparencyLogTests {
    static let base = "sigstore-conformance/bundle-verify"

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: SharedSuites.path(base))) ?? [])
            .filter { FileManager.default.fileExists(atPath: SharedSuites.path("\(base)/\($0)/bundle.sigstore.json")) }.sorted()
    }

    static func root(for name: String) throws -> TrustedRoot {
        let own = "\(base)/\(name)/trusted_root.json"
        let path =
            FileManager.default.fileExists(atPath: SharedSuites.path(own)) ? own : "sigstore-conformance/trusted_root.public-good.json"
        return try TrustedRoot(bytes: try SharedSuites.bytes(path))
    }

    /// What the log material of a case's first entry proves: "ok", or the failure code.
    static func logVerdict(_ name: String) -> String {
        do {
            let json = try JSONParser.parse(try SharedSuites.bytes("\(base)/\(name)/bundle.sigstore.json"))
            guard case let .array(entries)? = json["verificationMaterial"]?["tlogEntries"], let first = entries.first else {
                return "no entries"
            }
            let entry = try TransparencyLogEntry(json: first)
            let root = try root(for: name)
            guard let log = root.transparencyLog(keyID: entry.logID) else { return "unknown log" }
            if entry.inclusionProof != nil { try entry.verifyInclusion(in: log) }
            if entry.signedEntryTimestamp != nil { try entry.verifySignedEntryTimestamp(in: log) }
            return "ok"
        } catch let failure as TrustFailure {
            return failure.code.rawValue
        } catch {
            return "\(error)"
        }
    }

    @Test func thePublicGoodRootHasItsLogsAuthoritiesAndWindows() throws {
        guard SharedSuites.available() else { return }
        let root = try TrustedRoot(bytes: try SharedSuites.bytes("sigstore-conformance/trusted_root.public-good.json"))
        #expect(root.transparencyLogs.map(\.baseURL) == ["https://rekor.sigstore.dev", "https://log2025-1.rekor.sigstore.dev"])
        #expect(root.transparencyLogs.map { $0.key?.algorithm } == ["ecdsa-p256", "ed25519"])
        #expect(root.certificateTransparencyLogs.count == 2 && root.certificateAuthorities.count == 2)
        #expect(root.timestampAuthorities.map(\.chain.count) == [2])
        let expired = try #require(root.certificateTransparencyLogs.first?.validity)
        #expect(expired.contains(Date(timeIntervalSince1970: 1_667_260_799.999)))  // 2022-10-31T23:59:59.999Z: the end is inclusive
        #expect(!expired.contains(Date(timeIntervalSince1970: 1_667_260_800.5)))
        #expect(!expired.contains(Date(timeIntervalSince1970: 1_615_679_999)))  // before 2021-03-14
    }

    @Test func theEmbeddedPublicGoodRootIsTheOneTheSuiteUses() throws {
        let embedded = TrustedRoot.publicGood
        #expect(embedded.transparencyLogs.count == 2 && embedded.timestampAuthorities.count == 1)
        guard SharedSuites.available() else { return }
        let suite = try JSONParser.parse(try SharedSuites.bytes("sigstore-conformance/trusted_root.public-good.json"))
        #expect(try JSONParser.parse(TrustedRoot.publicGoodJSON) == suite)
    }

    @Test func aLogWithoutAValidityStartIsRefused() throws {
        guard SharedSuites.available() else { return }
        #expect(throws: TrustFailure.self) {
            try TrustedRoot(bytes: try SharedSuites.bytes("\(Self.base)/trust-root-tlog-missing-validity-start_fail/trusted_root.json"))
        }
    }

    @Test func exactlyTheCasesThatBreakTheLogMaterialAreRefusedByIt() {
        guard SharedSuites.available() else { return }
        let verdicts = Dictionary(uniqueKeysWithValues: Self.cases.map { ($0, Self.logVerdict($0)) })
        let refused = Set(verdicts.filter { $0.value != "ok" }.keys)
        let expected: Set<String> = [
            "bundle-from-wrong-instance_fail", "bundle-negative-log-index_fail", "bundle-malformed-json_fail",
            // Made by editing a signed bundle: the log's promise no longer covers the entry.
            "bundle-empty-certificate-chain_fail", "bundle-invalid-base64-signature_fail", "bundle-unknown-version_fail",
            "bundle-with-root-cert_fail", "incorrect-public-key_fail",
            "checkpoint-bad-keyhint_fail", "checkpoint-wrong-roothash_fail", "inclusion-proof-corrupted-hash_fail",
            "invalid-checkpoint-signature_fail", "invalid-inclusion-proof_fail", "set-invalid-signature_fail",
            "rekor2-checkpoint-missing-log-signature_fail", "rekor2-checkpoint-missing-origin_fail",
            "rekor2-checkpoint-missing-root-hash_fail", "rekor2-checkpoint-missing-size_fail",
            "rekor2-checkpoint-no-matching-signature_fail", "trust-root-tlog-missing-validity-start_fail",
        ]
        for name in refused.symmetricDifference(expected).sorted() {
            Issue.record("\(name): \(verdicts[name] ?? "not a case")")
        }
    }

    @Test func timesParseWithAnyFractionAndOffset() {
        #expect(RFC3339.date("2022-10-31T23:59:59.999000Z") == Date(timeIntervalSince1970: 1_667_260_799.999))
        #expect(RFC3339.date("2021-01-12T11:53:27Z") == Date(timeIntervalSince1970: 1_610_452_407))
        #expect(RFC3339.date("2021-01-12T13:53:27.5+02:00") == Date(timeIntervalSince1970: 1_610_452_407.5))
        for bad in [
            "2021-01-12 11:53:27Z", "2021-13-12T11:53:27Z", "2021-01-12T11:53:27", "2021-01-12T11:53:27.Z", "2021-01-12T11:53:27Zjunk",
        ] {
            #expect(RFC3339.date(bad) == nil, "\(bad)")
        }
    }

    @Test func aProofIsBoundToItsLeafIndexAndSize() {
        let leaves = (0..<7).map { MerkleInclusionProof.leafHash([UInt8]("leaf \($0)".utf8)) }
        // Tree of 7: ((0 1)(2 3))((4 5) 6).
        let n = MerkleInclusionProof.nodeHash
        let root = n(n(n(leaves[0], leaves[1]), n(leaves[2], leaves[3])), n(n(leaves[4], leaves[5]), leaves[6]))
        let proofOf5 = MerkleInclusionProof(
            index: 5, treeSize: 7, rootHash: root, hashes: [leaves[4], leaves[6], n(n(leaves[0], leaves[1]), n(leaves[2], leaves[3]))])
        #expect(proofOf5.verifies(leafHash: leaves[5]))
        #expect(!proofOf5.verifies(leafHash: leaves[4]))
        #expect(!MerkleInclusionProof(index: 4, treeSize: 7, rootHash: root, hashes: proofOf5.hashes).verifies(leafHash: leaves[5]))
        #expect(!MerkleInclusionProof(index: 5, treeSize: 6, rootHash: root, hashes: proofOf5.hashes).verifies(leafHash: leaves[5]))
        let proofOf6 = MerkleInclusionProof(index: 6, treeSize: 7, rootHash: root, hashes: [n(leaves[4], leaves[5]), proofOf5.hashes[2]])
        #expect(proofOf6.verifies(leafHash: leaves[6]))
        #expect(
            !MerkleInclusionProof(index: 6, treeSize: 7, rootHash: root, hashes: proofOf6.hashes + [leaves[0]]).verifies(
                leafHash: leaves[6]))
    }
}
