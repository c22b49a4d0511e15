import Foundation
import Testing
import WardenJSON

@testable import WardenSchema

/// Behaviour beyond the official suite: error reports, compile-time refusals, bounds.
@Suite struct ValidatorTests {
    func validator(_ schema: String) throws -> Validator { try Validator(schema: try JSONParser.parse(schema)) }

    @Test func errorsNameLocationAndKeywordButNeverTheValue() throws {
        let errors = try validator(#"{"properties": {"card": {"type": "string", "maxLength": 4}}}"#)
            .validate(try JSONParser.parse(#"{"card": "4111111111111111"}"#))
        #expect(errors.count == 1)
        #expect(errors[0].instanceLocation == "/card" && errors[0].keyword == "maxLength")
        #expect(errors[0].schemaLocation == "/properties/card/maxLength")
        #expect(!errors[0].description.contains("4111"))
    }

    @Test func pointerTokensAreEscaped() throws {
        let errors = try validator(#"{"properties": {"a/b~c": {"type": "integer"}}}"#).validate(try JSONParser.parse(#"{"a/b~c": "x"}"#))
        #expect(errors.first?.instanceLocation == "/a~1b~0c")
    }

    @Test(arguments: [
        #"{"pattern": "(?>x)"}"#, #"{"patternProperties": {"a++": true}}"#, #"{"pattern": "("}"#, #"{"type": 3}"#, #"{"allOf": []}"#, "3",
    ])
    func badSchemasAreRefusedWhenCompiled(_ text: String) throws {
        let schema = try JSONParser.parse(text)
        #expect(throws: SchemaError.self) { _ = try Validator(schema: schema).validate(.null) }
    }

    /// ECMA-262 semantics where ICU differs: each pair is a pattern and strings it must
    /// (true) or must not (false) match.
    @Test(arguments: [
        ("^[a-z]+$", "abc", true), ("^[a-z]+$", "abc\n", false),
        ("^\\d+$", "123", true), ("^\\d+$", "\u{0663}", false),
        ("^\\w+$", "\u{00E9}", false), ("^.$", "\u{0085}", true), ("^.$", "\n", false),
        ("^[[:a]+$", "[:", true), ("^[[:a]+$", "b", false),
        ("^[a&&b]$", "&", true), ("^[a&&b]$", "c", false), ("^\\s$", "\u{FEFF}", true),
        ("\\bcat\\b", "a cat!", true), ("\\bcat\\b", "\u{00E9}cat", true), ("^[^]$", "\n", true), ("^[]$", "", false),
        ("^\\u{1F432}$", "\u{1F432}", true), ("^\\cJ$", "\n", true), ("^a{2,3}$", "aaa", true),
    ])
    func patternsFollowECMA262(pattern: String, text: String, matches: Bool) throws {
        let schema = JSONValue.object([("pattern", .string(pattern))])
        #expect(try Validator(schema: schema).validate(.string(text)).isEmpty == matches)
    }

    @Test(arguments: ["(?i)abc", "a++", "\\Qa\\E", "\\Aabc", "abc\\z", "x{2", "\\h", "(?#note)", "a{3,1}", "\\1a", "[\\1]", "[[:alpha:]]"])
    func icuOnlyPatternsAreRefused(pattern: String) {
        let schema = JSONValue.object([("pattern", .string(pattern))])
        #expect(throws: SchemaError.self) { _ = try Validator(schema: schema) }
    }

    @Test func unresolvedReferenceIsAnError() throws {
        let validator = try validator(#"{"$ref": "https://example.com/elsewhere.json"}"#)
        #expect(throws: SchemaError.self) { try validator.validate(.integer(1)) }
    }

    @Test func formatsAreAnnotationsUnlessAsserted() throws {
        var validator = try validator(#"{"format": "ipv4"}"#)
        #expect(try validator.validate(.string("999.1.1.1")).isEmpty)
        validator.assertFormats = true
        #expect(try validator.validate(.string("999.1.1.1")).first?.keyword == "format")
        #expect(try validator.validate(.string("10.0.0.1")).isEmpty)
    }

    @Test func selfReferenceIsBoundedByDepth() throws {
        var validator = try validator(##"{"$ref": "#"}"##)
        validator.maximumDepth = 64
        #expect(throws: SchemaError.self) { try validator.validate(.integer(1)) }
    }

    @Test func decimalMultiplesAreExact() throws {
        let validator = try validator(#"{"multipleOf": 0.01}"#)
        #expect(try validator.validate(.number(0.07)).isEmpty)
        #expect(!(try validator.validate(.number(0.075)).isEmpty))
    }
}

/// The native matcher against ICU (on the translated pattern) on every pattern both take:
/// the same verdict for every string.
@Suite struct SimplePatternTests {
    static let patterns = [
        "^[a-z0-9][a-z0-9_-]*$", "^[a-z][a-z-]*$", "abc", "^a*$", "^a+b?c{2,3}$", "x{0,2}y", "^.$", "^\\d+$", "\\w\\s\\d",
        "^[^a-c]+$", "[.]", "\\.", "^\\$", "^[A-Z]{2}-\\d{4}$", "a.c", "^$", "[-a]", "[a-]", "^[\\d\\s]+$", "b*?c",
        "^\u{1F432}*$", "^[\u{00E0}-\u{00FF}]+$",
    ]
    static let texts = [
        "", "a", "abc", "ABC", "aabcc", "aabccc", "aabcccc", "xyz", "y", "xxy", "123", "12a", "a b1", "\n", "a\nc", "abc\n", "é", "ü",
        "AB-1234", "AB-123", "a.c", "$", "\\", "0day", "two-year", "Two-year", "-", "ab", "\u{1F432}\u{1F432}", "١٢", " 1 ",
    ]

    @Test func agreesWithICU() throws {
        var checked = 0
        for pattern in Self.patterns {
            let native = try #require(SimplePattern(pattern), "\(pattern) should be native")
            let icu = try ECMARegex.compile(pattern)
            for text in Self.texts {
                let expected = icu.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
                #expect(native.matches(text) == expected, "\(pattern) on \(text.debugDescription)")
                checked += 1
            }
        }
        #expect(checked == Self.patterns.count * Self.texts.count)
    }

    @Test(arguments: ["(a|b)", "a{2,1}", "\\bx", "(?=a)", "\\1", "[^]", "a{,3}", "\\u0041", "^a|b$", "^\\\\$"])
    func othersAreLeftToICU(pattern: String) {
        #expect(SimplePattern(pattern) == nil)
    }
}
