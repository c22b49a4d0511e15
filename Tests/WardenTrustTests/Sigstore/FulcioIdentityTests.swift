import Crypto
import Foundation
import SwiftASN1
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

    /// A certificate whose two issuer extensions disagree: sigstore-python reads .1.1, others
    /// .1.8, so whichever Warden picked, another verifier would see another signer.
    static func certificate(issuerV1: String?, issuerV2: String?) throws -> Certificate {
        let key = P256.Signing.PrivateKey()
        var extensions = Certificate.Extensions()
        try extensions.append(Certificate.Extension(SubjectAlternativeNames([.rfc822Name("signer@example.com")]), critical: false))
        if let issuerV1 {
            try extensions.append(Certificate.Extension(oid: FulcioIdentity.issuerV1, critical: false, value: Array(issuerV1.utf8)[...]))
        }
        if let issuerV2 {
            var serializer = DER.Serializer()
            try serializer.serialize(ASN1UTF8String(issuerV2))
            try extensions.append(
                Certificate.Extension(oid: FulcioIdentity.issuerV2, critical: false, value: serializer.serializedBytes[...]))
        }
        let name = try DistinguishedName { CommonName("test") }
        return try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date(), notValidAfter: Date() + 600,
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: .init(key))
    }

    @Test func twoIssuersThatDisagreeNameNoSigner() throws {
        let google = "https://accounts.google.com"
        #expect(try FulcioIdentity(certificate: Self.certificate(issuerV1: google, issuerV2: google)).issuer == google)
        #expect(try FulcioIdentity(certificate: Self.certificate(issuerV1: google, issuerV2: nil)).issuer == google)
        #expect(try FulcioIdentity(certificate: Self.certificate(issuerV1: nil, issuerV2: google)).issuer == google)
        let failure = #expect(throws: TrustFailure.self) {
            try FulcioIdentity(certificate: Self.certificate(issuerV1: google, issuerV2: Self.actions))
        }
        #expect(failure?.code == .certificateInvalid)
        #expect(throws: TrustFailure.self) { try FulcioIdentity(certificate: Self.certificate(issuerV1: nil, issuerV2: nil)) }
    }
}
