import Crypto
import Foundation
import Testing
import X509
import _CryptoExtras

@testable import WardenTrust

/// Every key type Warden verifies with, against signatures made by swift-crypto itself.
@Suite struct VerificationKeyTests {
    let message = Array("DSSEv1 28 application/vnd.in-toto+json 2 {}".utf8)

    @Test(arguments: SigningKey.Algorithm.allCases)
    func generatedKeysRoundTripThroughPEM(_ algorithm: SigningKey.Algorithm) async throws {
        let key = SigningKey.generate(algorithm)
        let reloaded = try SigningKey(pem: try #require(key.pemRepresentation))
        let signature = try await reloaded.signature(for: message)
        let verifier = try VerificationKey(pem: key.publicKey.pemRepresentation)
        #expect(verifier.isValidSignature(signature, for: message))
        #expect(!verifier.isValidSignature(signature, for: message + [0]))
        #expect(verifier.algorithm == algorithm.rawValue)
    }

    @Test func rsaPKCS1AndPSSSignaturesVerify() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let verifier = VerificationKey(Certificate.PublicKey(key.publicKey))
        let reparsed = try VerificationKey(pem: verifier.pemRepresentation)
        for padding in [_RSA.Signing.Padding.insecurePKCS1v1_5, .PSS] {
            let signature = Array(try key.signature(for: SHA256.hash(data: message), padding: padding).rawRepresentation)
            #expect(reparsed.isValidSignature(signature, for: message))
            #expect(!reparsed.isValidSignature(signature, for: Array("other".utf8)))
        }
        #expect(reparsed.algorithm == "rsa")
    }

    @Test func p521SignaturesUseSHA512() throws {
        let key = P521.Signing.PrivateKey()
        let verifier = VerificationKey(Certificate.PublicKey(key.publicKey))
        let signature = Array(try key.signature(for: SHA512.hash(data: message)).derRepresentation)
        #expect(verifier.isValidSignature(signature, for: message))
        let sha256Signature = Array(try key.signature(for: SHA256.hash(data: message)).derRepresentation)
        #expect(!verifier.isValidSignature(sha256Signature, for: message))
    }

    @Test func modelSigningHintIsTheSHA256OfThePEM() throws {
        let key = SigningKey.generate(.p256).publicKey
        #expect(key.modelSigningHint == SHA256Digest.of(Array(key.pemRepresentation.utf8)).hex)
        #expect(key.pemRepresentation.hasSuffix("-----END PUBLIC KEY-----\n"))
    }

    @Test(arguments: ["", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a key"])
    func malformedKeysAreRefused(_ pem: String) {
        let failure = #expect(throws: TrustFailure.self) { try VerificationKey(pem: pem) }
        #expect(failure?.code == .malformedKey)
    }
}

/// sigstore-go's public-key bundle v0.1: a DSSE envelope signed with a managed key.
@Suite struct SigstoreGoVectorTests {
    @Test func publicKeyDSSEBundleV01Verifies() async throws {
        guard SharedSuites.available() else { return }
        let bundle = try SigstoreBundle(bytes: SharedSuites.bytes("signing-vectors/sigstore-go/sg-bundle-publish.json"))
        #expect(bundle.version == .v0_1)
        guard case let .dsse(envelope) = bundle.content else {
            Issue.record("expected a DSSE bundle")
            return
        }
        let key = try VerificationKey(pem: SharedSuites.text("signing-vectors/sigstore-go/sg-publish_key.pub"))
        let verifier = ArtifactBundleVerifier(trust: .keys([TrustedKey(name: "npm", key: key)]))
        let (signer, statement) = try await verifier.verifyStatement(in: envelope, bundle: bundle, at: Date())
        #expect(signer == .key(name: "npm", fingerprint: key.fingerprint))
        #expect(statement.subjects.first?.name == "pkg:npm/sigstore@1.3.0")
        let stranger = ArtifactBundleVerifier(trust: .keys([TrustedKey(name: "other", key: SigningKey.generate(.p256).publicKey)]))
        await #expect(throws: TrustFailure.self) { _ = try await stranger.verifyStatement(in: envelope, bundle: bundle, at: Date()) }
    }
}
