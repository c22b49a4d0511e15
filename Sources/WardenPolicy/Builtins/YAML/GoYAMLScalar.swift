/// A plain YAML scalar as go-yaml v2 reads it (its `resolve`): YAML 1.1, so `yes` and `on` are
/// true, `0755` is octal and `1_000` is a thousand. OPA's `yaml.*` builtins read and write YAML
/// through go-yaml v2, so Warden resolves as it does, spelling for spelling.
enum GoYAMLScalar: Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// Beyond Int64, up to UInt64.
    case uint(UInt64)
    case float(Double)
    case string(String)
    /// A date or time; go-yaml hands it on as its text, but does not write it plain.
    case timestamp(String)

    /// The tag go-yaml names in its "cannot decode" errors.
    var tag: String {
        switch self {
        case .null: "!!null"
        case .bool: "!!bool"
        case .int, .uint: "!!int"
        case .float: "!!float"
        case .string: "!!str"
        case .timestamp: "!!timestamp"
        }
    }

    private static let exact: [String: GoYAMLScalar] = {
        var table: [String: GoYAMLScalar] = ["": .null, "~": .null, "null": .null, "Null": .null, "NULL": .null]
        for word in ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"] { table[word] = .bool(true) }
        for word in ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"] { table[word] = .bool(false) }
        for word in [".nan", ".NaN", ".NAN"] { table[word] = .float(.nan) }
        for word in [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"] { table[word] = .float(.infinity) }
        for word in ["-.inf", "-.Inf", "-.INF"] { table[word] = .float(-.infinity) }
        return table
    }()

    static func resolve(_ text: String) -> GoYAMLScalar {
        guard let first = text.utf8.first else { return .null }
        let sign = first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
        let digit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        let dot = first == UInt8(ascii: ".")
        let word = "yYnNtTfFoO~".utf8.contains(first)
        guard sign || digit || dot || word else { return .string(text) }
        if let known = exact[text] { return known }
        if word { return .string(text) }
        if dot { return GoNumbers.parseFloat(text).map(GoYAMLScalar.float) ?? .string(text) }
        if GoTimestamp.matches(text) { return .timestamp(text) }
        let plain = text.replacingOccurrences(of: "_", with: "")
        if let value = GoNumbers.parseInt(plain) { return .int(value) }
        if let value = GoNumbers.parseUInt(plain) { return .uint(value) }
        if GoNumbers.isYAMLStyleFloat(plain), let value = GoNumbers.parseFloat(plain) { return .float(value) }
        return .string(text)
    }

    /// go-yaml's `isBase60Float`: `1:20` would read as a number in YAML 1.1, so it is quoted.
    static func isBase60Float(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || isDigit(first),
            bytes.contains(UInt8(ascii: ":"))
        else { return false }
        // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
        var i = first == UInt8(ascii: "+") || first == UInt8(ascii: "-") ? 1 : 0
        guard i < bytes.count, isDigit(bytes[i]) else { return false }
        i += 1
        while i < bytes.count, isDigit(bytes[i]) || bytes[i] == UInt8(ascii: "_") { i += 1 }
        var groups = 0
        while i < bytes.count, bytes[i] == UInt8(ascii: ":") {
            i += 1
            let start = i
            while i < bytes.count, isDigit(bytes[i]), i - start < 2 { i += 1 }
            let group = bytes[start..<i]
            guard !group.isEmpty, group.count == 1 || (UInt8(ascii: "0")...UInt8(ascii: "5")).contains(group.first ?? 0) else {
                return false
            }
            groups += 1
        }
        guard groups > 0 else { return false }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < bytes.count, isDigit(bytes[i]) || bytes[i] == UInt8(ascii: "_") { i += 1 }
        }
        return i == bytes.count
    }

    static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}

/// go-yaml's timestamp check (`parseTimestamp`): `YYYY-M-D`, optionally with a time after `T`,
/// `t` (then a zone) or a space.
enum GoTimestamp {
    static func matches(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ least: Int, _ most: Int) -> Int? { GoTextScan.digits(bytes, &index, least, most) }
        func take(_ character: Unicode.Scalar) -> Bool { GoTextScan.take(bytes, &index, character) }
        guard let year = number(4, 4), take("-"), let month = number(1, 2), take("-"), let day = number(1, 2),
            GoTextScan.isDate(year: year, month: month, day: day)
        else { return false }
        if index == bytes.count { return true }
        let zoned: Bool
        if take("T") || take("t") {
            zoned = true
        } else if take(" ") {
            zoned = false
        } else {
            return false
        }
        guard let hour = number(1, 2), take(":"), let minute = number(1, 2), take(":"), let second = number(1, 2), hour < 24, minute < 60,
            second < 60
        else { return false }
        if take(".") { guard number(1, 9) != nil else { return false } }
        if zoned, !take("Z") {
            guard take("+") || take("-"), let zoneHour = number(2, 2), take(":"), let zoneMinute = number(2, 2), zoneHour < 24,
                zoneMinute < 60
            else { return false }
        }
        return index == bytes.count
    }
}

/// Reading the digits and separators of Go's date and time layouts.
enum GoTextScan {
    /// Between `least` and `most` ASCII digits at `index`, as a number.
    static func digits(_ bytes: [UInt8], _ index: inout Int, _ least: Int, _ most: Int) -> Int? {
        var value = 0
        var count = 0
        while index < bytes.count, count < most, GoYAMLScalar.isDigit(bytes[index]) {
            value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            index += 1
            count += 1
        }
        return count >= least ? value : nil
    }

    static func take(_ bytes: [UInt8], _ index: inout Int, _ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    /// Whether the day exists in that month of that (Gregorian) year.
    static func isDate(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month) else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        return (1...[31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]).contains(day)
    }
}
