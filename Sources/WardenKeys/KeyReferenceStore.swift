import WardenTrust

/// Opens keys wherever a reference says they are: PEM files, PKCS#11 tokens (`pkcs11:`) and
/// AWS KMS (`awskms://`). The store the CLI hands to every command that takes a key.
public struct KeyReferenceStore: KeyStore {
    public init() {}

    public func signingKey(_ reference: KeyReference) async throws(TrustFailure) -> SigningKey {
        switch reference {
        case .file: try await FileKeyStore().signingKey(reference)
        case let .pkcs11(text): .external(try PKCS11Key(signingWith: try PKCS11URI(parsing: text)))
        case let .awsKMS(text): .external(try await AWSKMSKey(try AWSKMSKeyURI(parsing: text)))
        }
    }

    public func publicKey(_ reference: KeyReference) async throws(TrustFailure) -> VerificationKey {
        switch reference {
        case .file: try await FileKeyStore().publicKey(reference)
        case let .pkcs11(text): try PKCS11Key.publicKey(of: try PKCS11URI(parsing: text))
        case let .awsKMS(text): try await AWSKMSKey(try AWSKMSKeyURI(parsing: text)).publicKey
        }
    }
}
