import Foundation
import WardenTrust

/// A cosign simple-signing signature: the payload blob and the signature from its annotation.
public struct CosignSignature: Sendable, Equatable {
    public let payload: [UInt8]
    public let signature: [UInt8]

    public init(payload: [UInt8], signature: [UInt8]) {
        self.payload = payload
        self.signature = signature
    }
}

/// cosign's tag scheme, which predates referrers: signatures of manifest `sha256:H` live under
/// tag `sha256-H.sig` (one layer per signature), attestations under `sha256-H.att` (one DSSE
/// envelope per layer).
public struct CosignTags: Sendable {
    public static let configMediaType = "application/vnd.oci.image.config.v1+json"
    public static let attestationLayerMediaType = "application/vnd.dsse.envelope.v1+json"

    public let store: any ArtifactStore
    public let limit: Int64

    public init(store: any ArtifactStore, limit: Int64) {
        self.store = store
        self.limit = limit
    }

    public static func signatureTag(for digest: SHA256Digest) -> String { "sha256-\(digest.hex).sig" }
    public static func attestationTag(for digest: SHA256Digest) -> String { "sha256-\(digest.hex).att" }

    public func read(for digest: SHA256Digest) async throws(RegistryError) -> (signatures: [CosignSignature], attestations: [[UInt8]]) {
        var signatures: [CosignSignature] = []
        for layer in try await layers(tag: Self.signatureTag(for: digest)) where layer.mediaType == SimpleSigningPayload.mediaType {
            guard let encoded = layer.annotation(SimpleSigningPayload.signatureAnnotation),
                let signature = Data(base64Encoded: encoded).map(Array.init)
            else { continue }
            signatures.append(CosignSignature(payload: try await store.blobBytes(layer, limit: limit), signature: signature))
        }
        var attestations: [[UInt8]] = []
        for layer in try await layers(tag: Self.attestationTag(for: digest)) where layer.mediaType == Self.attestationLayerMediaType {
            attestations.append(try await store.blobBytes(layer, limit: limit))
        }
        return (signatures, attestations)
    }

    private func layers(tag: String) async throws(RegistryError) -> [Descriptor] {
        guard let descriptor = try await store.resolve(tag) else { return [] }
        return try ImageManifest(bytes: try await store.manifestBytes(descriptor.digest)).layers
    }

    /// Signs `manifest` in cosign's format and appends the signature under its `.sig` tag.
    public func sign(manifest digest: SHA256Digest, dockerReference: String, with key: SigningKey) async throws -> Descriptor {
        let payload = SimpleSigningPayload.encode(manifestDigest: digest, dockerReference: dockerReference)
        let signature = try await key.signature(for: payload)
        let payloadDigest = try await store.pushBlob(payload)
        var layers: [Descriptor] = []
        if let existing = try await store.resolve(Self.signatureTag(for: digest)) {
            layers = try ImageManifest(bytes: try await store.manifestBytes(existing.digest)).layers
        }
        layers.append(
            Descriptor(
                mediaType: SimpleSigningPayload.mediaType, digest: payloadDigest, size: Int64(payload.count),
                annotations: [(SimpleSigningPayload.signatureAnnotation, Data(signature).base64EncodedString())]))
        // cosign writes a small image config naming the layers' diff IDs.
        let config =
            Array(
                #"{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["#
                    .utf8) + Array(layers.map { "\"\($0.digest)\"" }.joined(separator: ",").utf8) + Array(#"]},"config":{}}"#.utf8)
        let configDigest = try await store.pushBlob(config)
        let manifest = ImageManifest(
            artifactType: nil, config: Descriptor(mediaType: Self.configMediaType, digest: configDigest, size: Int64(config.count)),
            layers: layers)
        return try await store.pushManifest(manifest.bytes, mediaType: MediaType.imageManifest, tag: Self.signatureTag(for: digest))
    }
}
