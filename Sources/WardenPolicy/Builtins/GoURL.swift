/// A URL read as Go's `net/url.Parse` reads it (the Go release OPA v1.20.2 is built with), for
/// `uri.parse` and `uri.is_valid`. Go works on bytes, so this does too; its error texts are
/// kept, since a strict-mode policy sees them.
///
/// The rules, in Go's order: the fragment is cut at the first `#`; the rest may hold no control
/// byte; a scheme is letters then letters, digits, `+ - .` up to a `:`; the query is cut at the
/// first `?`; a rootless rest after a scheme is opaque; `//` starts an authority (user info
/// before the last `@`, then a host: a bracketed IPv6 literal with an optional `%25` zone, or a
/// name whose percent escapes are only for non-ASCII bytes, and an optional numeric port).
struct GoURL {
    var scheme = ""
    var opaque = ""
    var host = ""
    var path = ""
    /// The path as written, when that is not the default escaping of `path`.
    var rawPath = ""
    var rawQuery = ""
    var fragment = ""

    struct ParseError: Error {
        let reason: String
        /// The text Go's error quotes: the URL before its fragment, or all of it when the
        /// fragment was at fault.
        var url: [UInt8] = []

        /// Go's `url.Error` text: `parse "URL": reason`.
        var description: String { "parse \(GoURL.quoted(url)): \(reason)" }
    }

    init(parsing text: String) throws(ParseError) {
        let bytes = Array(text.utf8)
        let hash = bytes.firstIndex(of: UInt8(ascii: "#"))
        let main = Array(bytes[..<(hash ?? bytes.count)])
        do throws(ParseError) {
            try parseMain(main)
        } catch {
            throw ParseError(reason: error.reason, url: main)
        }
        if let hash {
            do throws(ParseError) {
                fragment = String(decoding: try Self.unescape(Array(bytes[(hash + 1)...]), .fragment), as: UTF8.self)
            } catch {
                throw ParseError(reason: error.reason, url: bytes)
            }
        }
    }

    /// Go's `Hostname()`: the host without its port and brackets.
    var hostname: String { Self.splitHostPort(host).host }
    /// Go's `Port()`: the digits after the host's last colon, if they are a port.
    var port: String { Self.splitHostPort(host).port }

    private mutating func parseMain(_ bytes: [UInt8]) throws(ParseError) {
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw ParseError(reason: "net/url: invalid control character in URL")
        }
        if bytes == [UInt8(ascii: "*")] {
            path = "*"
            return
        }
        var rest = bytes
        if let colon = Self.schemeEnd(bytes) {
            guard colon > 0 else { throw ParseError(reason: "missing protocol scheme") }
            scheme = String(decoding: bytes[..<colon], as: UTF8.self).lowercased()
            rest = Array(bytes[(colon + 1)...])
        }
        let question = UInt8(ascii: "?"), slash = UInt8(ascii: "/")
        if rest.last == question, rest.filter({ $0 == question }).count == 1 {
            rest.removeLast()
        } else if let mark = rest.firstIndex(of: question) {
            rawQuery = String(decoding: rest[(mark + 1)...], as: UTF8.self)
            rest = Array(rest[..<mark])
        }
        if rest.first != slash {
            if !scheme.isEmpty {
                // A rootless path after a scheme is opaque (RFC 3986).
                opaque = String(decoding: rest, as: UTF8.self)
                return
            }
            // Go's guard against a malformed scheme such as cache_object:foo/bar.
            let segment = rest.prefix { $0 != slash }
            if segment.contains(UInt8(ascii: ":")) { throw ParseError(reason: "first path segment in URL cannot contain colon") }
        }
        if rest.starts(with: [slash, slash]), !scheme.isEmpty || !rest.starts(with: [slash, slash, slash]) {
            let authorityEnd = rest[2...].firstIndex(of: slash) ?? rest.count
            // Go reads an http(s) host's port from its first colon, any other's from its last.
            host = try Self.parseAuthority(Array(rest[2..<authorityEnd]), strictColons: scheme == "http" || scheme == "https")
            rest = Array(rest[authorityEnd...])
        }
        // Go compares bytes: a decoded path need not be UTF-8 ("%FF").
        let decoded = try Self.unescape(rest, .path)
        path = String(decoding: decoded, as: UTF8.self)
        rawPath = Self.escape(decoded, .path) == rest ? "" : String(decoding: rest, as: UTF8.self)
    }

    /// Where the scheme's `:` is, or nil when the text has no scheme.
    private static func schemeEnd(_ bytes: [UInt8]) -> Int? {
        for (index, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): continue
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
                if index == 0 { return nil }
            case UInt8(ascii: ":"): return index
            default: return nil
            }
        }
        return nil
    }

    /// The authority's host (user info is checked, then dropped: `uri.parse` does not show it).
    private static func parseAuthority(_ authority: [UInt8], strictColons: Bool) throws(ParseError) -> String {
        let at = authority.lastIndex(of: UInt8(ascii: "@"))
        let host = try parseHost(Array(authority[((at ?? -1) + 1)...]), strictColons: strictColons)
        guard let at else { return host }
        let userinfo = authority[..<at]
        guard let text = String(validating: userinfo, as: UTF8.self), text.unicodeScalars.allSatisfy(isUserinfoScalar) else {
            throw ParseError(reason: "net/url: invalid userinfo")
        }
        for part in userinfo.split(separator: UInt8(ascii: ":"), maxSplits: 1, omittingEmptySubsequences: false) {
            _ = try unescape(Array(part), .userPassword)
        }
        return host
    }

    private static func isUserinfoScalar(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return false }
        let byte = UInt8(scalar.value)
        return isAlphanumeric(byte) || Array("-._:~!$&'()*+,;=%@".utf8).contains(byte)
    }

    private static func parseHost(_ host: [UInt8], strictColons: Bool) throws(ParseError) -> String {
        if host.first == UInt8(ascii: "[") {
            guard let close = host.lastIndex(of: UInt8(ascii: "]")) else { throw ParseError(reason: "missing ']' in host") }
            let colonPort = Array(host[(close + 1)...])
            guard validOptionalPort(colonPort) else {
                throw ParseError(reason: "invalid port \(goQuoted(colonPort)) after host")
            }
            let literal = host[..<close]
            let unescaped: [UInt8]
            if let zone = find([0x25, 0x32, 0x35], in: Array(literal)) {
                unescaped =
                    try unescape(Array(host[..<zone]), .host) + unescape(Array(host[zone..<close]), .zone)
                    + unescape(Array(host[close...]), .host)
            } else {
                unescaped = try unescape(host, .host)
            }
            // Only an IPv6 address (with an optional zone) may stand in brackets.
            switch GoNetIP.parse(Array(unescaped.dropFirst().prefix { $0 != UInt8(ascii: "]") })) {
            case let .failure(failure): throw ParseError(reason: "invalid host: " + failure.message)
            case .success(.v4): throw ParseError(reason: "invalid IP-literal")
            case .success(.v6): break
            }
            return String(decoding: unescaped, as: UTF8.self)
        }
        // A bracket anywhere but first is refused before the port is read.
        if host.contains(UInt8(ascii: "[")) { throw ParseError(reason: "invalid IP-literal") }
        if let colon = strictColons ? host.firstIndex(of: UInt8(ascii: ":")) : host.lastIndex(of: UInt8(ascii: ":")) {
            let colonPort = Array(host[colon...])
            guard validOptionalPort(colonPort) else {
                throw ParseError(reason: "invalid port \(goQuoted(colonPort)) after host")
            }
        }
        return String(decoding: try unescape(host, .host), as: UTF8.self)
    }

    private static func validOptionalPort(_ port: [UInt8]) -> Bool {
        guard let first = port.first else { return true }
        return first == UInt8(ascii: ":") && port.dropFirst().allSatisfy { (0x30...0x39).contains($0) }
    }

    static func splitHostPort(_ hostPort: String) -> (host: String, port: String) {
        var host = Substring(hostPort), port: Substring = ""
        if let colon = host.lastIndex(of: ":"), validOptionalPort(Array(host[colon...].utf8)) {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return (String(host), String(port))
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    private static func goQuoted(_ bytes: [UInt8]) -> String { quoted(bytes) }

    /// Go's `%q` (strconv.Quote): printable text as it is, quotes and backslashes escaped,
    /// control characters as `\t`-style or `\x..` escapes, bytes that are not UTF-8 as `\x..`.
    static func quoted(_ bytes: [UInt8]) -> String {
        var out = "\""
        var index = 0
        while index < bytes.count {
            let width = utf8Width(bytes, at: index)
            guard width > 0, let scalar = String(decoding: bytes[index..<(index + width)], as: UTF8.self).unicodeScalars.first else {
                out += "\\x" + hexByte(bytes[index])
                index += 1
                continue
            }
            index += width
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0B}": out += "\\v"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + hexByte(UInt8(scalar.value))
                } else if !isGoPrintable(scalar) {
                    out += scalar.value <= 0xFFFF ? "\\u" + hex(scalar.value, width: 4) : "\\U" + hex(scalar.value, width: 8)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    private static func isGoPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .nonspacingMark, .spacingMark,
            .enclosingMark, .decimalNumber, .letterNumber, .otherNumber, .connectorPunctuation, .dashPunctuation, .openPunctuation,
            .closePunctuation, .initialPunctuation, .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol,
            .modifierSymbol, .otherSymbol:
            true
        default: scalar == " "
        }
    }

    /// The length of the valid UTF-8 sequence at `index`, or 0.
    private static func utf8Width(_ bytes: [UInt8], at index: Int) -> Int {
        for width in 1...4 where index + width <= bytes.count {
            if String(validating: bytes[index..<(index + width)], as: UTF8.self) != nil { return width }
        }
        return 0
    }

    private static func hexByte(_ byte: UInt8) -> String { hex(UInt32(byte), width: 2) }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}

extension GoURL {
    /// The URL components Go escapes differently.
    enum Component {
        case path, host, zone, userPassword, fragment
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// Go's `shouldEscape` for the components `uri.parse` reads.
    static func shouldEscape(_ byte: UInt8, _ component: Component) -> Bool {
        if isAlphanumeric(byte) { return false }
        if component == .host || component == .zone, Array("!$&'()*+,;=:[]<>\"".utf8).contains(byte) { return false }
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"): return false
        case UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: "/"), UInt8(ascii: ":"),
            UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "@"):
            switch component {
            case .path: return byte == UInt8(ascii: "?")
            case .userPassword: return [UInt8(ascii: "@"), UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: ":")].contains(byte)
            case .fragment: return false
            case .host, .zone: return true
            }
        default:
            if component == .fragment, Array("!()*".utf8).contains(byte) { return false }
            return true
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// Go's `unescape`: every `%` followed by two hex digits, and the host's own rules.
    static func unescape(_ bytes: [UInt8], _ component: Component) throws(ParseError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    let shown = bytes[index..<min(index + 3, bytes.count)]
                    throw ParseError(reason: "invalid URL escape \(goQuoted(Array(shown)))")
                }
                let escape = Array(bytes[index..<(index + 3)])
                let isPercent = escape == Array("%25".utf8)
                // Hosts escape only non-ASCII bytes (and %25 for a zone's percent sign).
                if component == .host, high < 8, !isPercent { throw ParseError(reason: "invalid URL escape \(goQuoted(escape))") }
                let value = high << 4 | low
                if component == .zone, !isPercent, value != 0x20, shouldEscape(value, .host) {
                    throw ParseError(reason: "invalid URL escape \(goQuoted(escape))")
                }
                out.append(value)
                index += 3
                continue
            }
            if component == .host || component == .zone, byte < 0x80, shouldEscape(byte, component) {
                throw ParseError(reason: "invalid character \(goQuoted([byte])) in host name")
            }
            out.append(byte)
            index += 1
        }
        return out
    }

    /// Go's `escape` for a path: what `setPath` compares the written path with.
    static func escape(_ bytes: [UInt8], _ component: Component) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            if shouldEscape(byte, component) {
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            } else {
                out.append(byte)
            }
        }
        return out
    }
}
