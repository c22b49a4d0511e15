import Testing
import WardenPolicy

/// Text that OPA reads in a way that allows what its author denied. Warden refuses it instead
/// of agreeing with OPA (tests/policy/test_rego_fuzz.py, known gap 14) or silently disagreeing.
@Suite struct FailOpenReadingTests {
    /// OPA v1.20.2 answers true for each: the braces after `if` are read as one set
    /// comprehension, a value that always holds, with the rest of the body as its condition.
    @Test(arguments: [
        "allow if { input.a | false }",
        "allow if {\n  {1} | {2}\n  false\n}",
        "allow if { (input.a) | input.b = x; false }",
    ])
    func aBodyThatReadsAsAComprehensionIsRefused(_ rule: String) {
        #expect {
            _ = try Policy(modules: [("p.rego", "package p\n\n\(rule)\n")])
        } throws: { error in
            "\(error)".contains("rego_parse_error") && "\(error)".contains("set comprehension")
        }
    }

    /// A parenthesised union is a plain statement to OPA too, and so is one after the first.
    @Test func aParenthesisedOrLaterUnionIsAStatement() throws {
        let policy = try Policy(modules: [
            ("p.rego", "package p\n\nunion_first if { ({1} | {2}) == {1, 2} }\nunion_later if { true; {1} | {2} == {1, 2} }\n")
        ])
        #expect(try policy.value(of: ["p", "union_first"], input: nil) == .bool(true))
        #expect(try policy.value(of: ["p", "union_later"], input: nil) == .bool(true))
    }
}
