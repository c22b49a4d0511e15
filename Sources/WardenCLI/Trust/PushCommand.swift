import ArgumentParser
import Foundation
import WardenRegistry
import WardenTrust

/// `warden push`: publish a model folder as an OCI artifact, with its signature and attestations
/// attached as referrers.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Publish a model folder to a registry or OCI layout.")

    @Argument(help: "The model folder.")
    var model: String

    @Option(name: .long, help: "Destination: oci:PATH:TAG or HOST/REPOSITORY:TAG.")
    var to: String

    @Option(name: .long, help: "Model signature bundle to attach (warden sign / model_signing).")
    var signature: String?

    @Option(
        name: .long, parsing: .upToNextOption, help: "Attestations to attach: DSSE envelopes (warden attest, in-toto) or Sigstore bundles.")
    var attestation: [String] = []

    @Option(name: .customLong("cosign-key"), help: "Also sign the manifest in cosign's simple-signing format (.sig tag).")
    var cosignKey: String?

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        let reference = try ArtifactReference(parsing: to)
        guard reference.digest == nil else { throw ValidationError("push to a tag, not a digest") }
        let store = try registry.store(for: reference)
        if let layout = store as? LayoutStore { try layout.create() }
        let pusher = ModelArtifactPusher(store: store)
        var ignored: [String] = []
        if let signature, let inside = IgnorePaths.inside(model: model, signature) { ignored.append(inside) }
        let manifest = try await pusher.pushModel(at: model, tag: reference.reference, ignoring: ignored)
        if let signature {
            _ = try await pusher.attach(try CLIFile.read(signature), mediaType: MediaType.sigstoreBundle, to: manifest)
        }
        for path in attestation {
            let bytes = try CLIFile.read(path)
            // A Sigstore bundle (a keyless attestation, say) travels as one, as cosign attaches it.
            let isBundle = (try? SigstoreBundle(bytes: bytes)) != nil
            _ = try await pusher.attach(bytes, mediaType: isBundle ? MediaType.sigstoreBundle : MediaType.dsseEnvelope, to: manifest)
        }
        if let cosignKey {
            let key = try SigningKey(pem: String(decoding: try CLIFile.read(cosignKey), as: UTF8.self))
            _ = try await CosignTags(store: store, limit: 1 << 20).sign(
                manifest: manifest.digest, dockerReference: reference.repositoryName, with: key)
        }
        print("pushed \(reference) \(manifest.digest)")
    }
}
