import Foundation
import Testing
import WardenPolicy
import Yams

/// Runs the Rego case corpus in tests/policy/cases (OPA's YAML test-case format; every
/// expected answer was produced by the real OPA, and tests/policy/test_oracle_selfcheck.py
/// re-checks them against OPA in CI). Warden's answer must equal OPA's.
@Suite struct OPACaseTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let file: String
        let note: String
        let modules: [String]
        let data: Value
        let input: Value?
        let query: String
        let wantResult: [Value]?
        let wantErrorCode: String?
        /// v0 regression cases: an answer that must not come out (the fail-open reading).
        let forbidResult: [Value]?
        let strict: Bool
        let v0: Bool

        var testDescription: String { "\(file): \(note)" }
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tests/policy/cases")

    static let cases: [Case] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.filter { $0.hasSuffix(".yaml") }.sorted() ?? []
        return files.flatMap { file -> [Case] in
            guard let text = try? String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8),
                let root = (try? Yams.compose(yaml: text)) ?? nil, let items = root["cases"]?.sequence
            else { return [] }
            return items.map { item in
                func list(_ key: String) -> [Value]? {
                    guard case let .array(values)? = item[key].map(nodeValue) else { return nil }
                    return values
                }
                return Case(
                    file: file, note: item["note"]?.string ?? "?", modules: item["modules"]?.sequence?.compactMap(\.string) ?? [],
                    data: item["data"].map(nodeValue) ?? .object([]), input: item["input"].map(nodeValue),
                    query: item["query"]?.string ?? "",
                    wantResult: list("want_result"), wantErrorCode: item["want_error_code"]?.string, forbidResult: list("forbid_result"),
                    strict: item["strict_error"]?.bool ?? false, v0: item["v0_compatible"]?.bool ?? false)
            }
        }
    }()

    /// A YAML node as a Rego value: plain integers of any size stay numbers (Yams' Int would
    /// turn 2^64 into a string), quoted scalars stay strings.
    static func nodeValue(_ node: Node) -> Value {
        switch node {
        case let .scalar(scalar):
            guard scalar.style == .plain else { return .string(scalar.string) }
            let text = scalar.string
            if ["null", "Null", "NULL", "~", ""].contains(text) { return .null }
            if let flag = node.bool { return .bool(flag) }
            if text.range(of: "^[-+]?[0-9]+$", options: .regularExpression) != nil, let integer = Number(integerText: text) {
                return .number(integer)
            }
            if let double = node.float { return .double(double) }
            return .string(text)
        case let .mapping(mapping):
            return .makeObject(mapping.map { (key: Value.string($0.key.string ?? ""), value: nodeValue($0.value)) })
        case let .sequence(sequence):
            return .array(sequence.map(nodeValue))
        case let .alias(alias):
            return .string("\(alias)")
        }
    }

    /// Notes of cases where Warden's answer differs from OPA's on purpose or for now, with why.
    static let knownDifferences: [String: String] = {
        let path = folder.deletingLastPathComponent().appendingPathComponent("known-differences.yaml").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let root = try? Yams.load(yaml: text) as? [String: Any],
            let entries = root["differences"] as? [String: String]
        else { return [:] }
        return entries
    }()

    @Test func corpusIsThere() {
        #expect(Self.cases.count >= 300, "tests/policy/cases holds \(Self.cases.count) cases")
        let notes = Set(Self.cases.map(\.note))
        for note in Self.knownDifferences.keys { #expect(notes.contains(note), "known difference \(note) is not in the corpus") }
        #expect(Self.knownDifferences.count <= 2, "the list of known differences may only shrink")
    }

    @Test(arguments: cases) func caseMatchesOPA(_ testCase: Case) throws {
        guard Self.knownDifferences[testCase.note] == nil else { return }
        var options = EvaluationOptions()
        options.strictBuiltinErrors = testCase.strict
        options.now = 1_767_225_600_000_000_000
        let outcome: Result<[Solution], PolicyError>
        do {
            let policy = try Policy(
                modules: testCase.modules.enumerated().map { ("module\($0.offset).rego", $0.element) }, syntax: testCase.v0 ? .v0 : .v1)
            outcome = .success(try policy.evaluate(query: testCase.query, input: testCase.input, data: testCase.data, options: options))
        } catch {
            outcome = .failure(error)
        }
        if let forbidden = testCase.forbidResult {
            if case let .success(solutions) = outcome {
                let got = solutions.map { Value.makeObject($0.bindings.map { (key: Value.string($0.key), value: $0.value) }) }
                #expect(got.map(Self.canonical).sorted() != forbidden.map(Self.canonical).sorted(), "fail-open answer produced")
            }
            return
        }
        switch (outcome, testCase.wantResult, testCase.wantErrorCode) {
        case let (.success(solutions), want?, _):
            // Result sets compare without order: bindings rendered as canonical JSON, sorted.
            let got = solutions.map { Value.makeObject($0.bindings.map { (key: Value.string($0.key), value: $0.value) }) }
                .map(Self.canonical).sorted()
            let expected = want.map(Self.canonical).sorted()
            #expect(got == expected, "query \(testCase.query)")
        case let (.failure(error), nil, code?):
            #expect(error.code.rawValue == code || Self.equivalentCodes[code]?.contains(error.code.rawValue) == true, "\(error)")
        case let (.success(solutions), nil, code?):
            Issue.record("expected error \(code), got \(solutions.count) solution(s)")
        case let (.failure(error), _, _):
            Issue.record("unexpected error: \(error)")
        default:
            Issue.record("case has neither want_result nor want_error_code")
        }
    }

    /// Codes Warden reports at evaluation where OPA's type checker reports at compile time.
    static let equivalentCodes: [String: Set<String>] = [
        "rego_type_error": ["eval_type_error", "rego_type_error"],
        "rego_compile_error": ["rego_compile_error", "rego_unsafe_var_error", "rego_parse_error", "rego_type_error"],
        "rego_unsafe_var_error": ["rego_unsafe_var_error", "rego_compile_error"],
    ]

    /// JSON text with numbers normalised (2.0 → 2: results compare by value) and keys sorted.
    static func canonical(_ value: Value) -> String { normalised(value).description }

    static func normalised(_ value: Value) -> Value {
        switch value {
        case let .number(n): return n.exactInteger != nil ? .number(n.withoutText) : .number(Number(n.doubleValue))
        case let .array(items): return .array(items.map(normalised))
        case let .set(items): return .makeSet(items.map(normalised))
        case let .object(pairs): return .makeObject(pairs.map { (key: normalised($0.key), value: normalised($0.value)) })
        default: return value
        }
    }
}
