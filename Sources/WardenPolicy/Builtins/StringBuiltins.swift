import BigInt
import Foundation

extension Builtins {
    static let stringBuiltins: [String: Builtin] = [
        "concat": fixed(2) { args in
            let parts = try args.strings(1)
            let separator = try args.string(0)
            try ResultBounds.require(bytes: parts.reduce(0) { $0 + $1.utf8.count } + max(parts.count - 1, 0) * separator.utf8.count)
            return .string(parts.joined(separator: separator))
        },
        "contains": fixed(2) { .bool(try $0.string(0).contains(try $0.string(1)) || (try $0.string(1)).isEmpty) },
        "startswith": fixed(2) { .bool(try $0.string(0).hasPrefix(try $0.string(1))) },
        "endswith": fixed(2) { .bool(try $0.string(0).hasSuffix(try $0.string(1))) },
        "lower": fixed(1) { .string(mapScalars(try $0.string(0)) { $0.properties.lowercaseMapping }) },
        "upper": fixed(1) { .string(mapScalars(try $0.string(0)) { $0.properties.uppercaseMapping }) },
        "split": fixed(2) { args in
            let text = try args.string(0)
            let separator = try args.string(1)
            if separator.isEmpty { return .array(text.unicodeScalars.map { .string(String($0)) }) }
            return .array(text.components(separatedBy: separator).map(Value.string))
        },
        "replace": fixed(3) { args in
            let old = try args.string(1)
            let text = try args.string(0)
            let new = try args.string(2)
            // Go's strings.Replace with an empty old string inserts `new` around every character.
            guard !old.isEmpty else {
                try ResultBounds.require(bytes: text.utf8.count + (text.unicodeScalars.count + 1) * new.utf8.count)
                return .string(new + text.unicodeScalars.map { String($0) + new }.joined())
            }
            let occurrences = text.components(separatedBy: old).count - 1
            try ResultBounds.require(bytes: text.utf8.count + occurrences * max(new.utf8.count - old.utf8.count, 0))
            return .string(text.replacingOccurrences(of: old, with: new))
        },
        "trim": fixed(2) { .string(trim(try $0.string(0), cutset: try $0.string(1), left: true, right: true)) },
        "trim_left": fixed(2) { .string(trim(try $0.string(0), cutset: try $0.string(1), left: true, right: false)) },
        "trim_right": fixed(2) { .string(trim(try $0.string(0), cutset: try $0.string(1), left: false, right: true)) },
        "trim_prefix": fixed(2) { args in
            let text = try args.string(0)
            let prefix = try args.string(1)
            return .string(text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text)
        },
        "trim_suffix": fixed(2) { args in
            let text = try args.string(0)
            let suffix = try args.string(1)
            return .string(text.hasSuffix(suffix) ? String(text.dropLast(suffix.count)) : text)
        },
        "trim_space": fixed(1) { .string(try $0.string(0).trimmingCharacters(in: .whitespacesAndNewlines)) },
        "indexof": fixed(2) { args in
            let text = Array(try args.string(0).unicodeScalars)
            let needle = Array(try args.string(1).unicodeScalars)
            guard !needle.isEmpty else { throw BuiltinError(message: "empty search character") }
            guard needle.count <= text.count else { return .integer(-1) }
            for start in 0...(text.count - needle.count) where Array(text[start..<start + needle.count]) == needle {
                return .integer(Int64(start))
            }
            return .integer(-1)
        },
        "substring": fixed(3) { args in
            let text = Array(try args.string(0).unicodeScalars)
            let start = try args.integer(1)
            let length = try args.integer(2)
            guard start >= 0 else { throw BuiltinError(message: "negative offset") }
            guard start < text.count else { return .string("") }
            let end = length < 0 ? text.count : min(text.count, Int(start) + Int(length))
            var out = ""
            out.unicodeScalars.append(contentsOf: text[Int(start)..<end])
            return .string(out)
        },
        "strings.any_prefix_match": fixed(2) { args in
            let searches = try stringOrStrings(args, 0)
            let bases = try stringOrStrings(args, 1)
            return .bool(searches.contains { s in bases.contains { s.hasPrefix($0) } })
        },
        "strings.any_suffix_match": fixed(2) { args in
            let searches = try stringOrStrings(args, 0)
            let bases = try stringOrStrings(args, 1)
            return .bool(searches.contains { s in bases.contains { s.hasSuffix($0) } })
        },
        "strings.reverse": fixed(1) { .string(String(try $0.string(0).reversed())) },
        "format_int": fixed(2) { args in
            let number = try args.number(0).doubleValue.rounded(.towardZero)
            let base = try args.integer(1)
            guard [2, 8, 10, 16].contains(base) else { throw BuiltinError(message: "operand 2 must be one of {2, 8, 10, 16}") }
            let value = Int64(number)
            let digits = String(abs(value), radix: Int(base))
            return .string(value < 0 ? "-" + digits : digits)
        },
        "sprintf": fixed(2) { args in .string(try Formatter.sprintf(try args.string(0), try args.array(1))) },
    ]

    /// Go's unicode.ToUpper/ToLower: one rune to one rune (ß stays ß), unlike full case mapping.
    static func mapScalars(_ text: String, _ mapping: (Unicode.Scalar) -> String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            let mapped = mapping(scalar)
            if mapped.unicodeScalars.count == 1 { out += mapped } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    static func stringOrStrings(_ args: [Value], _ index: Int) throws -> [String] {
        if case let .string(s) = args[index] { return [s] }
        return try args.strings(index)
    }

    static func trim(_ text: String, cutset: String, left: Bool, right: Bool) -> String {
        let cut = Set(cutset.unicodeScalars)
        var scalars = Array(text.unicodeScalars)[...]
        if left { while let first = scalars.first, cut.contains(first) { scalars = scalars.dropFirst() } }
        if right { while let last = scalars.last, cut.contains(last) { scalars = scalars.dropLast() } }
        var out = ""
        out.unicodeScalars.append(contentsOf: scalars)
        return out
    }
}

/// Go's fmt verbs as Rego's sprintf uses them: %s %v %d %f %.Nf %e %g %x %X %o %b %q %t %%.
enum Formatter {
    static func sprintf(_ format: String, _ args: [Value]) throws -> String {
        var out = ""
        var argIndex = 0
        var chars = Array(format)[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            guard c == "%" else {
                out.append(c)
                continue
            }
            var spec = ""
            var number = 0
            var tooLarge = false
            while let next = chars.first, "0123456789.+- #".contains(next) {
                // Go's fmt stops at a width or precision past a million and reads no verb.
                if let digit = next.wholeNumberValue {
                    if number > 1_000_000 { tooLarge = true } else { number = number * 10 + digit }
                } else {
                    number = 0
                }
                spec.append(next)
                chars = chars.dropFirst()
            }
            guard let verb = chars.first, !tooLarge else {
                out += "%!(NOVERB)"
                break
            }
            chars = chars.dropFirst()
            if verb == "%" {
                out += "%"
                continue
            }
            guard argIndex < args.count else {
                out += "%!\(verb)(MISSING)"
                continue
            }
            let arg = args[argIndex]
            argIndex += 1
            out += try Formatter.format(arg, verb: verb, spec: spec)
        }
        if argIndex < args.count {
            out += "%!(EXTRA " + args[argIndex...].map { "\(goType($0))=\(plain($0))" }.joined(separator: ", ") + ")"
        }
        return out
    }

    static func goType(_ value: Value) -> String {
        switch value {
        case .string: "string"
        case .number(let n): n.exactInteger != nil ? "int64" : "float64"
        case .bool: "bool"
        // OPA hands composite arguments to Go's fmt already printed as strings.
        default: "string"
        }
    }

    /// How OPA prints a value with %v/%s: strings bare, composites in Rego's own syntax.
    static func plain(_ value: Value) -> String {
        if case let .string(s) = value { return s }
        return regoText(value)
    }

    static func regoText(_ value: Value) -> String {
        switch value {
        case let .array(items): return "[" + items.map(regoText).joined(separator: ", ") + "]"
        case let .set(items): return items.isEmpty ? "set()" : "{" + items.map(regoText).joined(separator: ", ") + "}"
        case let .object(pairs): return "{" + pairs.map { regoText($0.key) + ": " + regoText($0.value) }.joined(separator: ", ") + "}"
        default: return value.description
        }
    }

    static func format(_ arg: Value, verb: Character, spec: String) throws -> String {
        var precision: Int?
        var width = 0
        var zeroPad = false
        if let dot = spec.firstIndex(of: ".") {
            precision = Int(spec[spec.index(after: dot)...]) ?? 0
            let widthText = spec[..<dot]
            zeroPad = widthText.hasPrefix("0")
            width = Int(widthText) ?? 0
        } else {
            zeroPad = spec.hasPrefix("0")
            width = Int(spec.filter(\.isNumber)) ?? 0
        }
        // Padding is built before anything could check its size: refuse it first.
        try ResultBounds.require(bytes: max(width, precision ?? 0))
        var text: String
        switch (verb, arg) {
        case (_, .number(let n)) where "dxXob".contains(verb):
            let radix = verb == "d" ? 10 : verb == "o" ? 8 : verb == "b" ? 2 : 16
            if case let .big(big) = n.storage {
                text = String(big, radix: radix, uppercase: verb == "X")
            } else {
                guard let i = n.exactInteger else { return "%!\(verb)(float64=\(n))" }
                text = (i < 0 ? "-" : "") + String(abs(i), radix: radix, uppercase: verb == "X")
            }
        case ("x", .string(let s)):
            text = Builtins.hex(s.utf8)
        case ("f", .number(let n)) where n.exactInteger != nil, ("e", .number(let n)) where n.exactInteger != nil:
            var digits = String(abs(n.exactInteger!))
            if let precision, digits.count < precision { digits = String(repeating: "0", count: precision - digits.count) + digits }
            text = "%!\(verb)(int64=\(n.exactInteger! < 0 ? "-" : "")\(digits))"
        case ("f", .number(let n)), ("F", .number(let n)):
            text = String(format: "%.\(precision ?? 6)f", n.doubleValue)
        case ("e", .number(let n)):
            text = String(format: "%.\(precision ?? 6)e", n.doubleValue)
        case ("g", .number(let n)):
            text = precision.map { String(format: "%.\($0)g", n.doubleValue) } ?? goFloat(n)
        case ("q", .string(let s)):
            text = Value.quoted(s)
        case ("t", .bool(let b)):
            text = b ? "true" : "false"
        case ("s", .number(let n)):
            text = "%!s(\(goType(arg))=\(goFloat(n)))"
        case ("s", _), ("v", _):
            text = plain(arg)
            if case .number(let n) = arg { text = goFloat(n) }
        default:
            text = "%!\(verb)(\(goType(arg))=\(plain(arg)))"
        }
        if text.count < width {
            let pad = String(repeating: zeroPad ? "0" : " ", count: width - text.count)
            text = spec.hasPrefix("-") ? text + pad : pad + text
        }
        return text
    }

    /// Numbers as Go prints a big.Float/int with %v.
    /// `%v` of a number: integers exactly, anything else as the float64 Go's fmt sees.
    static func goFloat(_ n: Number) -> String {
        if let i = n.exactInteger { return String(i) }
        if case let .big(b) = n.storage { return b.description }
        return GoNumberText.float64(n.doubleValue)
    }
}
