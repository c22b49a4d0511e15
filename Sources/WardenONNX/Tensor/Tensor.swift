/// A dense, row-major tensor. Storage is a Swift array, so tensors are values: copying is
/// cheap (copy-on-write) and no two requests can see each other's data.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var storage: TensorStorage

    public init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
    }

    public var elementType: ElementType { storage.elementType }
    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    public static func elementCount(_ shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// The element count of `shape`, or nil if it is negative or overflows.
    static func checkedElementCount(_ shape: [Int]) -> Int? {
        var total = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            total = product
        }
        return total
    }

    public static func float(_ values: [Float], shape: [Int]) -> Tensor { Tensor(shape: shape, storage: .float(values)) }
    public static func double(_ values: [Double], shape: [Int]) -> Tensor { Tensor(shape: shape, storage: .double(values)) }
    public static func int64(_ values: [Int64], shape: [Int]) -> Tensor { Tensor(shape: shape, storage: .int64(values)) }
    public static func uint8(_ values: [UInt8], shape: [Int]) -> Tensor { Tensor(shape: shape, storage: .uint8(values)) }
    public static func int8(_ values: [Int8], shape: [Int]) -> Tensor { Tensor(shape: shape, storage: .int8(values)) }
    public static func float16(_ values: [Float16], shape: [Int]) -> Tensor { Tensor(shape: shape, storage: .float16(values)) }
    public static func int32(_ values: [Int32], shape: [Int]) -> Tensor { Tensor(shape: shape, storage: .int32(values)) }
    public static func bool(_ values: [Bool], shape: [Int]) -> Tensor { Tensor(shape: shape, storage: .bool(values)) }
    public static func string(_ values: [String], shape: [Int]) -> Tensor { Tensor(shape: shape, storage: .string(values)) }
}

/// The typed element buffer of a tensor.
public enum TensorStorage: Sendable, Equatable {
    case float([Float])
    case double([Double])
    /// Quantized tensors (QuantizeLinear's output, MatMulInteger's operands).
    case uint8([UInt8])
    case int8([Int8])
    case float16([Float16])
    case int32([Int32])
    case int64([Int64])
    case bool([Bool])
    case string([String])

    public var elementType: ElementType {
        switch self {
        case .float: .float
        case .double: .double
        case .uint8: .uint8
        case .int8: .int8
        case .float16: .float16
        case .int32: .int32
        case .int64: .int64
        case .bool: .bool
        case .string: .string
        }
    }

    public var count: Int {
        switch self {
        case let .float(v): v.count
        case let .double(v): v.count
        case let .uint8(v): v.count
        case let .int8(v): v.count
        case let .float16(v): v.count
        case let .int32(v): v.count
        case let .int64(v): v.count
        case let .bool(v): v.count
        case let .string(v): v.count
        }
    }

    /// An empty buffer of `type`.
    public static func empty(_ type: ElementType) -> TensorStorage {
        switch type {
        case .float: .float([])
        case .double: .double([])
        case .uint8: .uint8([])
        case .int8: .int8([])
        case .float16: .float16([])
        case .int32: .int32([])
        case .int64: .int64([])
        case .bool: .bool([])
        case .string: .string([])
        }
    }

    /// A buffer of `count` default elements (zero, false, empty string) of `type`.
    public static func zeros(_ type: ElementType, count: Int) -> TensorStorage {
        switch type {
        case .float: .float(Array(repeating: 0, count: count))
        case .double: .double(Array(repeating: 0, count: count))
        case .uint8: .uint8(Array(repeating: 0, count: count))
        case .int8: .int8(Array(repeating: 0, count: count))
        case .float16: .float16(Array(repeating: 0, count: count))
        case .int32: .int32(Array(repeating: 0, count: count))
        case .int64: .int64(Array(repeating: 0, count: count))
        case .bool: .bool(Array(repeating: false, count: count))
        case .string: .string(Array(repeating: "", count: count))
        }
    }
}
