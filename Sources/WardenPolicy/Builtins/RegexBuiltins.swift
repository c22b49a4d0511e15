import Foundation
import Synchronization

extension Builtins {
    static let regexBuiltins: [String: Builtin] = [
        "regex.match": fixed(2) { args in
            let text = try args.string(1)
            return .bool(try RegexCache.regex(try args.string(0)).firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil)
        },
        "regex.is_valid": fixed(1) { args in .bool((try? RegexCache.regex(try args.string(0))) != nil) },
        "regex.find_n": fixed(3) { args in
            let text = try args.string(1)
            let limit = try args.integer(2)
            let matches = try RegexCache.regex(try args.string(0)).matches(in: text, range: NSRange(text.startIndex..., in: text))
            let found = matches.compactMap { Range($0.range, in: text).map { Value.string(String(text[$0])) } }
            return .array(limit < 0 ? found : Array(found.prefix(Int(limit))))
        },
        "regex.split": fixed(2) { args in
            let text = try args.string(1)
            let matches = try RegexCache.regex(try args.string(0)).matches(in: text, range: NSRange(text.startIndex..., in: text))
            var parts: [Value] = []
            var start = text.startIndex
            for match in matches {
                guard let range = Range(match.range, in: text) else { continue }
                parts.append(.string(String(text[start..<range.lowerBound])))
                start = range.upperBound
            }
            parts.append(.string(String(text[start...])))
            return .array(parts)
        },
        "glob.match": fixed(3) { args in
            let pattern = try args.string(0)
            // null: no delimiters at all; an empty list: the default ".".
            var delimiters: [String] = []
            if args[1] != .null {
                delimiters = try args.strings(1)
                if delimiters.isEmpty { delimiters = ["."] }
            }
            let text = try args.string(2)
            return .bool(
                try RegexCache.regex(try Glob.regex(pattern, delimiters: delimiters)).firstMatch(
                    in: text, range: NSRange(text.startIndex..., in: text)) != nil)
        },
    ]
}

/// Compiled patterns, shared across evaluations (policies reuse a handful of patterns).
enum RegexCache {
    private static let cache = Mutex<[String: NSRegularExpression]>([:])

    static func regex(_ pattern: String) throws -> NSRegularExpression {
        if let cached = cache.withLock({ $0[pattern] }) { return cached }
        guard let compiled = try? NSRegularExpression(pattern: pattern) else {
            throw BuiltinError(message: "error parsing regexp: \(pattern)")
        }
        cache.withLock { if $0.count < 1024 { $0[pattern] = compiled } }
        return compiled
    }
}

/// gobwas/glob syntax (what OPA's glob.match uses) as an anchored regular expression:
/// `*` within a segment, `**` across delimiters, `?`, `[…]`, `[!…]`, `{a,b}`.
enum Glob {
    static func regex(_ pattern: String, delimiters: [String]) throws -> String {
        let delimiterClass = delimiters.map { NSRegularExpression.escapedPattern(for: $0) }.joined()
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
                    out += NSRegularExpression.escapedPattern(for: String(next))
                    chars = chars.dropFirst()
                }
            default: out += NSRegularExpression.escapedPattern(for: String(c))
            }
        }
        guard braceDepth == 0 else { throw BuiltinError(message: "unterminated { in glob") }
        return out + "$"
    }
}
