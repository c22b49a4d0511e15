import Foundation
import WardenRegistry
import WardenTrust

/// A policy bundle pulled once and verified: what `warden policy pull/verify` print and a
/// startup gate pinned by digest is built from.
public struct VerifiedPolicyBundle: Sendable {
    public let artifact: PolicyBundleArtifact
    public let manifest: PolicyBundleManifest
    public let signer: String
}

public enum PolicyBundlePull {
    /// The bundle `reference` names (a tag, or a digest, which then is what must arrive),
    /// signed by one of `trust`'s policy signers with every file as signed. `requirePin`: the
    /// reference must name a digest (a startup gate is pinned, not followed).
    public static func verified(
        _ reference: ArtifactReference, store: any ArtifactStore, trust: TrustPolicy, requirePin: Bool = false, now: Date = Date()
    ) async throws(TrustFailure) -> VerifiedPolicyBundle {
        if requirePin, reference.digest == nil {
            throw TrustFailure(.malformedStatement, "\(reference) must be pinned by digest (…@sha256:…)")
        }
        let artifact: PolicyBundleArtifact
        do {
            let bundles = PolicyBundleStore(store: store)
            guard let digest = try await bundles.resolve(reference.reference) else {
                throw RegistryError.notFound("policy bundle \(reference)")
            }
            if let pin = reference.digest, digest != pin { throw RegistryError.digestMismatch(expected: pin, actual: digest) }
            artifact = try await bundles.fetch(digest)
        } catch {
            throw TrustFailure(.registryError, "\(reference): \(error)")
        }
        let (manifest, signer) = try SignedPolicyBundle.verified(
            envelope: artifact.envelope, files: artifact.files, signers: trust.keys(named: trust.policySigners), at: now)
        return VerifiedPolicyBundle(artifact: artifact, manifest: manifest, signer: signer.name)
    }
}
