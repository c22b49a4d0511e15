/// Why an artifact was refused. Every check in WardenTrust fails with one of these: a stable
/// machine code (the same in the CLI's JSON, the receipt, logs and metrics) and one human line
/// that names the file, the check and what was expected.
public struct TrustFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }

    /// Stable codes, grouped by `Class` so a caller can map a failure to an exit status.
    public enum Code: String, Sendable, CaseIterable {
        // The inputs themselves are unusable.
        case malformedBundle = "malformed_bundle"
        case unknownMediaType = "unknown_media_type"
        case malformedKey = "malformed_key"
        case malformedCertificate = "malformed_certificate"
        case malformedStatement = "malformed_statement"
        case unsafePath = "unsafe_path"
        case unreadableFile = "unreadable_file"
        case malformedTrustRoot = "malformed_trust_root"
        /// The artifact verifies, but its model or contract cannot be served.
        case unservableModel = "unservable_model"
        // Signatures and identities.
        case signatureMissing = "signature_missing"
        case signatureInvalid = "signature_invalid"
        case untrustedKey = "untrusted_key"
        case keyNotValidAtTime = "key_not_valid_at_time"
        case certificateInvalid = "certificate_invalid"
        case identityMismatch = "identity_mismatch"
        case transparencyLogInvalid = "transparency_log_invalid"
        case timestampInvalid = "timestamp_invalid"
        // The signed content does not describe these bytes.
        case digestMismatch = "digest_mismatch"
        case missingFile = "missing_file"
        case unexpectedFile = "unexpected_file"
        case subjectMismatch = "subject_mismatch"
        case sizeLimitExceeded = "size_limit_exceeded"
        // Attestations, revocation and the gate.
        case attestationMissing = "attestation_missing"
        case attestationRejected = "attestation_rejected"
        case revoked = "revoked"
        case revocationListInvalid = "revocation_list_invalid"
        case policyDenied = "policy_denied"
        /// A policy bundle that is not one: manifest, files or statement malformed.
        case policyBundleInvalid = "policy_bundle_invalid"
        /// A policy bundle whose revision is below the one in force (or the trust policy's floor).
        case policyBundleRollback = "policy_bundle_rollback"
        // Fetching.
        case registryError = "registry_error"
        /// The TLS handshake with the registry failed: an unknown CA, a wrong name, an
        /// expired certificate, or the registry wanted a client certificate.
        case registryTLSRefused = "registry_tls_refused"
        // Keys held in an HSM (PKCS#11) or a cloud KMS.
        /// The module, token or KMS cannot be reached: a missing library, an absent token, a
        /// KMS that does not answer within its deadline.
        case keyStoreUnavailable = "key_store_unavailable"
        /// The key store answered and said no: a wrong PIN, a denied KMS call, bad credentials.
        case keyStoreRefused = "key_store_refused"
        /// No key with that reference in the token or KMS.
        case keyNotFound = "key_not_found"
        /// The key exists but Warden cannot sign or verify with it (type, curve, usage).
        case unsupportedKey = "unsupported_key"
        /// The key store holds a key other than the one pinned by fingerprint.
        case keyMismatch = "key_mismatch"

        public var failureClass: Class {
            switch self {
            case .malformedBundle, .unknownMediaType, .malformedKey, .malformedCertificate, .malformedStatement,
                .unsafePath, .unreadableFile, .malformedTrustRoot, .unservableModel:
                .input
            case .signatureMissing, .signatureInvalid, .untrustedKey, .keyNotValidAtTime, .certificateInvalid, .identityMismatch,
                .transparencyLogInvalid, .timestampInvalid:
                .signature
            case .digestMismatch, .missingFile, .unexpectedFile, .subjectMismatch, .sizeLimitExceeded:
                .integrity
            case .attestationMissing, .attestationRejected: .attestation
            case .revoked, .revocationListInvalid: .revocation
            case .policyDenied, .policyBundleInvalid, .policyBundleRollback: .policy
            case .registryError, .registryTLSRefused: .registry
            case .keyStoreUnavailable, .keyStoreRefused, .keyNotFound, .unsupportedKey, .keyMismatch: .keyStore
            }
        }
    }

    /// Failure classes; each has its own process exit status (see `exitStatus`).
    public enum Class: String, Sendable {
        case input, signature, integrity, attestation, revocation, policy, registry, keyStore

        /// Exit statuses of `warden fetch` and `warden verify`; 1 stays "usage or internal error".
        public var exitStatus: Int32 {
            switch self {
            case .input: 10
            case .signature: 11
            case .integrity: 12
            case .attestation: 13
            case .revocation: 14
            case .policy: 15
            case .registry: 16
            case .keyStore: 17
            }
        }
    }
}
