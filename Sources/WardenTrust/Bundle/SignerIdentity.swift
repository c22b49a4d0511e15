/// Who signed: a configured key, or a certificate that chains to a configured root.
public enum SignerIdentity: Sendable, Equatable, CustomStringConvertible {
    case key(name: String, fingerprint: SHA256Digest)
    case certificate(identity: String, issuer: String)

    public var description: String {
        switch self {
        case let .key(name, fingerprint): "key \(name) (\(fingerprint))"
        case let .certificate(identity, issuer): "certificate \(identity) issued by \(issuer)"
        }
    }
}
