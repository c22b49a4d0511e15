import Foundation
import WardenJSON
import WardenTrust

#if canImport(Glibc)
    import Glibc
#endif

/// An OCI image-layout folder (`oci-layout`, `index.json`, `blobs/sha256/…`): Warden's
/// embedded default registry. Tags are `org.opencontainers.image.ref.name` annotations in
/// index.json; it has no referrers API, so referrers are found by their subject in index.json
/// and through the referrers tag.
public struct LayoutStore: ArtifactStore {
    public let root: String
    public var name: String { "oci:\(root)" }

    public init(root: String) {
        self.root = root
    }

    /// Creates the layout's skeleton if it is missing.
    public func create() throws(RegistryError) {
        do {
            try FileManager.default.createDirectory(atPath: root + "/blobs/sha256", withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: root + "/oci-layout") {
                try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: root + "/oci-layout"))
            }
            if !FileManager.default.fileExists(atPath: root + "/index.json") {
                try Data(ImageIndex(manifests: []).bytes).write(to: URL(fileURLWithPath: root + "/index.json"))
            }
        } catch {
            throw RegistryError.transport("cannot create layout \(root): \(error.localizedDescription)")
        }
    }

    func blobPath(_ digest: SHA256Digest) -> String { root + "/blobs/sha256/" + digest.hex }

    func index() throws(RegistryError) -> ImageIndex {
        let data: Data
        do {
            data = try RegularFile.contents(root + "/index.json", limit: Int64(ImageManifest.maximumSize))
        } catch .notFound {
            throw RegistryError.notFound("\(root)/index.json (not an OCI layout)")
        }
        return try ImageIndex(bytes: Array(data))
    }

    public func resolve(_ reference: String) async throws(RegistryError) -> Descriptor? {
        if let digest = SHA256Digest(parsing: reference) {
            let bytes = try await manifestBytes(digest)
            return Descriptor(mediaType: MediaType.imageManifest, digest: digest, size: Int64(bytes.count))
        }
        return try index().manifests.last { $0.annotation(MediaType.refNameAnnotation) == reference }
    }

    public func manifestBytes(_ digest: SHA256Digest) async throws(RegistryError) -> [UInt8] {
        try await blobBytes(
            Descriptor(mediaType: MediaType.imageManifest, digest: digest, size: -1), limit: Int64(ImageManifest.maximumSize))
    }

    public func blobBytes(_ descriptor: Descriptor, limit: Int64) async throws(RegistryError) -> [UInt8] {
        let data: Data
        do {
            data = try RegularFile.contents(blobPath(descriptor.digest), limit: limit)
        } catch .notFound {
            throw RegistryError.notFound("blob \(descriptor.digest)")
        } catch .tooLarge {
            throw RegistryError.tooLarge(what: "blob \(descriptor.digest)", limit: limit)
        }
        let bytes = Array(data)
        try BlobCheck.verify(bytes, against: descriptor)
        return bytes
    }

    public func downloadBlob(_ descriptor: Descriptor, to path: String, limit: Int64) async throws(RegistryError) {
        let source = blobPath(descriptor.digest)
        let handle: FileHandle
        do { handle = try RegularFile.openForReading(source) } catch .notFound { throw RegistryError.notFound("blob \(descriptor.digest)") }
        try await VerifyingFileSink.receive(FileChunks(handle: handle), into: path, expected: descriptor, limit: limit, source: source)
    }

    public func referrers(of digest: SHA256Digest) async throws(RegistryError) -> [Descriptor] {
        var found = try await referrersFromTag(of: digest)
        for descriptor in try index().manifests where descriptor.mediaType == MediaType.imageManifest {
            guard !found.contains(where: { $0.digest == descriptor.digest }),
                let manifest = try? ImageManifest(bytes: try await manifestBytes(descriptor.digest)), manifest.subject?.digest == digest
            else { continue }
            found.append(
                Descriptor(
                    mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size,
                    artifactType: manifest.effectiveArtifactType, annotations: manifest.annotations))
        }
        return found
    }

    public func pushBlob(_ bytes: [UInt8]) async throws(RegistryError) -> SHA256Digest {
        let digest = SHA256Digest.of(bytes)
        try write(Data(bytes), to: blobPath(digest))
        return digest
    }

    public func pushBlob(fileAt path: String) async throws(RegistryError) -> Descriptor {
        let digest: SHA256Digest
        do { digest = try FileHasher.digest(ofFileAt: path) } catch { throw RegistryError.transport(error.description) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
        let target = blobPath(digest)
        if !FileManager.default.fileExists(atPath: target) {
            let temporary = target + ".partial-" + UUID().uuidString
            do {
                try FileManager.default.copyItem(atPath: path, toPath: temporary)
                guard rename(temporary, target) == 0 else { throw RegistryError.transport("cannot move blob into \(target)") }
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                throw RegistryError.transport("cannot store blob: \(error.localizedDescription)")
            }
        }
        return Descriptor(mediaType: MediaType.modelFile, digest: digest, size: size)
    }

    public func pushManifest(_ bytes: [UInt8], mediaType: String, tag: String?) async throws(RegistryError) -> Descriptor {
        let digest = try await pushBlob(bytes)
        var manifests = try index().manifests
        var annotations: [(key: String, value: String)] = []
        if let tag {
            // A tag names one manifest: moving it drops the old entry's name.
            manifests.removeAll { $0.annotation(MediaType.refNameAnnotation) == tag }
            annotations.append((MediaType.refNameAnnotation, tag))
        }
        let descriptor = Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count), annotations: annotations)
        if !manifests.contains(descriptor) { manifests.append(descriptor) }
        try write(Data(ImageIndex(manifests: manifests).bytes), to: root + "/index.json")
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }

    private func write(_ data: Data, to path: String) throws(RegistryError) {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw RegistryError.transport("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
