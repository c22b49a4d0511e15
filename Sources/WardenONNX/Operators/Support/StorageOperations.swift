/// Type-agnostic data movement, for the operators that only rearrange elements.
extension TensorStorage {
    /// The elements at `offsets`, in that order.
    func picking(_ offsets: [Int]) -> TensorStorage {
        switch self {
        case let .float(v): .float(offsets.map { v[$0] })
        case let .double(v): .double(offsets.map { v[$0] })
        case let .uint8(v): .uint8(offsets.map { v[$0] })
        case let .int8(v): .int8(offsets.map { v[$0] })
        case let .float16(v): .float16(offsets.map { v[$0] })
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
        case let .uint8(v): .uint8(Array(v[range]))
        case let .int8(v): .int8(Array(v[range]))
        case let .float16(v): .float16(Array(v[range]))
        case let .int32(v): .int32(Array(v[range]))
        case let .int64(v): .int64(Array(v[range]))
        case let .bool(v): .bool(Array(v[range]))
        case let .string(v): .string(Array(v[range]))
        }
    }

    /// Appends `other`, which must have the same element type. The buffer is moved out of
    /// `self` first, so the append happens in place instead of copying it.
    mutating func appendSameType(_ other: TensorStorage) -> Bool {
        guard elementType == other.elementType else { return false }
        let current = self
        self = .empty(elementType)
        self = Self.concatenate([current, other], blocks: [current.count, other.count], outer: 1)
        return true
    }

    /// For each of `outer` rounds, block `i` of each part in turn: Concat along an axis.
    /// All parts must share one element type.
    static func concatenate(_ parts: [TensorStorage], blocks: [Int], outer: Int) -> TensorStorage {
        let rowWidth = blocks.reduce(0, +)
        func join<T>(_ arrays: [[T]]) -> [T] {
            guard let filler = arrays.first(where: { !$0.isEmpty })?.first else { return [] }
            var out = [T](repeating: filler, count: rowWidth * outer)
            // Part by part, so each source array is fetched once rather than once per row.
            var offset = 0
            for (array, block) in zip(arrays, blocks) {
                for o in 0..<outer {
                    let source = o &* block
                    let target = o &* rowWidth &+ offset
                    for k in 0..<block { out[target &+ k] = array[source &+ k] }
                }
                offset &+= block
            }
            return out
        }
        switch parts.first {
        case .float?: return .float(join(parts.map { if case let .float(v) = $0 { v } else { [] } }))
        case .double?: return .double(join(parts.map { if case let .double(v) = $0 { v } else { [] } }))
        case .uint8?: return .uint8(join(parts.map { if case let .uint8(v) = $0 { v } else { [] } }))
        case .int8?: return .int8(join(parts.map { if case let .int8(v) = $0 { v } else { [] } }))
        case .float16?: return .float16(join(parts.map { if case let .float16(v) = $0 { v } else { [] } }))
        case .int32?: return .int32(join(parts.map { if case let .int32(v) = $0 { v } else { [] } }))
        case .int64?: return .int64(join(parts.map { if case let .int64(v) = $0 { v } else { [] } }))
        case .bool?: return .bool(join(parts.map { if case let .bool(v) = $0 { v } else { [] } }))
        case .string?: return .string(join(parts.map { if case let .string(v) = $0 { v } else { [] } }))
        case nil: return .float([])
        }
    }

    /// `count` copies of element `index`.
    func repeating(_ index: Int, count: Int) -> TensorStorage {
        picking(Array(repeating: index, count: count))
    }
}

/// Bounds on tensors that operators create from request-controlled sizes (Expand, Tile,
/// ConstantOfShape...), so a hostile shape cannot exhaust memory.
enum RuntimeLimits {
    /// 16 Mi elements (64 MB of float32): far above any tabular batch, low enough that one
    /// request cannot stall the server (the fuzzer found 64 Mi taking seconds under Tile).
    static let maxCreatedElements = 1 << 24

    static func check(_ shape: [Int], _ inputs: KernelInputs) throws {
        guard let count = Tensor.checkedElementCount(shape), count <= maxCreatedElements else {
            throw inputs.fail("result shape \(shape) exceeds the limit of \(maxCreatedElements) elements")
        }
    }
}
