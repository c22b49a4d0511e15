import Testing

@testable import WardenJSON

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONParser.parse(#"{"a": [1, -2, 3.5, 1e3, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {}}"#)
        #expect(
            value["a"]
                == .array([.integer(1), .integer(-2), .number(3.5), .number(1000), .bool(true), .bool(false), .null, .string("x\né😀")]))
        #expect(value["b"] == .object([]))
    }

    @Test func integersStayExact() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .integer(.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .integer(.min))
        // One past Int64's range is still a number, as a Double.
        #expect(try JSONParser.parse("9223372036854775808") == .number(9.223372036854775808e18))
    }

    @Test func memberOrderIsKept() throws {
        guard case let .object(members) = try JSONParser.parse(#"{"z": 1, "a": 2, "m": 3}"#) else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["z", "a", "m"])
    }

    @Test(arguments: [
        "", "   ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "+1", "NaN", "Infinity", "tru", "nul",
        "\"unterminated", "\"bad escape \\q\"", "\"\\ud800\"", "\"\\udc00x\"", "[1 2]", "{\"a\" 1}", "{1: 2}", "1e400",
        "\"\u{01}\"", "[] []", "{\"a\":1,\"a\":2}",
    ])
    func refusesMalformedInput(_ text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(text) }
    }

    /// Duplicates are found by a scan while an object is small and by a set once it is not: both
    /// sides of the switch, and a duplicate of a member read before it.
    @Test(arguments: [2, 15, 16, 17, 40])
    func refusesADuplicateMemberInAnObjectOfAnySize(_ size: Int) throws {
        let members = (0..<size).map { "\"k\($0)\": \($0)" }
        let object = try JSONParser.parse("{" + members.joined(separator: ",") + "}")
        #expect(object["k\(size - 1)"] == .integer(Int64(size - 1)))
        for repeated in [0, size / 2, size - 1] {
            #expect(throws: JSONParser.SyntaxError.self) {
                try JSONParser.parse("{" + (members + ["\"k\(repeated)\": 0"]).joined(separator: ",") + "}")
            }
        }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func enforcesItsLimits() throws {
        var limits = JSONParser.Limits()
        limits.maxDepth = 3
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse("[[[[1]]]]", limits: limits) }
        #expect(try JSONParser.parse("[[[1]]]", limits: limits) == .array([.array([.array([.integer(1)])])]))
        limits = JSONParser.Limits()
        limits.maxStringBytes = 4
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse("\"12345\"", limits: limits) }
        limits = JSONParser.Limits()
        limits.maxBytes = 8
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse("[1,2,3,4,5]", limits: limits) }
        limits = JSONParser.Limits()
        limits.maxMembers = 3
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse("[1,2,3,4]", limits: limits) }
    }

    @Test func deepNestingFailsCleanlyAtTheDefaultLimit() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(deep) }
    }

    @Test func errorsNameOffsetsNotContent() {
        do {
            _ = try JSONParser.parse(#"{"secret_marker": tru}"#)
            Issue.record("parsed")
        } catch let error as JSONParser.SyntaxError {
            #expect(!error.description.contains("secret_marker"))
            #expect(error.offset == 18)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func serialisationRoundTrips() throws {
        let text = #"{"a":[1,-2.5,1e-7,"q\"\\\u0001",true,null],"b":{"c":[]}}"#
        let value = try JSONParser.parse(text)
        #expect(try JSONParser.parse(value.serialized()) == value)
    }
}

/// Triton's NaN and Infinity tokens: read only where a parser asks for them (inference
/// bodies), written only where a writer asks (inference answers).
@Suite struct NonFiniteNumberTests {
    static let lenient: JSONParser.Limits = {
        var limits = JSONParser.Limits()
        limits.allowsNonFiniteNumbers = true
        return limits
    }()

    @Test func tokensTritonReadsAreNumbers() throws {
        let value = try JSONParser.parse("[NaN, -NaN, Inf, -Inf, Infinity, -Infinity, 1.5]", limits: Self.lenient)
        guard case let .array(items) = value else { Issue.record("not an array"); return }
        let numbers = items.map { item -> Double in
            guard case let .number(d) = item else { return 0 }
            return d
        }
        #expect(numbers[0].isNaN && numbers[1].isNaN)
        #expect(numbers[2...5] == [.infinity, -.infinity, .infinity, -.infinity])
        #expect(numbers[6] == 1.5)
    }

    @Test(arguments: ["[NaN]", "[Infinity]", "[-Infinity]", "[Inf]"])
    func strictJSONStillRefusesThem(_ text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(text) }
    }

    @Test(arguments: ["[nan]", "[NAN]", "[Infinit]", "[Infinityy]", "[-N]", "[--Inf]", "[Na]", "[infinity]", "[+Inf]"])
    func misspeltTokensAreRefused(_ text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(text, limits: Self.lenient) }
    }

    @Test func writerSpellsThemAsTritonDoes() {
        var triton = JSONWriter(writesNonFiniteTokens: true)
        triton.array([Float.nan, .infinity, -.infinity, 2]) { $0.number($1) }
        #expect(String(decoding: triton.bytes, as: UTF8.self) == "[NaN,Infinity,-Infinity,2.0]")
        var strict = JSONWriter()
        strict.array([Double.nan, .infinity]) { $0.number($1) }
        #expect(String(decoding: strict.bytes, as: UTF8.self) == "[null,null]")
    }
}
