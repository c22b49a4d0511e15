import Foundation
import Testing
import WardenJSON
import WardenSchema

/// Every case of the official JSON-Schema-Test-Suite for drafts 2020-12, 2019-09 and 7 (the
/// core folders; `http://localhost:1234/` is mapped to its `remotes/`): no exceptions.
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

    /// Runs every case of `draft`'s folder (plus `extra` files); returns the failures.
    static func run(_ folderName: String, draft: Dialect.Draft, extra: [String] = []) throws -> (passed: Int, failed: [String])? {
        let folder = Self.suite.appendingPathComponent(folderName)
        guard FileManager.default.fileExists(atPath: folder.path) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("the JSON Schema test suite is missing") }
            return nil
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted() + extra
        var passed = 0
        var failed: [String] = []
        for file in files {
            guard case let .array(groups) = try Self.json(folder.appendingPathComponent(file)) else { continue }
            for group in groups {
                guard case let .string(groupName)? = group["description"], let schema = group["schema"],
                    case let .array(tests)? = group["tests"]
                else { continue }
                let registry = SchemaRegistry(defaultDraft: draft)
                for (uri, document) in Self.remotes { try? registry.add(document, uri: uri) }
                let validator = Result { () throws(SchemaError) in
                    try Validator(schema: schema, uri: "urn:suite:\(file)", registry: registry)
                }
                for test in tests {
                    guard case let .string(name)? = test["description"], let data = test["data"], case let .bool(valid)? = test["valid"]
                    else { continue }
                    let outcome = validator.flatMap { validator in Result { () throws(SchemaError) in try validator.validate(data).isEmpty }
                    }
                    if (try? outcome.get()) == valid {
                        passed += 1
                    } else {
                        var reason = ""
                        if case let .failure(error) = outcome { reason = " (\(error))" }
                        failed.append("\(file): \(groupName): \(name)\(reason)")
                    }
                }
            }
        }
        print("JSON Schema Test Suite \(folderName): \(passed) passed, \(failed.count) failed")
        for id in failed.prefix(200) { print("  FAIL \(id)") }
        return (passed, failed)
    }

    /// Each core folder, plus the optional files on ECMA-262 regular expressions, which contracts rely on.
    @Test(arguments: [("draft2020-12", Dialect.Draft.draft2020_12), ("draft2019-09", .draft2019_09), ("draft7", .draft7)])
    func coreSuite(folder: String, draft: Dialect.Draft) throws {
        guard let result = try Self.run(folder, draft: draft, extra: ["optional/ecmascript-regex.json", "optional/non-bmp-regex.json"])
        else { return }
        #expect(result.failed.isEmpty, "\(result.failed.count) suite cases fail")
    }
}
