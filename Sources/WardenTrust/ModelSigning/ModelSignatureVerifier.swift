import Foundation

/// Verifies an OpenSSF model-signing bundle against a model on disk: the bundle is signed by
/// trusted material, its manifest commits to its resources, and the files on disk are exactly
/// those resources, byte for byte.
public struct ModelSignatureVerifier: Sendable {
    public let trust: BundleTrust
    /// Paths to leave out besides those the signer declared, relative to the model.
    public let ignorePaths: [String]

    /// Left out of every walk, as model_signing leaves them out by default.
    public static let gitPaths = [".git", ".gitattributes", ".github", ".gitignore"]

    public init(trust: BundleTrust, ignorePaths: [String] = []) {
        self.trust = trust
        self.ignorePaths = ignorePaths
    }

    public struct Report: Sendable {
        public let signer: SignerIdentity
        public let manifest: SignedModelManifest
        public let bundleVersion: SigstoreBundle.Version
    }

    public func verify(bundle: SigstoreBundle, model root: String, at time: Date = Date()) async throws(TrustFailure) -> Report {
        guard case let .dsse(envelope) = bundle.content else {
            throw TrustFailure(.malformedBundle, "a model signature is a DSSE envelope, not a message signature")
        }
        let (signer, statement) = try await ArtifactBundleVerifier(trust: trust).verifyStatement(in: envelope, bundle: bundle, at: time)
        let manifest = try SignedModelManifest(statement: statement)
        try Self.checkFiles(of: root, against: manifest, ignoring: ignorePaths)
        return Report(signer: signer, manifest: manifest, bundleVersion: bundle.version)
    }

    /// Whether the signature's manifest covers exactly the folder's files with their digests,
    /// without judging who signed: what `warden push` checks before it uploads anything, so an
    /// artifact `fetch` would refuse for an unsigned or changed file is never published.
    public static func checkCoverage(bundle: SigstoreBundle, model root: String, ignoring ignorePaths: [String] = [])
        throws(TrustFailure) -> SignedModelManifest
    {
        guard case let .dsse(envelope) = bundle.content else {
            throw TrustFailure(.malformedBundle, "a model signature is a DSSE envelope, not a message signature")
        }
        let manifest = try SignedModelManifest(statement: try InTotoStatement(payload: envelope.payload))
        try checkFiles(of: root, against: manifest, ignoring: ignorePaths)
        // What push uploads is every file but git's: a path the signer declared ignored would
        // be published, and then installed, unsigned.
        let published = try ModelFiles(root: root, ignoring: ignorePaths + gitPaths).files
        try ArtifactVerifier.requireCovered(published.map(\.name), by: manifest)
        return manifest
    }

    private static func checkFiles(of root: String, against manifest: SignedModelManifest, ignoring ignorePaths: [String])
        throws(TrustFailure)
    {
        let files = try ModelFiles(root: root, ignoring: ignorePaths + manifest.ignorePaths + gitPaths)
        let actual = try ModelHasher.resources(of: files, method: manifest.method)
        try ModelHasher.check(actual, against: manifest.resources)
    }
}
