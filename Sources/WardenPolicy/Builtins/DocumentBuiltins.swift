import Foundation

extension Builtins {
    static let documentBuiltins: [String: Builtin] = [
        "json.filter": fixed(2) { args in
            _ = try args.object(0)
            return filter(args[0], paths: try jsonPaths(args[1]))
        },
        "json.remove": fixed(2) { args in
            _ = try args.object(0)
            var result = args[0]
            for path in try jsonPaths(args[1]) { result = remove(result, path[...]) }
            return result
        },
        "net.cidr_contains_matches": fixed(2) { args in
            let networks = try indexed(args[0])
            let candidates = try indexed(args[1])
            var matches: [Value] = []
            for (networkKey, network) in networks {
                guard case let .string(text) = network, let cidr = CIDR(text) else {
                    throw BuiltinError(message: "invalid CIDR \(network)")
                }
                for (candidateKey, candidate) in candidates {
                    guard case let .string(other) = candidate else { continue }
                    let inner = CIDR(other) ?? CIDR.address(other).map { CIDR(address: $0, prefix: $0.count * 8) }
                    if let inner, cidr.contains(inner) { matches.append(.array([networkKey, candidateKey])) }
                }
            }
            return .makeSet(matches)
        },
        "time.format": fixed(1) { args in
            var ns: Int64
            var layout = "2006-01-02T15:04:05.999999999Z07:00"
            var zoneName = "UTC"
            switch args[0] {
            case let .number(n):
                guard let i = n.exactInteger else { throw BuiltinError(message: "timestamp must be an integer") }
                ns = i
            case let .array(items) where (2...3).contains(items.count):
                guard case let .number(n) = items[0], let i = n.exactInteger, case let .string(zone) = items[1] else {
                    throw BuiltinError.operand(1, "[number, string, string]", args[0])
                }
                ns = i
                zoneName = zone.isEmpty ? "UTC" : zone
                if items.count == 3, case let .string(text) = items[2] { layout = GoTime.namedLayouts[text] ?? text }
            default:
                throw BuiltinError.operand(1, "number or array", args[0])
            }
            guard let zone = TimeZone(identifier: zoneName) else { throw BuiltinError(message: "unknown time zone \(zoneName)") }
            return .string(GoTime.format(ns, layout: layout, zone: zone))
        },
    ]

    /// Paths as json.filter takes them: "a/b" strings or arrays of keys.
    static func jsonPaths(_ value: Value) throws -> [[Value]] {
        let items: [Value]
        switch value {
        case let .array(list), let .set(list): items = list
        default: throw BuiltinError.operand(2, "one of {array, set}", value)
        }
        return try items.map { item in
            switch item {
            case let .string(text): return text.split(separator: "/").map { Value.string(String($0)) }
            case let .array(keys): return keys
            default: throw BuiltinError.operand(2, "paths as strings or arrays", item)
            }
        }
    }

    static func filter(_ value: Value, paths: [[Value]]) -> Value {
        if paths.contains(where: \.isEmpty) { return value }
        guard case let .object(pairs) = value else { return value }
        var kept: [(key: Value, value: Value)] = []
        for (key, child) in pairs {
            let below = paths.filter { $0.first == key }.map { Array($0.dropFirst()) }
            if !below.isEmpty { kept.append((key, filter(child, paths: below))) }
        }
        return .object(kept)
    }

    static func remove(_ value: Value, _ path: ArraySlice<Value>) -> Value {
        guard let key = path.first, case let .object(pairs) = value else { return value }
        if path.count == 1 { return .object(pairs.filter { $0.key != key }) }
        return .object(pairs.map { $0.key == key ? ($0.key, remove($0.value, path.dropFirst())) : $0 })
    }

    /// (key, element) pairs of an array, set or object; a single string counts as [string].
    static func indexed(_ value: Value) throws -> [(Value, Value)] {
        switch value {
        case let .array(items): return items.enumerated().map { (.integer(Int64($0.offset)), $0.element) }
        case let .set(items): return items.map { ($0, $0) }
        case let .object(pairs): return pairs.map { ($0.key, $0.value) }
        case .string: return [(value, value)]
        default: throw BuiltinError.operand(1, "one of {string, array, set, object}", value)
        }
    }
}

/// Go's reference-time layouts ("2006-01-02T15:04:05Z07:00") for time.format.
enum GoTime {
    static let namedLayouts = [
        "RFC3339": "2006-01-02T15:04:05Z07:00", "RFC3339Nano": "2006-01-02T15:04:05.999999999Z07:00", "RFC822": "02 Jan 06 15:04 MST",
        "RFC1123": "Mon, 02 Jan 2006 15:04:05 MST", "DateTime": "2006-01-02 15:04:05", "DateOnly": "2006-01-02", "TimeOnly": "15:04:05",
        "Kitchen": "3:04PM",
    ]

    static func format(_ ns: Int64, layout: String, zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let seconds = Builtins.floorDiv(ns, 1_000_000_000)
        let nanos = ns - seconds * 1_000_000_000
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let offset = zone.secondsFromGMT(for: date)
        let months = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
        ]
        let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        func zoneOffset(colon: Bool, zulu: Bool) -> String {
            if zulu && offset == 0 { return "Z" }
            let sign = offset < 0 ? "-" : "+"
            return sign + two(abs(offset) / 3600) + (colon ? ":" : "") + two(abs(offset) % 3600 / 60)
        }
        // Longest tokens first, as Go's layout scanner does.
        let tokens: [(String, () -> String)] = [
            ("January", { months[c.month! - 1] }), ("Monday", { days[c.weekday! - 1] }), ("2006", { String(c.year!) }),
            ("Z07:00", { zoneOffset(colon: true, zulu: true) }), ("-07:00", { zoneOffset(colon: true, zulu: false) }),
            ("Z0700", { zoneOffset(colon: false, zulu: true) }), ("-0700", { zoneOffset(colon: false, zulu: false) }),
            (
                ".999999999",
                {
                    var digits = String(format: "%09lld", nanos)
                    while digits.hasSuffix("0") { digits.removeLast() }
                    return digits.isEmpty ? "" : "." + digits
                }
            ),
            (".000000000", { "." + String(format: "%09lld", nanos) }), ("Jan", { String(months[c.month! - 1].prefix(3)) }),
            ("Mon", { String(days[c.weekday! - 1].prefix(3)) }), ("MST", { zone.abbreviation(for: date) ?? "UTC" }),
            ("01", { two(c.month!) }), ("02", { two(c.day!) }), ("15", { two(c.hour!) }), ("03", { two((c.hour! + 11) % 12 + 1) }),
            ("04", { two(c.minute!) }), ("05", { two(c.second!) }), ("06", { two(c.year! % 100) }), ("PM", { c.hour! < 12 ? "AM" : "PM" }),
        ]
        var out = ""
        var rest = Substring(layout)
        outer: while !rest.isEmpty {
            for (token, render) in tokens where rest.hasPrefix(token) {
                out += render()
                rest = rest.dropFirst(token.count)
                continue outer
            }
            out.append(rest.removeFirst())
        }
        return out
    }
}
