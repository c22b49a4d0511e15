import Foundation
import Testing
import WardenJSON
import X509

@testable import WardenTrust

/// The signer a Fulcio certificate names, and the keyless identity policy, on the certificate of
/// sigstore-conformance's happy path (signed by its GitHub Actions beacon workflow).
@Suite struct FulcioIdentityTests {
    static let beacon =
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
    static let actions = "https://token.actions.githubusercontent.com"

    static func certificate(_ name: String) throws -> Certificate {
        let bundle = try SigstoreBundle(bytes: try SharedSuites.bytes("sigstore-conformance/bundle-verify/\(name)/bundle.sigstore.json"))
        guard case let .certificates(chain) = bundle.material, let leaf = chain.first else {
            throw TrustFailure(.malformedBundle, "no certificate")
        }
        return try Certificate(derEncoded: leaf)
    }

    @Test func theCertificateNamesItsWorkflowAndIssuer() throws {
        guard SharedSuites.available() else { return }
        for name in ["happy-path-v0.1", "happy-path-v0.3", "rekor2-happy-path"] {
            #expect(
                try FulcioIdentity(certificate: Self.certificate(name))
                    == FulcioIdentity(subjectAlternativeName: Self.beacon, issuer: Self.actions))
        }
    }

    @Test func thePolicyMatchesWholeValuesExactlyOrByPattern() throws {
        let signer = FulcioIdentity(subjectAlternativeName: Self.beacon, issuer: Self.actions)
        try KeylessIdentityPolicy(identity: .exact(Self.beacon), issuer: .exact(Self.actions)).check(signer)
        try KeylessIdentityPolicy(
            identity: .pattern(#"https://github\.com/sigstore-conformance/.+@refs/heads/main"#), issuer: .exact(Self.actions)
        ).check(signer)
        let refusals: [KeylessIdentityPolicy] = [
            KeylessIdentityPolicy(identity: .exact(Self.beacon), issuer: .exact("https://accounts.google.com")),
            KeylessIdentityPolicy(identity: .exact(Self.beacon + "x"), issuer: .exact(Self.actions)),
            // A pattern must match the whole identity, not a prefix of it.
            KeylessIdentityPolicy(identity: .pattern(#"https://github\.com/sigstore-conformance/"#), issuer: .exact(Self.actions)),
        ]
        for policy in refusals {
            #expect {
                try policy.check(signer)
            } throws: { error in
                (error as? TrustFailure)?.code == .identityMismatch
            }
        }
        #expect(throws: TrustFailure.self) {
            try KeylessIdentityPolicy(identity: .pattern("(unclosed"), issuer: .exact(Self.actions)).check(signer)
        }
    }
}
