import Testing

@testable import WardenONNX

/// Tokenizer semantics that ONNX Runtime's kernel defines and the fixtures pin further.
@Suite struct TokenizerTests {
    private func tokenizer(_ splitting: Tokenizer.Splitting, mark: Bool = false, minimum: Int = 1) -> Tokenizer {
        Tokenizer(splitting: splitting, mark: mark, padValue: "#", minimumCharacters: minimum)
    }

    @Test func separatorsApplyOneAfterAnother() throws {
        let splitter = tokenizer(.separators([try TextPattern(" "), try TextPattern("[.]")]))
        #expect(splitter.tokens(of: "a.b c..d ") == ["a", "b", "c", "d"])
    }

    @Test func shortTokensAreDropped() throws {
        let splitter = tokenizer(.separators([try TextPattern(" ")]), minimum: 2)
        #expect(splitter.tokens(of: "a bb ccc") == ["bb", "ccc"])
        let expression = tokenizer(.expression(try TextPattern("[a-z]+")), minimum: 2)
        #expect(expression.tokens(of: "a bb ccc") == ["bb", "ccc"])
    }

    @Test func characterTokenizationSplitsScalars() {
        #expect(tokenizer(.characters).tokens(of: "aé中") == ["a", "é", "中"])
    }

    @Test func rowsArePaddedAfterTheEndMark() throws {
        let splitter = tokenizer(.expression(try TextPattern("[a-z]+")), mark: true)
        let inputs = KernelInputs(values: [], node: "test")
        let output = try splitter.run(.string(["ab cd", "x"], shape: [2]), inputs)
        #expect(output.shape == [2, 4])
        #expect(output.storage == .string(["\u{2}", "ab", "cd", "\u{3}", "\u{2}", "x", "\u{3}", "#"]))
    }

    @Test func noTokensAnywhereGivesAnEmptyLastAxis() throws {
        let splitter = tokenizer(.expression(try TextPattern("[a-z]+")), mark: true)
        let output = try splitter.run(.string(["", "12"], shape: [1, 2]), KernelInputs(values: [], node: "test"))
        #expect(output.shape == [1, 2, 0])
    }
}
