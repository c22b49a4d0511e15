/// The tensor element types the engine computes with (ONNX `TensorProto.DataType` codes).
public enum ElementType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case float = 1
    case uint8 = 2
    case int8 = 3
    /// Half precision: stored as such at the graph's edges, computed in float32 inside, as
    /// ONNX Runtime's CPU provider does.
    case float16 = 10
    case int32 = 6
    case int64 = 7
    case string = 8
    case bool = 9
    case double = 11

    /// Maps an ONNX data type code, or nil when the engine does not compute with it.
    public init?(onnx code: Int32) {
        self.init(rawValue: code)
    }

    public var description: String {
        switch self {
        case .float: "float"
        case .uint8: "uint8"
        case .int8: "int8"
        case .float16: "float16"
        case .int32: "int32"
        case .int64: "int64"
        case .string: "string"
        case .bool: "bool"
        case .double: "double"
        }
    }

    public var isFloatingPoint: Bool { self == .float || self == .double || self == .float16 }
}
