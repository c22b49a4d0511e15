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
