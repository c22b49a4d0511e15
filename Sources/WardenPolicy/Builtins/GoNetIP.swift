/// Go's `netip.ParseAddr`, as far as `uri.parse` needs it: which family an address is, or the
/// error Go gives (its text reaches a strict-mode policy through `invalid host: …`).
enum GoNetIP {
    enum Family { case v4, v6 }

    struct ParseError: Error {
        let message: String
    }

    static func parse(_ input: [UInt8]) -> Result<Family, ParseError> {
        for byte in input {
            switch byte {
            case UInt8(ascii: "."): return parseIPv4(input, from: 0, to: input.count).map { .v4 }
            case UInt8(ascii: ":"): return parseIPv6(input).map { .v6 }
            case UInt8(ascii: "%"): return .failure(error(input, "missing IPv6 address"))
            default: continue
            }
        }
        return .failure(error(input, "unable to parse IP"))
    }

    private static func error(_ input: [UInt8], _ message: String, at rest: ArraySlice<UInt8>? = nil) -> ParseError {
        var text = "ParseAddr(\(GoURL.quoted(input))): \(message)"
        if let rest, !rest.isEmpty { text += " (at \(GoURL.quoted(Array(rest))))" }
        return ParseError(message: text)
    }

    private static func parseIPv4(_ input: [UInt8], from start: Int, to end: Int) -> Result<Void, ParseError> {
        var value = 0, position = 0, digits = 0
        let s = input[start..<end]
        for index in s.indices {
            let byte = s[index]
            if (0x30...0x39).contains(byte) {
                if digits == 1, value == 0 { return .failure(error(input, "IPv4 field has octet with leading zero")) }
                value = value * 10 + Int(byte - 0x30)
                digits += 1
                if value > 255 { return .failure(error(input, "IPv4 field has value >255")) }
            } else if byte == UInt8(ascii: ".") {
                if index == s.startIndex || index == s.endIndex - 1 || s[index - 1] == UInt8(ascii: ".") {
                    return .failure(error(input, "IPv4 field must have at least one digit", at: s[index...]))
                }
                if position == 3 { return .failure(error(input, "IPv4 address too long")) }
                position += 1
                value = 0
                digits = 0
            } else {
                return .failure(error(input, "unexpected character", at: s[index...]))
            }
        }
        return position < 3 ? .failure(error(input, "IPv4 address too short")) : .success(())
    }

    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 0x30...0x39: UInt32(byte - 0x30)
        case 0x41...0x46: UInt32(byte - 0x41 + 10)
        case 0x61...0x66: UInt32(byte - 0x61 + 10)
        default: nil
        }
    }

    private static func parseIPv6(_ input: [UInt8]) -> Result<Void, ParseError> {
        var s = input[...]
        var zoneLength = 0
        if let percent = input.firstIndex(of: UInt8(ascii: "%")) {
            zoneLength = input.count - percent - 1
            guard zoneLength > 0 else { return .failure(error(input, "zone must be a non-empty string")) }
            s = input[..<percent]
        }
        var filled = 0
        var ellipsis = -1
        let colon = UInt8(ascii: ":")
        if s.count >= 2, s[s.startIndex] == colon, s[s.startIndex + 1] == colon {
            ellipsis = 0
            s = s.dropFirst(2)
            if s.isEmpty { return .success(()) }
        }
        while filled < 16 {
            var offset = 0
            var accumulated: UInt32 = 0
            while offset < s.count, let digit = hexDigit(s[s.startIndex + offset]) {
                accumulated = accumulated << 4 + digit
                if offset > 3 { return .failure(error(input, "each group must have 4 or less digits", at: s)) }
                if accumulated > 0xFFFF { return .failure(error(input, "IPv6 field has value >=2^16", at: s)) }
                offset += 1
            }
            if offset == 0 { return .failure(error(input, "each colon-separated field must have at least one digit", at: s)) }
            if offset < s.count, s[s.startIndex + offset] == UInt8(ascii: ".") {
                if ellipsis < 0, filled != 12 {
                    return .failure(error(input, "embedded IPv4 address must replace the final 2 fields of the address", at: s))
                }
                if filled + 4 > 16 {
                    return .failure(error(input, "too many hex fields to fit an embedded IPv4 at the end of the address", at: s))
                }
                let end = input.count - (zoneLength > 0 ? zoneLength + 1 : 0)
                if case let .failure(failure) = parseIPv4(input, from: end - s.count, to: end) { return .failure(failure) }
                s = s[s.endIndex...]
                filled += 4
                break
            }
            filled += 2
            s = s.dropFirst(offset)
            if s.isEmpty { break }
            if s[s.startIndex] != colon { return .failure(error(input, "unexpected character, want colon", at: s)) }
            if s.count == 1 { return .failure(error(input, "colon must be followed by more characters", at: s)) }
            s = s.dropFirst()
            if s[s.startIndex] == colon {
                if ellipsis >= 0 { return .failure(error(input, "multiple :: in address", at: s)) }
                ellipsis = filled
                s = s.dropFirst()
                if s.isEmpty { break }
            }
        }
        if !s.isEmpty { return .failure(error(input, "trailing garbage after address", at: s)) }
        if filled < 16 {
            if ellipsis < 0 { return .failure(error(input, "address string too short")) }
        } else if ellipsis >= 0 {
            return .failure(error(input, "the :: must expand to at least one field of zeros"))
        }
        return .success(())
    }
}
