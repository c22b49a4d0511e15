/// Go's regular expression syntax (RE2), which OPA's regex builtins use, parsed into a tree
/// that `RegexProgram` compiles for a matcher linear in the text. What RE2 refuses is refused
/// here too (backreferences, lookaround), so no pattern can ask for backtracking.
indirect enum RegexNode: Sendable, Equatable {
    case empty
    case literal(Unicode.Scalar, foldCase: Bool)
    case anyScalar(matchesNewline: Bool)
    case set(ScalarSet)
    case concat([RegexNode])
    case alternate([RegexNode])
    case repetition(RegexNode, min: Int, max: Int?, greedy: Bool)
    case assertion(RegexAssertion)
    /// A capturing group, numbered from 1 in the order its `(` appears.
    case capture(Int, RegexNode)
}

enum RegexAssertion: Sendable, Equatable {
    case lineStart, lineEnd, textStart, textEnd, wordBoundary, notWordBoundary
}

struct RegexSyntaxError: Error, CustomStringConvertible {
    let description: String
}

struct RegexParser {
    struct Flags {
        var foldCase = false
        var multiLine = false
        var dotAll = false
        var ungreedy = false
    }

    /// RE2's bound on a counted repetition.
    static let maximumRepeat = 1000
    static let maximumNesting = 1000

    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var depth = 0
    /// The name of each capturing group (index 0 is the whole match), nil when unnamed.
    private(set) var captureNames: [String?] = [nil]

    init(_ pattern: String) { scalars = Array(pattern.unicodeScalars) }

    mutating func parse() throws(RegexSyntaxError) -> RegexNode {
        var flags = Flags()
        let node = try alternation(&flags)
        guard position == scalars.count else { throw error("unexpected )") }
        return node
    }

    private func error(_ message: String) -> RegexSyntaxError {
        RegexSyntaxError(description: "error parsing regexp: \(message)")
    }

    private var atEnd: Bool { position >= scalars.count }
    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }

    private mutating func alternation(_ flags: inout Flags) throws(RegexSyntaxError) -> RegexNode {
        var branches = [try concatenation(&flags)]
        while peek() == "|" {
            position += 1
            branches.append(try concatenation(&flags))
        }
        return branches.count == 1 ? branches[0] : .alternate(branches)
    }

    private mutating func concatenation(_ flags: inout Flags) throws(RegexSyntaxError) -> RegexNode {
        var items: [RegexNode] = []
        while let c = peek(), c != "|", c != ")" {
            var atom = try self.atom(&flags)
            guard let atomNode = atom else { continue }  // a flag group changes flags only
            atom = try repetitions(of: atomNode, flags)
            items.append(atom!)
        }
        switch items.count {
        case 0: return .empty
        case 1: return items[0]
        default: return .concat(items)
        }
    }

    private mutating func repetitions(of node: RegexNode, _ flags: Flags) throws(RegexSyntaxError) -> RegexNode {
        var node = node
        var repeated = false
        while let c = peek() {
            var bounds: (Int, Int?)
            switch c {
            case "*": bounds = (0, nil)
            case "+": bounds = (1, nil)
            case "?": bounds = (0, 1)
            case "{":
                guard let counted = try countedRepeat() else { return node }
                bounds = counted
            default: return node
            }
            if c != "{" { position += 1 }
            // RE2 refuses a repetition of a repetition (`a**`), as Go does.
            guard !repeated else { throw error("invalid nested repetition operator") }
            repeated = true
            var greedy = !flags.ungreedy
            if peek() == "?" {
                position += 1
                greedy.toggle()
            }
            if case .empty = node { throw error("missing argument to repetition operator") }
            node = .repetition(node, min: bounds.0, max: bounds.1, greedy: greedy)
        }
        return node
    }

    /// `{n}`, `{n,}` or `{n,m}`; nil (and nothing consumed) when `{` is a literal brace.
    private mutating func countedRepeat() throws(RegexSyntaxError) -> (Int, Int?)? {
        var index = position + 1
        func number() -> Int? {
            var value = 0
            let start = index
            while index < scalars.count, let digit = scalars[index].properties.numericType == .decimal ? Int(String(scalars[index])) : nil {
                value = min(value * 10 + digit, Int(Int32.max))
                index += 1
            }
            return index > start ? value : nil
        }
        guard let low = number() else { return nil }
        var high: Int? = low
        if index < scalars.count, scalars[index] == "," {
            index += 1
            high = number()
        }
        guard index < scalars.count, scalars[index] == "}" else { return nil }
        guard low <= Self.maximumRepeat, (high ?? 0) <= Self.maximumRepeat, high.map({ $0 >= low }) ?? true else {
            throw error("invalid repeat count")
        }
        position = index + 1
        return (low, high)
    }

    /// One atom; nil for a group that only set flags.
    private mutating func atom(_ flags: inout Flags) throws(RegexSyntaxError) -> RegexNode? {
        let c = scalars[position]
        switch c {
        case "(":
            return try group(&flags)
        case "[":
            position += 1
            return .set(try characterClass(flags))
        case ".":
            position += 1
            return .anyScalar(matchesNewline: flags.dotAll)
        case "^":
            position += 1
            return .assertion(flags.multiLine ? .lineStart : .textStart)
        case "$":
            position += 1
            return .assertion(flags.multiLine ? .lineEnd : .textEnd)
        case "\\":
            return try escape(flags)
        case "*", "+", "?":
            throw error("missing argument to repetition operator: `\(c)`")
        default:
            position += 1
            return .literal(c, foldCase: flags.foldCase)
        }
    }

    private mutating func group(_ flags: inout Flags) throws(RegexSyntaxError) -> RegexNode? {
        position += 1
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumNesting else { throw error("expression nests too deeply") }
        var inner = flags
        var capture: Int? = captureNames.count
        var name: String?
        if peek() == "?" {
            position += 1
            if peek() == "P" || peek() == "<" {
                // A named capture: (?P<name>re) or (?<name>re).
                if peek() == "P" { position += 1 }
                guard peek() == "<" else { throw error("invalid named capture") }
                position += 1
                var text = ""
                while let c = peek(), c != ">" {
                    guard c.properties.isAlphabetic || c == "_" || ("0"..."9").contains(c) else { throw error("invalid named capture") }
                    text.unicodeScalars.append(c)
                    position += 1
                }
                guard peek() == ">", !text.isEmpty else { throw error("invalid named capture") }
                position += 1
                name = text
            } else {
                capture = nil
                var negate = false
                var sawFlag = false
                while let c = peek(), c != ")", c != ":" {
                    switch c {
                    case "i": inner.foldCase = !negate
                    case "m": inner.multiLine = !negate
                    case "s": inner.dotAll = !negate
                    case "U": inner.ungreedy = !negate
                    case "-" where !negate: negate = true
                    default: throw error("invalid or unsupported Perl syntax: `(?\(c)`")
                    }
                    sawFlag = sawFlag || c != "-"
                    position += 1
                }
                guard let end = peek() else { throw error("missing closing )") }
                position += 1
                if end == ")" {
                    guard sawFlag else { throw error("missing argument to repetition operator") }
                    flags = inner  // (?i) applies to the rest of the enclosing group
                    return nil
                }
            }
        }
        if capture != nil { captureNames.append(name) }
        let node = try alternation(&inner)
        guard peek() == ")" else { throw error("missing closing )") }
        position += 1
        return capture.map { .capture($0, node) } ?? node
    }

    private mutating func escape(_ flags: Flags) throws(RegexSyntaxError) -> RegexNode {
        position += 1
        guard let c = peek() else { throw error("trailing backslash at end of expression") }
        position += 1
        switch c {
        case "A": return .assertion(.textStart)
        case "z": return .assertion(.textEnd)
        case "b": return .assertion(.wordBoundary)
        case "B": return .assertion(.notWordBoundary)
        case "Q":
            var literal: [RegexNode] = []
            while let next = peek() {
                if next == "\\", peek(1) == "E" {
                    position += 2
                    break
                }
                literal.append(.literal(next, foldCase: flags.foldCase))
                position += 1
            }
            return literal.isEmpty ? .empty : .concat(literal)
        case "d", "D", "w", "W", "s", "S", "p", "P":
            position -= 2  // back to the backslash: classEscape reads the whole escape
            var set = ScalarSet(foldCase: flags.foldCase)
            try classEscape(into: &set)
            return .set(set)
        default:
            return .literal(try literalEscape(c), foldCase: flags.foldCase)
        }
    }

    /// An escape that stands for one scalar (`\n`, `\x41`, `\x{10FFFF}`, `\101`, `\.`).
    private mutating func literalEscape(_ c: Unicode.Scalar) throws(RegexSyntaxError) -> Unicode.Scalar {
        switch c {
        case "a": return "\u{07}"
        case "f": return "\u{0C}"
        case "t": return "\t"
        case "n": return "\n"
        case "r": return "\r"
        case "v": return "\u{0B}"
        case "x":
            var hex = ""
            if peek() == "{" {
                position += 1
                while let next = peek(), next != "}" {
                    hex.unicodeScalars.append(next)
                    position += 1
                }
                guard peek() == "}" else { throw error("invalid escape sequence: `\\x{`") }
                position += 1
            } else {
                for _ in 0..<2 {
                    guard let next = peek() else { throw error("invalid escape sequence: `\\x`") }
                    hex.unicodeScalars.append(next)
                    position += 1
                }
            }
            guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else { throw error("invalid escape sequence") }
            return scalar
        case "0"..."7":
            // Octal: \0, \012; Go requires a leading 0 unless there are three digits.
            var text = String(c)
            while text.count < 3, let next = peek(), ("0"..."7").contains(next) {
                text.unicodeScalars.append(next)
                position += 1
            }
            guard c == "0" || text.count == 3, let value = UInt32(text, radix: 8), let scalar = Unicode.Scalar(value) else {
                throw error("invalid escape sequence: `\\\(c)`")
            }
            return scalar
        default:
            // Punctuation escapes itself; a letter or digit with no meaning is an error in RE2.
            guard c.isASCII, !c.properties.isAlphabetic, !("0"..."9").contains(c) else {
                throw error("invalid escape sequence: `\\\(c)`")
            }
            return c
        }
    }

    /// `\d \D \w \W \s \S \pL \p{Lu} \PL` into `set`.
    private mutating func classEscape(into set: inout ScalarSet) throws(RegexSyntaxError) {
        position += 1  // the backslash
        let c = scalars[position]
        position += 1
        switch c {
        case "d": set.add(.digit, negated: false)
        case "D": set.add(.digit, negated: true)
        case "w": set.add(.word, negated: false)
        case "W": set.add(.word, negated: true)
        case "s": set.add(.space, negated: false)
        case "S": set.add(.space, negated: true)
        case "p", "P":
            var name = ""
            if peek() == "{" {
                position += 1
                while let next = peek(), next != "}" {
                    name.unicodeScalars.append(next)
                    position += 1
                }
                guard peek() == "}" else { throw error("invalid character class range") }
                position += 1
            } else if let next = peek() {
                name = String(next)
                position += 1
            }
            var negated = c == "P"
            if name.hasPrefix("^") {
                negated.toggle()
                name.removeFirst()
            }
            guard let category = ScalarSet.Category(unicodeName: name) else { throw error("invalid character class range: `\\p{\(name)}`") }
            set.add(category, negated: negated)
        default:
            throw error("invalid escape sequence")
        }
    }

    /// After `[`: a bracketed class up to its `]`.
    private mutating func characterClass(_ flags: Flags) throws(RegexSyntaxError) -> ScalarSet {
        var set = ScalarSet(foldCase: flags.foldCase)
        if peek() == "^" {
            set.negated = true
            position += 1
        }
        var first = true
        while true {
            guard let c = peek() else { throw error("missing closing ]") }
            if c == "]", !first {
                position += 1
                return set
            }
            first = false
            if c == "[", peek(1) == ":" {
                try posixClass(into: &set)
                continue
            }
            if c == "\\", let next = peek(1), "dDwWsSpP".unicodeScalars.contains(next) {
                try classEscape(into: &set)
                continue
            }
            let low = try classScalar()
            if peek() == "-", let after = peek(1), after != "]" {
                position += 1
                let high = try classScalar()
                guard low <= high else { throw error("invalid character class range") }
                set.addRange(low.value...high.value)
            } else {
                set.addRange(low.value...low.value)
            }
        }
    }

    private mutating func classScalar() throws(RegexSyntaxError) -> Unicode.Scalar {
        let c = scalars[position]
        position += 1
        guard c == "\\" else { return c }
        guard let next = peek() else { throw error("missing closing ]") }
        position += 1
        return try literalEscape(next)
    }

    /// `[:alpha:]` and the other POSIX classes RE2 knows (ASCII only, as in Go).
    private mutating func posixClass(into set: inout ScalarSet) throws(RegexSyntaxError) {
        var index = position + 2
        var name = ""
        while index < scalars.count, scalars[index] != ":" {
            name.unicodeScalars.append(scalars[index])
            index += 1
        }
        guard index + 1 < scalars.count, scalars[index + 1] == "]" else {
            // Not a POSIX class: a literal `[`.
            position += 1
            set.addRange(0x5B...0x5B)
            return
        }
        var negated = false
        if name.hasPrefix("^") {
            negated = true
            name.removeFirst()
        }
        guard let category = ScalarSet.Category(posixName: name) else { throw error("invalid character class range: `[:\(name):]`") }
        set.add(category, negated: negated)
        position = index + 2
    }
}
