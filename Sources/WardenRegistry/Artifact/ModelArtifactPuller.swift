import Foundation
import WardenTrust

/// Pulls a model artifact into a staging folder, verifying every byte against the manifest,
/// and gathers what refers to it: signature bundles and attestation envelopes.
public struct ModelArtifactPuller: Sendable {
    public struct Limits: Sendable {
        public var maximumFileBytes: Int64 = 4 << 30
        public var maximumTotalBytes: Int64 = 16 << 30
        public var maximumFiles = 10_000
        public var maximumReferrerBytes: Int64 = 16 << 20
        public var maximumReferrers = 256

        public init() {}
    }

    public struct Pulled: Sendable {
        public let manifestDigest: SHA256Digest
        public let manifestBytes: [UInt8]
        public let manifest: ImageManifest
        /// Sigstore bundles attached as referrers (model_signing signatures).
        public let signatureBundles: [[UInt8]]
        /// DSSE envelopes attached as referrers or under cosign's `.att` tag (attestations).
        public let attestationEnvelopes: [[UInt8]]
        /// cosign simple-signing signatures found under the `.sig` tag.
        public let cosignSignatures: [CosignSignature]
    }

    public let store: any ArtifactStore
    public let limits: Limits

    public init(store: any ArtifactStore, limits: Limits = Limits()) {
        self.store = store
        self.limits = limits
    }

    /// Resolves `reference` (a tag or `sha256:` digest). With `expectedDigest`, a tag that now
    /// points elsewhere is refused before anything is downloaded.
    public func resolve(_ reference: String, expectedDigest: SHA256Digest?) async throws(TrustFailure) -> SHA256Digest {
        let descriptor: Descriptor?
        do { descriptor = try await store.resolve(reference) } catch { throw error.trustFailure }
        guard let descriptor else { throw TrustFailure(.registryError, "\(store.name): no manifest for \(reference)") }
        if let expectedDigest, descriptor.digest != expectedDigest {
            throw TrustFailure(.digestMismatch, "\(reference) resolves to \(descriptor.digest), but the pin is \(expectedDigest)")
        }
        return descriptor.digest
    }

    /// A model artifact's manifest, read and checked before anything is written: its type,
    /// and every layer's size and file name within the limits.
    public struct Inspected: Sendable {
        public let digest: SHA256Digest
        public let bytes: [UInt8]
        public let manifest: ImageManifest
        /// Each layer's relative file name, in manifest order.
        let names: [String]
    }

    public func inspect(_ digest: SHA256Digest) async throws(TrustFailure) -> Inspected {
        let bytes: [UInt8]
        let manifest: ImageManifest
        do {
            bytes = try await store.manifestBytes(digest)
            manifest = try ImageManifest(bytes: bytes)
        } catch {
            // Both calls throw RegistryError only.
            throw error.trustFailure
        }
        guard manifest.artifactType == MediaType.modelArtifact else {
            throw TrustFailure(.malformedStatement, "\(digest) is not a Warden model artifact (\(manifest.effectiveArtifactType))")
        }
        return Inspected(digest: digest, bytes: bytes, manifest: manifest, names: try checkLayers(manifest))
    }

    func checkLayers(_ manifest: ImageManifest) throws(TrustFailure) -> [String] {
        try Self.checkLayers(manifest, limits: limits)
    }

    /// Each layer's file name, once the layers pass `limits`: sizes are bounded one by one
    /// before they are added (a size of 2^63 − 1 must not overflow the sum), and names must be
    /// safe, unique paths.
    public static func checkLayers(_ manifest: ImageManifest, limits: Limits) throws(TrustFailure) -> [String] {
        guard manifest.layers.count <= limits.maximumFiles else {
            throw TrustFailure(.sizeLimitExceeded, "the artifact has \(manifest.layers.count) files, more than \(limits.maximumFiles)")
        }
        var total: Int64 = 0
        for layer in manifest.layers {
            guard layer.size >= 0, layer.size <= limits.maximumFileBytes else {
                throw TrustFailure(
                    .sizeLimitExceeded, "layer \(layer.digest) declares \(layer.size) bytes, outside 0...\(limits.maximumFileBytes)")
            }
            let (sum, overflow) = total.addingReportingOverflow(layer.size)
            guard !overflow, sum <= limits.maximumTotalBytes else {
                throw TrustFailure(.sizeLimitExceeded, "the artifact's files add up to more than \(limits.maximumTotalBytes) bytes")
            }
            total = sum
        }
        var seen = Set<String>()
        return try manifest.layers.map { layer throws(TrustFailure) -> String in
            guard let title = layer.annotation(MediaType.titleAnnotation) else {
                throw TrustFailure(.malformedStatement, "layer \(layer.digest) has no \(MediaType.titleAnnotation)")
            }
            let name = try RelativePath(title)
            guard seen.insert(name.value).inserted,
                !seen.contains(where: { name.value.hasPrefix($0 + "/") || $0.hasPrefix(name.value + "/") })
            else {
                throw TrustFailure(.unsafePath, "file name \(name) appears twice or is both a file and a folder")
            }
            return name.value
        }
    }

    /// Downloads an inspected artifact's files into `staging` (which must exist and be empty),
    /// and gathers its signatures and attestations.
    public func pull(_ inspected: Inspected, into staging: String) async throws(TrustFailure) -> Pulled {
        do {
            for (layer, name) in zip(inspected.manifest.layers, inspected.names) {
                let target = staging + "/" + name
                try FileManager.default.createDirectory(
                    atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try await store.downloadBlob(layer, to: target, limit: limits.maximumFileBytes)
            }
            let digest = inspected.digest
            let (bundles, envelopes) = try await referrers(of: digest)
            let cosign = try await CosignTags(store: store, limit: limits.maximumReferrerBytes).read(for: digest)
            return Pulled(
                manifestDigest: digest, manifestBytes: inspected.bytes, manifest: inspected.manifest, signatureBundles: bundles,
                attestationEnvelopes: envelopes + cosign.attestations, cosignSignatures: cosign.signatures)
        } catch let error as RegistryError {
            throw error.trustFailure
        } catch let error as TrustFailure {
            throw error
        } catch {
            throw TrustFailure(.registryError, "\(error)")
        }
    }

    private func referrers(of digest: SHA256Digest) async throws -> ([[UInt8]], [[UInt8]]) {
        // Only signatures and attestations count against the limit: anyone who can push may
        // attach other referrers, and a pile of them must not block a signed, pinned model.
        let wanted: Set<String> = [MediaType.sigstoreBundle, MediaType.dsseEnvelope]
        let found = try await store.referrers(of: digest).filter { $0.artifactType.map(wanted.contains) ?? false }
        guard found.count <= limits.maximumReferrers else {
            throw TrustFailure(
                .sizeLimitExceeded, "\(found.count) signature and attestation referrers, more than \(limits.maximumReferrers)")
        }
        var bundles: [[UInt8]] = []
        var envelopes: [[UInt8]] = []
        for referrer in found {
            let manifest = try ImageManifest(bytes: try await store.manifestBytes(referrer.digest))
            guard manifest.subject?.digest == digest, manifest.layers.count == 1 else { continue }
            let layer = manifest.layers[0]
            switch manifest.effectiveArtifactType {
            case MediaType.sigstoreBundle:
                bundles.append(try await store.blobBytes(layer, limit: limits.maximumReferrerBytes))
            case MediaType.dsseEnvelope:
                envelopes.append(try await store.blobBytes(layer, limit: limits.maximumReferrerBytes))
            default:
                continue
            }
        }
        return (bundles, envelopes)
    }
}
