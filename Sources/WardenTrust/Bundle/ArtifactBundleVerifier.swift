import Foundation

/// Verifies a Sigstore bundle over one artifact (a file's bytes): a message signature whose
/// digest is the artifact's, or a DSSE in-toto statement whose subject is the artifact.
public struct ArtifactBundleVerifier: Sendable {
    public let trust: BundleTrust

    public init(trust: BundleTrust) {
        self.trust = trust
    }

    public struct Result: Sendable {
        public let signer: SignerIdentity
        public let statement: InTotoStatement?
    }

    public func verify(_ bundle: SigstoreBundle, artifact: [UInt8], at time: Date = Date()) async throws(TrustFailure) -> Result {
        try await verify(bundle, message: .bytes(artifact), at: time)
    }

    /// Verifies over an artifact Warden holds (`.bytes`) or knows only by its digest (`.digest`).
    public func verify(_ bundle: SigstoreBundle, message artifact: SignedMessage, at time: Date = Date()) async throws(TrustFailure)
        -> Result
    {
        let artifactDigest = artifact.digest
        switch bundle.content {
        case let .messageSignature(algorithm, digest, signature):
            if !digest.isEmpty {
                guard algorithm == "SHA2_256" else {
                    throw TrustFailure(.malformedBundle, "message digest algorithm \(algorithm) is not supported")
                }
                guard digest == artifactDigest.bytes else {
                    throw TrustFailure(.digestMismatch, "the bundle signs \(Hex.encode(digest)), the artifact is \(artifactDigest.hex)")
                }
            }
            let signer = try await bundle.signer(of: artifact, signature: signature, trust: trust, at: time)
            return Result(signer: signer, statement: nil)
        case let .dsse(envelope):
            let (signer, statement) = try await verifyStatement(in: envelope, bundle: bundle, at: time)
            guard statement.covers(artifactDigest) else {
                throw TrustFailure(.subjectMismatch, "the statement's subjects do not include \(artifactDigest)")
            }
            return Result(signer: signer, statement: statement)
        }
    }

    /// Checks the envelope's signature and reads its in-toto statement.
    func verifyStatement(in envelope: DSSEEnvelope, bundle: SigstoreBundle, at time: Date) async throws(TrustFailure)
        -> (SignerIdentity, InTotoStatement)
    {
        guard envelope.payloadType == InTotoStatement.payloadType else {
            throw TrustFailure(.malformedStatement, "DSSE payload type \(envelope.payloadType) is not an in-toto statement")
        }
        // A Sigstore bundle's envelope carries exactly one signature.
        guard envelope.signatures.count == 1 else {
            throw TrustFailure(.malformedBundle, "a bundle's DSSE envelope must hold exactly one signature")
        }
        let signature = envelope.signatures[0].bytes
        do {
            let signer = try await bundle.signer(
                of: .bytes(envelope.preAuthenticationEncoding), signature: signature, trust: trust, at: time)
            return (signer, try InTotoStatement(payload: envelope.payload))
        } catch {
            // model_signing 0.2 signed a malformed encoding; accept it only for what that release wrote.
            guard [.untrustedKey, .signatureInvalid].contains(error.code), let statement = try? InTotoStatement(payload: envelope.payload),
                statement.predicateType == SignedModelManifest.predicateTypeDigestsV01
            else { throw error }
            let legacy = LegacyPreAuthEncoding.encode(payload: envelope.payload)
            let signer = try await bundle.signer(of: .bytes(legacy), signature: signature, trust: trust, at: time, ecdsaHash: .sha256)
            return (signer, statement)
        }
    }
}
