import WardenConfig

/// What decides which version an unversioned request gets while a canary runs.
///
/// - `request` (the default): a fresh draw per request. The canary's share of requests is its
///   weight whatever the topology — behind one gateway, whose single identity the whole
///   traffic carries, as well as with many clients. Not sticky: one client may see both.
/// - `client`: a hash of the model and the client's SPIFFE ID. Sticky per client (as the
///   weight rises a client moves to the canary once and stays), but behind one gateway every
///   request has the same key and all of them land on one version.
/// - `header`: a hash of the model and a request header the gateway sets (a session or tenant
///   id). Sticky per header value; a request without the header is drawn per request.
public enum TrafficSplit: Sendable, Equatable {
    case request
    case client
    case header(String)

    package init(reading map: inout StrictMapping) throws {
        let kind = try map.string("split") ?? "request"
        let header = try map.string("split_header")
        switch (kind, header) {
        case ("request", nil): self = .request
        case ("client", nil): self = .client
        case let ("header", name?):
            guard !name.isEmpty, name.utf8.allSatisfy({ Self.isTokenByte($0) }) else {
                throw ConfigurationError("\(map.path).split_header must be an HTTP header name")
            }
            self = .header(name)
        case ("header", nil): throw ConfigurationError("\(map.path).split_header is required with split: header")
        case (_, _?) where kind != "header": throw ConfigurationError("\(map.path).split_header needs split: header")
        default: throw ConfigurationError("\(map.path).split must be request, client or header")
        }
    }

    /// The plan's `split` and `split_header`, as the admin API shows them.
    package var name: String {
        switch self {
        case .request: "request"
        case .client: "client"
        case .header: "header"
        }
    }

    package var headerName: String? {
        if case let .header(name) = self { return name }
        return nil
    }

    /// RFC 9110 token characters.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
