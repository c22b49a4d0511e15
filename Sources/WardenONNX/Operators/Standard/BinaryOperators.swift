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
                return [.tensor(try combine(a, b, inputs, BinaryFunction(op)))]
            }
        }
    }

    /// One elementwise function of two numbers, for every numeric type.
    enum BinaryFunction {
        case add, subtract, multiply, divide, maximum, minimum

        init(_ op: Arithmetic) {
            switch op {
            case .Add: self = .add
            case .Sub: self = .subtract
            case .Mul: self = .multiply
            case .Div, .Pow: self = .divide  // Pow never gets here: it has its own kernel
            }
        }

        init(_ op: Variadic) {
            switch op {
            case .Max: self = .maximum
            case .Min: self = .minimum
            case .Sum, .Mean: self = .add
            }
        }

        func function<T: NumericElement>(_: T.Type) -> (T, T) -> T {
            switch self {
            case .add: T.add
            case .subtract: T.subtract
            case .multiply: T.multiply
            case .divide: T.divide
            // NaN wins in Max and Min, as in ONNX Runtime's Eigen-based kernels; ties keep the first.
            case .maximum: { x, y in x != x ? x : y != y ? y : (x < y ? y : x) }
            case .minimum: { x, y in x != x ? x : y != y ? y : (y < x ? y : x) }
            }
        }
    }

    /// Applies `function` elementwise with broadcasting to two tensors of one numeric type.
    static func combine(_ a: Tensor, _ b: Tensor, _ inputs: KernelInputs, _ function: BinaryFunction) throws -> Tensor {
        func run<T: NumericElement>(_ x: [T], _ y: [T]) throws -> Tensor {
            if function == .divide, T.isInteger, y.contains(0) { throw inputs.fail("integer division by zero") }
            // One literal closure per function, so each is inlined into the broadcast's loops.
            func map(_ body: (T, T) -> T) throws -> Tensor {
                let (values, shape) = try Broadcast.map(x, a.shape, y, b.shape, inputs, body)
                return Tensor(shape: shape, elements: values)
            }
            switch function {
            case .add: return try map { T.add($0, $1) }
            case .subtract: return try map { T.subtract($0, $1) }
            case .multiply: return try map { T.multiply($0, $1) }
            case .divide: return try map { T.divide($0, $1) }
            case .maximum, .minimum: return try map(function.function(T.self))
            }
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
                    result = try combine(result, try inputs.tensor(index), inputs, BinaryFunction(op))
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
}
