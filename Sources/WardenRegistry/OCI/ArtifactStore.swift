import WardenTrust

/// Where artifacts live: an OCI registry over HTTP, or an OCI image-layout folder. Every read
/// is checked against the digest asked for, so a store is never trusted for integrity.
public protocol ArtifactStore: Sendable {
    /// A human name for messages: `oci:/path` or `host/repository`.
    var name: String { get }

    /// The manifest a tag (or digest) points at now; nil when there is no such tag.
    func resolve(_ reference: String) async throws(RegistryError) -> Descriptor?

    /// The bytes of the manifest with `digest`, verified, at most `ImageManifest.maximumSize`.
    func manifestBytes(_ digest: SHA256Digest) async throws(RegistryError) -> [UInt8]

    /// Streams a blob into `path` (created, mode 0600), checking size and digest as it goes;
    /// nothing is left at `path` on failure.
    func downloadBlob(_ descriptor: Descriptor, to path: String, limit: Int64) async throws(RegistryError)

    /// A small blob in memory, verified.
    func blobBytes(_ descriptor: Descriptor, limit: Int64) async throws(RegistryError) -> [UInt8]

    /// Manifests whose subject is `digest`: the referrers API where the store has one, else
    /// the referrers tag `sha256-<hex>` (OCI 1.1's fallback).
    func referrers(of digest: SHA256Digest) async throws(RegistryError) -> [Descriptor]

    func pushBlob(_ bytes: [UInt8]) async throws(RegistryError) -> SHA256Digest
    func pushBlob(fileAt path: String) async throws(RegistryError) -> Descriptor
    func pushManifest(_ bytes: [UInt8], mediaType: String, tag: String?) async throws(RegistryError) -> Descriptor
}

extension ArtifactStore {
    /// The referrers-tag fallback: an index under `sha256-<hex>` listing the referrers.
    public static func referrersTag(for digest: SHA256Digest) -> String { "sha256-\(digest.hex)" }

    /// Reads the referrers index at the fallback tag (empty when the tag does not exist).
    func referrersFromTag(of digest: SHA256Digest) async throws(RegistryError) -> [Descriptor] {
        guard let index = try await resolve(Self.referrersTag(for: digest)) else { return [] }
        return try ImageIndex(bytes: try await manifestBytes(index.digest)).manifests
    }

    /// Adds `referrer` to the fallback index of `subject`, as registries without the referrers
    /// API expect clients to.
    public func addReferrer(_ referrer: Descriptor, to subject: SHA256Digest) async throws(RegistryError) {
        var manifests = try await referrersFromTag(of: subject)
        guard !manifests.contains(where: { $0.digest == referrer.digest }) else { return }
        manifests.append(referrer)
        _ = try await pushManifest(
            ImageIndex(manifests: manifests).bytes, mediaType: MediaType.imageIndex, tag: Self.referrersTag(for: subject))
    }
}
