/// OneHot (opset 9/11): a new axis of `depth` positions, `on` at each index and `off`
/// elsewhere. Negative indices count from the end; indices outside [−depth, depth) give a
/// row of `off` (ONNX Runtime's behaviour). Float indices are truncated.
enum OneHot {
    static let factory: KernelFactory = { context in
        try context.requireInputs(3...3)
        try context.requireType(0, in: ElementwiseOperators.numericTypes)
        try context.requireType(1, in: ElementwiseOperators.numericTypes)
        let axis = Int(try context.attributes.int("axis", default: -1))
        return LoweredNode(outputs: [context.kind(2)]) { inputs in
            let indices = try inputs.tensor(0), depthTensor = try inputs.tensor(1), values = try inputs.tensor(2)
            guard let depthValue = depthTensor.doubles()?.first, depthTensor.count == 1 else {
                throw inputs.fail("depth must be a numeric scalar")
            }
            guard depthValue >= 1, depthValue <= Double(RuntimeLimits.maxCreatedElements) else {
                throw inputs.fail("depth \(depthValue) must be at least 1")
            }
            let depth = Int(depthValue)
            guard values.count == 2, values.rank == 1 else { throw inputs.fail("values must be [off, on]") }
            let rank = indices.rank + 1
            let resolvedAxis = axis < 0 ? axis + rank : axis
            guard resolvedAxis >= 0, resolvedAxis < rank else { throw inputs.fail("axis \(axis) is out of range for rank \(rank)") }
            var shape = indices.shape
            shape.insert(depth, at: resolvedAxis)
            try RuntimeLimits.check(shape, inputs)
            let positions = (indices.doubles() ?? []).map { value -> Int in
                guard value.isFinite, abs(value) < 9e18 else { return -1 }
                let index = Int(value.rounded(.towardZero))
                return index < 0 ? index + depth : index
            }
            let (outer, inner) = (indices.shape[..<resolvedAxis].reduce(1, *), indices.shape[resolvedAxis...].reduce(1, *))
            // Offsets into [off, on]: 1 where the position along the new axis is the index.
            var picks = [Int](repeating: 0, count: outer * depth * inner)
            for o in 0..<outer {
                for i in 0..<inner {
                    let position = positions[o * inner + i]
                    if position >= 0, position < depth { picks[(o * depth + position) * inner + i] = 1 }
                }
            }
            return [.tensor(Tensor(shape: shape, storage: values.storage.picking(picks)))]
        }
    }
}
