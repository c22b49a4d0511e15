import Foundation
import Testing
import WardenTrust

@testable import WardenRegistry

/// The image-layout store end to end on a temp folder: push a model, resolve its tag, pull it
/// back verified, and refuse what a tampered layout serves.
@Suite struct LayoutStoreTests {
    let root = NSTemporaryDirectory() + "warden-layout-" + UUID().uuidString

    func makeModel() throws -> String {
        let model = root + "/model"
        try FileManager.default.createDirectory(atPath: model + "/sub", withIntermediateDirectories: true)
        try Data(repeating: 7, count: 5000).write(to: URL(fileURLWithPath: model + "/model.onnx"))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: model + "/sub/extra.json"))
        return model
    }

    func pushed() async throws -> (LayoutStore, Descriptor) {
        let store = LayoutStore(root: root + "/layout")
        try store.create()
        let manifest = try await ModelArtifactPusher(store: store).pushModel(at: try makeModel(), tag: "v1")
        return (store, manifest)
    }

    @Test func pushedModelResolvesAndPullsBackVerified() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (store, manifest) = try await pushed()
        #expect(try await store.resolve("v1")?.digest == manifest.digest)
        #expect(try await store.resolve("v2") == nil)
        let staging = root + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
        let puller = ModelArtifactPuller(store: store)
        let pulled = try await puller.pull(try await puller.inspect(manifest.digest), into: staging)
        #expect(pulled.manifest.layers.count == 2)
        #expect(FileManager.default.contents(atPath: staging + "/sub/extra.json") == Data("{}".utf8))
        #expect(SHA256Digest.of(pulled.manifestBytes) == manifest.digest)
    }

    @Test func referrersAreFoundBySubjectAndByTag() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (store, manifest) = try await pushed()
        let attached = try await ModelArtifactPusher(store: store).attach(
            Array("{\"bundle\":1}".utf8), mediaType: MediaType.sigstoreBundle, to: manifest)
        let referrers = try await store.referrers(of: manifest.digest)
        #expect(referrers.map(\.digest) == [attached.digest])
        #expect(referrers.first?.artifactType == MediaType.sigstoreBundle)
        #expect(try await store.resolve(LayoutStore.referrersTag(for: manifest.digest)) != nil)
    }

    @Test func tamperedBlobIsRefusedAndNothingIsLeft() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (store, manifest) = try await pushed()
        let layer = try ImageManifest(bytes: try await store.manifestBytes(manifest.digest)).layers[0]
        try Data(repeating: 8, count: Int(layer.size)).write(to: URL(fileURLWithPath: store.blobPath(layer.digest)))
        let target = root + "/out.bin"
        let error = await #expect(throws: RegistryError.self) { try await store.downloadBlob(layer, to: target, limit: 1 << 20) }
        guard case .digestMismatch = error else {
            Issue.record("expected a digest mismatch, got \(String(describing: error))")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func blobLargerThanItsDescriptorIsCutOff() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (store, manifest) = try await pushed()
        var layer = try ImageManifest(bytes: try await store.manifestBytes(manifest.digest)).layers[0]
        layer.size -= 1
        let target = root + "/out.bin"
        let error = await #expect(throws: RegistryError.self) { try await store.downloadBlob(layer, to: target, limit: 1 << 20) }
        guard case .sizeMismatch = error else {
            Issue.record("expected a size mismatch, got \(String(describing: error))")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func blobAboveTheLimitIsRefusedBeforeDownloading() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (store, manifest) = try await pushed()
        let layer = try ImageManifest(bytes: try await store.manifestBytes(manifest.digest)).layers[0]
        let error = await #expect(throws: RegistryError.self) { try await store.downloadBlob(layer, to: root + "/x", limit: 100) }
        guard case .tooLarge = error else {
            Issue.record("expected tooLarge, got \(String(describing: error))")
            return
        }
    }

    @Test func movingATagKeepsOneEntry() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (store, first) = try await pushed()
        try Data("changed".utf8).write(to: URL(fileURLWithPath: root + "/model/sub/extra.json"))
        let second = try await ModelArtifactPusher(store: store).pushModel(at: root + "/model", tag: "v1")
        #expect(first.digest != second.digest)
        #expect(try await store.resolve("v1")?.digest == second.digest)
        #expect(try store.index().manifests.filter { $0.annotation(MediaType.refNameAnnotation) == "v1" }.count == 1)
    }
}
