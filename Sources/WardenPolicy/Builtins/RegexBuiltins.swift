import Foundation
import Synchronization

extension Builtins {
    /// A builtin whose body sees the evaluation's deadline.
    static func timed(_ arity: Int, _ body: @escaping @Sendable ([Value], ContinuousClock.Instant) throws -> Value?) -> Builtin {
        Builtin(arity: arity) { args, context in try body(args, context.deadline) }
    }

    /// OPA's regex builtins, on Go's RE2 syntax and semantics in linear time (`LinearRegex`).
    static let regexBuiltins: [String: Builtin] = [
        "regex.match": timed(2) { args, deadline in
            .bool(
                try RegexCache.run {
                    try RegexCache.regex(try args.string(0)).matches(Array(try args.string(1).unicodeScalars), deadline: deadline)
                })
        },
        "regex.is_valid": fixed(1) { args in .bool((try? RegexCache.regex(try args.string(0))) != nil) },
        "regex.find_n": timed(3) { args, deadline in
            let text = Array(try args.string(1).unicodeScalars)
            let limit = try args.integer(2)
            let matches = try RegexCache.run {
                try RegexCache.regex(try args.string(0)).allMatches(in: text, limit: limit < 0 ? -1 : Int(limit), deadline: deadline)
            }
            return .array(matches.map { .string(Self.substring(text, $0.range)) })
        },
        "regex.split": timed(2) { args, deadline in
            // Go's Regexp.Split(s, -1).
            let text = Array(try args.string(1).unicodeScalars)
            let pattern = try args.string(0)
            let regex = try RegexCache.regex(pattern)
            if !pattern.isEmpty, text.isEmpty { return .array([.string("")]) }
            let matches = try RegexCache.run { try regex.allMatches(in: text, deadline: deadline) }
            var parts: [Value] = []
            var begin = 0
            var end = 0
            for match in matches {
                end = match.range.lowerBound
                if match.range.upperBound != 0 { parts.append(.string(Self.substring(text, begin..<end))) }
                begin = match.range.upperBound
            }
            if end != text.count { parts.append(.string(Self.substring(text, begin..<text.count))) }
            return .array(parts)
        },
        "regex.replace": timed(3) { args, deadline in
            let text = Array(try args.string(0).unicodeScalars)
            let regex = try RegexCache.regex(try args.string(1))
            let template = try args.string(2)
            return .string(try RegexCache.run { try regex.replaceAll(in: text, template: template, deadline: deadline) })
        },
        "regex.find_all_string_submatch_n": timed(3) { args, deadline in
            let text = Array(try args.string(1).unicodeScalars)
            let limit = try args.integer(2)
            let matches = try RegexCache.run {
                try RegexCache.regex(try args.string(0)).allMatches(in: text, limit: limit < 0 ? -1 : Int(limit), deadline: deadline)
            }
            return .array(matches.map { match in .array(match.groups.map { .string($0.map { Self.substring(text, $0) } ?? "") }) })
        },
        "glob.match": timed(3) { args, deadline in
            let pattern = try args.string(0)
            // null: no delimiters at all; an empty list: the default ".".
            var delimiters: [String] = []
            if args[1] != .null {
                delimiters = try args.strings(1)
                if delimiters.isEmpty { delimiters = ["."] }
            }
            let text = Array(try args.string(2).unicodeScalars)
            let regex = try RegexCache.regex(try Glob.regex(pattern, delimiters: delimiters))
            return .bool(try RegexCache.run { try regex.matches(text, deadline: deadline) })
        },
    ]

    static func substring(_ text: [Unicode.Scalar], _ range: Range<Int>) -> String {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: text[range])
        return String(out)
    }
}

/// Compiled patterns, shared across evaluations (policies reuse a handful of patterns).
enum RegexCache {
    private static let cache = Mutex<[String: LinearRegex]>([:])

    static func regex(_ pattern: String) throws -> LinearRegex {
        if let cached = cache.withLock({ $0[pattern] }) { return cached }
        let compiled: LinearRegex
        do { compiled = try LinearRegex(pattern) } catch { throw BuiltinError(message: error.description) }
        cache.withLock { if $0.count < 1024 { $0[pattern] = compiled } }
        return compiled
    }

    /// Runs a match; the evaluation's deadline passing inside it is a limit error.
    static func run<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch is LinearRegex.LimitExceeded { throw BuiltinError.deadlinePassed }
    }

    /// Go's regexp.QuoteMeta: the pattern that matches `text` literally.
    static func quote(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if "\\.+*?()|[]{}^$".unicodeScalars.contains(scalar) { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        return out
    }
}

/// gobwas/glob syntax (what OPA's glob.match uses) as an anchored regular expression:
/// `*` within a segment, `**` across delimiters, `?`, `[…]`, `[!…]`, `{a,b}`.
enum Glob {
    static func regex(_ pattern: String, delimiters: [String]) throws -> String {
        let delimiterClass = delimiters.map { RegexCache.quote($0) }.joined()
        let notDelimiter = delimiters.isEmpty ? "." : "[^\(delimiterClass)]"
        var out = "^"
        var chars = Array(pattern)[...]
        var braceDepth = 0
        while let c = chars.first {
            chars = chars.dropFirst()
            switch c {
            case "*":
                if chars.first == "*" {
                    chars = chars.dropFirst()
                    out += ".*"
                } else {
                    out += notDelimiter + "*"
                }
            case "?": out += notDelimiter
            case "[":
                var body = ""
                if chars.first == "!" {
                    body = "^"
                    chars = chars.dropFirst()
                }
                while let next = chars.first, next != "]" {
                    body += next == "\\" ? "\\\\" : String(next)
                    chars = chars.dropFirst()
                }
                guard chars.first == "]" else { throw BuiltinError(message: "unterminated [ in glob") }
                chars = chars.dropFirst()
                out += "[" + body + "]"
            case "{":
                braceDepth += 1
                out += "(?:"
            case "}" where braceDepth > 0:
                braceDepth -= 1
                out += ")"
            case "," where braceDepth > 0: out += "|"
            case "\\":
                if let next = chars.first {
                    out += RegexCache.quote(String(next))
                    chars = chars.dropFirst()
                }
            default: out += RegexCache.quote(String(c))
            }
        }
        guard braceDepth == 0 else { throw BuiltinError(message: "unterminated { in glob") }
        return out + "$"
    }
}
