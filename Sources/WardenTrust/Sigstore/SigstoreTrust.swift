import Foundation

/// What a Sigstore bundle is verified against: a trusted root (the CAs, logs and timestamp
/// authorities), and who may sign. A signature counts only with proof of when it was made: a
/// transparency log's signed entry timestamp or an RFC 3161 timestamp, each verified offline.
public struct SigstoreTrust: Sendable {
    public enum Signers: Sendable {
        /// Keyless: a Fulcio certificate whose identity and OIDC issuer match one of these.
        case identities([KeylessIdentityPolicy])
        /// Managed keys, still proven by the log and timestamps.
        case keys([TrustedKey])
    }

    public let root: TrustedRoot
    public let signers: Signers

    /// How far ahead of Warden's clock a log's integrated time may be: clock skew between hosts,
    /// not a window to sign in the future.
    public static let clockSkew: TimeInterval = 60

    public init(root: TrustedRoot, signers: Signers) {
        self.root = root
        self.signers = signers
    }
}
