import Foundation
import X509

extension SigstoreBundle {
    /// Verifies a Sigstore signing event offline: who signed (a keyless identity or a managed
    /// key) and that the signature verifies; when (every log entry and timestamp proven against
    /// the trusted root); and that the signer was trusted at each of those times.
    func sigstoreSigner(
        of message: SignedMessage, signature: [UInt8], trust: SigstoreTrust, now: Date, ecdsaHash: VerificationKey.ECDSAHash
    ) async throws(TrustFailure) -> SignerIdentity {
        let envelope: DSSEEnvelope?
        if case let .dsse(signed) = content { envelope = signed } else { envelope = nil }
        switch (trust.signers, material) {
        case let (.identities(policies), .certificates(chain)):
            let certificate = try FulcioCertificate(chain: chain)
            guard message.isSigned(signature, by: VerificationKey(certificate.leaf.publicKey), ecdsaHash: ecdsaHash) else {
                throw TrustFailure(.signatureInvalid, "the signature does not verify with the signing certificate's key")
            }
            let signer = try FulcioIdentity(certificate: certificate.leaf)
            try Self.check(signer, against: policies)
            let event = SignedEvent(
                messageDigest: message.digest, signature: signature, envelope: envelope, verifier: .certificate(der: certificate.der))
            var issuer: Certificate?
            for time in try await signingTimes(of: event, root: trust.root, now: now) {
                issuer = try await certificate.verify(at: time, in: trust.root)
            }
            if let issuer { try certificate.verifyTimestamps(issuer: issuer, in: trust.root) }
            return .keyless(identity: signer.subjectAlternativeName, oidcIssuer: signer.issuer)
        case let (.keys(keys), .publicKey):
            guard let key = keys.first(where: { message.isSigned(signature, by: $0.key, ecdsaHash: ecdsaHash) }) else {
                throw TrustFailure(.untrustedKey, "the signature does not verify with any trusted key")
            }
            let event = SignedEvent(
                messageDigest: message.digest, signature: signature, envelope: envelope, verifier: .publicKey(der: key.key.derBytes))
            for time in try await signingTimes(of: event, root: trust.root, now: now) where !key.isValid(at: time) {
                throw TrustFailure(.keyNotValidAtTime, "signed by key \(key.name), which is not trusted at \(time)")
            }
            return .key(name: key.name, fingerprint: key.key.fingerprint)
        case (.identities, .publicKey):
            throw TrustFailure(.untrustedKey, "the bundle is signed with a bare key, but only keyless identities are trusted")
        case (.keys, .certificates):
            throw TrustFailure(.untrustedKey, "the bundle is signed with a certificate, but only keys are trusted")
        }
    }

    private static func check(_ signer: FulcioIdentity, against policies: [KeylessIdentityPolicy]) throws(TrustFailure) {
        guard !policies.isEmpty else { throw TrustFailure(.identityMismatch, "no keyless identity is trusted") }
        var refusal: TrustFailure?
        for policy in policies {
            do throws(TrustFailure) {
                try policy.check(signer)
                return
            } catch {
                refusal = refusal ?? error
            }
        }
        if policies.count == 1, let refusal { throw refusal }
        throw TrustFailure(.identityMismatch, "signed by \(signer), which no trusted keyless identity names")
    }

    /// The times the signing is proven at: every RFC 3161 timestamp over the signature, and
    /// the integrated time of every Rekor v1 entry whose signed entry timestamp verifies. Every
    /// log entry must be in a log of the root, record this event and prove its inclusion
    /// (v0.2 bundles and later) or carry the log's promise (v0.1).
    private func signingTimes(of event: SignedEvent, root: TrustedRoot, now: Date) async throws(TrustFailure) -> [Date] {
        var stamped: [Date] = []
        for response in rfc3161Timestamps {
            stamped.append(try await RFC3161Timestamp(response: response).verifiedTime(over: event.signature, in: root))
        }
        guard !transparencyLogEntries.isEmpty else {
            throw TrustFailure(.transparencyLogInvalid, "the bundle has no transparency log entry")
        }
        var times = stamped
        for json in transparencyLogEntries {
            let entry = try TransparencyLogEntry(json: json)
            guard let log = root.transparencyLog(keyID: entry.logID) else {
                throw TrustFailure(.transparencyLogInvalid, "the entry's log \(Hex.encode(entry.logID)) is not in the trusted root")
            }
            try entry.verifyBody(records: event)
            if entry.inclusionProof != nil {
                try entry.verifyInclusion(in: log)
            } else if version != .v0_1 {
                throw TrustFailure(.transparencyLogInvalid, "a v\(version.rawValue) bundle's log entry must carry an inclusion proof")
            }
            if entry.signedEntryTimestamp != nil {
                try entry.verifySignedEntryTimestamp(in: log)
                let integrated = Date(timeIntervalSince1970: Double(entry.integratedTime))
                guard integrated <= now.addingTimeInterval(SigstoreTrust.clockSkew) else {
                    throw TrustFailure(.transparencyLogInvalid, "the entry's integrated time \(integrated) is in the future")
                }
                guard log.validity.contains(integrated) else {
                    throw TrustFailure(.transparencyLogInvalid, "the log \(log.baseURL) was not trusted at \(integrated)")
                }
                times.append(integrated)
            } else {
                guard version != .v0_1 else {
                    throw TrustFailure(.transparencyLogInvalid, "a v0.1 bundle's log entry must carry a signed entry timestamp")
                }
                // Rekor v2 gives no time of its own: the timestamps place the entry.
                guard !stamped.isEmpty else {
                    throw TrustFailure(.timestampInvalid, "an entry without a signed entry timestamp needs an RFC 3161 timestamp")
                }
                for time in stamped where !log.validity.contains(time) {
                    throw TrustFailure(.transparencyLogInvalid, "the log \(log.baseURL) was not trusted at \(time)")
                }
            }
        }
        return times
    }
}
