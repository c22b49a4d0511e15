import Foundation
import Testing

/// No force unwrap or `try!` on the request path: the HTTP layer, the serving core, the JSON parser, the schema
/// validator's run and the Rego evaluator. A surprise there is a crash of every request in
/// flight, not one refused request. Constant header names (`Self("X-Request-Id")!`, checked
/// once at start) are the one allowed form.
@Suite struct RequestPathHygieneTests {
    static let root = TestServer.root
    static let folders = ["Sources/WardenServer", "Sources/WardenServing", "Sources/WardenJSON", "Sources/WardenPolicy/Eval"]
    static let files = [
        "Sources/WardenSchema/ValidationRun.swift", "Sources/WardenSchema/ValidationRun+Assertions.swift",
        "Sources/WardenSchema/ValidationRun+Applicators.swift",
    ]

    static func sources() throws -> [URL] {
        var urls = files.map { root.appendingPathComponent($0) }
        for folder in folders {
            let enumerator = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                if url.pathExtension == "swift" { urls.append(url) }
            }
        }
        return urls
    }

    @Test func noForceUnwrapOrTryBang() throws {
        let forced = try Regex(#"\w!(\.|\)|,| |\]|$)|\)!(\.|\)|,| |$)|\]!(\.|\)|,| |$)|try!"#)
        let constantHeaderName = try Regex(#"static let \w+ = (Self|HTTPField\.Name)\("[A-Za-z-]+"\)!$"#)
        var offenders: [String] = []
        for url in try Self.sources() {
            let text = try String(contentsOf: url, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                guard !code.hasPrefix("//"), code.contains(forced), !code.contains(constantHeaderName) else { continue }
                offenders.append("\(url.lastPathComponent):\(number + 1): \(code)")
            }
        }
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
        #expect(try Self.sources().count > 100)
    }
}
