import Crypto
import Foundation
import SwiftASN1
import Testing
import X509

@testable import WardenTrust

/// What a keyless signing certificate may not be, beyond what the conformance suite covers.
@Suite struct FulcioCertificateTests {
    static func selfSigned(ca: Bool) throws -> [UInt8] {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("signer") }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date(), notValidAfter: Date() + 600,
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: ca ? extensions : Certificate.Extensions(),
            issuerPrivateKey: .init(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    @Test func aSigningCertificateThatMayIssueOthersIsRefused() throws {
        let failure = #expect(throws: TrustFailure.self) { try FulcioCertificate(chain: [try Self.selfSigned(ca: true)]) }
        #expect(failure?.code == .certificateInvalid && failure?.detail.contains("CA certificate") == true)
        #expect(throws: Never.self) { try FulcioCertificate(chain: [try Self.selfSigned(ca: false)]) }
    }

    @Test func aChainCarryingItsOwnRootIsRefused() throws {
        let failure = #expect(throws: TrustFailure.self) {
            try FulcioCertificate(chain: [try Self.selfSigned(ca: false), try Self.selfSigned(ca: true)])
        }
        #expect(failure?.detail.contains("root") == true)
    }

    @Test func aCertificateIsCheckedAtTheSigningTimeNotLater() async throws {
        let certificate = try FulcioCertificate(chain: [try Self.selfSigned(ca: false)])
        let failure = await #expect(throws: TrustFailure.self) {
            _ = try await certificate.verify(at: Date() + 3600, in: .publicGood)
        }
        #expect(failure?.detail.contains("not at") == true)
        // Valid then, but no CA of the public-good root issued it.
        let unknown = await #expect(throws: TrustFailure.self) { _ = try await certificate.verify(at: Date() + 60, in: .publicGood) }
        #expect(unknown?.code == .certificateInvalid && unknown?.detail.contains("does not chain") == true)
    }
}
