import ArgumentParser
import Foundation
import WardenJSON
import WardenRegistry
import WardenServing
import WardenTrust

/// `warden policy push`: sign a folder of Rego modules and data documents as a policy bundle
/// and publish it as an OCI artifact.
struct PolicyPushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Sign a policy folder as a bundle and publish it (HOST/REPO:TAG or oci:PATH:TAG).")

    @Argument(help: "The bundle's folder: .rego modules, .json/.yaml data documents, and an optional .manifest (OPA's fields).")
    var directory: String

    @Option(name: .long, help: "Where: HOST/REPOSITORY:TAG or oci:PATH:TAG.")
    var to: String

    @Option(name: .customLong("private-key"), help: "A policy signer's key: \(CLIKeys.help).")
    var privateKey: String

    @Option(name: .long, help: "The revision (overrides .manifest's); it must grow with every bundle.")
    var revision: Int64?

    @Option(name: .customLong("max-age"), help: "Seconds a replica may enforce this bundle after it is signed (overrides .manifest's).")
    var maxAge: Int?

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        try await CLIKeys.signing(publish)
    }

    private func publish() async throws {
        var manifest = try PolicyBundleFolder.manifest(in: directory)
        if let revision {
            guard revision >= 0 else { throw ValidationError("--revision must be non-negative") }
            manifest.revision = revision
        }
        if let maxAge {
            guard maxAge >= 1 else { throw ValidationError("--max-age must be at least 1 second") }
            manifest.maxAgeSeconds = maxAge
        }
        guard manifest.revision >= 0 else { throw ValidationError("give the bundle a revision: --revision N or \"revision\" in .manifest") }
        manifest.issuedAt = Date()
        let files = try PolicyBundleFolder.files(in: directory)
        // Refuse what would not compile before anything is signed or pushed.
        do {
            _ = try PolicyBundleCompiler.compile(files, manifest: manifest, provenance: nil)
        } catch {
            throw TrustFailure(.policyBundleInvalid, "\(directory) does not compile: \(error)")
        }
        let key = try await CLIKeys.signingKey(privateKey)
        let envelope = try await SignedPolicyBundle.sign(manifest: manifest, files: files, with: key)
        let reference = try ArtifactReference(parsing: to)
        let store = try registry.store(for: reference)
        if let layout = store as? LayoutStore { try layout.create() }
        let descriptor = try await PolicyBundleStore(store: store).push(files: files, envelope: envelope, tag: reference.reference)
        print("published policy bundle revision \(manifest.revision) (\(files.count) files) as \(reference) \(descriptor.digest)")
    }
}

/// `warden policy verify`: pull a bundle and check its signature and files.
struct PolicyVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify a published policy bundle against the trust policy's policy_signers.")

    @Argument(help: "The bundle: HOST/REPOSITORY:TAG, …@sha256:DIGEST, or oci:PATH:TAG.")
    var reference: String

    @Option(name: .long, help: "Trust policy (YAML) naming policy_signers.")
    var trust: String

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        try await TrustOutcome.run(json: json) { () async throws(TrustFailure) in
            let bundle = try await PolicyBundleFolder.pull(reference, trust: trust, registry: registry)
            print(json ? PolicyBundleFolder.summary(bundle).serialized() : PolicyBundleFolder.line(bundle))
        }
    }
}

/// `warden policy pull`: verify a bundle and write its files (and `.manifest`) to a new folder.
struct PolicyPullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Verify a policy bundle and write it to a folder.")

    @Argument(help: "The bundle: HOST/REPOSITORY:TAG, …@sha256:DIGEST, or oci:PATH:TAG.")
    var reference: String

    @Option(name: .long, help: "Trust policy (YAML) naming policy_signers.")
    var trust: String

    @Option(name: .long, help: "The folder to create (it must not exist).")
    var out: String

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        try await TrustOutcome.run(json: false) { () async throws(TrustFailure) in
            let bundle = try await PolicyBundleFolder.pull(reference, trust: trust, registry: registry)
            try PolicyBundleFolder.write(bundle, to: out)
            print(PolicyBundleFolder.line(bundle))
        }
    }
}
