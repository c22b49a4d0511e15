import ArgumentParser
import Foundation
import WardenRegistry
import WardenServer
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

    @Flag(
        name: .customLong("skip-artifact-checks"),
        help: "Publish even what fetch will refuse (a file the signature does not cover, a broken contract): for testing fetch's refusals.")
    var skipArtifactChecks = false

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        let reference = try ArtifactReference(parsing: to)
        guard reference.digest == nil else { throw ValidationError("push to a tag, not a digest") }
        var ignored: [String] = []
        if let signature, let inside = IgnorePaths.inside(model: model, signature) { ignored.append(inside) }
        if !skipArtifactChecks { try checkArtifact(ignoring: ignored) }
        let store = try registry.store(for: reference)
        if let layout = store as? LayoutStore { try layout.create() }
        let pusher = ModelArtifactPusher(store: store)
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
            let key = try await CLIKeys.signingKey(cosignKey)
            _ = try await CosignTags(store: store, limit: 1 << 20).sign(
                manifest: manifest.digest, dockerReference: reference.repositoryName, with: key)
        }
        print("pushed \(reference) \(manifest.digest)")
    }

    /// The checks fetch and serve will make of what is pushed, made before anything is
    /// uploaded: every file covered by the signature with its digest, and, for a folder with
    /// a model or a contract, a model that loads with a contract that describes it.
    func checkArtifact(ignoring ignored: [String]) throws {
        if let signature {
            do {
                let bundle = try SigstoreBundle(bytes: try CLIFile.read(signature))
                _ = try ModelSignatureVerifier.checkCoverage(bundle: bundle, model: model, ignoring: ignored)
            } catch let failure as TrustFailure {
                throw ValidationError("not pushed: fetch would refuse this artifact: \(failure)")
            }
        }
        guard ContractCheck.appliesTo(directory: model) else { return }
        let problems = ContractCheck.problems(directory: model, requireContract: false)
        guard problems.isEmpty else {
            throw ValidationError("not pushed: serve would refuse this model:\n" + problems.map { "- \($0)" }.joined(separator: "\n"))
        }
    }
}
