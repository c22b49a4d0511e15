import Testing

@testable import WardenONNX

/// Requests are checked against the declared inputs before any kernel runs, and one session
/// serves concurrent requests with the same answers as sequential ones.
@Suite struct InferenceSessionTests {
    @Test func inputsAreCheckedAgainstTheirDeclaration() throws {
        let session = try Fixtures.session("pipeline_churn")
        var feeds: [String: Value] = [:]
        for input in session.inputs {
            switch input.kind {
            case .tensor(.string): feeds[input.name] = .tensor(.string(["one-year", "bank"], shape: [2, 1]))
            case .tensor(.int64): feeds[input.name] = .tensor(.int64([3, 4], shape: [2, 1]))
            default: feeds[input.name] = .tensor(.float([1.5, 2.5], shape: [2, 1]))
            }
        }
        _ = try session.run(feeds)

        var missing = feeds
        missing["age"] = nil
        #expect(throws: InferenceError.invalidInput(name: "age", reason: "is required but was not given")) { try session.run(missing) }

        var extra = feeds
        extra["secret"] = .tensor(.float([1], shape: [1, 1]))
        #expect(throws: InferenceError.invalidInput(name: "secret", reason: "the model has no such input")) { try session.run(extra) }

        var wrongType = feeds
        wrongType["age"] = .tensor(.double([1, 2], shape: [2, 1]))
        #expect(throws: InferenceError.invalidInput(name: "age", reason: "expected tensor(float), got tensor(double)")) {
            try session.run(wrongType)
        }

        var wrongRank = feeds
        wrongRank["age"] = .tensor(.float([1, 2], shape: [2]))
        #expect(throws: InferenceError.self) { try session.run(wrongRank) }

        var wrongDimension = feeds
        wrongDimension["age"] = .tensor(.float([1, 2, 3, 4], shape: [2, 2]))
        #expect(throws: InferenceError.invalidInput(name: "age", reason: "dimension 1 must be 1, got 2 (shape [2, 2])")) {
            try session.run(wrongDimension)
        }

        var lying = feeds
        lying["age"] = .tensor(Tensor(shape: [3, 1], storage: .float([1, 2])))
        #expect(throws: InferenceError.self) { try session.run(lying) }
    }

    @Test func unknownOutputIsRefused() throws {
        let session = try Fixtures.session("logreg_binary")
        #expect(throws: InferenceError.unknownOutput("nope")) {
            try session.run(["X": .tensor(.float(Array(repeating: 0, count: 8), shape: [1, 8]))], outputNames: ["nope"])
        }
    }

    @Test func concurrentRequestsGetTheSequentialAnswers() async throws {
        let session = try Fixtures.session("random_forest")
        let rows = (0..<64).map { r in (0..<8).map { Float((r * 7 + $0 * 13) % 50) } }
        let expected = try rows.map { try session.run(["X": .tensor(.float($0, shape: [1, 8]))]) }
        try await withThrowingTaskGroup(of: (Int, [String: Value]).self) { group in
            for round in 0..<8 {
                for (index, row) in rows.enumerated() {
                    group.addTask { (index, try session.run(["X": .tensor(.float(row, shape: [1, 8]))])) }
                    _ = round
                }
            }
            for try await (index, result) in group {
                #expect(result == expected[index])
            }
        }
    }
}
