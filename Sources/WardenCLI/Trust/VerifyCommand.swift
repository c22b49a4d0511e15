import ArgumentParser
import Foundation
import WardenJSON
import WardenTrust

/// `warden verify`: check a model's signature without writing anything. The `key` and
/// `certificate` forms mirror `model_signing verify` for people migrating from it.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify a signed model; exit 0 only when it verifies.",
        subcommands: [VerifyArtifactCommand.self, VerifyKeyCommand.self, VerifyCertificateCommand.self, VerifySigstoreCommand.self],
        defaultSubcommand: VerifyArtifactCommand.self)
}

/// What every direct verification form takes.
struct DirectVerifyOptions: ParsableArguments {
    @Argument(help: "The model folder (or single file).")
    var model: String

    @Option(name: .long, help: "The signature bundle (model.sig).")
    var signature: String

    @Option(name: .customLong("ignore-paths"), parsing: .upToNextOption, help: "Paths not covered by the signature.")
    var ignorePaths: [String] = []

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    func verify(trust: () async throws(TrustFailure) -> BundleTrust) async throws {
        try await TrustOutcome.run(json: json) { () async throws(TrustFailure) in
            let bundle = try SigstoreBundle(bytes: try TrustOutcome.read(signature))
            var ignored = IgnorePaths.relative(ignorePaths, to: model)
            if let inside = IgnorePaths.inside(model: model, signature) { ignored.append(inside) }
            let report = try await ModelSignatureVerifier(trust: try await trust(), ignorePaths: ignored).verify(
                bundle: bundle, model: model)
            if json {
                print(
                    JSONValue.object([
                        ("verified", .bool(true)), ("signer", .string(report.signer.description)),
                        ("model_name", .string(report.manifest.modelName)), ("digest", .string(report.manifest.rootDigest.description)),
                        ("files", .integer(Int64(report.manifest.resources.count))),
                    ]).serialized())
            } else {
                print("Verification succeeded: \(report.manifest.resources.count) resources, signed by \(report.signer)")
            }
        }
    }
}

struct VerifyKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "key", abstract: "Verify with a public key (model_signing verify key).")

    @OptionGroup var options: DirectVerifyOptions

    @Option(name: .customLong("public-key"), help: "The public key: \(CLIKeys.help).")
    var publicKey: String

    func run() async throws {
        try await options.verify { () async throws(TrustFailure) in
            .keys([TrustedKey(name: KeyReference(publicKey).description, key: try await CLIKeys.publicKey(publicKey))])
        }
    }
}

struct VerifyCertificateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certificate", abstract: "Verify a certificate-signed model against CA roots (model_signing verify certificate).")

    @OptionGroup var options: DirectVerifyOptions

    @Option(name: .customLong("certificate-chain"), parsing: .upToNextOption, help: "PEM root (and intermediate) certificates to trust.")
    var certificateChain: [String]

    func run() async throws {
        try await options.verify { () async throws(TrustFailure) in
            var pems: [String] = []
            for path in certificateChain {
                let pem = try TrustOutcome.read(path)
                pems.append(String(decoding: pem, as: UTF8.self))
            }
            return .certificateAuthorities(try CertificateChainVerifier(rootPEMs: pems))
        }
    }
}

struct VerifySigstoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sigstore",
        abstract: "Verify a keylessly signed model offline against a Sigstore trusted root (model_signing verify sigstore).")

    @OptionGroup var options: DirectVerifyOptions

    @OptionGroup var identity: KeylessIdentityOptions

    func run() async throws {
        try await options.verify { () async throws(TrustFailure) in
            .sigstore(SigstoreTrust(root: try identity.root(), signers: .identities([try identity.policy()])))
        }
    }
}
