import WardenRegistry
import WardenTrust

/// An InferenceService's `storageUri` in Warden's scheme, as KServe hands it to the storage
/// initializer: `warden://HOST/REPOSITORY@sha256:…`. The digest is required: KServe knows
/// nothing of pins, so the URI is where the release writes it, and a tag alone could move.
struct KServeStorageURI {
    static let scheme = "warden://"

    let reference: ArtifactReference
    let digest: SHA256Digest

    init(_ text: String) throws(TrustFailure) {
        guard text.hasPrefix(Self.scheme) else {
            throw TrustFailure(.malformedStatement, "the storage URI must start with \(Self.scheme) (KServe's supportedUriFormats prefix)")
        }
        let location = String(text.dropFirst(Self.scheme.count))
        let parsed: ArtifactReference
        do { parsed = try ArtifactReference(parsing: location) } catch { throw TrustFailure(.malformedStatement, error.description) }
        guard case .registry = parsed.location, let digest = parsed.digest else {
            throw TrustFailure(
                .malformedStatement,
                "the storage URI must name a registry artifact pinned by digest: \(Self.scheme)HOST/REPOSITORY@sha256:…")
        }
        reference = parsed
        self.digest = digest
    }
}
