import Testing
import WardenPolicy

/// Numbers as OPA keeps them (F16 of the adversarial review): exact decimals, arithmetic in a
/// 64-bit-mantissa float with the shortest decimal result, literals printed as written, and
/// OPA's range for literals. Every expected text here is what OPA v1.20.2 printed.
@Suite struct ExactNumberTests {
    static func printed(_ expression: String) throws -> String? {
        let policy = try Policy(modules: [("n.rego", "package n\n\nimport rego.v1\n\nx := json.marshal(\(expression))\n")])
        guard case let .string(text)? = try policy.value(of: ["n", "x"], input: nil) else { return nil }
        return text
    }

    @Test(arguments: [
        ("0.1 + 0.2", "0.3"), ("1 / 3", "0.33333333333333333334"), ("2 / 3 * 3", "2"), ("10 / 4", "2.5"),
        ("1e-20 * 10", "1.00000000000000000005e-19"), ("1e-400 * 10", "9.9999999999999999994e-400"),
        ("1000000.5 + 1", "1.0000015e+06"), ("100000.5 + 1", "100001.5"), ("0.00001 + 0", "1e-05"), ("0.0001 + 0", "0.0001"),
        ("1e30 + 0.5", "1000000000000000000000000000000"), ("1e20 / 7", "14285714285714285714"),
        ("1e19 / 7", "1.4285714285714285714e+18"), ("123456789012345678901234567890.5 + 0", "123456789012345678900000000000"),
        ("-0.5 * 0", "-0"), ("0 / -5", "-0"), ("0.0 * -1", "0"), ("1e30 + 1", "1000000000000000000000000000001"),
        ("1e30 % 7", "1"), ("7 % 2.0", "1"), ("-7 % 3", "-1"),
    ])
    func arithmeticAsOPA(_ expression: String, _ expected: String) throws {
        #expect(try Self.printed(expression) == expected)
    }

    @Test(arguments: [
        ("1.10", "1.10"), ("1E3", "1E3"), ("-0.0", "-0.0"), ("1e-400", "1e-400"), ("2.50", "2.50"),
        ("3.14159265358979323846264338327950288", "3.14159265358979323846264338327950288"),
        ("to_number(\"1.10\")", "1.10"), ("max([1.10, 1])", "1.10"), ("sort([1.10, 1, 0.5e1])", "[1,1.10,0.5e1]"),
    ])
    func literalsPrintAsWritten(_ expression: String, _ expected: String) throws {
        #expect(try Self.printed(expression) == expected)
    }

    @Test(arguments: [
        ("abs(-1.10)", "1.1"), ("round(-2.5)", "-3"), ("round(0.49999999999999999999)", "1"), ("ceil(-1.5)", "-1"),
        ("floor(-1.5)", "-2"), ("ceil(-0.5)", "1"), ("floor(-0.5)", "0"), ("ceil(1e-400)", "1"),
        ("floor(1e30)", "1000000000000000000024696061952"), ("abs(-123456789012345678901234567890)", "123456789012345678900000000000"),
        ("round(123456789012345678901234567890)", "123456789012345678899921813504"),
    ])
    func roundingAsOPA(_ expression: String, _ expected: String) throws {
        // OPA's ceil(-0.5) is 1 and floor(-0.5) is 0 (it truncates first); Warden answers as OPA.
        #expect(try Self.printed(expression) == expected)
    }

    @Test(arguments: [
        ("0.1000000000000000000001 > 0.1", "true"), ("1.0000000000000001 > 1", "true"), ("1e-400 > 0", "true"),
        ("1e-400 > 1e-401", "true"), ("1e400 > 1e399", "true"), ("1 / 3 == 0.33333333333333333334", "true"),
        ("1e-400 * 10 == 1e-399", "false"), ("1e30 == 1000000000000000000000000000001", "false"), ("0.1 == 0.10", "true"),
        ("count({0.1000000000000000000001, 0.1})", "2"), ("count({1.0, 1})", "1"), ("{1.0: 2}[1]", "2"),
    ])
    func comparisonsAreExact(_ expression: String, _ expected: String) throws {
        #expect(try Self.printed(expression) == expected)
    }

    @Test func literalsBeyondOPAsRangeAreParseErrors() throws {
        #expect(try Self.printed("1e30102 > 0") == "true")
        #expect(try Self.printed("1e-30103 > 0") == "true")
        for text in ["1e30103", "1e-30104", "1e999999999999"] {
            #expect {
                _ = try Self.printed("\(text) > 0")
            } throws: { error in
                "\(error)".contains("out of range")
            }
        }
    }

    @Test func integersTooWideForTheBoundAreLimitErrors() throws {
        var options = EvaluationOptions()
        options.strictBuiltinErrors = true
        let policy = try Policy(modules: [("w.rego", "package w\n\nx := 1e30000 + 1\n")])
        #expect {
            _ = try policy.value(of: ["w", "x"], input: nil, options: options)
        } throws: { error in
            "\(error)".contains("wider")
        }
    }

    /// Converting 1e-30000 for arithmetic took a division of 100,000-bit integers (0.7 s per
    /// operation in a debug build, uninterruptible): such arithmetic is a limit error at once,
    /// while comparing and printing those numbers stay exact and cheap.
    @Test func arithmeticFarBeyondADoubleIsALimitErrorNotSeconds() throws {
        var options = EvaluationOptions()
        options.strictBuiltinErrors = true
        let policy = try Policy(modules: [
            ("far.rego", "package far\n\nx := to_number(\"1.5e-30000\") + 1\ny := 1e-30000 < 1e-29999\nz := 1e2500 * 1e-2500\n")
        ])
        #expect {
            _ = try policy.value(of: ["far", "x"], input: nil, options: options)
        } throws: { error in
            "\(error)".contains("beyond 10^±2500")
        }
        #expect(try policy.value(of: ["far", "y"], input: nil, options: options) == .bool(true))
        #expect(try Self.printed("1e2500 * 1e-2500") == "0.99999999999999999995")  // as OPA prints it
    }
}
