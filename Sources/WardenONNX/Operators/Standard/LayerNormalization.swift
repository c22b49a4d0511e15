/// LayerNormalization (opset 17): normalises X over the axes from `axis` on, then scales and
/// shifts. Computed as ONNX Runtime 1.32's CPU kernel does, so results agree to the last
/// bits: Welford's one-pass mean and variance, then (x − mean) / sqrt(variance + ε) · scale
/// + bias.
enum LayerNormalization {
    static let factory: KernelFactory = { context in
        try context.requireInputs(2...3)
        try context.requireType(0, in: ElementwiseOperators.floatTypes)
        let type = try context.sameType([0, 1, 2])
        let axis = Int(try context.attributes.int("axis", default: -1))
        let epsilon = try context.attributes.float("epsilon", default: 1e-5)
        // stash_type 1 (float) is what every exporter writes; double inputs are then still
        // computed in double, as in ORT.
        let stash = try context.attributes.int("stash_type", default: 1)
        guard stash == 1 else { throw context.unsupported("stash_type \(stash)") }
        let kind = ValueKind.tensorOrUnknown(type)
        return LoweredNode(outputs: [kind, kind, kind]) { inputs in
            let x = try inputs.tensor(0), scale = try inputs.tensor(1), bias = try inputs.optionalTensor(2)
            switch x.storage {
            case let .float(values):
                return try normalize(
                    values, x.shape, try scale.elements(Float.self, inputs), try bias?.elements(Float.self, inputs),
                    axis: axis, epsilon: Float(epsilon), inputs)
            case let .double(values):
                return try normalize(
                    values, x.shape, try scale.elements(Double.self, inputs), try bias?.elements(Double.self, inputs),
                    axis: axis, epsilon: Double(epsilon), inputs)
            default: throw inputs.fail("expected a float or double tensor, got \(x.elementType)")
            }
        }
    }

    private static func normalize<T: FloatElement>(
        _ x: [T], _ shape: [Int], _ scale: [T], _ bias: [T]?, axis: Int, epsilon: T, _ inputs: KernelInputs
    ) throws -> [Value] {
        let first = try Axis.normalize(axis, rank: shape.count, inputs)
        let width = shape[first...].reduce(1, *)
        let rows = shape[..<first].reduce(1, *)
        guard scale.count == width, bias.map({ $0.count == width }) ?? true else {
            throw inputs.fail("scale and bias must have the \(width) elements of the normalised axes")
        }
        var y = [T](repeating: 0, count: x.count)
        var means = [T](repeating: 0, count: rows)
        var inverseDeviations = [T](repeating: 0, count: rows)
        let count = T(width)
        for row in 0..<rows {
            let base = row * width
            // Welford's running mean and sum of squared deviations, as ORT 1.32 computes
            // them (its Mean output is NaN, not inf, for a row holding an infinity).
            var mean: T = 0
            var squaredDeviations: T = 0
            for h in 0..<width {
                let value = x[base + h]
                let delta = value - mean
                mean += delta / T(h + 1)
                squaredDeviations += delta * (value - mean)
            }
            let deviation = T.sqrt(squaredDeviations / count + epsilon)
            for h in 0..<width {
                let normalized = (x[base + h] - mean) / deviation * scale[h]
                y[base + h] = bias.map { normalized + $0[h] } ?? normalized
            }
            means[row] = mean
            inverseDeviations[row] = 1 / deviation
        }
        let statisticsShape = Array(shape[..<first]) + Array(repeating: 1, count: shape.count - first)
        return [
            .tensor(Tensor(shape: shape, elements: y)), .tensor(Tensor(shape: statisticsShape, elements: means)),
            .tensor(Tensor(shape: statisticsShape, elements: inverseDeviations)),
        ]
    }
}
