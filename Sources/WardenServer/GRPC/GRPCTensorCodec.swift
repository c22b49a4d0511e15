import Foundation
import WardenGRPCProtocol
import WardenONNX
import WardenServing

/// An OIP v2 `ModelInferRequest` turned into engine inputs, and an inference result into a
/// `ModelInferResponse`. Typed `contents` are packed into the raw little-endian form first, so
/// both forms go through the one reader the REST binary extension uses (`TensorDecoding`).
struct GRPCInferRequest {
    var feeds: [String: Value]
    /// The outputs asked for, in request order; nil: all of them.
    var outputs: [String]?
    var timeout: Duration?
    /// The `explain` parameter: true, or the number of reason codes per row (int64).
    var explain: ExplainRequest?
    /// `binary_data_output: false` asks for typed `contents` instead of raw output contents.
    var rawOutputs: Bool

    init(_ request: Inference_ModelInferRequest, contract: ModelContract) throws {
        let raw = !request.rawInputContents.isEmpty
        if raw {
            guard request.rawInputContents.count == request.inputs.count else {
                throw ServingFailure.badRequest(
                    .binarySizeMismatch,
                    "raw_input_contents has \(request.rawInputContents.count) entries for \(request.inputs.count) inputs")
            }
            guard !request.inputs.contains(where: \.hasContents) else {
                throw ServingFailure.badRequest(
                    .invalidRequest, "an input has contents while raw_input_contents is used: use one or the other")
            }
        }
        var feeds: [String: Value] = [:]
        feeds.reserveCapacity(request.inputs.count)
        for (index, tensor) in request.inputs.enumerated() {
            let header = try RequestTensorHeader(name: tensor.name, datatype: tensor.datatype, shape: { tensor.shape }, contract: contract)
            let bytes: [UInt8]
            if raw {
                bytes = [UInt8](request.rawInputContents[index])
            } else if tensor.hasContents {
                bytes = try Self.rawBytes(of: tensor.contents, header)
            } else {
                throw ServingFailure.badRequest(.missingData, "input '\(header.name)' has neither contents nor raw_input_contents")
            }
            let storage = try TensorDecoding.fromBinary(
                bytes[...], datatype: header.datatype, count: header.count, target: header.target, input: header.name)
            guard feeds.updateValue(.tensor(Tensor(shape: header.shape, storage: storage)), forKey: header.name) == nil else {
                throw ServingFailure.badRequest(.duplicateInput, "input '\(header.name)' is given twice")
            }
        }
        for spec in contract.requestInputs where feeds[spec.name] == nil {
            throw ServingFailure.badRequest(.missingInput, "input '\(spec.name)' is required")
        }
        self.feeds = feeds
        if request.outputs.isEmpty {
            outputs = nil
        } else {
            var seen = Set<String>()
            outputs = try request.outputs.map { output in
                guard contract.outputs.contains(where: { $0.name == output.name }) else {
                    throw ServingFailure.badRequest(
                        .unknownOutput,
                        "the request names an output the model does not have (outputs: \(contract.outputs.map(\.name).joined(separator: ", ")))"
                    )
                }
                guard seen.insert(output.name).inserted else {
                    throw ServingFailure.badRequest(.duplicateOutput, "output '\(output.name)' is requested twice")
                }
                return output.name
            }
        }
        timeout = try Self.timeout(request.parameters["timeout"])
        explain = try Self.explain(request.parameters["explain"])
        switch request.parameters["binary_data_output"]?.parameterChoice {
        case nil: rawOutputs = true
        case let .boolParam(flag)?: rawOutputs = flag
        default: throw ServingFailure.badRequest(.invalidRequest, "parameter binary_data_output must be a bool")
        }
    }

    /// The tensor bytes a request carries, raw or typed, as the REST body limit counts them:
    /// over `limits.max_body_bytes` is `payload_too_large` (RESOURCE_EXHAUSTED) before anything
    /// is admitted. (The transport resets a message over twice the limit while it arrives.)
    static func payloadBytes(_ request: Inference_ModelInferRequest) -> Int {
        var total = request.rawInputContents.reduce(0) { $0 + $1.count }
        for tensor in request.inputs where tensor.hasContents {
            let contents = tensor.contents
            total +=
                contents.boolContents.count + 4 * (contents.intContents.count + contents.uintContents.count + contents.fp32Contents.count)
            total += 8 * (contents.int64Contents.count + contents.uint64Contents.count + contents.fp64Contents.count)
            total += contents.bytesContents.reduce(0) { $0 + 4 + $1.count }
        }
        return total
    }

    /// `explain`: gRPC parameters are scalars, so REST's `{"top_k": K}` is the int64 K here.
    private static func explain(_ parameter: Inference_InferParameter?) throws -> ExplainRequest? {
        switch parameter?.parameterChoice {
        case nil, .boolParam(false)?: return nil
        case .boolParam(true)?: return ExplainRequest()
        case let .int64Param(k)? where (0...Int64(ExplainRequest.maximumTopK)).contains(k): return ExplainRequest(topK: Int(k))
        default:
            throw ServingFailure.badRequest(
                .invalidRequest, "parameter explain must be true or the number of reason codes (0...\(ExplainRequest.maximumTopK))")
        }
    }

    /// OIP's `timeout` parameter: microseconds, as tritonclient sends it (int64 or uint64).
    private static func timeout(_ parameter: Inference_InferParameter?) throws -> Duration? {
        switch parameter?.parameterChoice {
        case nil: return nil
        case let .int64Param(microseconds)? where microseconds > 0: return .microseconds(microseconds)
        case let .uint64Param(microseconds)? where microseconds > 0 && microseconds <= UInt64(Int64.max):
            return .microseconds(Int64(microseconds))
        default: throw ServingFailure.badRequest(.invalidTimeout, "parameter timeout must be a positive number of microseconds")
        }
    }

    /// Typed contents as the raw form: each element little-endian at the datatype's width,
    /// BYTES length-prefixed. The field must be the datatype's own and hold every element.
    static func rawBytes(of contents: Inference_InferTensorContents, _ header: RequestTensorHeader) throws -> [UInt8] {
        let name = header.name
        var out: [UInt8] = []
        func little<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }
        func counted(_ field: String, _ count: Int) throws {
            guard count == header.count else {
                throw ServingFailure.badRequest(
                    .elementCountMismatch,
                    "input '\(name)': shape needs \(header.count) elements, \(field) holds \(count) (\(header.datatype.rawValue) goes in \(field))"
                )
            }
        }
        func packed(_ values: [Int64], width: Int, range: ClosedRange<Int64>) throws {
            for value in values {
                guard range.contains(value) else {
                    throw ServingFailure.badRequest(
                        .invalidData,
                        "input '\(name)': \(header.datatype.rawValue) data must be integers in \(range.lowerBound)...\(range.upperBound)")
                }
                for byte in 0..<width { out.append(UInt8(truncatingIfNeeded: value >> (8 * byte))) }
            }
        }
        switch header.datatype {
        case .bool:
            try counted("bool_contents", contents.boolContents.count)
            out = contents.boolContents.map { $0 ? 1 : 0 }
        case .int8, .int16, .int32:
            try counted("int_contents", contents.intContents.count)
            let width = header.datatype.width ?? 4
            let bits = Int64(8 * width - 1)
            try packed(contents.intContents.map(Int64.init), width: width, range: -(1 << bits)...((1 << bits) - 1))
        case .int64:
            try counted("int64_contents", contents.int64Contents.count)
            contents.int64Contents.forEach(little)
        case .uint8, .uint16, .uint32:
            try counted("uint_contents", contents.uintContents.count)
            let width = header.datatype.width ?? 4
            try packed(contents.uintContents.map(Int64.init), width: width, range: 0...((1 << Int64(8 * width)) - 1))
        case .uint64:
            try counted("uint64_contents", contents.uint64Contents.count)
            contents.uint64Contents.forEach(little)
        case .fp32:
            try counted("fp32_contents", contents.fp32Contents.count)
            contents.fp32Contents.forEach { little($0.bitPattern) }
        case .fp64:
            try counted("fp64_contents", contents.fp64Contents.count)
            contents.fp64Contents.forEach { little($0.bitPattern) }
        case .fp16:
            throw ServingFailure.badRequest(.missingData, "input '\(name)': FP16 has no typed contents; send it in raw_input_contents")
        case .bytes:
            try counted("bytes_contents", contents.bytesContents.count)
            for element in contents.bytesContents {
                little(UInt32(element.count))
                out.append(contentsOf: element)
            }
        }
        return out
    }
}

/// The response: each output asked for, in the order asked, as raw contents (what Triton sends
/// and tritonclient reads) or as typed contents.
enum GRPCInferResponse {
    static func make(_ result: InferenceResult, id: String, raw: Bool) -> Inference_ModelInferResponse {
        var response = Inference_ModelInferResponse()
        response.modelName = result.model.name
        response.modelVersion = result.model.version
        response.id = id
        // FP16 has no typed contents field, and raw contents are all-or-nothing: one half
        // precision output makes the whole response raw.
        let raw =
            raw
            || result.requested.contains { name in
                result.outputs[name].map { OutputTensor.of($0).elementType == .float16 } ?? false
            }
        for name in result.requested {
            guard let value = result.outputs[name] else { continue }
            let tensor = OutputTensor.of(value)
            var output = Inference_ModelInferResponse.InferOutputTensor()
            output.name = name
            output.datatype = Datatype(tensor.elementType).rawValue
            output.shape = tensor.shape.map(Int64.init)
            if raw {
                var bytes: [UInt8] = []
                InferenceResponse.appendBinary(tensor.storage, to: &bytes)
                response.rawOutputContents.append(Data(bytes))
            } else {
                output.contents = typed(tensor.storage)
            }
            response.outputs.append(output)
        }
        return response
    }

    static func typed(_ storage: TensorStorage) -> Inference_InferTensorContents {
        var contents = Inference_InferTensorContents()
        switch storage {
        case let .float(values): contents.fp32Contents = values
        case let .double(values): contents.fp64Contents = values
        case let .uint8(values): contents.uintContents = values.map(UInt32.init)
        case let .float16(values): contents.fp32Contents = values.map(Float.init)  // unreachable: sent raw
        case let .int8(values): contents.intContents = values.map(Int32.init)
        case let .int32(values): contents.intContents = values
        case let .int64(values): contents.int64Contents = values
        case let .bool(values): contents.boolContents = values
        case let .string(values): contents.bytesContents = values.map { Data($0.utf8) }
        }
        return contents
    }
}
