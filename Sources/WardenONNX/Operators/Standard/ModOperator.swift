/// Mod (opset 10/13) with broadcasting. `fmod` 1 is C's fmod (the result has the dividend's
/// sign) and is required for floats; `fmod` 0 is the integer modulus with the divisor's sign,
/// as in Python. Integer division by zero is refused rather than left undefined.
enum ModOperator {
    static let factory: KernelFactory = { context in
        try context.requireInputs(2...2)
        try context.requireType(0, in: ElementwiseOperators.numericTypes)
        try context.requireType(1, in: ElementwiseOperators.numericTypes)
        let type = try context.sameType([0, 1])
        let truncated = try context.attributes.int("fmod", default: 0) != 0
        if let type, type.isFloatingPoint, !truncated {
            throw context.invalid("fmod must be 1 for \(type) inputs")
        }
        return LoweredNode(outputs: [.tensorOrUnknown(type)]) { inputs in
            let a = try inputs.tensor(0), b = try inputs.tensor(1)
            func integers<T: NumericElement & FixedWidthInteger>(_ x: [T], _ y: [T]) throws -> Tensor {
                guard !y.contains(0) else { throw inputs.fail("integer modulus by zero") }
                let (values, shape) = try Broadcast.map(x, a.shape, y, b.shape, inputs) { (x: T, y: T) -> T in
                    let remainder = x.remainderReportingOverflow(dividingBy: y).partialValue
                    if truncated || remainder == 0 || (remainder < 0) == (y < 0) { return remainder }
                    return remainder &+ y
                }
                return Tensor(shape: shape, elements: values)
            }
            func floats<T: NumericElement & BinaryFloatingPoint>(_ x: [T], _ y: [T]) throws -> Tensor {
                let (values, shape) = try Broadcast.map(x, a.shape, y, b.shape, inputs) { $0.truncatingRemainder(dividingBy: $1) }
                return Tensor(shape: shape, elements: values)
            }
            switch (a.storage, b.storage) {
            case let (.int32(x), .int32(y)): return [.tensor(try integers(x, y))]
            case let (.int64(x), .int64(y)): return [.tensor(try integers(x, y))]
            case let (.float(x), .float(y)) where truncated: return [.tensor(try floats(x, y))]
            case let (.double(x), .double(y)) where truncated: return [.tensor(try floats(x, y))]
            default: throw inputs.fail("operands have types \(a.elementType) and \(b.elementType)")
            }
        }
    }
}
