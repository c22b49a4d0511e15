extension DSSEEnvelope {
    /// Signs `payload` as a one-signature envelope; the key id is the key's SPKI fingerprint.
    public static func sign(payloadType: String, payload: [UInt8], with key: SigningKey) async throws(TrustFailure) -> DSSEEnvelope {
        let signature = try await key.signature(for: preAuthenticationEncoding(payloadType: payloadType, payload: payload))
        return DSSEEnvelope(
            payloadType: payloadType, payload: payload,
            signatures: [Signature(keyID: key.publicKey.fingerprint.hex, bytes: signature)])
    }
}
