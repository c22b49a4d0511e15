import ArgumentParser
import WardenKeys
import WardenTrust

/// Keys named on the command line: a PEM file, a `pkcs11:` URI or an `awskms://` reference.
/// A key that cannot be opened ends the command with its failure class's exit status (17 for
/// an HSM or KMS that is absent or refuses), never with a fallback to another key.
enum CLIKeys {
    static let store = KeyReferenceStore()
    static let help = "a PEM file, a PKCS#11 URI (pkcs11:token=…;object=…?module-path=…&pin-source=file:…) or awskms://[ENDPOINT/]KEY"

    static func signingKey(_ reference: String) async throws -> SigningKey {
        do {
            return try await store.signingKey(KeyReference(reference))
        } catch {
            throw TrustOutcome.refuse(error, json: false)
        }
    }

    /// Runs a command that signs: a `TrustFailure` met on the way (a token that stops
    /// answering, a KMS signature its own key does not verify) ends it with its class's status.
    static func signing(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as TrustFailure {
            throw TrustOutcome.refuse(failure, json: false)
        }
    }

    static func publicKey(_ reference: String) async throws(TrustFailure) -> VerificationKey {
        try await store.publicKey(KeyReference(reference))
    }
}
