/// Operators that change shape or layout without arithmetic.
enum ShapeOperators {
    static let all: [String: KernelFactory] = [
        "Reshape": reshape, "Flatten": flatten, "Squeeze": squeeze, "Unsqueeze": unsqueeze, "Transpose": transpose,
        "Concat": concat, "Split": split, "Shape": shape, "Size": size, "Expand": expand, "Tile": tile,
        "ConstantOfShape": constantOfShape, "Constant": constant,
    ]

    /// Reshape: 0 copies the input dimension (unless allowzero), -1 is inferred.
    static let reshape: KernelFactory = { context in
        try context.requireInputs(1...2)
        let attributeShape = try context.attributes.ints("shape")?.map { Int($0) }  // opset < 5
        let allowZero = try context.attributes.int("allowzero", default: 0) != 0
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let x = try inputs.tensor(0)
            guard let requested = try inputs.optionalTensor(1)?.integers(inputs, what: "shape") ?? attributeShape else {
                throw inputs.fail("Reshape needs a shape")
            }
            var shape = requested.enumerated().map { index, dim in
                dim == 0 && !allowZero && index < x.rank ? x.shape[index] : dim
            }
            let inferred = shape.indices.filter { shape[$0] == -1 }
            guard inferred.count <= 1, shape.allSatisfy({ $0 >= -1 }) else {
                throw inputs.fail("invalid target shape \(requested)")
            }
            if let axis = inferred.first {
                guard let known = Tensor.checkedElementCount(shape.enumerated().filter { $0.offset != axis }.map(\.element)),
                    known > 0, x.count % known == 0
                else { throw inputs.fail("cannot reshape \(x.shape) to \(requested)") }
                shape[axis] = x.count / known
            }
            guard Tensor.checkedElementCount(shape) == x.count else {
                throw inputs.fail("cannot reshape \(x.shape) (\(x.count) elements) to \(requested)")
            }
            return [.tensor(Tensor(shape: shape, storage: x.storage))]
        }
    }

    static let flatten: KernelFactory = { context in
        try context.requireInputs(1...1)
        let axis = Int(try context.attributes.int("axis", default: 1))
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let x = try inputs.tensor(0)
            let normalized = axis < 0 ? axis + x.rank : axis
            guard normalized >= 0, normalized <= x.rank else { throw inputs.fail("axis \(axis) out of range for rank \(x.rank)") }
            let outer = x.shape[..<normalized].reduce(1, *)
            return [.tensor(Tensor(shape: [outer, outer == 0 ? 0 : x.count / outer], storage: x.storage))]
        }
    }

    /// Axes are an attribute before opset 13 and an input from 13.
    static func axes(_ inputs: KernelInputs, attribute: [Int]?) throws -> [Int]? {
        try inputs.optionalTensor(1)?.integers(inputs, what: "axes") ?? attribute
    }

    static let squeeze: KernelFactory = { context in
        try context.requireInputs(1...2)
        let attributeAxes = try context.attributes.ints("axes")?.map { Int($0) }
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let x = try inputs.tensor(0)
            let shape: [Int]
            if let requested = try axes(inputs, attribute: attributeAxes) {
                let drop = Set(try requested.map { try Axis.normalize($0, rank: x.rank, inputs) })
                for axis in drop where x.shape[axis] != 1 {
                    throw inputs.fail("cannot squeeze axis \(axis) of size \(x.shape[axis])")
                }
                shape = x.shape.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
            } else {
                shape = x.shape.filter { $0 != 1 }
            }
            return [.tensor(Tensor(shape: shape, storage: x.storage))]
        }
    }

    static let unsqueeze: KernelFactory = { context in
        try context.requireInputs(1...2)
        let attributeAxes = try context.attributes.ints("axes")?.map { Int($0) }
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let x = try inputs.tensor(0)
            guard let requested = try axes(inputs, attribute: attributeAxes) else { throw inputs.fail("Unsqueeze needs axes") }
            let rank = x.rank + requested.count
            let inserted = Set(try requested.map { try Axis.normalize($0, rank: rank, inputs) })
            guard inserted.count == requested.count else { throw inputs.fail("axes \(requested) repeat") }
            var source = x.shape.makeIterator()
            let shape = (0..<rank).map { inserted.contains($0) ? 1 : source.next() ?? 1 }
            return [.tensor(Tensor(shape: shape, storage: x.storage))]
        }
    }

    static let transpose: KernelFactory = { context in
        try context.requireInputs(1...1)
        let permutation = try context.attributes.ints("perm")?.map { Int($0) }
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let x = try inputs.tensor(0)
            let perm = permutation ?? Array((0..<x.rank).reversed())
            guard perm.count == x.rank, Set(perm) == Set(0..<x.rank) else {
                throw inputs.fail("perm \(perm) is not a permutation of rank \(x.rank)")
            }
            let shape = perm.map { x.shape[$0] }
            let inputStrides = Broadcast.strides(of: x.shape, in: x.shape).enumerated().map { x.shape[$0.offset] == 1 ? 0 : $0.element }
            let strides = perm.map { inputStrides[$0] }
            var offsets: [Int] = []
            offsets.reserveCapacity(x.count)
            Broadcast.forEachIndex(shape, strides, strides) { i, _ in offsets.append(i) }
            return [.tensor(Tensor(shape: shape, storage: x.storage.picking(offsets)))]
        }
    }

    static let concat: KernelFactory = { context in
        guard context.inputCount >= 1 else { throw context.invalid("needs at least one input") }
        let axis = Int(try context.attributes.required(try context.attributes.int("axis"), "axis"))
        let type = try context.sameType(Array(0..<context.inputCount))
        return LoweredNode(outputs: [.tensorOrUnknown(type)]) { inputs in
            let tensors = try (0..<inputs.count).map { try inputs.tensor($0) }
            let rank = tensors[0].rank
            let normalized = try Axis.normalize(axis, rank: rank, inputs)
            var shape = tensors[0].shape
            shape[normalized] = 0
            for tensor in tensors {
                guard tensor.rank == rank, tensor.elementType == tensors[0].elementType,
                    (0..<rank).allSatisfy({ $0 == normalized || tensor.shape[$0] == tensors[0].shape[$0] })
                else { throw inputs.fail("cannot concatenate \(tensors.map(\.shape)) along axis \(axis)") }
                shape[normalized] += tensor.shape[normalized]
            }
            let outer = shape[..<normalized].reduce(1, *)
            let blocks = tensors.map { $0.shape[normalized...].reduce(1, *) }
            let storage = TensorStorage.concatenate(tensors.map(\.storage), blocks: blocks, outer: outer)
            return [.tensor(Tensor(shape: shape, storage: storage))]
        }
    }

    /// Split: sizes from the `split` input (13+), the attribute (before 13), `num_outputs` (18+) or evenly.
    static let split: KernelFactory = { context in
        try context.requireInputs(1...2)
        let axis = Int(try context.attributes.int("axis", default: 0))
        let attributeSplit = try context.attributes.ints("split")?.map { Int($0) }
        let outputs = context.node.outputs.count
        if let declared = try context.attributes.int("num_outputs"), declared != outputs {
            throw context.invalid("num_outputs is \(declared) but the node has \(outputs) outputs")
        }
        return LoweredNode(outputs: Array(repeating: context.kind(0), count: outputs)) { inputs in
            let x = try inputs.tensor(0)
            let normalized = try Axis.normalize(axis, rank: x.rank, inputs)
            let (outer, size, inner) = Axis.split(x.shape, at: normalized)
            var sizes = try inputs.optionalTensor(1)?.integers(inputs, what: "split") ?? attributeSplit ?? []
            if sizes.isEmpty {
                let chunk = (size + outputs - 1) / max(outputs, 1)
                sizes = (0..<outputs).map { Swift.max(0, Swift.min(chunk, size - $0 * chunk)) }
            }
            guard sizes.count == outputs, sizes.allSatisfy({ $0 >= 0 && $0 <= size }), sizes.reduce(0, +) == size else {
                throw inputs.fail("split sizes \(sizes) do not divide axis of size \(size) into \(outputs) outputs")
            }
            var start = 0
            return sizes.map { length in
                var offsets: [Int] = []
                for o in 0..<outer {
                    for s in start..<(start + length) {
                        for i in 0..<inner { offsets.append((o * size + s) * inner + i) }
                    }
                }
                start += length
                var shape = x.shape
                shape[normalized] = length
                return .tensor(Tensor(shape: shape, storage: x.storage.picking(offsets)))
            }
        }
    }

    static let shape: KernelFactory = { context in
        try context.requireInputs(1...1)
        let startAttribute = Int(try context.attributes.int("start", default: 0))
        let endAttribute = try context.attributes.int("end").map { Int($0) }
        return LoweredNode(outputs: [.tensor(.int64)]) { inputs in
            let x = try inputs.tensor(0)
            let clamp = { (v: Int) in Swift.min(Swift.max(v < 0 ? v + x.rank : v, 0), x.rank) }
            let start = clamp(startAttribute), end = clamp(endAttribute ?? x.rank)
            let dims = start < end ? x.shape[start..<end].map { Int64($0) } : []
            return [.tensor(.int64(dims, shape: [dims.count]))]
        }
    }

    static let size: KernelFactory = { context in
        try context.requireInputs(1...1)
        return LoweredNode(outputs: [.tensor(.int64)]) { inputs in
            [.tensor(.int64([Int64(try inputs.tensor(0).count)], shape: []))]
        }
    }

    static let expand: KernelFactory = { context in
        try context.requireInputs(2...2)
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let x = try inputs.tensor(0)
            let requested = try inputs.tensor(1).integers(inputs, what: "shape")
            guard let shape = Broadcast.shape(x.shape, requested) else {
                throw inputs.fail("cannot expand \(x.shape) to \(requested)")
            }
            try RuntimeLimits.check(shape, inputs)
            return [.tensor(Tensor(shape: shape, storage: x.storage.picking(Broadcast.offsets(of: x.shape, in: shape))))]
        }
    }

    static let tile: KernelFactory = { context in
        try context.requireInputs(2...2)
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let x = try inputs.tensor(0)
            let repeats = try inputs.tensor(1).integers(inputs, what: "repeats")
            guard repeats.count == x.rank, repeats.allSatisfy({ $0 >= 0 }) else {
                throw inputs.fail("repeats \(repeats) must give one non-negative count per axis of \(x.shape)")
            }
            // Checked: repeats come from the request and may be huge.
            let products = zip(x.shape, repeats).map { $0.multipliedReportingOverflow(by: $1) }
            guard !products.contains(where: \.overflow) else { throw inputs.fail("repeats overflow the tiled shape") }
            let shape = products.map(\.partialValue)
            try RuntimeLimits.check(shape, inputs)
            let strides = Broadcast.strides(of: x.shape, in: x.shape)
            var offsets: [Int] = []
            offsets.reserveCapacity(Tensor.elementCount(shape))
            // Walk the output; each coordinate maps back modulo the input dimension.
            var coordinate = [Int](repeating: 0, count: shape.count)
            for _ in 0..<Tensor.elementCount(shape) {
                var offset = 0
                for axis in 0..<shape.count { offset += (coordinate[axis] % x.shape[axis]) * strides[axis] }
                offsets.append(offset)
                var axis = shape.count - 1
                while axis >= 0 {
                    coordinate[axis] += 1
                    if coordinate[axis] < shape[axis] { break }
                    coordinate[axis] = 0
                    axis -= 1
                }
            }
            return [.tensor(Tensor(shape: shape, storage: x.storage.picking(offsets)))]
        }
    }

    static let constantOfShape: KernelFactory = { context in
        try context.requireInputs(1...1)
        let declared = try context.attributes.tensor("value") ?? .float([0], shape: [1])
        guard declared.count == 1 else { throw context.invalid("'value' must hold one element") }
        let fill = declared.heldAsFloat  // float16 is computed as float32 (HalfPrecision)
        return LoweredNode(outputs: [.tensor(declared.elementType)]) { inputs in
            let shape = try inputs.tensor(0).integers(inputs, what: "shape")
            try RuntimeLimits.check(shape, inputs)
            let count = Tensor.elementCount(shape)
            return [.tensor(Tensor(shape: shape, storage: fill.storage.repeating(0, count: count)))]
        }
    }

    /// Constant: one of value, value_float(s), value_int(s), value_string(s). Folded at load.
    static let constant: KernelFactory = { context in
        try context.requireInputs(0...0)
        let a = context.attributes
        let value: Tensor
        if let t = try a.tensor("value") {
            value = t
        } else if let f = try a.float("value_float") {
            value = .float([f], shape: [])
        } else if let fs = try a.floats("value_floats") {
            value = .float(fs, shape: [fs.count])
        } else if let i = try a.int("value_int") {
            value = .int64([i], shape: [])
        } else if let ints = try a.ints("value_ints") {
            value = .int64(ints, shape: [ints.count])
        } else if let s = try a.string("value_string") {
            value = .string([s], shape: [])
        } else if let ss = try a.strings("value_strings") {
            value = .string(ss, shape: [ss.count])
        } else if a.has("sparse_value") {
            throw context.unsupported("sparse_value")
        } else {
            throw context.invalid("has no value")
        }
        return LoweredNode(outputs: [.tensor(value.elementType)]) { _ in [.tensor(value)] }
    }
}
