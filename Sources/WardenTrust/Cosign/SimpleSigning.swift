import Foundation
import WardenJSON

/// cosign's "simple signing" signature of an OCI manifest: a small JSON payload naming the
/// manifest digest, signed as-is (no DSSE). cosign stores it as a layer of the
/// `sha256-<hex>.sig` tag, with the signature in the `dev.cosignproject.cosign/signature`
/// annotation.
public struct SimpleSigningPayload: Sendable, Equatable {
    public static let mediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
    public static let signatureAnnotation = "dev.cosignproject.cosign/signature"
    static let signatureType = "cosign container image signature"

    public let manifestDigest: SHA256Digest
    public let dockerReference: String

    public init(bytes: [UInt8]) throws(TrustFailure) {
        var limits = JSONParser.Limits()
        limits.maxBytes = 1 << 20
        limits.maxDepth = 16
        guard let json = try? JSONParser.parse(bytes, limits: limits), let critical = json["critical"] else {
            throw TrustFailure(.malformedStatement, "simple-signing payload is not JSON with a critical section")
        }
        guard case let .string(type)? = critical["type"], type == Self.signatureType else {
            throw TrustFailure(.malformedStatement, "simple-signing payload type is not \"\(Self.signatureType)\"")
        }
        guard case let .string(digest)? = critical["image"]?["docker-manifest-digest"], let parsed = SHA256Digest(parsing: digest) else {
            throw TrustFailure(.malformedStatement, "simple-signing payload has no sha256 docker-manifest-digest")
        }
        manifestDigest = parsed
        if case let .string(reference)? = critical["identity"]?["docker-reference"] {
            dockerReference = reference
        } else {
            dockerReference = ""
        }
    }

    /// Makes a payload in cosign's exact shape, for `warden push` and tests.
    public static func encode(manifestDigest: SHA256Digest, dockerReference: String) -> [UInt8] {
        let json = JSONValue.object([
            (
                "critical",
                .object([
                    ("identity", .object([("docker-reference", .string(dockerReference))])),
                    ("image", .object([("docker-manifest-digest", .string(manifestDigest.description))])),
                    ("type", .string(signatureType)),
                ])
            ),
            ("optional", .null),
        ])
        return Array(json.serialized().utf8)
    }
}

/// Verifies cosign simple-signing signatures against trusted keys.
public struct SimpleSigningVerifier: Sendable {
    public let keys: [TrustedKey]

    public init(keys: [TrustedKey]) {
        self.keys = keys
    }

    /// Checks that `signature` by a trusted key covers `payload`, and that the payload names
    /// `manifestDigest`. Returns the key that signed.
    public func verify(
        payload: [UInt8], signature: [UInt8], manifestDigest: SHA256Digest, at time: Date = Date()
    ) throws(TrustFailure) -> TrustedKey {
        let parsed = try SimpleSigningPayload(bytes: payload)
        switch keys.match(signature: signature, message: payload, at: time) {
        case .verified(let key):
            guard parsed.manifestDigest == manifestDigest else {
                throw TrustFailure(
                    .subjectMismatch, "the cosign signature is for manifest \(parsed.manifestDigest), not \(manifestDigest)")
            }
            return key
        case .outsideValidity(let key):
            throw TrustFailure(.keyNotValidAtTime, "cosign signature by key \(key.name), which is not trusted at \(time)")
        case .noTrustedKey:
            throw TrustFailure(.untrustedKey, "the cosign signature does not verify with any trusted key")
        }
    }
}
