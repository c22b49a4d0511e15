import WardenTrust

/// cosign's AWS KMS key reference: `awskms://[ENDPOINT]/KEY`, where KEY is a key id, an
/// `alias/NAME`, or a key or alias ARN (whose region then wins), and ENDPOINT a `host[:port]`
/// reached over HTTPS instead of the region's public endpoint.
public struct AWSKMSKeyURI: Sendable, Equatable, CustomStringConvertible {
    public let endpoint: String?
    public let keyID: String
    /// The region an ARN names; nil for a bare id or alias.
    public let arnRegion: String?

    public init(parsing text: String) throws(TrustFailure) {
        guard text.hasPrefix("awskms://") else { throw Self.failure(text, "must start with awskms://") }
        let rest = text.dropFirst("awskms://".count)
        guard let slash = rest.firstIndex(of: "/") else {
            throw Self.failure(text, "write awskms:///KEY, or awskms://HOST[:PORT]/KEY for another endpoint")
        }
        let host = String(rest[..<slash])
        let key = String(rest[rest.index(after: slash)...])
        guard !key.isEmpty, !key.contains("?"), !key.contains("#") else { throw Self.failure(text, "names no key") }
        if key.hasPrefix("arn:") {
            // arn:PARTITION:kms:REGION:ACCOUNT:key/ID or …:alias/NAME
            let fields = key.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard fields.count == 6, fields[2] == "kms", !fields[3].isEmpty, fields[4].count == 12, fields[4].allSatisfy(\.isNumber),
                fields[5].hasPrefix("key/") || fields[5].hasPrefix("alias/")
            else {
                throw Self.failure(text, "not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID or …:alias/NAME)")
            }
            arnRegion = String(fields[3])
        } else {
            guard key.hasPrefix("alias/") || key.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
                throw Self.failure(text, "the key must be a key id, alias/NAME or a KMS ARN")
            }
            arnRegion = nil
        }
        guard host.isEmpty || host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) }) else {
            throw Self.failure(text, "the endpoint must be host[:port]")
        }
        endpoint = host.isEmpty ? nil : host
        keyID = key
    }

    public var description: String { "awskms://\(endpoint ?? "")/\(keyID)" }

    private static func failure(_ text: String, _ detail: String) -> TrustFailure {
        TrustFailure(.malformedKey, "AWS KMS reference \(text): \(detail)")
    }
}
