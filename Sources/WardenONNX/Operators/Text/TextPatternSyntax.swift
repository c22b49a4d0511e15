/// The parsed form of a text pattern: the subset of RE2 syntax that tokenizer expressions
/// and separators in exported text models use. Anything outside it is refused at load with
/// the construct named, never half-understood.
indirect enum PatternNode: Equatable {
    case empty
    case scalars(ScalarSet)
    case sequence([PatternNode])
    case alternatives([PatternNode])
    /// `counted`: written as {n,m} (RE2 bounds the product of nested counts; `*`, `+`, `?`
    /// do not count).
    case repetition(PatternNode, min: Int, max: Int?, counted: Bool)
    case assertion(PatternAssertion)
}

enum PatternAssertion: Equatable {
    case textStart, textEnd, wordBoundary, notWordBoundary
}

/// A set of Unicode scalars as sorted ranges, optionally negated.
struct ScalarSet: Equatable, Sendable {
    var ranges: [ClosedRange<UInt32>]
    var negated = false

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return ranges.contains { $0.contains(value) } != negated
    }

    static func single(_ scalar: Unicode.Scalar) -> ScalarSet { ScalarSet(ranges: [scalar.value...scalar.value]) }

    /// The same set as plain ranges, negation applied (for a negated class inside brackets).
    var complementedRanges: [ClosedRange<UInt32>] {
        guard negated else { return ranges }
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = max(next, range.upperBound &+ 1)
        }
        if next <= 0x10FFFF { result.append(next...0x10FFFF) }
        return result
    }

    // RE2's Perl classes are ASCII-only.
    static let digits = ScalarSet(ranges: [48...57])
    static let wordCharacters = ScalarSet(ranges: [48...57, 65...90, 95...95, 97...122])
    static let whitespace = ScalarSet(ranges: [9...10, 12...13, 32...32])
    /// `.` matches any scalar except a newline (RE2 without the `s` flag).
    static let anyButNewline = ScalarSet(ranges: [10...10], negated: true)

    static let posixClasses: [String: [ClosedRange<UInt32>]] = [
        "alnum": [48...57, 65...90, 97...122], "alpha": [65...90, 97...122], "ascii": [0...0x7F],
        "blank": [9...9, 32...32], "cntrl": [0...0x1F, 0x7F...0x7F], "digit": [48...57],
        "graph": [0x21...0x7E], "lower": [97...122], "print": [0x20...0x7E],
        "punct": [0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E], "space": [9...13, 32...32],
        "upper": [65...90], "word": [48...57, 65...90, 95...95, 97...122], "xdigit": [48...57, 65...70, 97...102],
    ]
}

struct TextPatternError: Error, CustomStringConvertible {
    let description: String
}

/// Recursive-descent parser over the pattern's scalars.
struct TextPatternParser {
    private let scalars: [Unicode.Scalar]
    private var position = 0
    /// RE2 refuses repetition counts above 1000; so does this parser.
    static let maxRepetition = 1000
    private static let maxNesting = 100
    private var depth = 0

    init(_ pattern: String) {
        scalars = Array(pattern.unicodeScalars)
    }

    mutating func parse() throws -> PatternNode {
        let node = try parseAlternatives()
        guard position == scalars.count else { throw error("unmatched ')'") }
        guard Self.countProduct(node) <= Self.maxRepetition else {
            throw TextPatternError(description: "invalid repetition size: nested counts multiply past \(Self.maxRepetition)")
        }
        return node
    }

    /// The largest product of nested {n,m} counts (the upper bound, or the lower one when
    /// unbounded), which RE2 keeps within 1000.
    private static func countProduct(_ node: PatternNode) -> Int {
        switch node {
        case .empty, .scalars, .assertion: return 1
        case let .sequence(items), let .alternatives(items): return items.map(countProduct).max() ?? 1
        case let .repetition(inner, min, max, counted):
            let factor = counted ? Swift.max(max ?? min, 1) : 1
            return Swift.min(factor * countProduct(inner), Self.maxRepetition + 1)
        }
    }

    private func error(_ reason: String) -> TextPatternError {
        TextPatternError(description: "\(reason) at offset \(position)")
    }

    private var next: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    private mutating func take() -> Unicode.Scalar? {
        guard let scalar = next else { return nil }
        position += 1
        return scalar
    }

    private mutating func parseAlternatives() throws -> PatternNode {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxNesting else { throw error("groups nested deeper than \(Self.maxNesting)") }
        var branches = [try parseSequence()]
        while next == "|" {
            position += 1
            branches.append(try parseSequence())
        }
        return branches.count == 1 ? branches[0] : .alternatives(branches)
    }

    private mutating func parseSequence() throws -> PatternNode {
        var items: [PatternNode] = []
        while let scalar = next, scalar != "|", scalar != ")" {
            items.append(try parseRepetition(try parseAtom()))
        }
        return items.isEmpty ? .empty : items.count == 1 ? items[0] : .sequence(items)
    }

    private mutating func parseRepetition(_ atom: PatternNode) throws -> PatternNode {
        var node = atom
        var repeated = false
        while let scalar = next {
            let bounds: (Int, Int?)
            var counted = false
            switch scalar {
            case "*": position += 1; bounds = (0, nil)
            case "+": position += 1; bounds = (1, nil)
            case "?": position += 1; bounds = (0, 1)
            case "{":
                guard let count = try parseCount() else { return node }
                bounds = count
                counted = true
            default: return node
            }
            if repeated { throw error("bad repetition operator") }  // a** and the like, as RE2 says
            repeated = true
            if next == "?" { position += 1 }  // lazy: the same matches under leftmost-longest
            node = .repetition(node, min: bounds.0, max: bounds.1, counted: counted)
        }
        return node
    }

    /// `{n}`, `{n,}` or `{n,m}`; nil (and nothing consumed) when the brace is a literal, as in RE2.
    private mutating func parseCount() throws -> (Int, Int?)? {
        let start = position
        position += 1
        // RE2 reads a count with a leading zero ("{01}") as literal text.
        func number() -> Int? {
            if next == "0", position + 1 < scalars.count, ("0"..."9").contains(scalars[position + 1]) { return nil }
            var value: Int?
            while let scalar = next, let digit = Int(String(scalar)), scalar.isASCII {
                value = min((value ?? 0) * 10 + digit, Self.maxRepetition + 1)
                position += 1
            }
            return value
        }
        guard let low = number() else {
            position = start
            return nil
        }
        var high: Int? = low
        if next == "," {
            position += 1
            high = number()
        }
        guard next == "}" else {
            position = start
            return nil
        }
        position += 1
        guard low <= Self.maxRepetition, (high ?? 0) <= Self.maxRepetition, high.map({ $0 >= low }) ?? true else {
            throw error("bad repetition count (RE2 allows at most \(Self.maxRepetition))")
        }
        return (low, high)
    }

    private mutating func parseAtom() throws -> PatternNode {
        guard let scalar = take() else { throw error("pattern ends early") }
        switch scalar {
        case "(":
            if next == "?" {
                guard position + 1 < scalars.count, scalars[position + 1] == ":" else {
                    throw error("group flags and named groups are not supported")
                }
                position += 2
            }
            let inner = try parseAlternatives()
            guard take() == ")" else { throw error("missing ')'") }
            return inner
        case "[": return .scalars(try parseClass())
        case ".": return .scalars(.anyButNewline)
        case "^": return .assertion(.textStart)
        case "$": return .assertion(.textEnd)
        case "\\": return try parseEscape()
        case "*", "+", "?": throw error("missing argument to repetition operator '\(scalar)'")
        case "{":
            // A valid count with nothing before it is an error in RE2; otherwise a literal.
            position -= 1
            if try parseCount() != nil { throw error("missing argument to repetition operator") }
            position += 1
            return .scalars(.single(scalar))
        default: return .scalars(.single(scalar))
        }
    }

    private mutating func parseEscape() throws -> PatternNode {
        guard let scalar = take() else { throw error("trailing backslash") }
        switch scalar {
        case "b": return .assertion(.wordBoundary)
        case "B": return .assertion(.notWordBoundary)
        case "A": return .assertion(.textStart)
        case "z": return .assertion(.textEnd)
        default: return .scalars(try escapedSet(scalar))
        }
    }

    /// The set an escape stands for, inside or outside a class.
    private func escapedSet(_ scalar: Unicode.Scalar) throws -> ScalarSet {
        switch scalar {
        case "d": return .digits
        case "D": return ScalarSet(ranges: ScalarSet.digits.ranges, negated: true)
        case "w": return .wordCharacters
        case "W": return ScalarSet(ranges: ScalarSet.wordCharacters.ranges, negated: true)
        case "s": return .whitespace
        case "S": return ScalarSet(ranges: ScalarSet.whitespace.ranges, negated: true)
        case "n": return .single("\n")
        case "t": return .single("\t")
        case "r": return .single("\r")
        case "f": return .single("\u{0C}")
        case "v": return .single("\u{0B}")
        default:
            // Any other escaped punctuation is itself; letters and digits would be other
            // RE2 features (\p, \x, backreferences), which are not supported.
            guard scalar.isASCII, !scalar.properties.isAlphabetic, !("0"..."9").contains(scalar) else {
                throw error("escape '\\\(scalar)' is not supported")
            }
            return .single(scalar)
        }
    }

    private mutating func parseClass() throws -> ScalarSet {
        var set = ScalarSet(ranges: [])
        if next == "^" {
            position += 1
            set.negated = true
        }
        var first = true
        while true {
            guard let scalar = take() else { throw error("missing ']'") }
            if scalar == "]", !first { break }
            first = false
            if scalar == "[", next == ":", let posix = try parsePosixClass() {
                set.ranges += posix
                continue
            }
            var low = scalar
            if scalar == "\\" {
                let member = try classEscape()
                guard let single = member.single else {
                    set.ranges += member.set.complementedRanges
                    continue
                }
                low = single
            }
            if next == "-", position + 1 < scalars.count, scalars[position + 1] != "]" {
                position += 1
                guard var high = take() else { throw error("missing ']'") }
                if high == "\\" {
                    guard let single = try classEscape().single else { throw error("bad character class range") }
                    high = single
                }
                guard low.value <= high.value else { throw error("bad character class range") }
                set.ranges.append(low.value...high.value)
            } else {
                set.ranges.append(low.value...low.value)
            }
        }
        return set
    }

    /// After a backslash inside brackets: one scalar (`\t`, `\.`) or a class (`\d`, `\S`).
    private mutating func classEscape() throws -> (single: Unicode.Scalar?, set: ScalarSet) {
        guard let escaped = take() else { throw error("trailing backslash") }
        let member = try escapedSet(escaped)
        if !member.negated, member.ranges.count == 1, member.ranges[0].count == 1 {
            return (Unicode.Scalar(member.ranges[0].lowerBound), member)
        }
        return (nil, member)
    }

    /// `[:name:]` or `[:^name:]` after a `[` inside brackets. As in RE2, the name runs to the
    /// first ":]" anywhere after (even past the class's own "]") and must then be a known
    /// class; with no ":]" ahead, nil (nothing consumed): the characters are literal.
    private mutating func parsePosixClass() throws -> [ClosedRange<UInt32>]? {
        let nameStart = position + 1
        guard let end = (nameStart..<max(nameStart, scalars.count - 1)).first(where: { scalars[$0] == ":" && scalars[$0 + 1] == "]" })
        else { return nil }
        var name = String(String.UnicodeScalarView(scalars[nameStart..<end]))
        let negated = name.hasPrefix("^")
        if negated { name.removeFirst() }
        guard let ranges = ScalarSet.posixClasses[name] else {
            throw error("invalid character class range [:\(name):]")
        }
        position = end + 2
        return ScalarSet(ranges: ranges, negated: negated).complementedRanges
    }
}
