import Foundation
import Testing

@testable import WardenPolicy

/// Every builtin of OPA v1.20.2's capabilities (tests/policy/opa-v1.20.2-builtins.json, the
/// names and arities of OPA's capabilities/v1.20.2.json) is either offered, with OPA's arity,
/// or refused with a reason that docs/policy.md also gives.
@Suite struct BuiltinCoverageTests {
    struct Entry: Decodable {
        let name: String
        let arity: Int
        let infix: String?
        let variadic: Bool?
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let capabilities: [Entry] = {
        let url = root.appendingPathComponent("tests/policy/opa-v1.20.2-builtins.json")
        return (try? JSONDecoder().decode([Entry].self, from: Data(contentsOf: url))) ?? []
    }()

    /// Relations and calls the evaluator handles itself rather than through the builtin table.
    static let evaluatorBuiltins: Set<String> = ["print", "walk"]

    @Test func everyOPABuiltinIsOfferedOrRefusedWithAReason() throws {
        #expect(Self.capabilities.count == 206)
        var offered = 0
        for entry in Self.capabilities where entry.infix == nil {
            if let builtin = Builtins.table[entry.name] {
                offered += 1
                #expect(
                    builtin.arity == nil || builtin.arity == entry.arity,
                    "\(entry.name): arity \(String(describing: builtin.arity)), OPA's \(entry.arity)")
                #expect(Builtins.notOffered[entry.name] == nil, "\(entry.name) is both offered and refused")
            } else if Self.evaluatorBuiltins.contains(entry.name) {
                offered += 1
            } else {
                #expect(Builtins.notOffered[entry.name] != nil, "\(entry.name) is neither offered nor refused with a reason")
            }
        }
        print("OPA v1.20.2 builtins (not infix): \(offered) offered, \(Builtins.notOffered.count) refused with a reason")
        let names = Set(Self.capabilities.map(\.name))
        for name in Builtins.notOffered.keys { #expect(names.contains(name), "\(name) is not an OPA builtin") }
    }

    @Test func docsListEveryBuiltinNotOffered() throws {
        let docs = try String(contentsOf: Self.root.appendingPathComponent("docs/policy.md"), encoding: .utf8)
        for name in Builtins.notOffered.keys { #expect(docs.contains("`\(name)`"), "docs/policy.md does not list \(name)") }
    }

    @Test func aRefusedBuiltinSaysWhy() throws {
        let policy = try Policy(modules: [("p.rego", "package p\n\nr := http.send({\"method\": \"get\", \"url\": \"http://x\"})\n")])
        #expect {
            _ = try policy.evaluate(query: "data.p.r", input: nil)
        } throws: { error in
            "\(error)".contains("http.send is not offered by Warden: policies are evaluated offline")
        }
    }
}
