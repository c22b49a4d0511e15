/// `regex.globs_match` as OPA answers it. OPA calls the gintersect package
/// (yashtewari/glob-intersection), whose answer is a greedy walk over the two token lists, not
/// the exact intersection of two regular languages: `a*b*` and `a*b*c*` share "a", yet it
/// answers false, and so does OPA. Warden walks the same way, so a policy gets OPA's answer.
///
/// A glob is tokens: a character, `.` (any), or a set `[a-z…]` (no negation; `\` escapes), each
/// with an optional `*` or `+`. Adjacent equal flagged tokens merge (`t*t+` is `t+`).
enum GlobIntersection {
    enum Flag { case none, plus, star }

    enum Content: Equatable {
        case character(UInt32)
        case any
        /// Code-point ranges, sorted and merged, so that equal sets compare equal.
        case set([ClosedRange<UInt32>])
    }

    struct Token {
        var content: Content
        var flag: Flag
    }

    struct InvalidGlob: Error {
        let message: String
    }

    static func nonEmpty(_ lhs: String, _ rhs: String, deadline: ContinuousClock.Instant) throws -> Bool {
        let left = simplify(try tokenize(lhs)), right = simplify(try tokenize(rhs))
        guard let (g1, g2) = trimmed(left[...], right[...]) else { return false }
        var walk = Walk(deadline: deadline)
        return try walk.normal(g1, g2)
    }

    /// Whether two tokens can match one character (flags aside).
    static func match(_ a: Token, _ b: Token) -> Bool {
        switch (a.content, b.content) {
        case (.any, _), (_, .any): return true
        case let (.character(x), .character(y)): return x == y
        case let (.character(x), .set(ranges)), let (.set(ranges), .character(x)): return ranges.contains { $0.contains(x) }
        case let (.set(r1), .set(r2)): return r1.contains { a in r2.contains { $0.overlaps(a) } }
        }
    }

    /// gintersect's trimGlobs: equal unflagged prefixes and suffixes cut off, one token of each
    /// left in place; nil when a trimmed pair does not match.
    private static func trimmed(_ g1: ArraySlice<Token>, _ g2: ArraySlice<Token>) -> (ArraySlice<Token>, ArraySlice<Token>)? {
        var l = 0
        while l < g1.count, l < g2.count, g1[g1.startIndex + l].flag == .none, g2[g2.startIndex + l].flag == .none {
            if !match(g1[g1.startIndex + l], g2[g2.startIndex + l]) { return nil }
            l += 1
        }
        if l > 0 { l -= 1 }
        var r1 = g1.count - 1, r2 = g2.count - 1
        while r1 >= 0, r1 >= l, r2 >= 0, r2 >= l, g1[g1.startIndex + r1].flag == .none, g2[g2.startIndex + r2].flag == .none {
            if !match(g1[g1.startIndex + r1], g2[g2.startIndex + r2]) { return nil }
            r1 -= 1
            r2 -= 1
        }
        if r1 < g1.count - 1 {
            r1 += 1
            r2 += 1
        }
        return (g1[(g1.startIndex + l)..<(g1.startIndex + r1 + 1)], g2[(g2.startIndex + l)..<(g2.startIndex + r2 + 1)])
    }

    /// The walk, which checks the evaluation's deadline: it can branch at every star.
    private struct Walk {
        let deadline: ContinuousClock.Instant
        var steps = 0

        mutating func tick() throws {
            steps += 1
            if steps & 0x3FF == 0, ContinuousClock.now > deadline { throw BuiltinError.deadlinePassed }
        }

        mutating func normal(_ g1: ArraySlice<Token>, _ g2: ArraySlice<Token>) throws -> Bool {
            try tick()
            var i = g1.startIndex, j = g2.startIndex
            while i < g1.endIndex, j < g2.endIndex {
                if g1[i].flag == .none, g2[j].flag == .none {
                    if !match(g1[i], g2[j]) { return false }
                } else {
                    return try special(g1[i...], g2[j...])
                }
                i += 1
                j += 1
            }
            return i == g1.endIndex && j == g2.endIndex
        }

        mutating func special(_ g1: ArraySlice<Token>, _ g2: ArraySlice<Token>) throws -> Bool {
            switch (g1.first!.flag, g2.first!.flag) {
            case (.plus, _): try plus(g1, g2)
            case (.star, _): try star(g1, g2)
            case (.none, .plus): try plus(g2, g1)
            case (.none, .star): try star(g2, g1)
            case (.none, .none): false
            }
        }

        mutating func plus(_ plussed: ArraySlice<Token>, _ other: ArraySlice<Token>) throws -> Bool {
            guard let first = other.first, match(plussed.first!, first) else { return false }
            // Either the plussed token took other's first…
            if try star(plussed, other.dropFirst()) { return true }
            // …or other's first is flagged and may take all of the plussed token.
            return first.flag != .none ? try normal(plussed.dropFirst(), other) : false
        }

        mutating func star(_ starred: ArraySlice<Token>, _ other: ArraySlice<Token>) throws -> Bool {
            let starToken = starred.first!
            let next = starred.dropFirst().first
            for index in other.indices {
                try tick()
                let token = other[index]
                if let next, match(token, next) {
                    // Stop taking tokens and try to match the rest all the way.
                    if try normal(starred.dropFirst(), other[index...]) { return true }
                    if !match(token, starToken) { return false }
                } else if !match(token, starToken) {
                    return false
                }
            }
            // Everything taken: they meet only if nothing followed the star.
            return next == nil
        }
    }
}

extension GlobIntersection {
    /// gintersect's tokenizer, with its error texts and rune positions, as OPA reports them.
    static func tokenize(_ glob: String) throws -> [Token] {
        let runes = glob.unicodeScalars.map(\.value)
        func failure(_ position: Int, _ reason: String) -> InvalidGlob {
            InvalidGlob(message: "input:\(glob), pos:\(position), \(reason): the input provided is invalid")
        }
        /// The rune at `index` and the index after it, `\` escaping the next one; nil at the end.
        func rune(at index: Int) throws -> (rune: UInt32, escaped: Bool, next: Int)? {
            guard index < runes.count else { return nil }
            guard runes[index] == 0x5C else { return (runes[index], false, index + 1) }
            guard index + 1 < runes.count else { throw failure(index, "input ends with a \\ (escape) character") }
            return (runes[index + 1], true, index + 2)
        }
        var tokens: [Token] = []
        var index = 0
        while let (r, escaped, next) = try rune(at: index) {
            index = next
            var token: Token
            switch (escaped, r) {
            case (false, 0x2E): token = Token(content: .any, flag: .none)
            case (false, 0x5B): (token, index) = try set(runes, from: index, failure: failure, rune: rune)
            case (false, 0x5D): throw failure(index, "set-close ']' with no preceding '['")
            case (false, 0x2A), (false, 0x2B): throw failure(index, "flag '\(String(UnicodeScalar(r)!))' must be preceded by a non-flag")
            default: token = Token(content: .character(r), flag: .none)
            }
            if let (flag, escapedFlag, after) = try rune(at: index), !escapedFlag, flag == 0x2A || flag == 0x2B {
                token.flag = flag == 0x2A ? .star : .plus
                index = after
            }
            tokens.append(token)
        }
        return tokens
    }

    private static func set(
        _ runes: [UInt32], from start: Int, failure: (Int, String) -> InvalidGlob,
        rune: (Int) throws -> (rune: UInt32, escaped: Bool, next: Int)?
    ) throws -> (Token, Int) {
        var ranges: [ClosedRange<UInt32>] = []
        var index = start
        var previous: UInt32? = nil
        while let (r, escaped, next) = try rune(index) {
            index = next
            if escaped {
                ranges.append(r...r)
                previous = r
                continue
            }
            switch r {
            case 0x2D:
                guard let low = previous else { throw failure(index, "range character '-' must be preceded by a Unicode character") }
                guard index < runes.count - 1 else { throw failure(index, "range character '-' must be followed by a Unicode character") }
                guard let (high, highEscaped, after) = try rune(index) else {
                    throw failure(index, "range character '-' must be followed by a Unicode character")
                }
                index = after
                if !highEscaped, high == 0x5D || high == 0x2D {
                    throw failure(index, "range character '-' cannot be followed by a special symbol")
                }
                guard high >= low else {
                    throw failure(
                        index, "range is out of order: '\(text(high))' comes before '\(text(low))' in Unicode")
                }
                ranges.append(low...high)
                previous = nil
            case 0x5D:
                return (Token(content: .set(merged(ranges)), flag: .none), index)
            default:
                ranges.append(r...r)
                previous = r
            }
        }
        throw failure(index, "found [ without matching ]")
    }

    private static func text(_ rune: UInt32) -> String { UnicodeScalar(rune).map { String($0) } ?? "\u{FFFD}" }

    private static func merged(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, range.lowerBound <= last.upperBound &+ 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                out.append(range)
            }
        }
        return out
    }

    /// gintersect's Simplify: a flagged token equal to the flagged one before it merges into
    /// it, `+` winning over `*` (lossy for `t+t+`, as in gintersect).
    static func simplify(_ tokens: [Token]) -> [Token] {
        var simple: [Token] = []
        for token in tokens {
            if var last = simple.last, token.flag != .none, last.flag != .none, token.content == last.content {
                last.flag = token.flag == .plus || last.flag == .plus ? .plus : .star
                simple[simple.count - 1] = last
                continue
            }
            simple.append(token)
        }
        return simple
    }
}
