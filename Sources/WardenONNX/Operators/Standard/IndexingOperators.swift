/// Gather, Slice and NonZero.
enum IndexingOperators {
    static let all: [String: KernelFactory] = ["Gather": gather, "Slice": slice, "NonZero": nonZero]

    static let gather: KernelFactory = { context in
        try context.requireInputs(2...2)
        try context.requireType(1, in: [.int32, .int64])
        let axis = Int(try context.attributes.int("axis", default: 0))
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let data = try inputs.tensor(0), indicesTensor = try inputs.tensor(1)
            let normalized = try Axis.normalize(axis, rank: data.rank, inputs)
            let (outer, size, inner) = Axis.split(data.shape, at: normalized)
            let indices = try indicesTensor.integers(inputs, what: "indices").map { index in
                let resolved = index < 0 ? index + size : index
                guard resolved >= 0, resolved < size else { throw inputs.fail("index \(index) is out of range for size \(size)") }
                return resolved
            }
            var offsets: [Int] = []
            offsets.reserveCapacity(outer * indices.count * inner)
            for o in 0..<outer {
                for index in indices {
                    for i in 0..<inner { offsets.append((o * size + index) * inner + i) }
                }
            }
            let shape = Array(data.shape[..<normalized]) + indicesTensor.shape + Array(data.shape[(normalized + 1)...])
            return [.tensor(Tensor(shape: shape, storage: data.storage.picking(offsets)))]
        }
    }

    /// Slice: starts/ends/axes as attributes before opset 10, as inputs (with steps) after.
    static let slice: KernelFactory = { context in
        try context.requireInputs(1...5)
        let attributeStarts = try context.attributes.ints("starts")?.map { Int($0) }
        let attributeEnds = try context.attributes.ints("ends")?.map { Int($0) }
        let attributeAxes = try context.attributes.ints("axes")?.map { Int($0) }
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let data = try inputs.tensor(0)
            guard let starts = try inputs.optionalTensor(1)?.integers(inputs, what: "starts") ?? attributeStarts,
                let ends = try inputs.optionalTensor(2)?.integers(inputs, what: "ends") ?? attributeEnds
            else { throw inputs.fail("Slice needs starts and ends") }
            let axes = try inputs.optionalTensor(3)?.integers(inputs, what: "axes") ?? attributeAxes ?? Array(0..<starts.count)
            let steps = try inputs.optionalTensor(4)?.integers(inputs, what: "steps") ?? Array(repeating: 1, count: starts.count)
            guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
                throw inputs.fail("starts, ends, axes and steps must have the same length")
            }
            var begin = [Int](repeating: 0, count: data.rank)
            var step = [Int](repeating: 1, count: data.rank)
            var shape = data.shape
            for (k, rawAxis) in axes.enumerated() {
                let axis = try Axis.normalize(rawAxis, rank: data.rank, inputs)
                let size = data.shape[axis]
                guard steps[k] != 0 else { throw inputs.fail("Slice step must not be 0") }
                // Clamp as the ONNX spec says: into [0, size] going forward, [-1, size-1] going back.
                func resolve(_ value: Int, low: Int, high: Int) -> Int {
                    let v = value < 0 ? value + size : value
                    return Swift.min(Swift.max(v, low), high)
                }
                let forward = steps[k] > 0
                let start = forward ? resolve(starts[k], low: 0, high: size) : resolve(starts[k], low: -1, high: size - 1)
                let end = forward ? resolve(ends[k], low: 0, high: size) : resolve(ends[k], low: -1, high: size - 1)
                // A step longer than the axis takes one element, like a step of the axis length:
                // clamping it keeps every later product within Int's range.
                let stride = Swift.max(-(size + 1), Swift.min(size + 1, steps[k]))
                let span = forward ? end - start : start - end
                let length = span <= 0 ? 0 : (span - 1) / Swift.abs(stride) + 1
                begin[axis] = start
                step[axis] = stride
                shape[axis] = length
            }
            let strides = Broadcast.strides(of: data.shape, in: data.shape).enumerated().map { index, _ in
                data.shape[(index + 1)...].reduce(1, *)
            }
            var offsets: [Int] = []
            offsets.reserveCapacity(Tensor.elementCount(shape))
            let base = zip(begin, strides).map(*).reduce(0, +)
            let walk = zip(step, strides).map(*)
            Broadcast.forEachIndex(shape, walk, walk) { i, _ in offsets.append(base + i) }
            return [.tensor(Tensor(shape: shape, storage: data.storage.picking(offsets)))]
        }
    }

    static let nonZero: KernelFactory = { context in
        try context.requireInputs(1...1)
        return LoweredNode(outputs: [.tensor(.int64)]) { inputs in
            let x = try inputs.tensor(0)
            let flags: [Bool]
            switch x.storage {
            case let .bool(v): flags = v
            case let .string(v): flags = v.map { !$0.isEmpty }
            default: flags = (x.doubles() ?? []).map { $0 != 0 }
            }
            let positions = flags.indices.filter { flags[$0] }
            var result = [Int64](repeating: 0, count: x.rank * positions.count)
            for (n, position) in positions.enumerated() {
                var rest = position
                for axis in (0..<x.rank).reversed() {
                    result[axis * positions.count + n] = Int64(rest % x.shape[axis])
                    rest /= x.shape[axis]
                }
            }
            return [.tensor(.int64(result, shape: [x.rank, positions.count]))]
        }
    }
}
