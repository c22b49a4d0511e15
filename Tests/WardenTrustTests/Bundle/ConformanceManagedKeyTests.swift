import Foundation
import Testing
import WardenTrust

/// The `managed-key-*` cases of sigstore-conformance: bundles v0.3 whose signer is a key the
/// verifier already holds. Cases ending in `_fail` must be refused.
@Suite struct ConformanceManagedKeyTests {
    static let base = "sigstore-conformance/bundle-verify"

    static var cases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: SharedSuites.path(base))) ?? []
        return names.filter { $0.hasPrefix("managed-key-") }.sorted()
    }

    @Test func suiteHasManagedKeyCases() {
        guard SharedSuites.available() else { return }
        #expect(Self.cases.count >= 4)
    }

    @Test(arguments: cases) func managedKeyCase(_ name: String) async throws {
        let folder = "\(Self.base)/\(name)"
        let artifactPath =
            FileManager.default.fileExists(atPath: SharedSuites.path("\(folder)/artifact"))
            ? "\(folder)/artifact" : "sigstore-conformance/a.txt"
        let outcome: Result<ArtifactBundleVerifier.Result, TrustFailure>
        do throws(TrustFailure) {
            var keys: [TrustedKey] = []
            if FileManager.default.fileExists(atPath: SharedSuites.path("\(folder)/key.pub")) {
                let pem = (try? SharedSuites.text("\(folder)/key.pub")) ?? ""
                keys.append(TrustedKey(name: name, key: try VerificationKey(pem: pem)))
            }
            let bundle = try SigstoreBundle(bytes: (try? SharedSuites.bytes("\(folder)/bundle.sigstore.json")) ?? [])
            let artifact = (try? SharedSuites.bytes(artifactPath)) ?? []
            outcome = .success(try await ArtifactBundleVerifier(trust: .keys(keys)).verify(bundle, artifact: artifact))
        } catch {
            outcome = .failure(error)
        }
        if name.hasSuffix("_fail") {
            guard case .failure = outcome else {
                Issue.record("\(name) must be refused but verified")
                return
            }
        } else {
            #expect(throws: Never.self) { try outcome.get() }
        }
    }
}
