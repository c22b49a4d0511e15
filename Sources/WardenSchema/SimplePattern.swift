/// A native matcher for the patterns contracts mostly use: anchors, literals, `.`, character
/// classes and quantifiers, with no groups, alternation or look-around. Matching walks the
/// string's scalars once through a small automaton (no backtracking), which is several times
/// cheaper than bridging the string to ICU. Any other pattern returns nil from `init` and is
/// left to ICU, so both always mean what ECMA-262 says.
struct SimplePattern: Sendable {
    /// What one step of the pattern accepts.
    enum Atom: Sendable {
        case scalar(UInt32)
        case set(ranges: [ClosedRange<UInt32>], negated: Bool)
    }

    /// An atom taken once (`required`), at most once (`optional`) or any number of times (`repeated`).
    enum Step: Sendable {
        case required(Atom)
        case optional(Atom)
        case repeated(Atom)
    }

    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
    static let space: [ClosedRange<UInt32>] = [
        0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029, 0x202F...0x202F, 0x205F...0x205F,
        0x3000...0x3000, 0xFEFF...0xFEFF,
    ]
    static let lineTerminators: [ClosedRange<UInt32>] = [0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029]
    /// Longer automata are left to ICU: `{n,m}` expands to m steps.
    static let maximumSteps = 512

    let steps: [Step]
    let anchoredStart: Bool
    let anchoredEnd: Bool

    init?(_ pattern: String) {
        var scalars = Array(pattern.unicodeScalars)
        var anchoredStart = false
        var anchoredEnd = false
        if scalars.first == "^" {
            anchoredStart = true
            scalars.removeFirst()
        }
        if scalars.last == "$", scalars.count < 2 || scalars[scalars.count - 2] != "\\" {
            anchoredEnd = true
            scalars.removeLast()
        }
        var steps: [Step] = []
        var index = 0
        while index < scalars.count {
            guard let (atom, next) = Self.atom(scalars, at: index) else { return nil }
            index = next
            var minimum = 1
            var maximum: Int? = 1
            if index < scalars.count {
                switch scalars[index] {
                case "*": (minimum, maximum, index) = (0, nil, index + 1)
                case "+": (minimum, maximum, index) = (1, nil, index + 1)
                case "?": (minimum, maximum, index) = (0, 1, index + 1)
                case "{":
                    guard let close = scalars[index...].firstIndex(of: "}") else { return nil }
                    let parts = String(String.UnicodeScalarView(scalars[(index + 1)..<close])).split(
                        separator: ",", omittingEmptySubsequences: false)
                    guard (1...2).contains(parts.count), let low = Int(parts[0]) else { return nil }
                    minimum = low
                    maximum = parts.count == 1 ? low : (parts[1].isEmpty ? nil : Int(parts[1]))
                    if parts.count == 2, !parts[1].isEmpty, maximum == nil { return nil }
                    index = close + 1
                default: break
                }
                // A lazy `?` after a quantifier changes which match is found, not whether one is.
                if maximum != 1 || minimum != 1, index < scalars.count, scalars[index] == "?" { index += 1 }
            }
            if let maximum, maximum < minimum { return nil }
            steps += Array(repeating: .required(atom), count: minimum)
            if let maximum {
                steps += Array(repeating: .optional(atom), count: maximum - minimum)
            } else {
                steps.append(.repeated(atom))
            }
            guard steps.count <= Self.maximumSteps else { return nil }
        }
        self.steps = steps
        self.anchoredStart = anchoredStart
        self.anchoredEnd = anchoredEnd
    }

    /// One atom at `index`, and the index after it; nil for anything this matcher leaves to ICU.
    private static func atom(_ scalars: [Unicode.Scalar], at index: Int) -> (Atom, Int)? {
        let c = scalars[index]
        switch c {
        case "(", ")", "|", "^", "$", "*", "+", "?", "{", "}", "]": return nil
        case ".": return (.set(ranges: lineTerminators, negated: true), index + 1)
        case "[": return characterClass(scalars, from: index + 1)
        case "\\":
            guard index + 1 < scalars.count else { return nil }
            let escaped = scalars[index + 1]
            if let (ranges, negated) = classEscape(escaped) { return (.set(ranges: ranges, negated: negated), index + 2) }
            guard escaped.isASCII, !escaped.properties.isAlphabetic, !("0"..."9").contains(escaped) else { return nil }
            return (.scalar(escaped.value), index + 2)
        default: return (.scalar(c.value), index + 1)
        }
    }

    private static func classEscape(_ c: Unicode.Scalar) -> ([ClosedRange<UInt32>], Bool)? {
        switch c {
        case "d": (digit, false)
        case "D": (digit, true)
        case "w": (word, false)
        case "W": (word, true)
        case "s": (space, false)
        case "S": (space, true)
        default: nil
        }
    }

    /// `[...]` after the `[`: literals, ranges, and `\d` `\w` `\s` inside.
    private static func characterClass(_ scalars: [Unicode.Scalar], from start: Int) -> (Atom, Int)? {
        var index = start
        var negated = false
        if index < scalars.count, scalars[index] == "^" {
            negated = true
            index += 1
        }
        guard index < scalars.count, scalars[index] != "]" else { return nil }
        var ranges: [ClosedRange<UInt32>] = []
        func single(_ at: Int) -> (UInt32, Int)? {
            guard at < scalars.count else { return nil }
            let c = scalars[at]
            if c == "\\" {
                guard at + 1 < scalars.count else { return nil }
                let escaped = scalars[at + 1]
                guard escaped.isASCII, !escaped.properties.isAlphabetic, !("0"..."9").contains(escaped) else { return nil }
                return (escaped.value, at + 2)
            }
            guard c != "[", c != "]" else { return nil }
            return (c.value, at + 1)
        }
        while index < scalars.count, scalars[index] != "]" {
            if scalars[index] == "\\", index + 1 < scalars.count, let (set, isNegated) = classEscape(scalars[index + 1]) {
                guard !isNegated else { return nil }
                ranges += set
                index += 2
                continue
            }
            guard let (low, next) = single(index) else { return nil }
            index = next
            if index + 1 < scalars.count, scalars[index] == "-", scalars[index + 1] != "]" {
                guard let (high, after) = single(index + 1), high >= low else { return nil }
                ranges.append(low...high)
                index = after
            } else {
                ranges.append(low...low)
            }
        }
        guard index < scalars.count else { return nil }
        return (.set(ranges: ranges, negated: negated), index + 1)
    }

    private static func accepts(_ atom: Atom, _ value: UInt32) -> Bool {
        switch atom {
        case let .scalar(expected): return value == expected
        case let .set(ranges, negated): return ranges.contains { $0.contains(value) } != negated
        }
    }

    /// Whether the pattern matches anywhere in `text` (anchors permitting).
    func matches(_ text: String) -> Bool {
        let count = steps.count
        // active[i]: the automaton can be before step i.
        var active = [Bool](repeating: false, count: count + 1)
        var next = active
        func close(_ states: inout [Bool]) {
            for i in 0..<count where states[i] {
                switch steps[i] {
                case .optional, .repeated: states[i + 1] = true
                case .required: break
                }
            }
        }
        active[0] = true
        close(&active)
        if active[count], !anchoredEnd { return true }
        for scalar in text.unicodeScalars {
            for i in next.indices { next[i] = false }
            for i in 0..<count where active[i] {
                switch steps[i] {
                case let .required(atom), let .optional(atom):
                    if Self.accepts(atom, scalar.value) { next[i + 1] = true }
                case let .repeated(atom):
                    if Self.accepts(atom, scalar.value) { next[i] = true }
                }
            }
            if !anchoredStart { next[0] = true }
            close(&next)
            swap(&active, &next)
            if active[count], !anchoredEnd { return true }
        }
        return active[count]
    }
}
