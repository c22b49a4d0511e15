/// Who an authorization rule lets in: one exact SPIFFE ID, a path prefix within a trust
/// domain (`spiffe://prod.example/ns/gateway/*`: every ID below that path), or a whole trust
/// domain (`spiffe://prod.example/*`). Prefixes match whole segments only, so
/// `.../gateway/*` does not let in `.../gateway-evil`.
public struct IdentityPattern: Sendable, Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case exact(SPIFFEID)
        case below(trustDomain: String, path: String)
    }

    let kind: Kind

    public var description: String {
        switch kind {
        case let .exact(id): id.description
        case let .below(domain, path): "spiffe://\(domain)\(path)/*"
        }
    }

    public init(parsing text: String) throws(IdentityError) {
        if text.hasSuffix("/*") {
            let base = String(text.dropLast(2))
            let id = try SPIFFEID(parsing: base)
            kind = .below(trustDomain: id.trustDomain, path: id.path)
        } else {
            kind = .exact(try SPIFFEID(parsing: text))
        }
    }

    public func matches(_ id: SPIFFEID) -> Bool {
        switch kind {
        case let .exact(expected): return id == expected
        // `spiffe://td/*` means the workloads of td: never the trust domain's own ID.
        case let .below(domain, path): return id.trustDomain == domain && (path.isEmpty ? !id.path.isEmpty : id.path.hasPrefix(path + "/"))
        }
    }
}
