import ArgumentParser
import Crypto
import Foundation
import SwiftASN1
import X509

/// `warden dev-pki`: a throwaway PKI for local mTLS, made at run time (no key is ever
/// committed): a CA that is the trust bundle, Warden's server certificate (localhost,
/// 127.0.0.1 and its SPIFFE ID) and client certificates, each with one SPIFFE ID.
struct DevPKICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-pki", abstract: "Generate a development CA, server and client certificates with SPIFFE IDs.")

    @Option(help: "Directory to write into (created; keys are mode 0600).")
    var out: String

    @Option(help: "SPIFFE trust domain.")
    var trustDomain = "warden.test"

    @Option(help: "Client certificates to make, as NAME=PATH (SPIFFE ID spiffe://DOMAIN/PATH). Repeatable.")
    var client: [String] = ["gateway=ns/serving/sa/gateway"]

    @Option(help: "Validity in days.")
    var days = 30

    func run() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName {
            OrganizationName("Warden development")
            CommonName("Warden dev CA \(trustDomain)")
        }
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey), notValidBefore: now - 300,
            notValidAfter: now + Double(days) * 86_400, issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectAlternativeNames([.uniformResourceIdentifier("spiffe://\(trustDomain)")])
            }, issuerPrivateKey: .init(caKey))
        try write(try ca.serializeAsPEM().pemString, to: "ca.pem", secret: false)
        // Kept so more identities can be minted for this trust domain; a dev PKI, never a real one.
        try write(caKey.pemRepresentation, to: "ca.key", secret: true)

        func leaf(_ name: String, id: String, usage: [ExtendedKeyUsage.Usage], hosts: Bool) throws {
            let key = P256.Signing.PrivateKey()
            var names: [GeneralName] = [.uniformResourceIdentifier(id)]
            if hosts { names += [.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))] }
            let certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 300,
                notValidAfter: now + Double(days) * 86_400, issuer: caName,
                subject: try DistinguishedName {
                    OrganizationName("Warden development")
                    CommonName(name)
                }, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage(usage)
                    SubjectAlternativeNames(names)
                }, issuerPrivateKey: .init(caKey))
            try write(try certificate.serializeAsPEM().pemString, to: "\(name).pem", secret: false)
            try write(key.pemRepresentation, to: "\(name).key", secret: true)
            print("\(name): \(id)")
        }
        // Like an X509-SVID, Warden's certificate serves and calls: it is also its client identity
        // towards the feature proxy.
        try leaf("server", id: "spiffe://\(trustDomain)/warden", usage: [.serverAuth, .clientAuth], hosts: true)
        for entry in client {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].contains("/") else { throw ValidationError("--client takes NAME=PATH, got \(entry)") }
            try leaf(parts[0], id: "spiffe://\(trustDomain)/\(parts[1])", usage: [.clientAuth], hosts: false)
        }
    }

    private func write(_ text: String, to name: String, secret: Bool) throws {
        let path = (out as NSString).appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: secret ? 0o600 : 0o644]),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw ValidationError("cannot write \(path)") }
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data((text + "\n").utf8))
        try handle.close()
    }
}
