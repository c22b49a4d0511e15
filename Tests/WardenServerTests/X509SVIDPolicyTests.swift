import Crypto
import Foundation
import Testing
import X509

@testable import WardenServer

/// The X509-SVID leaf rules, on certificates built here with each rule broken in turn. (The
/// interop test `test_svid_rules.py` sends openssl-made ones through real handshakes; a leaf
/// whose keyUsage forbids signatures never gets that far, since OpenSSL will not sign with it.)
@Suite struct X509SVIDPolicyTests {
    static let key = P256.Signing.PrivateKey()

    static func leaf(@ExtensionsBuilder _ extensions: () throws -> Result<Certificate.Extensions, any Error>) throws -> Certificate {
        let name = try DistinguishedName { CommonName("svid") }
        return try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date() - 60, notValidAfter: Date() + 3600,
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: try Certificate.Extensions(builder: extensions),
            issuerPrivateKey: .init(key))
    }

    static let san = SubjectAlternativeNames([.uniformResourceIdentifier("spiffe://warden.test/ns/serving/sa/gateway")])

    @Test func aConformingLeafPasses() throws {
        let certificate = try Self.leaf {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.clientAuth])
            Self.san
        }
        #expect(X509SVIDPolicy.violation(of: certificate, role: .client) == nil)
        #expect(X509SVIDPolicy.violation(of: certificate, role: .server) == .wrongExtendedKeyUsage)
    }

    @Test func eachRuleIsNamed() throws {
        let ca = try Self.leaf {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
            Self.san
        }
        #expect(X509SVIDPolicy.violation(of: ca, role: .client) == .leafIsCA)
        let noUsage = try Self.leaf { Self.san }
        #expect(X509SVIDPolicy.violation(of: noUsage, role: .client) == .keyUsageMissing)
        let agreementOnly = try Self.leaf {
            Critical(KeyUsage(keyAgreement: true))
            Self.san
        }
        #expect(X509SVIDPolicy.violation(of: agreementOnly, role: .client) == .keyUsageWithoutDigitalSignature)
        let signsCertificates = try Self.leaf {
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
            Self.san
        }
        #expect(X509SVIDPolicy.violation(of: signsCertificates, role: .client) == .keyUsageSignsCertificates)
        let signsCRLs = try Self.leaf {
            Critical(KeyUsage(digitalSignature: true, cRLSign: true))
            Self.san
        }
        #expect(X509SVIDPolicy.violation(of: signsCRLs, role: .client) == .keyUsageSignsCertificates)
    }
}
