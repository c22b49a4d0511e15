import Foundation

/// Opens keys by reference: a PEM file path, or a reference to a key in an HSM or KMS that a
/// store other than `FileKeyStore` understands (`pkcs11:…`, `awskms://…`).
public protocol KeyStore: Sendable {
    func signingKey(_ reference: KeyReference) async throws(TrustFailure) -> SigningKey
    func publicKey(_ reference: KeyReference) async throws(TrustFailure) -> VerificationKey
}

/// What a key reference names, told apart by its scheme the way cosign does.
public enum KeyReference: Sendable, Hashable, CustomStringConvertible {
    case file(String)
    /// An RFC 7512 PKCS#11 URI.
    case pkcs11(String)
    /// `awskms://[ENDPOINT/]KEY-ID-OR-ARN`, cosign's form.
    case awsKMS(String)

    public init(_ text: String) {
        if text.hasPrefix("pkcs11:") {
            self = .pkcs11(text)
        } else if text.hasPrefix("awskms://") {
            self = .awsKMS(text)
        } else {
            self = .file(text)
        }
    }

    /// A file path made absolute against `directory` (a trust policy's folder); others unchanged.
    public func relative(to directory: String) -> KeyReference {
        guard case let .file(path) = self, !path.hasPrefix("/"), !directory.isEmpty else { return self }
        return .file(directory + "/" + path)
    }

    /// The reference as written; a PKCS#11 URI without its query, which may name a PIN file.
    public var description: String {
        switch self {
        case let .file(path): path
        case let .pkcs11(uri): String(uri.prefix { $0 != "?" })
        case let .awsKMS(uri): uri
        }
    }
}

/// Keys in PEM files only: what Warden reads when no HSM or KMS is configured.
public struct FileKeyStore: KeyStore {
    public init() {}

    public func signingKey(_ reference: KeyReference) async throws(TrustFailure) -> SigningKey {
        try SigningKey(pem: try Self.text(reference))
    }

    public func publicKey(_ reference: KeyReference) async throws(TrustFailure) -> VerificationKey {
        try VerificationKey(pem: try Self.text(reference))
    }

    private static func text(_ reference: KeyReference) throws(TrustFailure) -> String {
        guard case let .file(path) = reference else {
            throw TrustFailure(.keyStoreUnavailable, "\(reference) names a key in an HSM or KMS, and this build reads key files only")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrustFailure(.unreadableFile, "cannot read key file \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
