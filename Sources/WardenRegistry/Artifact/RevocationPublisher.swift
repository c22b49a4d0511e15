import WardenTrust

/// Stores and reads the signed revocation list under a tag of the same store as the models.
public struct RevocationListStore: Sendable {
    public let store: any ArtifactStore

    public init(store: any ArtifactStore) {
        self.store = store
    }

    public func publish(envelope: [UInt8], tag: String) async throws(RegistryError) -> Descriptor {
        let digest = try await store.pushBlob(envelope)
        _ = try await store.pushBlob(ImageManifest.emptyConfigBytes)
        let layer = Descriptor(mediaType: MediaType.revocationList, digest: digest, size: Int64(envelope.count))
        let manifest = ImageManifest(artifactType: MediaType.revocationList, config: ImageManifest.emptyConfig, layers: [layer])
        return try await store.pushManifest(manifest.bytes, mediaType: MediaType.imageManifest, tag: tag)
    }

    /// The envelope at `tag`, or nil when the store has no such tag.
    public func fetch(tag: String, limit: Int64 = 16 << 20) async throws(RegistryError) -> [UInt8]? {
        guard let descriptor = try await store.resolve(tag) else { return nil }
        let manifest = try ImageManifest(bytes: try await store.manifestBytes(descriptor.digest))
        guard manifest.artifactType == MediaType.revocationList, manifest.layers.count == 1 else {
            throw RegistryError.malformedManifest("\(tag) is not a revocation list")
        }
        return try await store.blobBytes(manifest.layers[0], limit: limit)
    }
}
