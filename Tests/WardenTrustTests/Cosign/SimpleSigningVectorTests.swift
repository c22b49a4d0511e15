import Foundation
import Testing
import WardenTrust

/// containers/image's real cosign signature of an image manifest.
@Suite struct SimpleSigningVectorTests {
    static let base = "signing-vectors/containers-image"

    static func material() throws -> (payload: [UInt8], signature: [UInt8], manifest: SHA256Digest, keys: [TrustedKey]) {
        let key = try VerificationKey(pem: SharedSuites.text("\(base)/cosign.pub"))
        return (
            try SharedSuites.bytes("\(base)/payload"), try SharedSuites.bytes("\(base)/sig.der"),
            SHA256Digest.of(try SharedSuites.bytes("\(base)/manifest.json")), [TrustedKey(name: "cosign", key: key)]
        )
    }

    @Test func realCosignSignatureVerifies() throws {
        guard SharedSuites.available() else { return }
        let m = try Self.material()
        let key = try SimpleSigningVerifier(keys: m.keys).verify(payload: m.payload, signature: m.signature, manifestDigest: m.manifest)
        #expect(key.name == "cosign")
        #expect(try SimpleSigningPayload(bytes: m.payload).dockerReference == "192.168.64.2:5000/cosign-signed-single-sample")
    }

    @Test func signatureForAnotherManifestIsRefused() throws {
        guard SharedSuites.available() else { return }
        let m = try Self.material()
        let failure = #expect(throws: TrustFailure.self) {
            try SimpleSigningVerifier(keys: m.keys).verify(
                payload: m.payload, signature: m.signature, manifestDigest: SHA256Digest.of(Array("another manifest".utf8)))
        }
        #expect(failure?.code == .subjectMismatch)
    }

    @Test func alteredPayloadIsRefused() throws {
        guard SharedSuites.available() else { return }
        let m = try Self.material()
        var payload = m.payload
        payload[payload.count - 2] ^= 0x20
        let failure = #expect(throws: TrustFailure.self) {
            try SimpleSigningVerifier(keys: m.keys).verify(payload: payload, signature: m.signature, manifestDigest: m.manifest)
        }
        #expect(failure?.code == .untrustedKey || failure?.code == .malformedStatement)
    }
}
