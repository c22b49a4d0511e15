import Foundation
import NIOSSL
import SwiftASN1
import X509

/// A certificate chain and its private key read from PEM files, which may be one file: a
/// secrets agent that renders both from one issuance into one file (Vault Agent's answer to
/// separately issued certificates and keys that do not match) is given as both paths. Blocks
/// are picked by their label, so the order inside the file does not matter.
public struct PEMCredentials: Sendable {
    public let chain: [NIOSSLCertificate]
    public let key: NIOSSLPrivateKey
    /// The leaf certificate, parsed.
    public let leaf: Certificate

    /// Fails when either file holds no block of its kind or the key is not the leaf's.
    public init(certificateFile: String, privateKeyFile: String) throws {
        let certificateBlocks = try Self.blocks(in: certificateFile)
        let keyBlocks = privateKeyFile == certificateFile ? certificateBlocks : try Self.blocks(in: privateKeyFile)
        let certificates = certificateBlocks.filter { $0.discriminator == "CERTIFICATE" }
        guard let first = certificates.first else { throw PEMCredentialsError("\(certificateFile) holds no certificate") }
        let keys = keyBlocks.filter { $0.discriminator.hasSuffix("PRIVATE KEY") }
        guard keys.count == 1, let keyBlock = keys.first else {
            throw PEMCredentialsError("\(privateKeyFile) must hold exactly one private key, it holds \(keys.count)")
        }
        leaf = try Certificate(pemDocument: first)
        // A pair that does not match is refused here, not at the first handshake: at start that
        // is a clear error, and on rotation the previous pair keeps serving.
        guard try Certificate.PrivateKey(pemDocument: keyBlock).publicKey == leaf.publicKey else {
            throw PEMCredentialsError("the private key in \(privateKeyFile) does not match the certificate in \(certificateFile)")
        }
        chain = try certificates.map { try NIOSSLCertificate(bytes: $0.derBytes, format: .der) }
        key = try NIOSSLPrivateKey(bytes: Array(keyBlock.pemString.utf8), format: .pem)
    }

    private static func blocks(in path: String) throws -> [PEMDocument] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PEMCredentialsError("cannot read \(path)")
        }
        return try PEMDocument.parseMultiple(pemString: text)
    }
}

public struct PEMCredentialsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
