import Testing
import WardenJSON
import WardenONNX

@testable import WardenServer
@testable import WardenServing

/// FP16, UINT8 and INT8 tensors through the Open Inference Protocol codecs: a model that takes
/// or gives half-precision or 8-bit tensors is fed and answered in its own types.
@Suite struct QuantizedAndHalfTensorCodingTests {
    @Test func fp16FeedsAFloat16InputFromJSONAndBinary() throws {
        #expect(TensorDecoding.canFeed(.fp16, into: .float16))
        #expect(!TensorDecoding.canFeed(.fp32, into: .float16))  // narrowing would lose the client's value
        let json = try TensorDecoding.fromJSON(
            .array([.number(0.1), .integer(2), .null]), datatype: .fp16, count: 3, target: .float16, input: "x")
        guard case let .float16(values) = json else { Issue.record("expected float16 storage, got \(json)"); return }
        #expect(values[0] == Float16(0.1) && values[1] == 2 && values[2].isNaN)
        // 1.0 and -2.0 as little-endian half words.
        let binary = try TensorDecoding.fromBinary([0x00, 0x3C, 0x00, 0xC0], datatype: .fp16, count: 2, target: .float16, input: "x")
        #expect(binary == .float16([1, -2]))
    }

    @Test func fp16OutOfRangeIsRefusedNotTurnedIntoInfinity() {
        #expect(throws: ServingFailure.self) {
            try TensorDecoding.fromJSON(.array([.number(70000)]), datatype: .fp16, count: 1, target: .float16, input: "x")
        }
    }

    @Test func eightBitIntegersKeepTheirRange() throws {
        #expect(TensorDecoding.canFeed(.uint8, into: .uint8) && TensorDecoding.canFeed(.int8, into: .int8))
        #expect(
            try TensorDecoding.fromJSON(.array([.integer(0), .integer(255)]), datatype: .uint8, count: 2, target: .uint8, input: "q")
                == .uint8([0, 255]))
        #expect(try TensorDecoding.fromBinary([0x80, 0x7F], datatype: .int8, count: 2, target: .int8, input: "q") == .int8([-128, 127]))
        #expect(throws: ServingFailure.self) {
            try TensorDecoding.fromJSON(.array([.integer(256)]), datatype: .uint8, count: 1, target: .uint8, input: "q")
        }
    }

    @Test func responsesCarryTheModelsTypes() throws {
        #expect(Datatype(.float16) == .fp16 && Datatype(.uint8) == .uint8 && Datatype(.int8) == .int8)
        var bytes: [UInt8] = []
        InferenceResponse.appendBinary(.float16([1, -2]), to: &bytes)
        InferenceResponse.appendBinary(.int8([-1]), to: &bytes)
        #expect(bytes == [0x00, 0x3C, 0x00, 0xC0, 0xFF])
    }

    @Test func aHalfPrecisionOutputMakesTheGRPCResponseRaw() {
        let result = InferenceResult(
            model: ServedModelIdentity(name: "m", version: "1", digest: nil),
            outputs: ["p": .tensor(.float16([0.5], shape: [1])), "n": .tensor(.int64([3], shape: [1]))], requested: ["p", "n"])
        let response = GRPCInferResponse.make(result, id: "", raw: false)
        // FP16 has no typed contents field, and raw contents are all or nothing.
        #expect(response.rawOutputContents.count == 2)
        #expect(response.outputs.map(\.datatype) == ["FP16", "INT64"])
        #expect(Array(response.rawOutputContents[0]) == [0x00, 0x38])
    }
}
