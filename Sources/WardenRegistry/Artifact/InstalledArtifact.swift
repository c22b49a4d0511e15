import Foundation
import WardenJSON
import WardenTrust

/// A verified artifact as `warden fetch` leaves it: the model files, read-only, and a
/// `.warden` folder with the OCI manifest they came from and the verification receipt.
/// `warden serve` re-derives everything from the pin before loading: the manifest's digest
/// must be the pin, and every file must be exactly a layer of it, nothing more.
public enum InstalledArtifact {
    public static let metadataFolder = ArtifactVerifier.metadataFolder
    public static let manifestFile = "manifest.json"
    public static let receiptFile = "receipt.json"

    /// Re-hashes `directory` against its manifest and the pinned digest; returns the digest.
    @discardableResult
    public static func verify(directory: String, pinnedDigest: SHA256Digest?) throws(TrustFailure) -> SHA256Digest {
        let manifestPath = directory + "/" + metadataFolder + "/" + manifestFile
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw TrustFailure(.missingFile, "\(manifestPath) is missing: \(directory) was not installed by warden fetch")
        }
        let bytes = Array(data)
        let digest = SHA256Digest.of(bytes)
        if let pinnedDigest, digest != pinnedDigest {
            throw TrustFailure(.digestMismatch, "\(directory) holds artifact \(digest), but the pin is \(pinnedDigest)")
        }
        let manifest: ImageManifest
        do { manifest = try ImageManifest(bytes: bytes) } catch { throw error.trustFailure }
        var expected: [SignedModelManifest.Resource] = []
        for layer in manifest.layers {
            guard let title = layer.annotation(MediaType.titleAnnotation) else {
                throw TrustFailure(.malformedStatement, "layer \(layer.digest) has no title")
            }
            expected.append(SignedModelManifest.Resource(name: try RelativePath(title).value, digest: layer.digest))
        }
        let files = try ModelFiles(root: directory, ignoring: [metadataFolder])
        let actual = try ModelHasher.resources(of: files, method: .files)
        try ModelHasher.check(actual, against: expected.sorted { $0.name < $1.name })
        return digest
    }

    /// The receipt `warden fetch` wrote, if any.
    public static func receipt(in directory: String) -> JSONValue? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + metadataFolder + "/" + receiptFile) else { return nil }
        return try? JSONParser.parse(Array(data))
    }
}
