import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension Builtins {
    static let timeBuiltins: [String: Builtin] = [
        "time.now_ns": Builtin(arity: 0) { _, context in .integer(context.now) },
        "time.parse_duration_ns": fixed(1) { args in
            guard let ns = GoDuration.parse(try args.string(0)) else {
                throw BuiltinError(message: "time: invalid duration \"\(try args.string(0))\"")
            }
            return .integer(ns)
        },
        "time.parse_rfc3339_ns": fixed(1) { args in
            guard let ns = RFC3339.parse(try args.string(0)) else {
                throw BuiltinError(message: "cannot parse \(try args.string(0)) as RFC 3339")
            }
            return .integer(ns)
        },
        "time.date": fixed(1) { args in
            let parts = try zoned(args[0])
            return .array([.integer(Int64(parts.year!)), .integer(Int64(parts.month!)), .integer(Int64(parts.day!))])
        },
        "time.clock": fixed(1) { args in
            let parts = try zoned(args[0])
            return .array([.integer(Int64(parts.hour!)), .integer(Int64(parts.minute!)), .integer(Int64(parts.second!))])
        },
        "time.weekday": fixed(1) { args in
            let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
            return .string(days[try zoned(args[0]).weekday! - 1])
        },
        "time.add_date": fixed(4) { args in
            let ns = try args.integer(0)
            var parts = try civil(ns)
            func shifted(_ field: Int32, by index: Int) throws -> Int32 {
                guard let amount = Int32(exactly: try args.integer(index)), case let (sum, false) = field.addingReportingOverflow(amount)
                else { throw BuiltinError(message: "time outside of valid range") }
                return sum
            }
            parts.tm_year = try shifted(parts.tm_year, by: 1)
            parts.tm_mon = try shifted(parts.tm_mon, by: 2)
            parts.tm_mday = try shifted(parts.tm_mday, by: 3)
            let fraction = ns - floorDiv(ns, 1_000_000_000) * 1_000_000_000
            guard let result = GoTime.nanoseconds(seconds: Int64(timegm(&parts)), plus: fraction) else {
                throw BuiltinError(message: "time outside of valid range")
            }
            return .integer(result)
        },
        "time.diff": fixed(2) { args in
            var a = try civil(try timestamp(args[0]))
            var b = try civil(try timestamp(args[1]))
            if timegm(&a) > timegm(&b) { swap(&a, &b) }
            var years = Int64(b.tm_year - a.tm_year)
            var months = Int64(b.tm_mon - a.tm_mon)
            var days = Int64(b.tm_mday - a.tm_mday)
            var hours = Int64(b.tm_hour - a.tm_hour)
            var minutes = Int64(b.tm_min - a.tm_min)
            var seconds = Int64(b.tm_sec - a.tm_sec)
            if seconds < 0 { seconds += 60; minutes -= 1 }
            if minutes < 0 { minutes += 60; hours -= 1 }
            if hours < 0 { hours += 24; days -= 1 }
            if days < 0 {
                // Days in a's month: the day-of-month of "the 32nd" of that month, as Go computes it.
                var probe = tm()
                probe.tm_year = a.tm_year
                probe.tm_mon = a.tm_mon
                probe.tm_mday = 32
                var normalized = probe
                _ = timegm(&normalized)
                days += Int64(32 - normalized.tm_mday)
                months -= 1
            }
            if months < 0 { months += 12; years -= 1 }
            return .array([years, months, days, hours, minutes, seconds].map(Value.integer))
        },
    ]

    /// Calendar fields of a timestamp, or of `[timestamp, "Area/City"]` in that time zone.
    static func zoned(_ value: Value) throws -> DateComponents {
        var zone = TimeZone(identifier: "UTC")!
        var stamp = value
        if case let .array(items) = value, items.count == 2 {
            guard case let .string(name) = items[1] else { throw BuiltinError.operand(1, "[number, string]", value) }
            if !name.isEmpty, name != "UTC" {
                guard let named = name == "Local" ? TimeZone.current : TimeZone(identifier: name) else {
                    throw BuiltinError(message: "unknown time zone \(name)")
                }
                zone = named
            }
            stamp = items[0]
        }
        guard case let .number(n) = stamp, let ns = n.exactInteger else {
            throw BuiltinError.operand(1, "number or [number, string]", value)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let date = Date(timeIntervalSince1970: TimeInterval(floorDiv(ns, 1_000_000_000)))
        return calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
    }

    static func timestamp(_ value: Value) throws -> Int64 {
        switch value {
        case let .number(n):
            guard let i = n.exactInteger else { throw BuiltinError(message: "timestamp must be an integer") }
            return i
        case let .array(items) where items.count == 2:
            guard case let .number(n) = items[0], let i = n.exactInteger else {
                throw BuiltinError(message: "timestamp must be an integer")
            }
            guard case let .string(zone) = items[1], zone == "" || zone == "UTC" else {
                throw BuiltinError(message: "only the UTC time zone is supported")
            }
            return i
        default:
            throw BuiltinError.operand(1, "one of {number, array}", value)
        }
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    static func civil(_ ns: Int64) throws -> tm {
        var seconds = time_t(floorDiv(ns, 1_000_000_000))
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { throw BuiltinError(message: "timestamp out of range") }
        return parts
    }
}

/// RFC 3339 timestamps to nanoseconds since the epoch, keeping every fractional digit.
enum RFC3339 {
    static func parse(_ text: String) -> Int64? {
        let chars = Array(text.utf8)
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= chars.count else { return nil }
            var value = 0
            for c in chars[start..<start + count] {
                guard (48...57).contains(c) else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard chars.count >= 20, let year = digits(0, 4), chars[4] == 45, let month = digits(5, 2), chars[7] == 45, let day = digits(8, 2),
            chars[10] == 84 || chars[10] == 116, let hour = digits(11, 2), chars[13] == 58, let minute = digits(14, 2), chars[16] == 58,
            let second = digits(17, 2), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var nanos = 0
        if index < chars.count, chars[index] == 46 {
            index += 1
            var scale = 100_000_000
            let start = index
            while index < chars.count, (48...57).contains(chars[index]) {
                nanos += Int(chars[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < chars.count else { return nil }
        var offset = 0
        if chars[index] == 90 || chars[index] == 122 {
            index += 1
        } else if chars[index] == 43 || chars[index] == 45, let hours = digits(index + 1, 2), chars.count > index + 3,
            chars[index + 3] == 58,
            let minutes = digits(index + 4, 2)
        {
            offset = (hours * 3600 + minutes * 60) * (chars[index] == 45 ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == chars.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = Int64(timegm(&parts)) - Int64(offset)
        guard parts.tm_mday == Int32(day) else { return nil }
        return GoTime.nanoseconds(seconds: seconds, plus: Int64(nanos))
    }
}

/// Go's time.ParseDuration: a signed sequence of decimal numbers with units ns, us, µs, ms, s, m, h.
enum GoDuration {
    static let units: [(String, Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 6e10), ("h", 3.6e12),
    ]

    static func parse(_ text: String) -> Int64? {
        var rest = Substring(text)
        var sign = 1.0
        if rest.first == "-" || rest.first == "+" {
            sign = rest.first == "-" ? -1 : 1
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !$0.isNumber && $0 != "." }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.1
        }
        guard abs(total) < 9.2e18 else { return nil }
        return Int64((sign * total).rounded())
    }
}
