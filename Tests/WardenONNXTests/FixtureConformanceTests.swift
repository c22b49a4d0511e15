import Testing
import WardenJSON
import WardenONNX

/// Every committed model, run on every recorded case, must give ONNX Runtime's answers.
@Suite struct FixtureConformanceTests {
    @Test func fixturesArePresent() {
        #expect(Fixtures.modelNames.count >= 20)
    }

    @Test(arguments: Fixtures.modelNames)
    func matchesOnnxRuntime(_ name: String) throws {
        let session = try Fixtures.session(name)
        let document = try Fixtures.cases(name)
        guard case let .array(cases)? = document["cases"] else {
            Issue.record("\(name): no cases")
            return
        }
        for testCase in cases {
            let caseName = testCase["name"].flatMap { if case let .string(s) = $0 { s } else { nil } } ?? "?"
            var feeds: [String: Value] = [:]
            for input in session.inputs {
                let json = try #require(testCase["inputs"]?[input.name], "\(name)/\(caseName): no input \(input.name)")
                feeds[input.name] = try JSONTensorCoding.value(from: json, for: input)
            }
            if testCase["expect_error"] == .bool(true) {
                #expect(throws: (any Error).self) { try session.run(feeds) }
                continue
            }
            let results = try session.run(feeds)
            guard case let .object(expected)? = testCase["outputs"] else { continue }
            for (outputName, expectedValue) in expected {
                let actual = try #require(results[outputName], "\(name)/\(caseName): no output \(outputName)")
                let difference = OutputComparison.difference(JSONTensorCoding.json(actual), expectedValue)
                if KnownDifferences.isListed(fixture: name, case: caseName, output: outputName) {
                    #expect(difference != nil, "\(name)/\(caseName)/\(outputName) is listed in known-differences.json but now matches")
                } else if let difference {
                    Issue.record("\(name)/\(caseName)/\(outputName)\(difference)")
                }
            }
        }
    }
}
