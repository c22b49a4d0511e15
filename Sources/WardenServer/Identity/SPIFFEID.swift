/// A SPIFFE ID (`spiffe://trust-domain/path`), validated as the SPIFFE ID specification
/// (section 2) requires: scheme `spiffe`, a trust domain of lowercase letters, digits, `-`,
/// `.` and `_`, no port, user info, query or fragment, and a path of segments made of letters,
/// digits, `-`, `.` and `_`, none empty, `.` or `..`.
public struct SPIFFEID: Sendable, Hashable, CustomStringConvertible {
    public let trustDomain: String
    /// The path, with its leading `/`; empty for the trust domain's own ID.
    public let path: String

    public var description: String { "spiffe://\(trustDomain)\(path)" }

    public init(parsing text: String) throws(IdentityError) {
        let prefix = "spiffe://"
        guard text.utf8.count <= 2048 else { throw IdentityError("a SPIFFE ID is at most 2048 bytes") }
        guard text.hasPrefix(prefix) else { throw IdentityError("the URI is not a spiffe:// ID") }
        let rest = text.dropFirst(prefix.count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let domain = rest[..<slash]
        guard !domain.isEmpty, domain.utf8.count <= 255 else { throw IdentityError("the trust domain is empty or too long") }
        guard domain.unicodeScalars.allSatisfy(Self.isTrustDomainCharacter) else {
            throw IdentityError("the trust domain may hold only lowercase letters, digits, '-', '.' and '_'")
        }
        let path = rest[slash...]
        if !path.isEmpty {
            for segment in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
                guard !segment.isEmpty else { throw IdentityError("the path has an empty segment") }
                guard segment != ".", segment != ".." else { throw IdentityError("the path has a '.' or '..' segment") }
                guard segment.unicodeScalars.allSatisfy(Self.isPathCharacter) else {
                    throw IdentityError("the path may hold only letters, digits, '-', '.' and '_'")
                }
            }
        }
        trustDomain = String(domain)
        self.path = String(path)
    }

    private static func isTrustDomainCharacter(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "-" || c == "." || c == "_"
    }

    private static func isPathCharacter(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "-" || c == "." || c == "_"
    }
}

/// Why a peer's identity was refused.
public struct IdentityError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
