/// Binary arithmetic with broadcasting (Add, Sub, Mul, Div, Pow) and the variadic Max, Min,
/// Sum and Mean.
enum Arithmetic: String, CaseIterable, Sendable {
    case Add, Sub, Mul, Div, Pow
}

enum Variadic: String, CaseIterable, Sendable {
    case Max, Min, Sum, Mean
}

enum BinaryOperators {
    static func arithmetic(_ op: Arithmetic) -> KernelFactory {
        { context in
            try context.requireInputs(2...2)
            try context.requireType(0, in: ElementwiseOperators.numericTypes)
            try context.requireType(1, in: ElementwiseOperators.numericTypes)
            // Pow alone may mix types (opset 12+): the result has the base's type.
            let type = op == .Pow ? context.elementType(0) : try context.sameType([0, 1])
            return LoweredNode(outputs: [.tensorOrUnknown(type)]) { inputs in
                let a = try inputs.tensor(0), b = try inputs.tensor(1)
                if op == .Pow { return [.tensor(try power(a, b, inputs))] }
                return [.tensor(try combine(a, b, inputs, op))]
            }
        }
    }

    static func combine(_ a: Tensor, _ b: Tensor, _ inputs: KernelInputs, _ op: Arithmetic) throws -> Tensor {
        func run<T: NumericElement>(_ x: [T], _ y: [T]) throws -> Tensor {
            let f: (T, T) -> T
            switch op {
            case .Add: f = T.add
            case .Sub: f = T.subtract
            case .Mul: f = T.multiply
            case .Div:
                if T.isInteger, y.contains(0) { throw inputs.fail("integer division by zero") }
                f = T.divide
            case .Pow: f = { x, y in T(double: Foundation_pow(x.double, y.double)) }
            }
            let (values, shape) = try Broadcast.map(x, a.shape, y, b.shape, inputs, f)
            return Tensor(shape: shape, elements: values)
        }
        switch (a.storage, b.storage) {
        case let (.float(x), .float(y)): return try run(x, y)
        case let (.double(x), .double(y)): return try run(x, y)
        case let (.int32(x), .int32(y)): return try run(x, y)
        case let (.int64(x), .int64(y)): return try run(x, y)
        default: throw inputs.fail("operands have types \(a.elementType) and \(b.elementType), expected one numeric type")
        }
    }

    /// Pow: float bases use their own precision; the exponent is converted to the base's type.
    static func power(_ a: Tensor, _ b: Tensor, _ inputs: KernelInputs) throws -> Tensor {
        guard let exponents = b.doubles(), b.elementType != .bool else { throw inputs.fail("Pow exponent must be numeric") }
        switch a.storage {
        case let .float(x):
            let (v, s) = try Broadcast.map(x, a.shape, exponents, b.shape, inputs) { Float.pow($0, Float($1)) }
            return Tensor(shape: s, elements: v)
        case let .double(x):
            let (v, s) = try Broadcast.map(x, a.shape, exponents, b.shape, inputs) { Double.pow($0, $1) }
            return Tensor(shape: s, elements: v)
        case let .int32(x):
            let (v, s) = try Broadcast.map(x, a.shape, exponents, b.shape, inputs) { Int32(double: Double.pow(Double($0), $1)) }
            return Tensor(shape: s, elements: v)
        case let .int64(x):
            let (v, s) = try Broadcast.map(x, a.shape, exponents, b.shape, inputs) { Int64(double: Double.pow(Double($0), $1)) }
            return Tensor(shape: s, elements: v)
        default: throw inputs.fail("Pow base must be numeric, got \(a.elementType)")
        }
    }

    static func variadic(_ op: Variadic) -> KernelFactory {
        { context in
            guard context.inputCount >= 1 else { throw context.invalid("needs at least one input") }
            for index in 0..<context.inputCount { try context.requireType(index, in: ElementwiseOperators.numericTypes) }
            let type = try context.sameType(Array(0..<context.inputCount))
            return LoweredNode(outputs: [.tensorOrUnknown(type)]) { inputs in
                var result = try inputs.tensor(0)
                for index in 1..<max(inputs.count, 1) {
                    result = try fold(result, try inputs.tensor(index), inputs, op)
                }
                if op == .Mean {
                    let n = Double(inputs.count)
                    result = try result.mapNumeric(Scale(divisor: n), inputs)
                }
                return [.tensor(result)]
            }
        }
    }

    private struct Scale: NumericTransform {
        let divisor: Double
        func apply<T: NumericElement>(_ x: [T]) -> [T] {
            let d = T(double: divisor)
            return x.map { T.divide($0, d) }
        }
    }

    private static func fold(_ a: Tensor, _ b: Tensor, _ inputs: KernelInputs, _ op: Variadic) throws -> Tensor {
        func run<T: NumericElement>(_ x: [T], _ y: [T]) throws -> Tensor {
            let f: (T, T) -> T
            switch op {
            // NaN wins in Max and Min, as in ONNX Runtime's Eigen-based kernels.
            case .Max: f = { x, y in x != x ? x : y != y ? y : (x < y ? y : x) }
            case .Min: f = { x, y in x != x ? x : y != y ? y : (y < x ? y : x) }
            case .Sum, .Mean: f = T.add
            }
            let (values, shape) = try Broadcast.map(x, a.shape, y, b.shape, inputs, f)
            return Tensor(shape: shape, elements: values)
        }
        switch (a.storage, b.storage) {
        case let (.float(x), .float(y)): return try run(x, y)
        case let (.double(x), .double(y)): return try run(x, y)
        case let (.int32(x), .int32(y)): return try run(x, y)
        case let (.int64(x), .int64(y)): return try run(x, y)
        default: throw inputs.fail("operands have types \(a.elementType) and \(b.elementType), expected one numeric type")
        }
    }
}

private func Foundation_pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
