import WardenONNX

/// The tensor datatypes of the Open Inference Protocol (and Triton), with their wire sizes.
public enum Datatype: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case uint8 = "UINT8", uint16 = "UINT16", uint32 = "UINT32", uint64 = "UINT64"
    case int8 = "INT8", int16 = "INT16", int32 = "INT32", int64 = "INT64"
    case fp16 = "FP16", fp32 = "FP32", fp64 = "FP64"
    case bytes = "BYTES"

    /// Bytes per element in Triton's binary-data extension (nil for BYTES, which are length-prefixed).
    public var width: Int? {
        switch self {
        case .bool, .uint8, .int8: 1
        case .uint16, .int16, .fp16: 2
        case .uint32, .int32, .fp32: 4
        case .uint64, .int64, .fp64: 8
        case .bytes: nil
        }
    }

    /// The engine type a tensor of this datatype feeds, when the engine computes with it.
    public var elementType: ElementType? {
        switch self {
        case .bool: .bool
        case .uint8: .uint8
        case .int8: .int8
        case .int32: .int32
        case .int64: .int64
        case .fp16: .float16
        case .fp32: .float
        case .fp64: .double
        case .bytes: .string
        default: nil
        }
    }

    public init(_ type: ElementType) {
        switch type {
        case .bool: self = .bool
        case .uint8: self = .uint8
        case .int8: self = .int8
        case .int32: self = .int32
        case .int64: self = .int64
        case .float16: self = .fp16
        case .float: self = .fp32
        case .double: self = .fp64
        case .string: self = .bytes
        }
    }
}
