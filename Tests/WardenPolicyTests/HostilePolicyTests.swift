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

    /// Depth 22 took 7 s and depth 24 19 s when each `[` was parsed twice; a linear parser
    /// reads depth 200 in milliseconds (the bound is loose for a loaded debug build).
    @Test(arguments: [22, 24, 200])
    func nestedArrayLiteralsParseInLinearTime(_ depth: Int) throws {
        let text = Self.module(String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth))
        var policy: Policy?
        let elapsed = try Self.seconds { policy = try Policy(modules: [("deep.rego", text)]) }
        #expect(elapsed < 2, "parsing took \(elapsed) s")
        var expected = Value.number(Number(Int64(1)))
        for _ in 0..<depth { expected = .array([expected]) }
        #expect(try policy?.value(of: ["p", "x"], input: nil) == expected)
    }

    @Test func nestedComprehensionAttemptsStayLinear() throws {
        // Every level has a `|` whose comprehension body fails: each is tried once, then read as a union.
        let depth = 60
        let text = Self.module(String(repeating: "[{1} | ", count: depth) + "{2}" + String(repeating: ", 3]", count: depth))
        let elapsed = Self.seconds { _ = try? Policy(modules: [("bars.rego", text)]) }
        #expect(elapsed < 2, "parsing took \(elapsed) s")
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
}
