/// Type-agnostic data movement, for the operators that only rearrange elements.
extension TensorStorage {
    /// The elements at `offsets`, in that order.
    func picking(_ offsets: [Int]) -> TensorStorage {
        switch self {
        case let .float(v): .float(offsets.map { v[$0] })
        case let .double(v): .double(offsets.map { v[$0] })
        case let .int32(v): .int32(offsets.map { v[$0] })
        case let .int64(v): .int64(offsets.map { v[$0] })
        case let .bool(v): .bool(offsets.map { v[$0] })
        case let .string(v): .string(offsets.map { v[$0] })
        }
    }

    /// The elements in `range`.
    func slice(_ range: Range<Int>) -> TensorStorage {
        switch self {
        case let .float(v): .float(Array(v[range]))
        case let .double(v): .double(Array(v[range]))
        case let .int32(v): .int32(Array(v[range]))
        case let .int64(v): .int64(Array(v[range]))
        case let .bool(v): .bool(Array(v[range]))
        case let .string(v): .string(Array(v[range]))
        }
    }

    /// Appends `other`, which must have the same element type.
    mutating func appendSameType(_ other: TensorStorage) -> Bool {
        switch (self, other) {
        case (.float(var a), let .float(b)): a += b; self = .float(a)
        case (.double(var a), let .double(b)): a += b; self = .double(a)
        case (.int32(var a), let .int32(b)): a += b; self = .int32(a)
        case (.int64(var a), let .int64(b)): a += b; self = .int64(a)
        case (.bool(var a), let .bool(b)): a += b; self = .bool(a)
        case (.string(var a), let .string(b)): a += b; self = .string(a)
        default: return false
        }
        return true
    }

    /// `count` copies of element `index`.
    func repeating(_ index: Int, count: Int) -> TensorStorage {
        picking(Array(repeating: index, count: count))
    }
}

/// Bounds on tensors that operators create from request-controlled sizes (Expand, Tile,
/// ConstantOfShape...), so a hostile shape cannot exhaust memory.
enum RuntimeLimits {
    static let maxCreatedElements = 1 << 26

    static func check(_ shape: [Int], _ inputs: KernelInputs) throws {
        guard let count = Tensor.checkedElementCount(shape), count <= maxCreatedElements else {
            throw inputs.fail("result shape \(shape) exceeds the limit of \(maxCreatedElements) elements")
        }
    }
}
