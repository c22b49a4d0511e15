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

    /// Downloads the artifact's files into `staging` (which must exist and be empty).
    public func pull(_ digest: SHA256Digest, into staging: String) async throws(TrustFailure) -> Pulled {
        do {
            let bytes = try await store.manifestBytes(digest)
            let manifest = try ImageManifest(bytes: bytes)
            guard manifest.artifactType == MediaType.modelArtifact else {
                throw TrustFailure(.malformedStatement, "\(digest) is not a Warden model artifact (\(manifest.effectiveArtifactType))")
            }
            try await download(manifest, into: staging)
            let (bundles, envelopes) = try await referrers(of: digest)
            let cosign = try await CosignTags(store: store, limit: limits.maximumReferrerBytes).read(for: digest)
            return Pulled(
                manifestDigest: digest, manifestBytes: bytes, manifest: manifest, signatureBundles: bundles,
                attestationEnvelopes: envelopes + cosign.attestations, cosignSignatures: cosign.signatures)
        } catch let error as RegistryError {
            throw error.trustFailure
        } catch let error as TrustFailure {
            throw error
        } catch {
            throw TrustFailure(.registryError, "\(error)")
        }
    }

    private func download(_ manifest: ImageManifest, into staging: String) async throws {
        guard manifest.layers.count <= limits.maximumFiles else {
            throw TrustFailure(.sizeLimitExceeded, "the artifact has \(manifest.layers.count) files, more than \(limits.maximumFiles)")
        }
        let total = manifest.layers.reduce(Int64(0)) { $0 + max($1.size, 0) }
        guard total <= limits.maximumTotalBytes else {
            throw TrustFailure(.sizeLimitExceeded, "the artifact is \(total) bytes, more than \(limits.maximumTotalBytes)")
        }
        var seen = Set<String>()
        for layer in manifest.layers {
            guard let title = layer.annotation(MediaType.titleAnnotation) else {
                throw TrustFailure(.malformedStatement, "layer \(layer.digest) has no \(MediaType.titleAnnotation)")
            }
            let name = try RelativePath(title)
            guard seen.insert(name.value).inserted,
                !seen.contains(where: { name.value.hasPrefix($0 + "/") || $0.hasPrefix(name.value + "/") })
            else {
                throw TrustFailure(.unsafePath, "file name \(name) appears twice or is both a file and a folder")
            }
            let target = staging + "/" + name.value
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try await store.downloadBlob(layer, to: target, limit: limits.maximumFileBytes)
        }
    }

    private func referrers(of digest: SHA256Digest) async throws -> ([[UInt8]], [[UInt8]]) {
        let found = try await store.referrers(of: digest)
        guard found.count <= limits.maximumReferrers else {
            throw TrustFailure(.sizeLimitExceeded, "\(found.count) referrers, more than \(limits.maximumReferrers)")
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
