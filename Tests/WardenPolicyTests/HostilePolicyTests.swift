import Foundation
import Testing
import WardenPolicy

/// What an adversarial review fed the Rego engine: nested literals that made the parser
/// exponential, and nesting or operator chains deep enough to overflow a stack. Each must
/// now be answered at once, with a parse error or the right value, never a hang or a crash.
@Suite struct HostilePolicyTests {
    static func module(_ body: String) -> String { "package p\n\nx := \(body)\n" }

    static func seconds(_ work: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try work()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Depth 22 took 7 s and depth 24 19 s when each `[` was parsed twice, so depth 32 would
    /// take half an hour; a linear parser reads depth 200 in milliseconds. The 10 s bound only
    /// tells linear from exponential, so a loaded debug build cannot trip it.
    @Test(arguments: [22, 32, 200])
    func nestedArrayLiteralsParseInLinearTime(_ depth: Int) throws {
        let text = Self.module(String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth))
        var policy: Policy?
        let elapsed = try Self.seconds { policy = try Policy(modules: [("deep.rego", text)]) }
        #expect(elapsed < 10, "parsing took \(elapsed) s")
        var expected = Value.number(Number(Int64(1)))
        for _ in 0..<depth { expected = .array([expected]) }
        #expect(try policy?.value(of: ["p", "x"], input: nil) == expected)
    }

    @Test func nestedComprehensionAttemptsStayLinear() throws {
        // Every level has a `|` whose comprehension body fails: each is tried once, then read as a union.
        let depth = 60
        let text = Self.module(String(repeating: "[{1} | ", count: depth) + "{2}" + String(repeating: ", 3]", count: depth))
        let elapsed = Self.seconds { _ = try? Policy(modules: [("bars.rego", text)]) }
        #expect(elapsed < 10, "parsing took \(elapsed) s")
    }

    @Test(arguments: ["(", "[", "{"])
    func deepNestingIsAParseErrorNotACrash(_ bracket: String) {
        let closing = ["(": ")", "[": "]", "{": "}"][bracket]!
        let text = Self.module(String(repeating: bracket, count: 3_000) + "1" + String(repeating: closing, count: 3_000))
        #expect {
            try Policy(modules: [("deep.rego", text)])
        } throws: { error in
            "\(error)".contains("nest deeper than 256")
        }
    }

    @Test func deepCallsAndNotsAreBounded() {
        let calls = Self.module(String(repeating: "abs(", count: 3_000) + "1" + String(repeating: ")", count: 3_000))
        #expect(throws: PolicyError.self) { try Policy(modules: [("calls.rego", calls)]) }
        let nots = "package p\n\nx if {\n" + String(repeating: "not ", count: 3_000) + "false\n}\n"
        #expect(throws: PolicyError.self) { try Policy(modules: [("nots.rego", nots)]) }
        let minus = Self.module(String(repeating: "-", count: 3_000) + "1")
        #expect(throws: PolicyError.self) { try Policy(modules: [("minus.rego", minus)]) }
    }

    @Test func aTenThousandTermSumIsRefused() {
        let text = Self.module(Array(repeating: "1", count: 10_000).joined(separator: " + "))
        #expect {
            try Policy(modules: [("sum.rego", text)])
        } throws: { error in
            "\(error)".contains("chained operators")
        }
    }

    /// The longest chain the bound allows evaluates, on a cooperative-pool thread (where the
    /// request policy runs) as well as here.
    @Test func theLongestAllowedChainEvaluatesOnATask() async throws {
        let text = Self.module(Array(repeating: "1", count: 250).joined(separator: " + "))
        let policy = try Policy(modules: [("sum.rego", text)])
        let value = try await Task.detached { try policy.value(of: ["p", "x"], input: nil) }.value
        #expect(value == .number(Number(Int64(250))))
    }

    @Test func unionsInsideArraysReadAsBefore() throws {
        let policy = try Policy(modules: [
            (
                "union.rego",
                "package p\n\nx := [{1} | {2}, 3]\ny := [a | a := [1, 2][_]]\nz := [1 in {1} | {2}]\n"
            )
        ])
        // No body parses after `|` (the `, 3`), so it is the union {1} | {2}, as OPA reads it.
        #expect(
            try policy.value(of: ["p", "x"], input: nil)
                == .array([.set([.number(Number(Int64(1))), .number(Number(Int64(2)))]), .number(Number(Int64(3)))]))
        #expect(try policy.value(of: ["p", "y"], input: nil) == .array([.number(Number(Int64(1))), .number(Number(Int64(2)))]))
        #expect(try policy.value(of: ["p", "z"], input: nil) == .array([.bool(true)]))
    }

    // MARK: Builtins bounded (F11) and numbers as OPA keeps them (F16)

    static func evaluate(_ body: String, query: String = "x", timeout: Duration = .seconds(10)) throws -> Value? {
        var options = EvaluationOptions()
        options.timeout = timeout
        let policy = try Policy(modules: [("b.rego", "package p\n\nimport rego.v1\n\n" + body + "\n")])
        return try policy.value(of: ["p", query], input: nil, options: options)
    }

    /// ICU backtracked for 22 s on thirty `a`s, so forty would take hours; Go's RE2 (and now
    /// Warden) answers in linear time. The bound only tells the two apart.
    @Test func catastrophicPatternsAnswerAtOnce() throws {
        let text = String(repeating: "a", count: 40) + "b"
        var answers: [Value?] = []
        let elapsed = try Self.seconds {
            answers.append(try Self.evaluate("x := regex.match(`(a+)+$`, \"\(text)\")"))
            answers.append(
                try Self.evaluate("x := glob.match(\"*a*a*a*a*a*a*a*a*a*a*a*b*c\", [], \"\(String(repeating: "a", count: 200))\")"))
        }
        #expect(answers == [.bool(false), .bool(false)])
        #expect(elapsed < 10, "\(elapsed) s")
    }

    @Test func hugeWidthsAreRefusedAsGoRefusesThem() throws {
        #expect(try Self.evaluate(#"x := sprintf("%999999999d", [1])"#) == .string("%!(NOVERB)%!(EXTRA int64=1)"))
        // RegoFuzzer: a width of a hundred digits overflowed the width counter itself (a trap).
        #expect(
            try Self.evaluate("x := sprintf(\"%\(String(repeating: "8", count: 100))d\", [1])") == .string("%!(NOVERB)%!(EXTRA int64=1)"))
        #expect(throws: PolicyError.self) { try Self.evaluate(#"x := sprintf("%9999999d", [1])"#) }  // 10 MB of padding
    }

    @Test func growingStringsAndIntegersHitABoundNotTheMemory() {
        let replaceChain = (0..<11).reduce("\"a\"") { inner, _ in "replace(\(inner), \"a\", \"aaaaaaaaaa\")" }
        #expect { try Self.evaluate("x := \(replaceChain)") } throws: {
            ($0 as? PolicyError)?.description.contains("eval_limit_error") == true || "\($0)".contains("longer than")
        }
        let squares = (0..<14).reduce("3") { inner, _ in "sq(\(inner))" }
        #expect { try Self.evaluate("sq(n) := n * n\nx := \(squares)") } throws: { "\($0)".contains("wider than 8192 bits") }
    }

    /// A complete graph of 15 nodes has about 10^11 simple paths from one node: the walk stops
    /// at the evaluation's deadline with a limit error, not hours later.
    @Test func reachablePathsOfADenseGraphStopAtTheDeadline() throws {
        let body = """
            x := count(graph.reachable_paths(g, ["n0"])) if {
            	ns := [sprintf("n%d", [i]) | some i in numbers.range(0, 14)]
            	g := {n: ns | some n in ns}
            }
            """
        let elapsed = try Self.seconds {
            #expect { try Self.evaluate(body, timeout: .milliseconds(300)) } throws: { "\($0)".contains("eval_limit_error") }
        }
        #expect(elapsed < 5, "\(elapsed) s")
    }

    @Test func numbersBeyondADoubleStayExact() throws {
        #expect(try Self.evaluate("x := 1e400 > 1") == .bool(true))
        #expect(try Self.evaluate("x := 2e3 == 2000") == .bool(true))
        #expect(try Self.evaluate("x := 1.5e-400 > 0") == .bool(true))  // exact, as OPA keeps it
        #expect(throws: PolicyError.self) { try Self.evaluate("x := 1.5e-40000") }  // past OPA's range
        let product = try Self.evaluate("x := 12345678901234567890 * 98765432109876543210")
        #expect(product?.json.serialized() == "1219326311370217952237463801111263526900")
    }

    /// RegoFuzzer's first finding: a year past 2262 overflowed the nanosecond count (a trap).
    @Test func timesOutsideTheNanosecondRangeAreUndefined() throws {
        #expect(try Self.evaluate(#"x := time.parse_ns("2006-01-05", "4351-03-41")"#) == nil)
        #expect(try Self.evaluate(#"x := time.parse_ns("2006-01-02", "2024-03-01")"#) != nil)
        #expect(try Self.evaluate(#"x := time.parse_rfc3339_ns("9818-01-02T03:04:05Z")"#) == nil)
        #expect(try Self.evaluate(#"x := time.add_date(0, 9000, 0, 0)"#) == nil)
        #expect(try Self.evaluate(#"x := time.add_date(0, 99999999999, 0, 0)"#) == nil)
    }

    /// RegoFuzzer: dividing big integers went through Foundation's Decimal, whose initialiser
    /// traps on a double beyond its range.
    @Test func bigQuotientsDoNotTrap() throws {
        let big = String(repeating: "2", count: 60)
        let quotient = try Self.evaluate("x := \(big) * \(big) / 3")
        guard case let .number(n)? = quotient else { Issue.record("no number"); return }
        #expect(n.doubleValue > 1e118)
        #expect(try Self.evaluate("x := 0.1 + 0.2 == 0.3") == .bool(true))
    }
}
