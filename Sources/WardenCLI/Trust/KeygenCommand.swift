import ArgumentParser
import Foundation
import WardenTrust

/// `warden keygen`: a development signing key pair, made on this machine at run time.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Generate a signing key pair (PKCS#8 private key, SPKI public key).")

    @Option(name: .long, help: "Path prefix: writes PREFIX.key (mode 0600) and PREFIX.pub.")
    var out: String

    @Option(name: .long, help: "ecdsa-p256 (default), ecdsa-p384 or ed25519.")
    var algorithm: String = SigningKey.Algorithm.p256.rawValue

    func run() throws {
        guard let algorithm = SigningKey.Algorithm(rawValue: algorithm) else {
            throw ValidationError("unknown algorithm \(algorithm); use one of \(SigningKey.Algorithm.allCases.map(\.rawValue))")
        }
        let key = SigningKey.generate(algorithm)
        let privatePath = out + ".key"
        // Created 0600 from the start: the private key is never readable by others, not even briefly.
        guard
            FileManager.default.createFile(
                atPath: privatePath, contents: Data((key.pemRepresentation ?? "").utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw ValidationError("cannot write \(privatePath)")
        }
        try Data(key.publicKey.pemRepresentation.utf8).write(to: URL(fileURLWithPath: out + ".pub"))
        print("wrote \(privatePath) and \(out).pub (\(algorithm.rawValue), key id \(key.publicKey.fingerprint.hex))")
    }
}
