import Testing

@testable import WardenPolicy

/// regex.globs_match on pairs whose answers were taken from OPA v1.20.2: the walk's own
/// answers where they differ from the exact intersection, and its error texts.
/// tests/policy/test_glob_differential.py holds it to OPA on generated pairs.
@Suite struct GlobIntersectionTests {
    static func match(_ a: String, _ b: String) throws -> Bool {
        try GlobIntersection.nonEmpty(a, b, deadline: .now.advanced(by: .seconds(5)))
    }

    @Test(arguments: [
        ("a.a.", ".b.b", true), ("", "", true), ("a*", "", false), ("a*", "a*", true), ("a+", "a", true), ("[^a]", "^", true),
        ("a?", "a", false), ("x.*y", "x[ab]+y", true), ("[ab]*c", "a+b+c", true), ("[é-ü]", "ö", true), ("\\d", "1", false),
        // Not the exact intersection ("a" is in both), but OPA's answer.
        ("a*b*", "a*b*c*", false), ("[]", "a", false), ("[\\--a]", "a", true),
    ])
    func answersAreOPAs(_ a: String, _ b: String, _ expected: Bool) throws {
        #expect(try Self.match(a, b) == expected)
    }

    @Test(arguments: [
        ("[", "input:[, pos:1, found [ without matching ]"), ("a**", "input:a**, pos:3, flag '*' must be preceded by a non-flag"),
        ("[a-]", "input:[a-], pos:3, range character '-' must be followed by a Unicode character"),
        ("[a-b-c]", "input:[a-b-c], pos:5, range character '-' must be preceded by a Unicode character"),
        ("[é-a]", "input:[é-a], pos:4, range is out of order: 'a' comes before 'é' in Unicode"),
        ("ab\\", "input:ab\\, pos:2, input ends with a \\ (escape) character"),
    ])
    func malformedGlobsCarryOPAsTexts(_ glob: String, _ message: String) {
        #expect {
            _ = try Self.match(glob, "a")
        } throws: { error in
            (error as? GlobIntersection.InvalidGlob)?.message == message + ": the input provided is invalid"
        }
    }

    /// The walk branches at every star that can stop: alternating star sets against a long run
    /// of one character. Whatever it answers, it answers within the deadline's reach.
    @Test func aHostileWalkStaysWithinItsDeadline() {
        let starred = String(repeating: "[ab]*[abc]*", count: 40) + "d"
        let other = String(repeating: "a", count: 60) + "e"
        let started = ContinuousClock.now
        _ = try? GlobIntersection.nonEmpty(starred, other, deadline: .now.advanced(by: .milliseconds(50)))
        #expect(ContinuousClock.now - started < .seconds(2))
    }
}
