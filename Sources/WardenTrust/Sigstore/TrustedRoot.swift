import Foundation
import WardenJSON
import X509

/// Sigstore's trusted material (`trusted_root.json`, media type
/// `application/vnd.dev.sigstore.trustedroot+json;version=0.1`): the certificate authorities
/// (Fulcio) that issue signing certificates, the transparency logs (Rekor), the certificate
/// transparency logs whose SCTs Fulcio embeds, and the timestamp authorities, each trusted only
/// within its validity window. Keyless verification trusts nothing else.
public struct TrustedRoot: Sendable {
    /// When a key or authority may be relied on: from `start`, up to and including `end`.
    public struct Validity: Sendable, Equatable {
        public let start: Date
        public let end: Date?

        public func contains(_ time: Date) -> Bool { time >= start && (end.map { time <= $0 } ?? true) }
    }

    /// A Rekor or CT log: its key, the id entries name it by, and when the key was in use. A key
    /// Warden cannot read (an RSA key as bare PKCS#1, say) is nil: nothing verifies under it.
    public struct Log: Sendable {
        public let baseURL: String
        public let keyID: [UInt8]
        public let key: VerificationKey?
        public let validity: Validity
    }

    /// A Fulcio CA or a timestamp authority: its chain, from the issuing certificate up to the root.
    public struct Authority: Sendable {
        public let uri: String
        public let chain: [Certificate]
        public let validity: Validity
    }

    public static let mediaType = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"

    public let transparencyLogs: [Log]
    public let certificateTransparencyLogs: [Log]
    public let certificateAuthorities: [Authority]
    public let timestampAuthorities: [Authority]

    public init(bytes: [UInt8]) throws(TrustFailure) {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw TrustFailure(.malformedTrustRoot, "the trusted root is not valid JSON (\(error))")
        }
        try self.init(json: json)
    }

    public init(json: JSONValue) throws(TrustFailure) {
        guard case let .string(mediaType)? = json["mediaType"], mediaType == Self.mediaType else {
            throw TrustFailure(.malformedTrustRoot, "the trusted root's mediaType is not \(Self.mediaType)")
        }
        transparencyLogs = try Self.list(json, "tlogs").enumerated().map { index, log throws(TrustFailure) in
            try Self.log(log, "tlogs[\(index)]")
        }
        certificateTransparencyLogs = try Self.list(json, "ctlogs").enumerated().map { index, log throws(TrustFailure) in
            try Self.log(log, "ctlogs[\(index)]")
        }
        certificateAuthorities = try Self.list(json, "certificateAuthorities").enumerated().map { index, ca throws(TrustFailure) in
            try Self.authority(ca, "certificateAuthorities[\(index)]")
        }
        timestampAuthorities = try Self.list(json, "timestampAuthorities").enumerated().map { index, tsa throws(TrustFailure) in
            try Self.authority(tsa, "timestampAuthorities[\(index)]")
        }
    }

    /// The transparency log with this id, if the root trusts one.
    public func transparencyLog(keyID: [UInt8]) -> Log? { transparencyLogs.first { $0.keyID == keyID } }

    public func certificateTransparencyLog(keyID: [UInt8]) -> Log? { certificateTransparencyLogs.first { $0.keyID == keyID } }

    private static func list(_ json: JSONValue, _ key: String) throws(TrustFailure) -> [JSONValue] {
        switch json[key] {
        case nil: return []
        case let .array(items)?: return items
        default: throw TrustFailure(.malformedTrustRoot, "the trusted root's \(key) is not a list")
        }
    }

    private static func log(_ json: JSONValue, _ path: String) throws(TrustFailure) -> Log {
        guard case let .string(baseURL)? = json["baseUrl"], let publicKey = json["publicKey"],
            case let .string(raw)? = publicKey["rawBytes"], case let .string(keyID)? = json["logId"]?["keyId"]
        else {
            throw TrustFailure(.malformedTrustRoot, "\(path) needs baseUrl, publicKey.rawBytes and logId.keyId")
        }
        if let hash = json["hashAlgorithm"], hash != .string("SHA2_256") {
            throw TrustFailure(.malformedTrustRoot, "\(path): only SHA2_256 logs are supported")
        }
        let key = try? VerificationKey(der: try Base64.decode(raw, field: "\(path).publicKey.rawBytes"))
        return Log(
            baseURL: baseURL, keyID: try Base64.decode(keyID, field: "\(path).logId.keyId"), key: key,
            validity: try validity(publicKey["validFor"], "\(path).publicKey.validFor"))
    }

    private static func authority(_ json: JSONValue, _ path: String) throws(TrustFailure) -> Authority {
        guard case let .array(certificates)? = json["certChain"]?["certificates"], !certificates.isEmpty else {
            throw TrustFailure(.malformedTrustRoot, "\(path) has no certChain.certificates")
        }
        let chain = try certificates.enumerated().map { index, entry throws(TrustFailure) -> Certificate in
            guard case let .string(raw)? = entry["rawBytes"] else {
                throw TrustFailure(.malformedTrustRoot, "\(path).certChain.certificates[\(index)] has no rawBytes")
            }
            do {
                return try Certificate(derEncoded: try Base64.decode(raw, field: "\(path) certificate"))
            } catch {
                throw TrustFailure(.malformedTrustRoot, "\(path).certChain.certificates[\(index)] is not an X.509 certificate")
            }
        }
        let uri: String
        if case let .string(text)? = json["uri"] { uri = text } else { uri = "" }
        return Authority(uri: uri, chain: chain, validity: try validity(json["validFor"], "\(path).validFor"))
    }

    /// A window must say when it starts: a key with no start would be trusted for all time before it existed.
    private static func validity(_ json: JSONValue?, _ path: String) throws(TrustFailure) -> Validity {
        guard case let .string(start)? = json?["start"], let startDate = RFC3339.date(start) else {
            throw TrustFailure(.malformedTrustRoot, "\(path).start is missing or not an RFC 3339 time")
        }
        switch json?["end"] {
        case nil, .null?: return Validity(start: startDate, end: nil)
        case let .string(end)?:
            guard let endDate = RFC3339.date(end) else {
                throw TrustFailure(.malformedTrustRoot, "\(path).end is not an RFC 3339 time")
            }
            return Validity(start: startDate, end: endDate)
        default: throw TrustFailure(.malformedTrustRoot, "\(path).end is not an RFC 3339 time")
        }
    }
}

/// RFC 3339 times as protobuf's JSON mapping writes them: `2021-01-12T11:53:27Z`, with any
/// number of fractional digits, `Z` or a numeric offset.
enum RFC3339 {
    static func date(_ text: String) -> Date? {
        let chars = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= chars.count, range.allSatisfy({ (0x30...0x39).contains(chars[$0]) }) else { return nil }
            return range.reduce(0) { $0 * 10 + Int(chars[$1] - 0x30) }
        }
        guard chars.count >= 20, chars[4] == 0x2D, chars[7] == 0x2D, chars[10] == 0x54 || chars[10] == 0x74,
            chars[13] == 0x3A, chars[16] == 0x3A, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var nanoseconds = 0
        if chars[index] == 0x2E {
            index += 1
            let start = index
            while index < chars.count, (0x30...0x39).contains(chars[index]) {
                if index - start < 9 { nanoseconds = nanoseconds * 10 + Int(chars[index] - 0x30) }
                index += 1
            }
            guard index > start else { return nil }
            for _ in min(index - start, 9)..<9 { nanoseconds *= 10 }
        }
        var offset = 0
        guard index < chars.count else { return nil }
        if chars[index] == 0x5A || chars[index] == 0x7A {
            index += 1
        } else if chars[index] == 0x2B || chars[index] == 0x2D, index + 6 == chars.count, chars[index + 3] == 0x3A,
            let hours = number(index + 1..<index + 3), let minutes = number(index + 4..<index + 6)
        {
            offset = (hours * 3600 + minutes * 60) * (chars[index] == 0x2B ? 1 : -1)
            index += 6
        } else {
            return nil
        }
        guard index == chars.count else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard
            let base = calendar.date(
                from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
        else { return nil }
        let seconds = Int(base.timeIntervalSince1970) - offset
        return Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9)
    }
}
