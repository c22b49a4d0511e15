import Testing

@testable import WardenONNX

/// Case folding and stopwords as glibc and C++ string comparison give them in ONNX Runtime.
@Suite struct StringNormalizerTests {
    @Test func caseChangesUseTheSimpleOneToOneMappings() {
        #expect(ScalarCase.uppercased("straße") == "STRAßE")  // full mapping "SS" is two scalars
        #expect(ScalarCase.uppercased("ᾳ") == "ᾼ")  // the titlecase form, as towupper gives
        #expect(ScalarCase.lowercased("İSTANBUL") == "istanbul")
        #expect(ScalarCase.uppercased("ǆ") == "Ǆ")
    }

    @Test func stopwordsMatchByBytesNotByCanonicalEquivalence() throws {
        let normalizer = StringNormalizer(caseChange: .none, caseSensitive: true, stopwords: [ExactText("\u{E9}")])
        let inputs = KernelInputs(values: [], node: "test")
        let output = try normalizer.run(.string(["e\u{301}", "\u{E9}", "x"], shape: [3]), inputs)
        #expect(output.storage == .string(["e\u{301}", "x"]))
        #expect(ExactText("e\u{301}") != ExactText("\u{E9}"))
    }

    @Test func emptyInputFailsTheRequestAsInORT() {
        let normalizer = StringNormalizer(caseChange: .lower, caseSensitive: false, stopwords: [])
        #expect(throws: InferenceError.self) {
            try normalizer.run(.string([], shape: [1, 0]), KernelInputs(values: [], node: "test"))
        }
    }
}
