import WardenJSON
import WardenONNX
import WardenServing

/// Encodes an inference result as an Open Inference Protocol v2 response: JSON `data`, or
/// Triton's binary-data extension for outputs that ask for it (the JSON header is then
/// followed by the raw tensors and its length goes in Inference-Header-Content-Length).
struct InferenceResponse {
    let body: [UInt8]
    /// Length of the JSON header when binary data follows it.
    let jsonLength: Int?

    init(model: ServedModelIdentity, requestID: String?, outputs: [InferenceRequest.RequestedOutput], results: [String: Value]) {
        var json = JSONWriter(capacity: 512, writesNonFiniteTokens: true)
        var binary: [UInt8] = []
        json.raw("{\"model_name\":")
        json.string(model.name)
        json.raw(",\"model_version\":")
        json.string(model.version)
        if let requestID {
            json.raw(",\"id\":")
            json.string(requestID)
        }
        json.raw(",\"outputs\":")
        json.array(outputs) { json, output in
            let tensor = Self.tensor(results[output.name])
            json.raw("{\"name\":")
            json.string(output.name)
            json.raw(",\"datatype\":")
            json.string(Datatype(tensor.elementType).rawValue)
            json.raw(",\"shape\":")
            json.array(tensor.shape) { $0.integer(Int64($1)) }
            if output.binary {
                let start = binary.count
                Self.appendBinary(tensor.storage, to: &binary)
                json.raw(",\"parameters\":{\"binary_data_size\":")
                json.integer(Int64(binary.count - start))
                json.raw("}}")
            } else {
                json.raw(",\"data\":")
                Self.appendJSON(tensor.storage, to: &json)
                json.raw("}")
            }
        }
        json.raw("}")
        if binary.isEmpty && !outputs.contains(where: \.binary) {
            body = json.bytes
            jsonLength = nil
        } else {
            jsonLength = json.bytes.count
            body = json.bytes + binary
        }
    }

    static func tensor(_ value: Value?) -> Tensor { OutputTensor.of(value) }

    static func appendJSON(_ storage: TensorStorage, to json: inout JSONWriter) {
        switch storage {
        case let .float(v): json.array(v) { $0.number($1) }
        case let .double(v): json.array(v) { $0.number($1) }
        case let .uint8(v): json.array(v) { $0.integer(Int64($1)) }
        case let .float16(v): json.array(v) { $0.number(Float($1)) }
        case let .int8(v): json.array(v) { $0.integer(Int64($1)) }
        case let .int32(v): json.array(v) { $0.integer(Int64($1)) }
        case let .int64(v): json.array(v) { $0.integer($1) }
        case let .bool(v): json.array(v) { $0.bool($1) }
        case let .string(v): json.array(v) { $0.string($1) }
        }
    }

    static func appendElement(_ storage: TensorStorage, at index: Int, to json: inout JSONWriter) {
        switch storage {
        case let .float(v): json.number(v[index])
        case let .double(v): json.number(v[index])
        case let .uint8(v): json.integer(Int64(v[index]))
        case let .float16(v): json.number(Float(v[index]))
        case let .int8(v): json.integer(Int64(v[index]))
        case let .int32(v): json.integer(Int64(v[index]))
        case let .int64(v): json.integer(v[index])
        case let .bool(v): json.bool(v[index])
        case let .string(v): json.string(v[index])
        }
    }

    static func appendBinary(_ storage: TensorStorage, to out: inout [UInt8]) {
        func little<T: FixedWidthInteger>(_ value: T) {
            var v = value.littleEndian
            withUnsafeBytes(of: &v) { out.append(contentsOf: $0) }
        }
        switch storage {
        case let .float(v): for x in v { little(x.bitPattern) }
        case let .double(v): for x in v { little(x.bitPattern) }
        case let .uint8(v): out.append(contentsOf: v)
        case let .float16(v): for x in v { little(x.bitPattern) }
        case let .int8(v): out.append(contentsOf: v.map { UInt8(bitPattern: $0) })
        case let .int32(v): for x in v { little(x) }
        case let .int64(v): for x in v { little(x) }
        case let .bool(v): out.append(contentsOf: v.map { $0 ? 1 : 0 })
        case let .string(v):
            for s in v {
                little(UInt32(s.utf8.count))
                out.append(contentsOf: s.utf8)
            }
        }
    }
}
