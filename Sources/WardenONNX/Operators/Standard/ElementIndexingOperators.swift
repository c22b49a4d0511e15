/// GatherElements and ScatterElements: indexing one element at a time along an axis, with an
/// index tensor of the data's rank. Negative indices count from the end; any index out of
/// range fails the request, as in ONNX Runtime.
enum ElementIndexingOperators {
    static let all: [String: KernelFactory] = ["GatherElements": gatherElements, "ScatterElements": scatterElements]

    static let gatherElements: KernelFactory = { context in
        try context.requireInputs(2...2)
        try context.requireType(1, in: [.int32, .int64])
        let axis = Int(try context.attributes.int("axis", default: 0))
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let data = try inputs.tensor(0), indices = try inputs.tensor(1)
            let offsets = try ElementOffsets(data: data, indices: indices, axis: axis, inputs)
            return [.tensor(Tensor(shape: indices.shape, storage: data.storage.picking(offsets.targets)))]
        }
    }

    enum Reduction: String { case none, add, mul, max, min }

    static let scatterElements: KernelFactory = { context in
        try context.requireInputs(3...3)
        try context.requireType(1, in: [.int32, .int64])
        let type = try context.sameType([0, 2])
        let axis = Int(try context.attributes.int("axis", default: 0))
        let name = try context.attributes.string("reduction", default: "none")
        guard let reduction = Reduction(rawValue: name) else { throw context.invalid("reduction '\(name)' is not supported") }
        if reduction != .none, let type, !ElementwiseOperators.numericTypes.contains(type) {
            throw context.invalid("reduction \(name) needs numeric data, got \(type)")
        }
        return LoweredNode(outputs: [.tensorOrUnknown(type)]) { inputs in
            let data = try inputs.tensor(0), indices = try inputs.tensor(1), updates = try inputs.tensor(2)
            guard updates.shape == indices.shape else {
                throw inputs.fail("updates shape \(updates.shape) differs from indices shape \(indices.shape)")
            }
            let targets = try ElementOffsets(data: data, indices: indices, axis: axis, inputs).targets
            return [.tensor(Tensor(shape: data.shape, storage: try scatter(data.storage, updates.storage, targets, reduction, inputs)))]
        }
    }

    /// Writes `updates` into `data` at `targets` in order, so with repeated targets and no
    /// reduction the last update wins.
    private static func scatter(
        _ data: TensorStorage, _ updates: TensorStorage, _ targets: [Int], _ reduction: Reduction, _ inputs: KernelInputs
    ) throws -> TensorStorage {
        func apply<T: TensorElement>(_ values: [T], _ news: [T], _ combine: (T, T) -> T) -> TensorStorage {
            var result = values
            for (target, value) in zip(targets, news) { result[target] = combine(result[target], value) }
            return T.storage(result)
        }
        func numeric<T: NumericElement>(_ values: [T], _ news: [T]) -> TensorStorage {
            switch reduction {
            case .none: apply(values, news) { $1 }
            case .add: apply(values, news, T.add)
            case .mul: apply(values, news, T.multiply)
            // As ORT: std::max(update, current), so a NaN update wins and a NaN in the data loses.
            case .max: apply(values, news) { current, update in update < current ? current : update }
            case .min: apply(values, news) { current, update in current < update ? current : update }
            }
        }
        switch (data, updates) {
        case let (.float(v), .float(u)): return numeric(v, u)
        case let (.double(v), .double(u)): return numeric(v, u)
        case let (.int32(v), .int32(u)): return numeric(v, u)
        case let (.int64(v), .int64(u)): return numeric(v, u)
        case let (.bool(v), .bool(u)) where reduction == .none: return apply(v, u) { $1 }
        case let (.string(v), .string(u)) where reduction == .none: return apply(v, u) { $1 }
        default: throw inputs.fail("data and updates must share one type (\(data.elementType), \(updates.elementType))")
        }
    }
}

/// For each position of the index tensor, the flat offset into the data it designates: the
/// same coordinates, with the one along `axis` replaced by the index.
private struct ElementOffsets {
    let targets: [Int]

    init(data: Tensor, indices: Tensor, axis rawAxis: Int, _ inputs: KernelInputs) throws {
        guard indices.rank == data.rank else {
            throw inputs.fail("indices have rank \(indices.rank), data rank \(data.rank)")
        }
        let axis = try Axis.normalize(rawAxis, rank: data.rank, inputs)
        for (dimension, (have, limit)) in zip(indices.shape, data.shape).enumerated() where dimension != axis && have > limit {
            throw inputs.fail("indices dimension \(dimension) is \(have), larger than the data's \(limit)")
        }
        let values = try indices.integers(inputs, what: "indices")
        let size = data.shape[axis]
        var dataStrides = [Int](repeating: 1, count: data.rank)
        for d in stride(from: data.rank - 2, through: 0, by: -1) { dataStrides[d] = dataStrides[d + 1] * data.shape[d + 1] }
        var targets = [Int](repeating: 0, count: values.count)
        var coordinates = [Int](repeating: 0, count: indices.rank)
        for position in 0..<values.count {
            let raw = values[position]
            let index = raw < 0 ? raw + size : raw
            guard index >= 0, index < size else { throw inputs.fail("index \(raw) is out of range for size \(size)") }
            var offset = 0
            for d in 0..<indices.rank { offset += (d == axis ? index : coordinates[d]) * dataStrides[d] }
            targets[position] = offset
            // Advance the row-major coordinates of the index tensor.
            var d = indices.rank - 1
            while d >= 0 {
                coordinates[d] += 1
                if coordinates[d] < indices.shape[d] { break }
                coordinates[d] = 0
                d -= 1
            }
        }
        self.targets = targets
    }
}
