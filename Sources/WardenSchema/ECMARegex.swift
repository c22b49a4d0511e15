import Foundation
import Synchronization

/// ECMA-262 regular expressions (as JSON Schema specifies them, with Unicode semantics), run
/// on ICU. The pattern is translated, not passed through: ICU reads `\d`, `\w`, `\s`, `\b`,
/// `.` and `$` differently (Unicode digits, a `$` that matches before a final newline), and a
/// contract's `^[a-z]+$` must not accept "abc\n". Constructs ECMA-262 does not have are
/// refused when the schema is compiled, never reinterpreted.
enum ECMARegex {
    private static let cache = Mutex<[String: NSRegularExpression]>([:])

    static func compile(_ pattern: String) throws(SchemaError) -> NSRegularExpression {
        if let cached = cache.withLock({ $0[pattern] }) { return cached }
        var translator = ECMAToICU(pattern)
        let translated = try translator.translate()
        guard let regex = try? NSRegularExpression(pattern: translated) else {
            throw SchemaError.badSchema("pattern \(pattern) is not a valid regular expression")
        }
        cache.withLock { if $0.count < 4096 { $0[pattern] = regex } }
        return regex
    }
}

/// A compiled `pattern`: the native matcher when the pattern is simple enough, ICU otherwise.
struct ECMAPattern: @unchecked Sendable {
    let source: String
    let native: SimplePattern?
    let icu: NSRegularExpression

    init(_ source: String) throws(SchemaError) {
        self.source = source
        icu = try ECMARegex.compile(source)
        native = SimplePattern(source)
    }

    func matches(_ text: String) -> Bool {
        if let native { return native.matches(text) }
        return icu.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}

/// One pass over an ECMA-262 pattern, writing the ICU pattern that means the same.
private struct ECMAToICU {
    static let word = "A-Za-z0-9_"
    static let digit = "0-9"
    /// ECMA-262 WhiteSpace and LineTerminator.
    static let space = "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}"
    static let lineTerminators = "\\n\\r\\x{2028}\\x{2029}"
    /// Escapes ICU has and ECMA-262 does not (or means otherwise).
    static let foreignEscapes: Set<Character> = ["A", "Z", "z", "G", "Q", "E", "h", "H", "R", "X", "N", "K", "e", "a", "o", "l", "L", "U"]

    let pattern: String
    let scalars: [Character]
    var index = 0
    var out = ""

    init(_ pattern: String) {
        self.pattern = pattern
        scalars = pattern.unicodeScalars.map(Character.init)
    }

    func refuse(_ what: String) -> SchemaError {
        .badSchema("pattern \(pattern) uses \(what), which is not ECMA-262")
    }

    var next: Character? { index < scalars.count ? scalars[index] : nil }

    mutating func translate() throws(SchemaError) -> String {
        var canQuantify = false
        while let c = next {
            index += 1
            switch c {
            case "\\":
                try escape(inClass: false)
                canQuantify = true
            case "[":
                try characterClass()
                canQuantify = true
            case "(":
                try group()
                canQuantify = false
            case ".":
                out += "[^\(Self.lineTerminators)]"
                canQuantify = true
            case "$":
                out += "(?![\\s\\S])"
                canQuantify = false
            case "*", "+", "?":
                guard canQuantify else { throw refuse("a quantifier with nothing to repeat") }
                out.append(c)
                try quantifierSuffix()
                canQuantify = false
            case "{":
                guard canQuantify, let bounds = braceQuantifier() else { throw refuse("a '{' that is not a quantifier") }
                out += bounds
                try quantifierSuffix()
                canQuantify = false
            case "}", "]":
                throw refuse("an unmatched '\(c)'")
            case ")", "|", "^":
                out.append(c)
                canQuantify = c == ")"
            case "#", " ", "\t", "\n", "\r", "&", "~", "-":
                // Literal in both, but escaped so that no ICU flag or set syntax can reach them.
                out += "\\x{\(String(c.unicodeScalars.first!.value, radix: 16))}"
                canQuantify = true
            default:
                out.append(c)
                canQuantify = true
            }
        }
        return out
    }

    /// After a quantifier: a lazy `?` is ECMA-262; a possessive `+` is ICU's own.
    mutating func quantifierSuffix() throws(SchemaError) {
        if next == "?" {
            out.append("?")
            index += 1
        } else if next == "+" {
            throw refuse("a possessive quantifier")
        }
    }

    /// `{n}`, `{n,}` or `{n,m}` (after the `{`), or nil.
    mutating func braceQuantifier() -> String? {
        var text = ""
        var probe = index
        while probe < scalars.count, scalars[probe] != "}" {
            text.append(scalars[probe])
            probe += 1
        }
        guard probe < scalars.count else { return nil }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let low = Int(parts[0]), parts[0].allSatisfy(\.isASCII) else { return nil }
        if parts.count == 2, !parts[1].isEmpty {
            guard let high = Int(parts[1]), high >= low else { return nil }
        }
        index = probe + 1
        return "{\(text)}"
    }

    mutating func group() throws(SchemaError) {
        guard next == "?" else {
            out += "("
            return
        }
        index += 1
        switch next {
        case ":", "=", "!":
            out += "(?\(next!)"
            index += 1
        case "<":
            index += 1
            if next == "=" || next == "!" {
                out += "(?<\(next!)"
                index += 1
                return
            }
            var name = ""
            while let c = next, c != ">" {
                guard c.isASCII, c.isLetter || c.isNumber || c == "_" else {
                    throw refuse("a group name other than ASCII letters and digits")
                }
                name.append(c)
                index += 1
            }
            guard next == ">", let first = name.first, !first.isNumber else { throw refuse("a malformed group name") }
            index += 1
            out += "(?<\(name)>"
        default:
            throw refuse("the group syntax (?\(next.map(String.init) ?? "")")
        }
    }

    /// An escape after the backslash, outside or inside a character class.
    mutating func escape(inClass: Bool) throws(SchemaError) {
        guard let c = next else { throw refuse("a trailing backslash") }
        index += 1
        switch c {
        case "d": out += inClass ? Self.digit : "[\(Self.digit)]"
        case "D": out += "[^\(Self.digit)]"
        case "w": out += inClass ? Self.word : "[\(Self.word)]"
        case "W": out += "[^\(Self.word)]"
        case "s": out += inClass ? Self.space : "[\(Self.space)]"
        case "S": out += "[^\(Self.space)]"
        case "b":
            out += inClass ? "\\x{08}" : "(?:(?<=[\(Self.word)])(?![\(Self.word)])|(?<![\(Self.word)])(?=[\(Self.word)]))"
        case "B":
            guard !inClass else { throw refuse("\\B in a character class") }
            out += "(?:(?<=[\(Self.word)])(?=[\(Self.word)])|(?<![\(Self.word)])(?![\(Self.word)]))"
        case "t", "n", "r", "f": out += "\\\(c)"
        case "v": out += "\\x{0B}"
        case "0":
            guard !(next?.isNumber ?? false) else { throw refuse("an octal escape") }
            out += "\\x{0}"
        case "1"..."9":
            guard !inClass else { throw refuse("a back reference in a character class") }
            out += "\\\(c)"
            while let d = next, d.isASCII, d.isNumber {
                out.append(d)
                index += 1
            }
        case "c":
            guard let letter = next, letter.isASCII, letter.isLetter else { throw refuse("\\c without a control letter") }
            index += 1
            out += "\\x{\(String(letter.asciiValue! % 32, radix: 16))}"
        case "x":
            let hex = try hexDigits(count: 2)
            out += "\\x{\(hex)}"
        case "u":
            if next == "{" {
                index += 1
                var hex = ""
                while let d = next, d.isHexDigit {
                    hex.append(d)
                    index += 1
                }
                guard next == "}", !hex.isEmpty, let value = UInt32(hex, radix: 16), value <= 0x10FFFF else {
                    throw refuse("a malformed \\u{…} escape")
                }
                index += 1
                out += "\\x{\(hex)}"
            } else {
                out += "\\x{\(try hexDigits(count: 4))}"
            }
        case "p", "P":
            guard next == "{" else { throw refuse("\\\(c) without {…}") }
            out += "\\\(c)"
            while let d = next {
                out.append(d)
                index += 1
                if d == "}" { return }
            }
            throw refuse("an unterminated \\\(c){…}")
        case "k":
            guard !inClass, next == "<" else { throw refuse("a malformed named back reference") }
            out += "\\k"
            while let d = next {
                out.append(d)
                index += 1
                if d == ">" { return }
            }
            throw refuse("an unterminated \\k<…>")
        default:
            guard !c.isLetter, !c.isNumber, c.isASCII else { throw refuse("the escape \\\(c)") }
            // An escaped syntax character stands for itself.
            out += "\\x{\(String(c.asciiValue!, radix: 16))}"
        }
    }

    mutating func hexDigits(count: Int) throws(SchemaError) -> String {
        var hex = ""
        for _ in 0..<count {
            guard let d = next, d.isHexDigit else { throw refuse("a malformed hexadecimal escape") }
            hex.append(d)
            index += 1
        }
        return hex
    }

    /// `[…]` after the `[`. ICU sets nest, intersect (`&&`) and subtract (`--`), and read
    /// `[:alpha:]`; in ECMA-262 those characters are literals, so every ASCII punctuation
    /// character is written escaped.
    mutating func characterClass() throws(SchemaError) {
        var negated = false
        if next == "^" {
            negated = true
            index += 1
        }
        if next == "]" {
            // `[]` matches nothing and `[^]` anything.
            index += 1
            out += negated ? "[\\s\\S]" : "(?!)"
            return
        }
        out += negated ? "[^" : "["
        var previousWasRangeStart = false
        while let c = next {
            index += 1
            switch c {
            case "]":
                out += "]"
                return
            case "\\":
                try escape(inClass: true)
            case "-":
                // A range dash sits between two atoms; anywhere else it is a literal.
                let isRange = previousWasRangeStart && next != nil && next != "]"
                out += isRange ? "-" : "\\x{2d}"
                previousWasRangeStart = false
                continue
            default:
                if c.isASCII, !c.isLetter, !c.isNumber {
                    out += "\\x{\(String(c.asciiValue!, radix: 16))}"
                } else {
                    out.append(c)
                }
            }
            previousWasRangeStart = true
        }
        throw refuse("an unterminated character class")
    }
}
