import ArgumentParser
import Foundation
import WardenTrust

/// `warden sign`: an OpenSSF model-signing bundle for a model folder, as `model_signing sign key`
/// writes it.
struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign", abstract: "Sign a model with a private key (OpenSSF model-signing).")

    @Argument(help: "The model folder (or single file).")
    var model: String

    @Option(name: .customLong("private-key"), help: "The signing key: \(CLIKeys.help).")
    var privateKey: String

    @Option(name: .long, help: "Where to write the bundle.")
    var signature: String = "model.sig"

    @Option(name: .customLong("ignore-paths"), parsing: .upToNextOption, help: "Paths to leave out of the signature.")
    var ignorePaths: [String] = []

    @Option(name: .customLong("shard-size"), help: "Hash files in shards of this many bytes instead of whole.")
    var shardSize: Int64?

    @Option(name: .customLong("model-name"), help: "Name in the statement's subject (default: the folder name).")
    var modelName: String?

    func run() async throws {
        try await CLIKeys.signing(sign)
    }

    private func sign() async throws {
        let key = try await CLIKeys.signingKey(privateKey)
        var ignored = IgnorePaths.relative(ignorePaths, to: model)
        // The signature never signs itself.
        if let inside = IgnorePaths.inside(model: model, signature) { ignored.append(inside) }
        let method: SignedModelManifest.Method = shardSize.map { .shards(shardSize: $0) } ?? .files
        guard shardSize.map({ $0 > 0 }) ?? true else { throw ValidationError("--shard-size must be positive") }
        let name = modelName ?? URL(fileURLWithPath: model).standardizedFileURL.lastPathComponent
        let bundle = try await ModelSigner(key: key, method: method, ignorePaths: Array(Set(ignored)).sorted()).sign(
            model: model, modelName: name)
        try Data(bundle).write(to: URL(fileURLWithPath: signature), options: .atomic)
        print("signed \(model) as \(name) with key \(key.publicKey.fingerprint.hex.prefix(16)); bundle: \(signature)")
    }
}
