import Foundation
import WardenTrust

/// Publishes a model folder as an OCI artifact (one layer per file, titled with its path),
/// then attaches its signature bundle and attestations as referrers of that manifest.
public struct ModelArtifactPusher: Sendable {
    public let store: any ArtifactStore

    public init(store: any ArtifactStore) {
        self.store = store
    }

    /// Pushes the model's files and manifest under `tag`; returns the manifest descriptor,
    /// whose digest is the version pin.
    public func pushModel(at root: String, tag: String, ignoring ignored: [String] = []) async throws(RegistryError) -> Descriptor {
        let files: ModelFiles
        do {
            files = try ModelFiles(root: root, ignoring: ignored + ModelSignatureVerifier.gitPaths)
        } catch {
            throw RegistryError.unsafePath(error.description)
        }
        guard !files.isSingleFile else { throw RegistryError.malformedReference("a model artifact is a folder, not a single file") }
        var layers: [Descriptor] = []
        for file in files.files {
            var layer = try await store.pushBlob(fileAt: file.path)
            layer.mediaType = MediaType.modelFile
            layer.annotations = [(MediaType.titleAnnotation, file.name)]
            layers.append(layer)
        }
        _ = try await store.pushBlob(ImageManifest.emptyConfigBytes)
        let manifest = ImageManifest(artifactType: MediaType.modelArtifact, config: ImageManifest.emptyConfig, layers: layers)
        return try await store.pushManifest(manifest.bytes, mediaType: MediaType.imageManifest, tag: tag)
    }

    /// Attaches a blob (a signature bundle or DSSE envelope) to `subject` as a referrer.
    public func attach(
        _ bytes: [UInt8], mediaType: String, to subject: Descriptor, annotations: [(key: String, value: String)] = []
    ) async throws(RegistryError) -> Descriptor {
        let digest = try await store.pushBlob(bytes)
        _ = try await store.pushBlob(ImageManifest.emptyConfigBytes)
        let layer = Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count), annotations: annotations)
        let manifest = ImageManifest(
            artifactType: mediaType, config: ImageManifest.emptyConfig, layers: [layer], subject: subject, annotations: annotations)
        var descriptor = try await store.pushManifest(manifest.bytes, mediaType: MediaType.imageManifest, tag: nil)
        descriptor.artifactType = mediaType
        descriptor.annotations = annotations
        try await store.addReferrer(descriptor, to: subject.digest)
        return descriptor
    }
}
