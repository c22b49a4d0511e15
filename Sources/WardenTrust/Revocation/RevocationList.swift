import Foundation
import WardenJSON

/// A signed list of revoked model digests. Each list has a serial that only grows and an
/// expiry: an older serial is a rollback, an expired list a freeze, and both are refused.
public struct RevocationList: Sendable, Equatable {
    public static let payloadType = "application/vnd.warden.revocation-list+json"

    public struct Entry: Sendable, Equatable {
        public let digest: SHA256Digest
        public let reason: String

        public init(digest: SHA256Digest, reason: String) {
            self.digest = digest
            self.reason = reason
        }
    }

    public let serial: Int64
    public let issuedAt: Date
    public let expiresAt: Date
    public let entries: [Entry]

    public init(serial: Int64, issuedAt: Date, expiresAt: Date, entries: [Entry]) {
        self.serial = serial
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.entries = entries
    }

    public init(payload: [UInt8]) throws(TrustFailure) {
        guard let json = try? JSONParser.parse(payload) else { throw TrustFailure(.revocationListInvalid, "revocation list is not JSON") }
        let dates = ISO8601DateFormatter()
        guard case let .integer(serial)? = json["serial"], serial >= 0,
            case let .string(issued)? = json["issued_at"], let issuedAt = dates.date(from: issued),
            case let .string(expires)? = json["expires_at"], let expiresAt = dates.date(from: expires),
            case let .array(items)? = json["revoked"]
        else {
            throw TrustFailure(.revocationListInvalid, "revocation list needs serial, issued_at, expires_at and revoked")
        }
        var entries: [Entry] = []
        for item in items {
            guard case let .string(text)? = item["digest"], let digest = SHA256Digest(parsing: text) else {
                throw TrustFailure(.revocationListInvalid, "revocation entry without a sha256 digest")
            }
            var reason = ""
            if case let .string(why)? = item["reason"] { reason = why }
            entries.append(Entry(digest: digest, reason: reason))
        }
        self.init(serial: serial, issuedAt: issuedAt, expiresAt: expiresAt, entries: entries)
    }

    public var payload: [UInt8] {
        let dates = ISO8601DateFormatter()
        return Array(
            JSONValue.object([
                ("serial", .integer(serial)), ("issued_at", .string(dates.string(from: issuedAt))),
                ("expires_at", .string(dates.string(from: expiresAt))),
                ("revoked", .array(entries.map { .object([("digest", .string($0.digest.description)), ("reason", .string($0.reason))]) })),
            ]).serialized().utf8)
    }

    public func entry(for digest: SHA256Digest) -> Entry? { entries.first { $0.digest == digest } }

    /// Verifies a revocation-list envelope: signed by an allowed key, current, and not older
    /// than `minimumSerial`.
    public static func verified(
        envelope bytes: [UInt8], keys: [TrustedKey], minimumSerial: Int64, at time: Date
    ) throws(TrustFailure) -> (list: RevocationList, signer: TrustedKey) {
        guard let json = try? JSONParser.parse(bytes) else {
            throw TrustFailure(.revocationListInvalid, "revocation list envelope is not JSON")
        }
        let envelope = try DSSEEnvelope(json: json)
        guard envelope.payloadType == payloadType else {
            throw TrustFailure(.revocationListInvalid, "revocation envelope payload type is \(envelope.payloadType)")
        }
        let signer: TrustedKey
        do {
            signer = try envelope.signer(among: keys, at: time)
        } catch {
            throw TrustFailure(.revocationListInvalid, "revocation list is not signed by a revocation key (\(error.detail))")
        }
        let list = try RevocationList(payload: envelope.payload)
        guard list.expiresAt > time else {
            throw TrustFailure(
                .revocationListInvalid, "revocation list \(list.serial) expired at \(list.expiresAt) (a frozen list is refused)")
        }
        guard list.issuedAt <= time.addingTimeInterval(300) else {
            throw TrustFailure(.revocationListInvalid, "revocation list \(list.serial) is issued in the future (\(list.issuedAt))")
        }
        guard list.serial >= minimumSerial else {
            throw TrustFailure(
                .revocationListInvalid, "revocation list serial \(list.serial) is older than \(minimumSerial) (rollback refused)")
        }
        return (list, signer)
    }
}

/// The highest revocation serial seen, kept in a small file so a rolled-back list is caught
/// even when the policy's minimum serial has not been raised.
public struct RevocationState: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func highestSerial() -> Int64 {
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        return Int64(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    public func record(_ serial: Int64) throws(TrustFailure) {
        guard serial > highestSerial() else { return }
        do {
            try Data("\(serial)\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw TrustFailure(.unreadableFile, "cannot record revocation serial in \(path)")
        }
    }
}
