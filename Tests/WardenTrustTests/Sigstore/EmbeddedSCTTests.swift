import Foundation
import Testing
import X509

@testable import WardenTrust

/// Fulcio's embedded SCTs against the CT log keys of each case's trusted root: every keyless
/// certificate of sigstore-conformance carries one a trusted log signed, except the case whose
/// root holds the wrong CT key and the bundle from another Sigstore instance.
@Suite struct EmbeddedSCTTests {
    static let base = "sigstore-conformance/bundle-verify"

    /// "valid", "no valid SCT", or why the case has no certificate to check.
    static func verdict(_ name: String) -> String {
        guard let bundle = try? SigstoreBundle(bytes: SharedSuites.bytes("\(base)/\(name)/bundle.sigstore.json")) else {
            return "no bundle"
        }
        guard case let .certificates(chain) = bundle.material, let der = chain.first, let leaf = try? Certificate(derEncoded: der) else {
            return "no certificate"
        }
        guard let root = try? TransparencyLogTests.root(for: name) else { return "no root" }
        let issuers = root.certificateAuthorities.flatMap(\.chain) + chain.dropFirst().compactMap { try? Certificate(derEncoded: $0) }
        guard let issuer = issuers.first(where: { $0.subject == leaf.issuer }) else { return "no issuer" }
        guard let scts = try? EmbeddedSCT.all(in: leaf) else { return "malformed SCTs" }
        return scts.contains { $0.isValid(for: leaf, issuer: issuer, in: root) } ? "valid" : "no valid SCT"
    }

    @Test func everyKeylessCertificateHasAnSCTFromATrustedLog() {
        guard SharedSuites.available() else { return }
        let verdicts = Dictionary(uniqueKeysWithValues: TransparencyLogTests.cases.map { ($0, Self.verdict($0)) })
        #expect(verdicts["happy-path-v0.3"] == "valid" && verdicts["bundle-with-sct-with-extensions"] == "valid")
        // The root holds the wrong CT key; the bundle comes from another Sigstore instance.
        let refusedBySCT = ["invalid-ct-key_fail", "bundle-from-wrong-instance_fail"]
        for name in refusedBySCT { #expect(verdicts[name] == "no valid SCT", "\(name)") }
        let unexpected = verdicts.filter { name, verdict in
            // Managed-key bundles have no certificate; broken bundles and roots are refused before any SCT.
            let refusedEarlier = name.hasSuffix("_fail") && ["no bundle", "no root"].contains(verdict)
            return verdict != "valid" && verdict != "no certificate" && !refusedEarlier && !refusedBySCT.contains(name)
        }
        for (name, verdict) in unexpected.sorted(by: { $0.key < $1.key }) { Issue.record("\(name): \(verdict)") }
        #expect(verdicts.values.filter { $0 == "valid" }.count >= 40)
    }

    @Test func thePrecertificateTBSDropsOnlyTheSCTExtension() throws {
        guard SharedSuites.available() else { return }
        let bundle = try SigstoreBundle(bytes: SharedSuites.bytes("\(Self.base)/happy-path-v0.3/bundle.sigstore.json"))
        guard case let .certificates(chain) = bundle.material else { Issue.record("no certificate"); return }
        let leaf = try Certificate(derEncoded: chain[0])
        let tbs = try EmbeddedSCT.precertificateTBS(of: leaf)
        #expect(tbs.count < leaf.tbsCertificateBytes.count)
        #expect(try EmbeddedSCT.all(in: leaf).count == 1)
        // Everything but the SCT extension survives, byte for byte.
        let kept = leaf.extensions.filter { $0.oid != EmbeddedSCT.extensionID }
        #expect(kept.count == leaf.extensions.count - 1)
        let original = Array(leaf.tbsCertificateBytes)
        for ext in kept {
            #expect(contains(tbs, Array(ext.value)) && contains(original, Array(ext.value)))
        }
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return needle.isEmpty }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}
