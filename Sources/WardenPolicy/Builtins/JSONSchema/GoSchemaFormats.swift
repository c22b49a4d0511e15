/// gojsonschema's format checkers, each reproducing the Go function it calls (`time.Parse`
/// layouts, `net/mail.ParseAddress`, `net.ParseIP`, `url.Parse`, RE2 compilation). A format it
/// does not know always holds.
enum GoSchemaFormats {
    static func holds(_ format: String, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        switch format {
        case "date-time": return GoTimeLayouts.isDateTime(bytes)
        case "date": return GoTimeLayouts.isDate(bytes)
        case "time": return GoTimeLayouts.isTime(bytes)
        case "email", "idn-email": return GoMailAddress.parses(text)
        case "hostname": return isHostname(bytes)
        case "ipv4":
            return !bytes.contains(UInt8(ascii: "%")) && bytes.contains(UInt8(ascii: ".")) && (try? GoNetIP.parse(bytes).get()) != nil
        case "ipv6":
            return !bytes.contains(UInt8(ascii: "%")) && bytes.contains(UInt8(ascii: ":")) && (try? GoNetIP.parse(bytes).get()) != nil
        case "uri", "iri":
            guard !text.contains("\\"), let url = try? GoURL(parsing: text) else { return false }
            return !url.scheme.isEmpty
        case "uri-reference", "iri-reference": return !text.contains("\\") && (try? GoURL(parsing: text)) != nil
        case "uri-template":
            guard !text.contains("\\"), let url = try? GoURL(parsing: text) else { return false }
            return isTemplatePath(Array(url.path.utf8))
        case "uuid": return isUUID(bytes)
        case "regex": return text.isEmpty || (try? LinearRegex(text)) != nil
        case "json-pointer": return isJSONPointer(bytes[...])
        case "relative-json-pointer": return isRelativeJSONPointer(bytes)
        default: return true
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool { GoURL.isAlphanumeric(byte) }

    /// RFC 1123 labels of at most 63 characters, dot-separated, under 256 in all.
    private static func isHostname(_ bytes: [UInt8]) -> Bool {
        guard bytes.count < 256, !bytes.isEmpty else { return false }
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard (1...63).contains(label.count), let first = label.first, let last = label.last, isAlphanumeric(first),
                isAlphanumeric(last),
                label.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") })
            else { return false }
        }
        return true
    }

    /// `^([^{]*({[^}]*})?)*$`: every `{` is closed.
    private static func isTemplatePath(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "{") {
                guard let close = bytes[index...].firstIndex(of: UInt8(ascii: "}")) else { return false }
                index = close + 1
            } else {
                index += 1
            }
        }
        return true
    }

    private static func isUUID(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard Character(Unicode.Scalar(byte)).isHexDigit else { return false }
            }
        }
        return true
    }

    /// `^(?:/(?:[^~/]|~0|~1)*)*$`
    private static func isJSONPointer(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first else { return true }
        guard first == UInt8(ascii: "/") else { return false }
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: "~") {
                guard index + 1 < bytes.endIndex, bytes[index + 1] == UInt8(ascii: "0") || bytes[index + 1] == UInt8(ascii: "1") else {
                    return false
                }
                index += 2
            } else {
                index += 1
            }
        }
        return true
    }

    /// `^(?:0|[1-9][0-9]*)(?:#|(?:/(?:[^~/]|~0|~1)*)*)$`
    private static func isRelativeJSONPointer(_ bytes: [UInt8]) -> Bool {
        let digits = bytes.prefix { GoYAMLScalar.isDigit($0) }
        guard !digits.isEmpty, digits.count == 1 || digits.first != UInt8(ascii: "0") else { return false }
        let rest = bytes[digits.count...]
        return rest.elementsEqual([UInt8(ascii: "#")]) || isJSONPointer(rest)
    }
}

/// The layouts gojsonschema tries with Go's `time.Parse`: `15:04:05`, `15:04:05Z07:00`,
/// `2006-01-02` and RFC 3339 (Go reads an hour of one or two digits, and a fraction after the
/// seconds, with `.` or `,`, even when the layout has none).
enum GoTimeLayouts {
    static func isDateTime(_ bytes: [UInt8]) -> Bool {
        if isTime(bytes) || isDate(bytes) { return true }
        var index = 0
        return date(bytes, &index) && take(bytes, &index, "T") && clock(bytes, &index) && zone(bytes, &index) && index == bytes.count
    }

    static func isDate(_ bytes: [UInt8]) -> Bool {
        var index = 0
        return date(bytes, &index) && index == bytes.count
    }

    static func isTime(_ bytes: [UInt8]) -> Bool {
        var index = 0
        guard clock(bytes, &index) else { return false }
        if index == bytes.count { return true }
        return zone(bytes, &index) && index == bytes.count
    }

    private static func digits(_ bytes: [UInt8], _ index: inout Int, _ least: Int, _ most: Int) -> Int? {
        GoTextScan.digits(bytes, &index, least, most)
    }

    private static func take(_ bytes: [UInt8], _ index: inout Int, _ character: Unicode.Scalar) -> Bool {
        GoTextScan.take(bytes, &index, character)
    }

    private static func date(_ bytes: [UInt8], _ index: inout Int) -> Bool {
        guard let year = digits(bytes, &index, 4, 4), take(bytes, &index, "-"), let month = digits(bytes, &index, 2, 2),
            take(bytes, &index, "-"), let day = digits(bytes, &index, 2, 2)
        else { return false }
        return GoTextScan.isDate(year: year, month: month, day: day)
    }

    private static func clock(_ bytes: [UInt8], _ index: inout Int) -> Bool {
        guard let hour = digits(bytes, &index, 1, 2), take(bytes, &index, ":"), let minute = digits(bytes, &index, 2, 2),
            take(bytes, &index, ":"), let second = digits(bytes, &index, 2, 2), hour < 24, minute < 60, second < 60
        else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: ","),
            index + 1 < bytes.count, GoYAMLScalar.isDigit(bytes[index + 1])
        {
            index += 1
            while index < bytes.count, GoYAMLScalar.isDigit(bytes[index]) { index += 1 }
        }
        return true
    }

    private static func zone(_ bytes: [UInt8], _ index: inout Int) -> Bool {
        if take(bytes, &index, "Z") { return true }
        guard take(bytes, &index, "+") || take(bytes, &index, "-"), let hours = digits(bytes, &index, 2, 2), take(bytes, &index, ":"),
            let minutes = digits(bytes, &index, 2, 2)
        else { return false }
        return hours <= 24 && minutes < 60
    }
}

/// Go's `net/mail.ParseAddress`, as far as a format check needs: `local@domain`, optionally
/// after a display name in angle brackets; the local part a dot-atom or a quoted string, the
/// domain a dot-atom or a bracketed literal.
enum GoMailAddress {
    static func parses(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            let name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            let inner = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
            return isPhrase(name) && isAddressSpec(Array(inner.unicodeScalars))
        }
        return isAddressSpec(Array(trimmed.unicodeScalars))
    }

    private static func isAtext(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value >= 0x80 { return true }
        if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) { return scalar.isASCII }
        return "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
    }

    private static func isDotAtom(_ scalars: ArraySlice<Unicode.Scalar>) -> Bool {
        let atoms = scalars.split(separator: ".", omittingEmptySubsequences: false)
        return !atoms.isEmpty && atoms.allSatisfy { !$0.isEmpty && $0.allSatisfy(isAtext) }
    }

    private static func isQuoted(_ scalars: ArraySlice<Unicode.Scalar>) -> Bool {
        // Go's net/mail refuses an empty quoted string (`""@b.c`).
        guard scalars.count > 2, scalars.first == "\"", scalars.last == "\"" else { return false }
        var escaped = false
        for scalar in scalars.dropFirst().dropLast() {
            if escaped {
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else if scalar == "\"" {
                return false
            }
        }
        return !escaped
    }

    private static func isAddressSpec(_ scalars: [Unicode.Scalar]) -> Bool {
        guard let at = scalars.lastIndex(of: "@") else { return false }
        let local = scalars[..<at]
        let domain = scalars[(at + 1)...]
        guard isDotAtom(local) || isQuoted(local) else { return false }
        if domain.first == "[" { return domain.last == "]" && !domain.dropFirst().dropLast().contains { $0 == "[" || $0 == "]" } }
        return isDotAtom(domain)
    }

    private static func isPhrase(_ text: String) -> Bool {
        if text.isEmpty { return true }
        let scalars = Array(text.unicodeScalars)[...]
        if isQuoted(scalars) { return true }
        return text.split(separator: " ").allSatisfy { word in word.unicodeScalars.allSatisfy { isAtext($0) || $0 == "." } }
    }
}
