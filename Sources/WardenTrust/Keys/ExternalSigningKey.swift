/// A private key that stays in the device or service that holds it (an HSM through PKCS#11, a
/// cloud KMS): Warden hands it a message and gets a signature in the form `VerificationKey`
/// verifies (DER for ECDSA, raw for RSA).
public protocol ExternalSigningKey: Sendable {
    /// The public half, read from the token or KMS when the key was opened.
    var publicKey: VerificationKey { get }
    /// Where the key lives, for messages: never a PIN or a credential.
    var location: String { get }
    func signature(for message: [UInt8]) async throws(TrustFailure) -> [UInt8]
}
