import ArgumentParser
import Foundation
import WardenRegistry
import WardenTrust

/// `warden revocation publish`: sign and publish the list of revoked model digests.
struct RevocationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revocation", abstract: "Manage the signed revocation list.", subcommands: [RevocationPublishCommand.self])
}

struct RevocationPublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "publish", abstract: "Sign and publish a revocation list.")

    @Option(name: .long, help: "Where: oci:PATH:revocations or HOST/REPOSITORY:revocations.")
    var to: String

    @Option(name: .customLong("private-key"), help: "A revocation signer's key: \(CLIKeys.help).")
    var privateKey: String

    @Option(name: .long, help: "Serial number; must grow with every list.")
    var serial: Int64

    @Option(name: .customLong("valid-for"), help: "Seconds until the list expires (default one week).")
    var validFor: Int = 7 * 24 * 3600

    @Option(name: .long, parsing: .upToNextOption, help: "Revoked digests, each sha256:HEX or sha256:HEX=reason.")
    var revoke: [String] = []

    @Option(name: .long, help: "Also write the envelope here.")
    var out: String?

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        try await CLIKeys.signing(publish)
    }

    private func publish() async throws {
        let key = try await CLIKeys.signingKey(privateKey)
        let entries = try revoke.map { item -> RevocationList.Entry in
            let parts = item.split(separator: "=", maxSplits: 1)
            guard let digest = SHA256Digest(parsing: String(parts[0])) else { throw ValidationError("\(item): not sha256:HEX[=reason]") }
            return RevocationList.Entry(digest: digest, reason: parts.count > 1 ? String(parts[1]) : "")
        }
        let now = Date()
        let list = RevocationList(
            serial: serial, issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(validFor)), entries: entries)
        let envelope = try await DSSEEnvelope.sign(payloadType: RevocationList.payloadType, payload: list.payload, with: key)
        let bytes = Array(envelope.json.serialized().utf8)
        if let out { try Data(bytes).write(to: URL(fileURLWithPath: out)) }
        let reference = try ArtifactReference(parsing: to)
        let store = try registry.store(for: reference)
        if let layout = store as? LayoutStore { try layout.create() }
        let descriptor = try await RevocationListStore(store: store).publish(envelope: bytes, tag: reference.reference)
        print("published revocation list \(serial) (\(entries.count) revoked) as \(reference) \(descriptor.digest)")
    }
}
