/// What was fetched for one artifact: its files on disk and everything that refers to it.
public struct ArtifactEvidence: Sendable {
    public var reference: String
    public var modelDirectory: String
    public var manifestDigest: SHA256Digest
    /// Layer files as the manifest lists them (name, digest, size).
    public var files: [VerificationReport.File]
    public var signatureBundles: [[UInt8]]
    /// cosign simple-signing signatures over the manifest: (payload, signature).
    public var cosignSignatures: [(payload: [UInt8], signature: [UInt8])] = []
    public var attestationEnvelopes: [[UInt8]]
    /// The signed revocation list, when the store had one.
    public var revocationEnvelope: [UInt8]?

    public init(
        reference: String, modelDirectory: String, manifestDigest: SHA256Digest, files: [VerificationReport.File],
        signatureBundles: [[UInt8]], attestationEnvelopes: [[UInt8]], revocationEnvelope: [UInt8]?
    ) {
        self.reference = reference
        self.modelDirectory = modelDirectory
        self.manifestDigest = manifestDigest
        self.files = files
        self.signatureBundles = signatureBundles
        self.attestationEnvelopes = attestationEnvelopes
        self.revocationEnvelope = revocationEnvelope
    }
}
