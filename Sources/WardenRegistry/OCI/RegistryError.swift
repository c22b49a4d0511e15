import WardenTrust

/// Why talking to a registry (or a layout folder) failed.
public enum RegistryError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedReference(String)
    case malformedManifest(String)
    case notFound(String)
    case digestMismatch(expected: SHA256Digest, actual: SHA256Digest)
    case sizeMismatch(expected: Int64, actual: Int64)
    case tooLarge(what: String, limit: Int64)
    case unauthorized(String)
    case transport(String)
    /// The TLS handshake failed; the detail says which side refused and why.
    case tls(String)
    case unsafePath(String)

    public var description: String {
        switch self {
        case let .malformedReference(detail): "malformed reference: \(detail)"
        case let .malformedManifest(detail): "malformed manifest: \(detail)"
        case let .notFound(what): "not found: \(what)"
        case let .digestMismatch(expected, actual): "content digest is \(actual), expected \(expected)"
        case let .sizeMismatch(expected, actual): "content is \(actual) bytes, its descriptor says \(expected)"
        case let .tooLarge(what, limit): "\(what) is larger than the \(limit)-byte limit"
        case let .unauthorized(detail): "unauthorized: \(detail)"
        case let .transport(detail): "registry request failed: \(detail)"
        case let .tls(detail): "registry TLS handshake failed: \(detail)"
        case let .unsafePath(detail): "unsafe file name: \(detail)"
        }
    }

    /// The same failure in WardenTrust's vocabulary, for receipts and exit statuses.
    public var trustFailure: TrustFailure {
        switch self {
        case .digestMismatch, .sizeMismatch: TrustFailure(.digestMismatch, description)
        case .tooLarge: TrustFailure(.sizeLimitExceeded, description)
        case .unsafePath: TrustFailure(.unsafePath, description)
        case .malformedManifest: TrustFailure(.malformedStatement, description)
        case .tls: TrustFailure(.registryTLSRefused, description)
        default: TrustFailure(.registryError, description)
        }
    }
}
