import WardenTrust

/// A policy bundle as the store holds it: its files, its signature envelope, and the digest
/// of the manifest that named them (what `/admin/policies` reports and a pin names).
public struct PolicyBundleArtifact: Sendable {
    public let digest: SHA256Digest
    public let files: [PolicyBundleFile]
    public let envelope: [UInt8]
}

/// Pushes and reads signed policy bundles in the same stores as models. Reading checks the
/// artifact's shape and every blob's digest; it does not judge the signature (SignedPolicyBundle).
public struct PolicyBundleStore: Sendable {
    public let store: any ArtifactStore

    public init(store: any ArtifactStore) {
        self.store = store
    }

    public func push(files: [PolicyBundleFile], envelope: [UInt8], tag: String) async throws(RegistryError) -> Descriptor {
        var layers: [Descriptor] = []
        for file in files {
            let digest = try await store.pushBlob(file.bytes)
            layers.append(
                Descriptor(
                    mediaType: MediaType.policyFile, digest: digest, size: Int64(file.bytes.count),
                    annotations: [(MediaType.titleAnnotation, file.path)]))
        }
        let digest = try await store.pushBlob(envelope)
        layers.append(Descriptor(mediaType: MediaType.dsseEnvelope, digest: digest, size: Int64(envelope.count)))
        _ = try await store.pushBlob(ImageManifest.emptyConfigBytes)
        let manifest = ImageManifest(artifactType: MediaType.policyBundle, config: ImageManifest.emptyConfig, layers: layers)
        return try await store.pushManifest(manifest.bytes, mediaType: MediaType.imageManifest, tag: tag)
    }

    /// The manifest `reference` (a tag or a digest) points at now; nil when there is none.
    public func resolve(_ reference: String) async throws(RegistryError) -> SHA256Digest? {
        try await store.resolve(reference)?.digest
    }

    /// The bundle whose manifest has `digest`, every file within the bundle limits.
    public func fetch(_ digest: SHA256Digest) async throws(RegistryError) -> PolicyBundleArtifact {
        let manifest = try ImageManifest(bytes: try await store.manifestBytes(digest))
        guard manifest.artifactType == MediaType.policyBundle else {
            throw RegistryError.malformedManifest("\(digest) is \(manifest.artifactType ?? "untyped"), not a policy bundle")
        }
        guard let last = manifest.layers.last, last.mediaType == MediaType.dsseEnvelope,
            manifest.layers.dropLast().allSatisfy({ $0.mediaType == MediaType.policyFile })
        else {
            throw RegistryError.malformedManifest("a policy bundle is its files' layers and then one DSSE envelope")
        }
        let declared = manifest.layers.reduce(Int64(0)) { $0 + $1.size }
        guard manifest.layers.count - 1 <= PolicyBundleFile.maximumFiles, declared <= Int64(PolicyBundleFile.maximumTotalBytes) else {
            throw RegistryError.tooLarge(what: "policy bundle \(digest)", limit: Int64(PolicyBundleFile.maximumTotalBytes))
        }
        var files: [PolicyBundleFile] = []
        var seen: Set<String> = []
        for layer in manifest.layers.dropLast() {
            guard let path = layer.annotation(MediaType.titleAnnotation), seen.insert(path).inserted else {
                throw RegistryError.malformedManifest("every policy bundle layer needs its own title (its path)")
            }
            let bytes = try await store.blobBytes(layer, limit: layer.size)
            do {
                files.append(try PolicyBundleFile(path: path, bytes: bytes))
            } catch {
                throw RegistryError.unsafePath(error.detail)
            }
        }
        return PolicyBundleArtifact(digest: digest, files: files, envelope: try await store.blobBytes(last, limit: last.size))
    }
}
