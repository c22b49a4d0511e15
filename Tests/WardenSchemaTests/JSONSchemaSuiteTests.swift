import Foundation
import Testing
import WardenJSON
import WardenSchema

/// Every case of the official JSON-Schema-Test-Suite for draft 2020-12 (the core folder;
/// `http://localhost:1234/` is mapped to its `remotes/`). Cases that do not pass are listed,
/// each with its reason, in suite-exceptions.json; any other failure fails the test.
@Suite struct JSONSchemaSuiteTests {
    static let suite: URL = {
        if let path = ProcessInfo.processInfo.environment["WARDEN_SHARED_SUITES"] {
            return URL(fileURLWithPath: path).appendingPathComponent("json-schema-test-suite")
        }
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.deletingLastPathComponent().appendingPathComponent("shared/suites/json-schema-test-suite")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "/work/shared/suites/json-schema-test-suite")
    }()

    static func json(_ url: URL) throws -> JSONValue { try JSONParser.parse([UInt8](try Data(contentsOf: url))) }

    static let remotes: [(String, JSONValue)] = {
        let root = suite.appendingPathComponent("remotes")
        let files = (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".json") }
        return files.compactMap { file in (try? json(root.appendingPathComponent(file))).map { ("http://localhost:1234/" + file, $0) } }
    }()

    static let exceptions: [String: String] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("suite-exceptions.json")
        guard case let .object(members)? = try? json(url) else { return [:] }
        return Dictionary(members.compactMap { member in if case let .string(reason) = member.value { (member.key, reason) } else { nil } })
        { a, _ in a }
    }()

    @Test func draft2020_12CoreSuite() throws {
        let folder = Self.suite.appendingPathComponent("draft2020-12")
        guard FileManager.default.fileExists(atPath: folder.path) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("the JSON Schema test suite is missing") }
            return
        }
        // The core folder, plus the optional files on ECMA-262 regular expressions, which contracts rely on.
        let files =
            try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
            + ["optional/ecmascript-regex.json", "optional/non-bmp-regex.json"]
        var passed = 0
        var failed: [String] = []
        var excepted = 0
        for file in files {
            guard case let .array(groups) = try Self.json(folder.appendingPathComponent(file)) else { continue }
            for group in groups {
                guard case let .string(groupName)? = group["description"], let schema = group["schema"],
                    case let .array(tests)? = group["tests"]
                else { continue }
                let registry = SchemaRegistry()
                for (uri, document) in Self.remotes { try? registry.add(document, uri: uri) }
                let validator = Result { () throws(SchemaError) in
                    try Validator(schema: schema, uri: "urn:suite:\(file)", registry: registry)
                }
                for test in tests {
                    guard case let .string(name)? = test["description"], let data = test["data"], case let .bool(valid)? = test["valid"]
                    else { continue }
                    let id = "\(file): \(groupName): \(name)"
                    let outcome = validator.flatMap { validator in Result { () throws(SchemaError) in try validator.validate(data).isEmpty }
                    }
                    let ok = (try? outcome.get()) == valid
                    if ok {
                        passed += 1
                    } else if Self.exceptions[id] != nil {
                        excepted += 1
                    } else {
                        failed.append(id)
                    }
                }
            }
        }
        print(
            "JSON Schema Test Suite draft2020-12 (core + ECMA-262 regex): \(passed) passed, \(failed.count) failed, \(excepted) listed exceptions"
        )
        for id in failed.prefix(200) { print("  FAIL \(id)") }
        #expect(failed.isEmpty, "\(failed.count) suite cases fail and are not listed in suite-exceptions.json")
        #expect(Self.exceptions.count <= 40)
    }
}
