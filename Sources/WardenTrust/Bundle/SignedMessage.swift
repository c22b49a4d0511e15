/// What a bundle's signature is over: bytes Warden holds (an artifact, a DSSE encoding), or an
/// artifact known only by its SHA-256 digest (`sha256:<hex>` on the command line).
public enum SignedMessage: Sendable {
    case bytes([UInt8])
    case digest(SHA256Digest)

    public var digest: SHA256Digest {
        switch self {
        case let .bytes(bytes): SHA256Digest.of(bytes)
        case let .digest(digest): digest
        }
    }

    /// Whether `key` made `signature` over this message. A bare digest verifies only under
    /// ECDSA over SHA-256, the one scheme that signs a digest Warden did not compute.
    func isSigned(_ signature: [UInt8], by key: VerificationKey, ecdsaHash: VerificationKey.ECDSAHash) -> Bool {
        switch self {
        case let .bytes(bytes): key.isValidSignature(signature, for: bytes, ecdsaHash: ecdsaHash)
        case let .digest(digest): key.isValidSignature(signature, forSHA256: digest)
        }
    }
}
