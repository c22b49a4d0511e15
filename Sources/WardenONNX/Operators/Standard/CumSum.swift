/// CumSum (opset 11/14): running sums along one axis, optionally exclusive (each element
/// leaves itself out) and reversed (summing from the end).
enum CumSum {
    static let factory: KernelFactory = { context in
        try context.requireInputs(2...2)
        try context.requireType(0, in: ElementwiseOperators.numericTypes)
        try context.requireType(1, in: [.int32, .int64])
        let exclusive = try context.attributes.int("exclusive", default: 0) != 0
        let reverse = try context.attributes.int("reverse", default: 0) != 0
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let x = try inputs.tensor(0)
            let axes = try inputs.tensor(1).integers(inputs, what: "axis")
            guard axes.count == 1, try inputs.tensor(1).rank <= 1 else { throw inputs.fail("axis must be a scalar") }
            let axis = try Axis.normalize(axes[0], rank: x.rank, inputs)
            let (outer, size, inner) = Axis.split(x.shape, at: axis)
            return [
                .tensor(
                    try x.mapNumeric(RunningSum(outer: outer, size: size, inner: inner, exclusive: exclusive, reverse: reverse), inputs))
            ]
        }
    }

    private struct RunningSum: NumericTransform {
        let outer: Int, size: Int, inner: Int
        let exclusive: Bool, reverse: Bool

        func apply<T: NumericElement>(_ x: [T]) -> [T] {
            var y = [T](repeating: 0, count: x.count)
            for o in 0..<outer {
                for i in 0..<inner {
                    var total: T = 0
                    for step in 0..<size {
                        let k = reverse ? size - 1 - step : step
                        let offset = (o * size + k) * inner + i
                        if exclusive {
                            y[offset] = total
                            total = T.add(total, x[offset])
                        } else {
                            total = T.add(total, x[offset])
                            y[offset] = total
                        }
                    }
                }
            }
            return y
        }
    }
}
