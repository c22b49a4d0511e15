import Testing

@testable import WardenONNX

/// The tokenizer's regular expressions: RE2 syntax, leftmost-longest search, linear time.
@Suite struct TextPatternTests {
    private func match(_ pattern: String, _ text: String, from start: Int = 0) throws -> Range<Int>? {
        try TextPattern(pattern).firstMatch(in: Array(text.unicodeScalars), from: start)
    }

    @Test func searchIsLeftmostLongestAsWithRE2LongestMatch() throws {
        #expect(try match("a|ab", "xab") == 1..<3)  // leftmost-first would stop at "a"
        #expect(try match("(?:a|ab)(?:c|bcd)", "abcd") == 0..<4)
        #expect(try match("b+", "abbbc") == 1..<4)
        #expect(try match("b*", "abbbc") == 0..<0)  // the empty match at 0 is leftmost
        #expect(try match("b+?", "abbb") == 1..<4)  // lazy means nothing when the longest wins
        #expect(try match("x", "abc") == nil)
    }

    @Test func classesEscapesAndAssertionsFollowRE2() throws {
        #expect(try match("[a-zA-Z0-9_]+", "  héllo") == 2..<3)  // é is not in the ASCII class
        #expect(try match("\\w+", "é_b1") == 1..<4)  // \w is ASCII in RE2
        #expect(try match("[^ ]+", "  ab c") == 2..<4)
        #expect(try match("[[:digit:]]{2,3}", "a1234") == 1..<4)
        #expect(try match("\\bab\\b", "cab ab") == 4..<6)
        #expect(try match("^a", "ba") == nil)
        #expect(try match("a$", "aba") == 2..<3)
        #expect(try match("[.]", "a.b") == 1..<2)
        #expect(try match("\\?", "a?") == 1..<2)
        #expect(try match(".", "\n") == nil)
        #expect(try match("a{2}", "aaa") == 0..<2)
        #expect(try match("a{2,}", "aaaa") == 0..<4)
        #expect(try match("x{,2}", "x{,2}") == 0..<5)  // not a repetition: literal, as in RE2
    }

    @Test func classesFollowRE2InTheCornersTheDifferentialFuzzerFound() throws {
        #expect(try match("[\\t-\\r]+", "ab\tc") == 2..<3)  // an escaped range end is its character
        #expect(try match("[\\D]", "1a") == 1..<2)  // negated Perl class inside brackets
        #expect(try match("[[:^alpha:]]", "a1") == 1..<2)
        #expect(try match("[[:x]+", "[:x") == 0..<3)  // no ':]': literal characters, as in RE2
        #expect(try match("a{01}", "a{01}") == 0..<5)  // a leading zero makes the braces literal
        #expect(try match("\\b+a", " a") == 1..<2)  // an assertion may be repeated
    }

    @Test(arguments: ["[a-\\n]", "[ -\\s]", "{2}", "(?:{2})", "(a{2}){501}", "((x{0}){100}){100}", "[[:x]:]", "[[:]:]"])
    func re2RefusesTheseAndSoDoesWarden(_ pattern: String) {
        #expect(throws: TextPatternError.self) { try TextPattern(pattern) }
    }

    @Test func matchingFromAnOffsetSeesTheTextBeforeIt() throws {
        #expect(try match("^a", "aa", from: 1) == nil)
        #expect(try match("\\bb", "ab b", from: 1) == 3..<4)
    }

    @Test func nestedRepetitionStaysLinear() throws {
        // Exponential for a backtracking engine; one pass over the text here.
        let text = String(repeating: "a", count: 20_000)
        #expect(try match("(a+)+b", text) == nil)
        #expect(try match("(a|aa)*c", text) == nil)
    }

    @Test(arguments: ["(?i)a", "\\p{L}", "a**", "x{1001}", "(a", "a)", "[a", "\\1", "[[:nope:]]", "*a", "\\"])
    func unsupportedSyntaxIsRefused(_ pattern: String) {
        #expect(throws: TextPatternError.self) { try TextPattern(pattern) }
    }

    @Test func hugeRepetitionsAreRefusedAtCompile() {
        #expect(throws: TextPatternError.self) { try TextPattern("(?:abcdefghij){1000}{1000}") }
        #expect(throws: TextPatternError.self) { try TextPattern("(?:(?:[a-z]{1000}){100})") }
    }
}
