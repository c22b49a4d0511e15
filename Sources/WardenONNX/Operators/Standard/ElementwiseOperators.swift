/// Elementwise unary math, Clip, Identity and Dropout.
enum ElementwiseOperators {
    static let all: [String: KernelFactory] = {
        var table: [String: KernelFactory] = [:]
        for op in FloatFunction.allCases {
            table[op.rawValue] = unaryFloat { _ in op }
        }
        for op in NumericFunction.allCases {
            table[op.rawValue] = unaryNumeric { _ in op }
        }
        table["LeakyRelu"] = unaryFloat { context in
            LeakyRelu(alpha: try context.attributes.float("alpha", default: 0.01))
        }
        table["HardSigmoid"] = unaryFloat { context in
            HardSigmoid(
                alpha: try context.attributes.float("alpha", default: 0.2),
                beta: try context.attributes.float("beta", default: 0.5))
        }
        table["Gelu"] = unaryFloat { context in
            let approximate = try context.attributes.string("approximate", default: "none")
            guard let form = Gelu.Form(rawValue: approximate) else {
                throw context.invalid("approximate '\(approximate)' is not none or tanh")
            }
            return Gelu(form: form)
        }
        table["Clip"] = clip
        table["Identity"] = identity
        table["Dropout"] = dropout
        for op in Arithmetic.allCases { table[op.rawValue] = BinaryOperators.arithmetic(op) }
        for op in Variadic.allCases { table[op.rawValue] = BinaryOperators.variadic(op) }
        return table
    }()

    static let floatTypes: [ElementType] = [.float, .double]
    static let numericTypes: [ElementType] = [.float, .double, .int32, .int64]

    /// A one-input, type-preserving float operator; `make` reads the attributes once at load.
    static func unaryFloat<F: FloatTransform & Sendable>(
        _ make: @escaping @Sendable (NodeContext) throws -> F
    ) -> KernelFactory {
        { context in
            try context.requireInputs(1...1)
            try context.requireType(0, in: floatTypes)
            let transform = try make(context)
            return LoweredNode(outputs: [context.kind(0)]) { inputs in
                [.tensor(try inputs.tensor(0).mapFloat(transform, inputs))]
            }
        }
    }

    /// A one-input, type-preserving numeric operator.
    static func unaryNumeric<F: NumericTransform & Sendable>(
        _ make: @escaping @Sendable (NodeContext) throws -> F
    ) -> KernelFactory {
        { context in
            try context.requireInputs(1...1)
            try context.requireType(0, in: numericTypes)
            let transform = try make(context)
            return LoweredNode(outputs: [context.kind(0)]) { inputs in
                [.tensor(try inputs.tensor(0).mapNumeric(transform, inputs))]
            }
        }
    }

    /// Functions defined on floating-point tensors only.
    enum FloatFunction: String, CaseIterable, FloatTransform {
        case Sqrt, Exp, Log, Reciprocal, Sigmoid, Tanh, Erf, Floor, Ceil, Round

        func apply<T: FloatElement>(_ x: [T]) -> [T] {
            switch self {
            case .Sqrt: x.map(T.sqrt)
            case .Exp: x.map(T.exp)
            case .Log: x.map(T.log)
            case .Reciprocal: x.map { 1 / $0 }
            // Split at zero so exp never overflows.
            case .Sigmoid: x.map { $0 >= 0 ? 1 / (1 + T.exp(-$0)) : T.exp($0) / (1 + T.exp($0)) }
            case .Tanh: x.map(T.tanh)
            case .Erf: x.map(T.erf)
            case .Floor: x.map { $0.rounded(.down) }
            case .Ceil: x.map { $0.rounded(.up) }
            case .Round: x.map { $0.rounded(.toNearestOrEven) }
            }
        }
    }

    /// Functions defined on every numeric type. NaN passes through unchanged.
    enum NumericFunction: String, CaseIterable, NumericTransform {
        case Abs, Neg, Relu, Sign

        func apply<T: NumericElement>(_ x: [T]) -> [T] {
            switch self {
            case .Abs: DenseMap.map(x) { $0 < 0 ? T.subtract(0, $0) : $0 }
            case .Neg: DenseMap.map(x) { T.subtract(0, $0) }
            case .Relu: DenseMap.map(x) { $0 < 0 ? 0 : $0 }
            case .Sign: DenseMap.map(x) { $0 > 0 ? 1 : $0 < 0 ? 0 - 1 : ($0 == $0 ? 0 : $0) }
            }
        }
    }

    struct LeakyRelu: FloatTransform {
        let alpha: Float
        func apply<T: FloatElement>(_ x: [T]) -> [T] {
            let a = T(alpha)
            return x.map { $0 < 0 ? $0 * a : $0 }
        }
    }

    /// Gelu (opset 20): x·Φ(x) exactly (erf), or its tanh approximation.
    struct Gelu: FloatTransform {
        enum Form: String { case exact = "none", tanh }
        let form: Form
        func apply<T: FloatElement>(_ x: [T]) -> [T] {
            switch form {
            case .exact:
                let inverseRoot2 = T(0.7071067811865476)
                return x.map { 0.5 * $0 * (1 + T.erf($0 * inverseRoot2)) }
            case .tanh:
                let root2OverPi = T(0.7978845608028654), cubic = T(0.044715)
                return x.map { 0.5 * $0 * (1 + T.tanh(root2OverPi * ($0 + cubic * $0 * $0 * $0))) }
            }
        }
    }

    struct HardSigmoid: FloatTransform {
        let alpha: Float, beta: Float
        func apply<T: FloatElement>(_ x: [T]) -> [T] {
            let a = T(alpha), b = T(beta)
            return x.map { value in
                let y = a * value + b
                return y.isNaN ? y : Swift.max(0, Swift.min(1, y))
            }
        }
    }

    /// min(max(x, low), high), as ONNX Runtime computes it: missing bounds are the extreme
    /// finite values (so ±inf is clamped to ±max), a NaN bound is no bound, NaN stays NaN, and
    /// low > high gives high.
    struct ClipRange: NumericTransform {
        let low: Double?, high: Double?
        func apply<T: NumericElement>(_ x: [T]) -> [T] {
            let lo = low.map(T.init(double:)) ?? T.lowestFinite
            let hi = high.map(T.init(double:)) ?? T.highestFinite
            return x.map { value in
                let raised = value < lo ? lo : value
                return raised > hi ? hi : raised
            }
        }
    }

    static let clip: KernelFactory = { context in
        try context.requireInputs(1...3)
        try context.requireType(0, in: numericTypes)
        // Before opset 11 the bounds are attributes; from 11 on they are optional inputs.
        let attributeMin = try context.attributes.float("min").map(Double.init)
        let attributeMax = try context.attributes.float("max").map(Double.init)
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let x = try inputs.tensor(0)
            let low = try inputs.optionalTensor(1)?.doubles()?.first ?? attributeMin
            let high = try inputs.optionalTensor(2)?.doubles()?.first ?? attributeMax
            return [.tensor(try x.mapNumeric(ClipRange(low: low, high: high), inputs))]
        }
    }

    static let identity: KernelFactory = { context in
        try context.requireInputs(1...1)
        return LoweredNode(outputs: [context.kind(0)]) { inputs in [try inputs.value(0)] }
    }

    /// Dropout at inference is the identity; its optional mask output is all true.
    // Kept out of line: inlined into the Dropout closure it crashes Swift 6.3.1's optimiser
    // (CopyPropagation ownership verifier).
    @inline(never)
    static func zeroMask(like x: Tensor) -> Tensor {
        Tensor(shape: x.shape, storage: TensorStorage.zeros(x.elementType, count: x.count))
    }

    static let dropout: KernelFactory = { context in
        try context.requireInputs(1...3)
        // Before opset 10 the mask has the input's type, and ONNX Runtime fills it with zeros.
        if context.opset < 10 {
            return LoweredNode(outputs: [context.kind(0), context.kind(0)]) { inputs in
                let x = try inputs.tensor(0)
                return [.tensor(x), .tensor(zeroMask(like: x))]
            }
        }
        return LoweredNode(outputs: [context.kind(0), .tensor(.bool)]) { inputs in
            let x = try inputs.tensor(0)
            return [.tensor(x), .tensor(.bool(Array(repeating: true, count: x.count), shape: x.shape))]
        }
    }
}
