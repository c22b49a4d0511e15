import Testing

@testable import WardenONNX

/// String keys in ai.onnx.ml operators match byte for byte, as ONNX Runtime's std::string
/// comparisons do: "é" (U+00E9) and "e" + combining acute (U+0301) are different categories,
/// though Swift's String equality calls them equal. The text differential fuzzer found this
/// in StringNormalizer and TfIdfVectorizer; the same lookups here had it too.
@Suite struct StringKeyMatchingTests {
    static let composed = "\u{E9}", decomposed = "e\u{301}"

    private func run(_ node: ONNXModelBuilder.Node, outputType: Int64) throws -> Value? {
        var builder = ONNXModelBuilder()
        builder.opsets = [("", 17), ("ai.onnx.ml", 3)]
        builder.inputs = [("x", 8, [2])]
        builder.outputs = [("y", outputType)]
        builder.nodes = [node]
        let session = try InferenceSession(modelBytes: builder.build())
        return try session.run(["x": .tensor(.string([Self.composed, Self.decomposed], shape: [2]))])["y"]
    }

    @Test func labelEncoderKeysMatchByBytes() throws {
        let node = ONNXModelBuilder.Node(
            op: "LabelEncoder", domain: "ai.onnx.ml", inputs: ["x"], outputs: ["y"],
            attributes: [
                ONNXModelBuilder.stringsAttribute("keys_strings", [Self.composed]),
                ONNXModelBuilder.intsAttribute("values_int64s", [7], packed: true),
                ONNXModelBuilder.intAttribute("default_int64", -1),
            ])
        #expect(try run(node, outputType: 7) == .tensor(.int64([7, -1], shape: [2])))
    }

    @Test func categoryMapperAndOneHotEncoderMatchByBytes() throws {
        let mapper = ONNXModelBuilder.Node(
            op: "CategoryMapper", domain: "ai.onnx.ml", inputs: ["x"], outputs: ["y"],
            attributes: [
                ONNXModelBuilder.stringsAttribute("cats_strings", [Self.composed]),
                ONNXModelBuilder.intsAttribute("cats_int64s", [3], packed: true),
            ])
        #expect(try run(mapper, outputType: 7) == .tensor(.int64([3, -1], shape: [2])))
        let encoder = ONNXModelBuilder.Node(
            op: "OneHotEncoder", domain: "ai.onnx.ml", inputs: ["x"], outputs: ["y"],
            attributes: [ONNXModelBuilder.stringsAttribute("cats_strings", [Self.composed, "b"])])
        #expect(try run(encoder, outputType: 1) == .tensor(.float([1, 0, 0, 0], shape: [2, 2])))
    }
}
