/// Range (opset 11): start, start + delta, ... up to (not including) limit. As in ONNX
/// Runtime, the count is ceil((limit − start) / delta) and each element adds delta to the
/// previous one, so float results carry the same rounding.
enum RangeOperator {
    static let factory: KernelFactory = { context in
        try context.requireInputs(3...3)
        for index in 0..<3 { try context.requireType(index, in: ElementwiseOperators.numericTypes) }
        let type = try context.sameType([0, 1, 2])
        return LoweredNode(outputs: [.tensorOrUnknown(type)]) { inputs in
            let start = try inputs.tensor(0), limit = try inputs.tensor(1), delta = try inputs.tensor(2)
            guard start.count == 1, limit.count == 1, delta.count == 1 else {
                throw inputs.fail("start, limit and delta must be scalars")
            }
            switch (start.storage, limit.storage, delta.storage) {
            case let (.float(a), .float(b), .float(d)): return [.tensor(try sequence(a[0], b[0], d[0], inputs))]
            case let (.double(a), .double(b), .double(d)): return [.tensor(try sequence(a[0], b[0], d[0], inputs))]
            case let (.int32(a), .int32(b), .int32(d)): return [.tensor(try sequence(a[0], b[0], d[0], inputs))]
            case let (.int64(a), .int64(b), .int64(d)): return [.tensor(try sequence(a[0], b[0], d[0], inputs))]
            default: throw inputs.fail("start, limit and delta must share one numeric type")
            }
        }
    }

    private static func sequence<T: NumericElement>(_ start: T, _ limit: T, _ delta: T, _ inputs: KernelInputs) throws -> Tensor {
        guard delta != 0 else { throw inputs.fail("delta must not be zero") }
        let steps = (T.subtract(limit, start).double / delta.double).rounded(.up)
        let count = steps.isNaN || steps <= 0 ? 0 : steps
        guard count <= Double(RuntimeLimits.maxCreatedElements) else {
            throw inputs.fail("Range of \(count) elements exceeds the limit of \(RuntimeLimits.maxCreatedElements)")
        }
        var values: [T] = []
        values.reserveCapacity(Int(count))
        var next = start
        for _ in 0..<Int(count) {
            values.append(next)
            next = T.add(next, delta)
        }
        return Tensor(shape: [values.count], elements: values)
    }
}
