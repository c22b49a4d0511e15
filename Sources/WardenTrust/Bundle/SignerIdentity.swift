/// Who signed: a configured key, a certificate that chains to a configured root, or a
/// Sigstore keyless identity.
public enum SignerIdentity: Sendable, Equatable, CustomStringConvertible {
    case key(name: String, fingerprint: SHA256Digest)
    case certificate(identity: String, issuer: String)
    /// A Sigstore keyless signer: the certificate's identity and the OIDC issuer that vouched for it.
    case keyless(identity: String, oidcIssuer: String)

    public var description: String {
        switch self {
        case let .key(name, fingerprint): "key \(name) (\(fingerprint))"
        case let .certificate(identity, issuer): "certificate \(identity) issued by \(issuer)"
        case let .keyless(identity, oidcIssuer): "keyless \(identity) (OIDC issuer \(oidcIssuer))"
        }
    }
}
