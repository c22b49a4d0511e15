import Foundation

/// A key Warden trusts, with the window in which its signatures count. Rotation is two entries
/// whose windows overlap: the old key stays trusted for what it signed before it was retired.
public struct TrustedKey: Sendable, Hashable {
    public let name: String
    public let key: VerificationKey
    public let notBefore: Date?
    public let notAfter: Date?

    public init(name: String, key: VerificationKey, notBefore: Date? = nil, notAfter: Date? = nil) {
        self.name = name
        self.key = key
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    public func isValid(at time: Date) -> Bool {
        if let notBefore, time < notBefore { return false }
        if let notAfter, time > notAfter { return false }
        return true
    }
}

/// The result of checking one signature against a set of trusted keys.
public enum KeyMatch: Sendable, Equatable {
    case verified(TrustedKey)
    /// A trusted key verified the signature, but outside its validity window.
    case outsideValidity(TrustedKey)
    case noTrustedKey
}

extension Array where Element == TrustedKey {
    /// Which trusted key, if any, made `signature` over `message`. A signature checks against
    /// every key (hints in bundles are not trusted to pick one).
    public func match(
        signature: [UInt8], message: [UInt8], at time: Date, ecdsaHash: VerificationKey.ECDSAHash = .matchingCurve
    ) -> KeyMatch {
        match(at: time) { $0.isValidSignature(signature, for: message, ecdsaHash: ecdsaHash) }
    }

    /// Which trusted key, if any, `verifies` accepts, preferring one valid at `time`.
    func match(at time: Date, where verifies: (VerificationKey) -> Bool) -> KeyMatch {
        var expired: TrustedKey?
        for trusted in self where verifies(trusted.key) {
            if trusted.isValid(at: time) { return .verified(trusted) }
            expired = trusted
        }
        return expired.map(KeyMatch.outsideValidity) ?? .noTrustedKey
    }
}
