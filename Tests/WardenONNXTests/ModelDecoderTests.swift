import Testing

@testable import WardenONNX

/// The decoder refuses anything malformed or over a limit with a precise error, never a crash,
/// and accepts every legal encoding real producers emit.
@Suite struct ModelDecoderTests {
    /// Y = X + W with W an initializer: the smallest model with a graph, inputs and data.
    static func addModel(raw: Bool = false) -> ONNXModelBuilder {
        var builder = ONNXModelBuilder()
        builder.inputs = [("X", 1, [nil, 3])]
        builder.outputs = [("Y", 1)]
        builder.nodes = [.init(op: "Add", inputs: ["X", "W"], outputs: ["Y"])]
        builder.initializers = [ONNXModelBuilder.floatInitializer("W", dims: [3], values: [1, 2, 3], raw: raw)]
        return builder
    }

    static func run(_ bytes: [UInt8], _ x: [Float]) throws -> [Float] {
        let session = try InferenceSession(modelBytes: bytes)
        let out = try session.run(["X": .tensor(.float(x, shape: [x.count / 3, 3]))])
        guard case let .tensor(y)? = out["Y"], case let .float(values) = y.storage else { return [] }
        return values
    }

    @Test func rawAndTypedInitializersDecodeAlike() throws {
        #expect(try Self.run(Self.addModel(raw: false).build(), [1, 1, 1]) == [2, 3, 4])
        #expect(try Self.run(Self.addModel(raw: true).build(), [1, 1, 1]) == [2, 3, 4])
    }

    @Test func packedAndUnpackedRepeatedScalarsDecodeAlike() throws {
        for packed in [true, false] {
            var builder = ONNXModelBuilder()
            builder.inputs = [("X", 1, [nil, 3])]
            builder.outputs = [("Y", 1)]
            builder.nodes = [
                .init(
                    op: "Transpose", inputs: ["X"], outputs: ["Y"],
                    attributes: [
                        ONNXModelBuilder.intsAttribute("perm", [1, 0], packed: packed)
                    ])
            ]
            let session = try InferenceSession(modelBytes: builder.build())
            let out = try session.run(["X": .tensor(.float([1, 2, 3, 4, 5, 6], shape: [2, 3]))])
            #expect(out["Y"] == .tensor(.float([1, 4, 2, 5, 3, 6], shape: [3, 2])))
        }
    }

    @Test func unknownFieldsAreSkipped() throws {
        var builder = Self.addModel()
        builder.extra = { g in
            g.int(999, 42)
            g.string(1000, "future field")
            g.fixed32OnField(1001)
        }
        var bytes = builder.build()
        var trailer = ProtobufWriter()
        trailer.string(77, "unknown model-level field")
        bytes += trailer.bytes
        #expect(try Self.run(bytes, [0, 0, 0]) == [1, 2, 3])
    }

    @Test func duplicateOpsetImportsAreTolerated() throws {
        var builder = Self.addModel()
        builder.opsets = [("", 13), ("", 17), ("ai.onnx", 17)]
        #expect(try Self.run(builder.build(), [0, 0, 0]) == [1, 2, 3])
    }

    @Test func everyTruncationIsRefusedWithoutCrashing() throws {
        let bytes = try Fixtures.bytes("random_forest")
        var refused = 0
        var attempts = 0
        for length in stride(from: 0, to: bytes.count, by: 61) {
            attempts += 1
            do {
                _ = try InferenceSession(modelBytes: Array(bytes[..<length]))
            } catch is ModelLoadError {
                refused += 1
            }
        }
        #expect(refused == attempts)
    }

    @Test func fileSizeLimit() {
        var limits = DecodingLimits()
        limits.maxFileBytes = 10
        #expect(throws: ModelLoadError.fileTooLarge(bytes: Self.addModel().build().count, limit: 10)) {
            try InferenceSession(modelBytes: Self.addModel().build(), limits: limits)
        }
    }

    @Test func nodeCountLimit() {
        var builder = Self.addModel()
        builder.nodes = (0..<20).map { .init(op: "Identity", inputs: [$0 == 0 ? "X" : "t\($0 - 1)"], outputs: ["t\($0)"]) }
        builder.nodes.append(.init(op: "Identity", inputs: ["t19"], outputs: ["Y"]))
        var limits = DecodingLimits()
        limits.maxNodes = 10
        #expect(throws: ModelLoadError.limitExceeded(what: "node count", limit: 10, actual: 11)) {
            try ModelDecoder.decode(builder.build(), limits: limits)
        }
    }

    @Test func nestingLimit() {
        // An attribute graph inside an attribute graph inside ...: depth grows by 3 per level.
        func nested(_ depth: Int) -> (inout ProtobufWriter) -> Void {
            { a in
                a.string(1, "body")
                a.int(20, 5)
                a.message(6) { g in
                    if depth > 0 {
                        g.message(1) { n in
                            n.string(4, "If"); n.message(5, nested(depth - 1))
                        }
                    }
                }
            }
        }
        var builder = Self.addModel()
        builder.nodes.append(.init(op: "If", inputs: ["X"], outputs: ["Z"], attributes: [nested(20)]))
        #expect {
            try ModelDecoder.decode(builder.build())
        } throws: { error in
            guard case let ModelLoadError.limitExceeded(what, _, _)? = error as? ModelLoadError else { return false }
            return what == "message nesting depth"
        }
    }

    @Test func stringLengthLimit() {
        var builder = Self.addModel()
        builder.nodes[0].op = String(repeating: "A", count: 2000)
        var limits = DecodingLimits()
        limits.maxStringBytes = 1000
        #expect(throws: ModelLoadError.limitExceeded(what: "length of NodeProto.op_type", limit: 1000, actual: 2000)) {
            try ModelDecoder.decode(builder.build(), limits: limits)
        }
    }

    @Test func hugeDimensionsAreRefusedBeforeAllocation() {
        var builder = Self.addModel()
        builder.initializers = [
            { t in
                t.ints(1, [1 << 20, 1 << 20], packed: true)
                t.int(2, 1)
                t.string(8, "W")
            }
        ]
        #expect {
            try ModelDecoder.decode(builder.build())
        } throws: { error in
            guard case let ModelLoadError.limitExceeded(what, _, _)? = error as? ModelLoadError else { return false }
            return what == "elements in tensor 'W'"
        }
    }

    @Test func tensorDataMustMatchItsShape() {
        var builder = Self.addModel()
        builder.initializers = [ONNXModelBuilder.floatInitializer("W", dims: [4], values: [1, 2, 3], raw: true)]
        #expect(throws: ModelLoadError.invalidTensor(name: "W", reason: "raw_data holds 12 bytes, shape needs 16")) {
            try ModelDecoder.decode(builder.build())
        }
    }

    @Test func externalDataIsRefused() {
        var builder = Self.addModel()
        builder.initializers = [
            { t in
                t.ints(1, [3], packed: true)
                t.int(2, 1)
                t.string(8, "W")
                t.message(13) { e in
                    e.string(1, "location"); e.string(2, "weights.bin")
                }
                t.int(14, 1)
            }
        ]
        #expect(throws: ModelLoadError.externalData(tensor: "W")) { try ModelDecoder.decode(builder.build()) }
    }

    @Test func overlongVarintIsMalformed() {
        let bytes: [UInt8] = [0x08] + Array(repeating: 0xFF, count: 10) + [0x01]
        #expect {
            try ModelDecoder.decode(bytes)
        } throws: { error in
            if case ModelLoadError.malformedProtobuf? = error as? ModelLoadError { return true }
            return false
        }
    }

    @Test func lengthPastTheEndIsMalformed() {
        let bytes: [UInt8] = [0x3A, 0xFF, 0xFF, 0x03, 0x00]  // graph field claiming 65535 bytes
        #expect {
            try ModelDecoder.decode(bytes)
        } throws: { error in
            guard case let ModelLoadError.malformedProtobuf(_, reason)? = error as? ModelLoadError else { return false }
            return reason.contains("runs past the end")
        }
    }

    @Test func groupWireTypeIsMalformed() {
        #expect(throws: ModelLoadError.self) { try ModelDecoder.decode([0x0B, 0x0C]) }
    }

    @Test func notAModelAtAll() {
        #expect(throws: ModelLoadError.invalidModel("the file has no graph (is it an ONNX model?)")) {
            try ModelDecoder.decode(Array("hello, world".utf8).filter { _ in false })
        }
        #expect(throws: ModelLoadError.self) { try ModelDecoder.decode(Array("<html>not onnx</html>".utf8)) }
    }
}

extension ProtobufWriter {
    mutating func fixed32OnField(_ field: Int) {
        key(field, 5)
        fixed32(0xDEAD_BEEF)
    }
}
