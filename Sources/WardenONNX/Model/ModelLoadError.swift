/// Why a model file was refused. Every case has a stable machine `code` (for logs, metrics and
/// HTTP problem bodies) and a human `description` that names what was wrong and where.
public enum ModelLoadError: Error, Equatable, CustomStringConvertible, Sendable {
    case fileTooLarge(bytes: Int, limit: Int)
    case malformedProtobuf(offset: Int, reason: String)
    case limitExceeded(what: String, limit: Int, actual: Int)
    case externalData(tensor: String)
    case unsupportedDataType(context: String, dataType: Int32)
    case invalidTensor(name: String, reason: String)
    case invalidModel(String)
    case invalidGraph(String)
    /// Every operator, attribute value or type the engine cannot run, listed together.
    case unsupported([String])
    case typeMismatch(String)

    public var code: String {
        switch self {
        case .fileTooLarge: "model_too_large"
        case .malformedProtobuf: "model_malformed_protobuf"
        case .limitExceeded: "model_limit_exceeded"
        case .externalData: "model_external_data"
        case .unsupportedDataType: "model_unsupported_data_type"
        case .invalidTensor: "model_invalid_tensor"
        case .invalidModel: "model_invalid"
        case .invalidGraph: "model_invalid_graph"
        case .unsupported: "model_unsupported"
        case .typeMismatch: "model_type_mismatch"
        }
    }

    public var description: String {
        switch self {
        case let .fileTooLarge(bytes, limit):
            "model file is \(bytes) bytes, over the limit of \(limit)"
        case let .malformedProtobuf(offset, reason):
            "malformed protobuf at byte \(offset): \(reason)"
        case let .limitExceeded(what, limit, actual):
            "\(what) is \(actual), over the limit of \(limit)"
        case let .externalData(tensor):
            "tensor '\(tensor)' keeps its data in an external file, which Warden refuses: the signed artifact must be self-contained"
        case let .unsupportedDataType(context, dataType):
            "\(context) has data type \(DataTypeName.name(of: dataType)), which the engine does not support"
        case let .invalidTensor(name, reason):
            "tensor '\(name)' is invalid: \(reason)"
        case let .invalidModel(reason):
            "invalid model: \(reason)"
        case let .invalidGraph(reason):
            "invalid graph: \(reason)"
        case let .unsupported(items):
            "the engine cannot run this model: " + items.joined(separator: "; ")
        case let .typeMismatch(reason):
            "type mismatch: \(reason)"
        }
    }
}

/// ONNX `TensorProto.DataType` names, for messages.
enum DataTypeName {
    static func name(of dataType: Int32) -> String {
        let names = [
            0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64",
            8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64",
            15: "COMPLEX128", 16: "BFLOAT16",
        ]
        return names[Int(dataType)] ?? "type \(dataType)"
    }
}
