import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension Builtins {
    static let templateBuiltins: [String: Builtin] = [
        "regex.template_match": timed(4) { args, deadline in
            let template = try args.string(0)
            let value = try args.string(1)
            let open = try args.string(2)
            let close = try args.string(3)
            guard open.count == 1, close.count == 1 else { throw BuiltinError(message: "delimiters must be single characters") }
            // Outside the delimiters: literal text; inside: a regular expression.
            var pattern = "^"
            var rest = Substring(template)
            while !rest.isEmpty {
                guard let start = rest.firstIndex(of: Character(open)) else {
                    pattern += RegexCache.quote(String(rest))
                    break
                }
                pattern += RegexCache.quote(String(rest[..<start]))
                guard let end = rest[start...].firstIndex(of: Character(close)) else {
                    throw BuiltinError(message: "unbalanced delimiters")
                }
                pattern += "(?:" + rest[rest.index(after: start)..<end] + ")"
                rest = rest[rest.index(after: end)...]
            }
            pattern += "$"
            let regex = try RegexCache.regex(pattern)
            return .bool(try RegexCache.run { try regex.matches(Array(value.unicodeScalars), deadline: deadline) })
        },
        "time.parse_ns": fixed(2) { args in
            guard let ns = GoTime.parse(try args.string(1), layout: try args.string(0)) else {
                throw BuiltinError(message: "cannot parse \(try args.string(1)) with layout \(try args.string(0))")
            }
            return .integer(ns)
        },
    ]
}

extension GoTime {
    /// Parses `text` with a Go reference-time layout (the subset policies use: numeric dates and
    /// times, month names, fractional seconds, numeric zones and Z).
    static func parse(_ text: String, layout: String) -> Int64? {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let tokens: [(String, String)] = [
            ("January", "([A-Za-z]+)"), ("Monday", "[A-Za-z]+"), ("2006", "(\\d{4})"), ("Z07:00", "(Z|[+-]\\d{2}:\\d{2})"),
            ("-07:00", "([+-]\\d{2}:\\d{2})"), ("Z0700", "(Z|[+-]\\d{4})"), ("-0700", "([+-]\\d{4})"), (".999999999", "(\\.\\d+)?"),
            (".000000000", "(\\.\\d+)"), (".000", "(\\.\\d+)"), ("Jan", "([A-Za-z]{3})"), ("Mon", "[A-Za-z]{3}"), ("MST", "[A-Z]{3,4}"),
            ("01", "(\\d{2})"), ("02", "(\\d{2})"), ("15", "(\\d{2})"), ("04", "(\\d{2})"), ("05", "(\\d{2})"),
        ]
        var pattern = "^"
        var fields: [String] = []
        var rest = Substring(layout)
        outer: while !rest.isEmpty {
            for (token, regex) in tokens where rest.hasPrefix(token) {
                pattern += regex
                if regex.hasPrefix("(") { fields.append(token) }
                rest = rest.dropFirst(token.count)
                continue outer
            }
            pattern += RegexCache.quote(String(rest.removeFirst()))
        }
        pattern += "$"
        // Warden's own linear-time engine, as for the regex builtins (ICU leaked on odd layouts).
        let scalars = Array(text.unicodeScalars)
        guard let regex = try? LinearRegex(pattern), let match = try? regex.firstMatch(in: scalars) else { return nil }
        var parts = tm()
        parts.tm_mday = 1
        parts.tm_year = 0 - 1900 + 1
        var nanos: Int64 = 0
        var offset = 0
        for (index, field) in fields.enumerated() {
            guard index + 1 < match.groups.count, let range = match.groups[index + 1] else { continue }
            let value = Builtins.substring(scalars, range)
            switch field {
            case "2006": parts.tm_year = Int32(value)! - 1900
            case "01": parts.tm_mon = Int32(value)! - 1
            case "Jan", "January":
                guard let month = months.firstIndex(where: { value.lowercased().hasPrefix($0.lowercased()) }) else { return nil }
                parts.tm_mon = Int32(month)
            case "02": parts.tm_mday = Int32(value)!
            case "15": parts.tm_hour = Int32(value)!
            case "04": parts.tm_min = Int32(value)!
            case "05": parts.tm_sec = Int32(value)!
            case ".999999999", ".000000000", ".000":
                let digits = value.dropFirst().prefix(9)
                nanos = Int64(digits.padding(toLength: 9, withPad: "0", startingAt: 0)) ?? 0
            default:
                if value != "Z" {
                    let sign = value.hasPrefix("-") ? -1 : 1
                    let numbers = value.dropFirst().filter(\.isNumber)
                    offset = sign * ((Int(numbers.prefix(2)) ?? 0) * 3600 + (Int(numbers.suffix(2)) ?? 0) * 60)
                }
            }
        }
        return nanoseconds(seconds: Int64(timegm(&parts)) - Int64(offset), plus: nanos)
    }

    /// Nanoseconds since 1970, which hold the years 1678 to 2262 only: a time outside them is
    /// nil, as OPA's "time outside of valid range" (RegoFuzzer found the overflow traps).
    static func nanoseconds(seconds: Int64, plus nanos: Int64) -> Int64? {
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, carried) = scaled.addingReportingOverflow(nanos)
        return overflow || carried ? nil : sum
    }
}
