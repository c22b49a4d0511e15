/// Comparisons, boolean logic, Where, IsNaN and IsInf.
enum LogicOperators {
    enum Comparison: String, CaseIterable, Sendable {
        case Equal, Less, LessOrEqual, Greater, GreaterOrEqual
    }

    enum Logic: String, CaseIterable, Sendable {
        case And, Or, Xor
    }

    static let all: [String: KernelFactory] = {
        var table: [String: KernelFactory] = [:]
        for op in Comparison.allCases { table[op.rawValue] = comparison(op) }
        for op in Logic.allCases { table[op.rawValue] = logic(op) }
        table["Not"] = not
        table["Where"] = whereOperator
        table["IsNaN"] = isNaN
        table["IsInf"] = isInf
        return table
    }()

    static func comparison(_ op: Comparison) -> KernelFactory {
        { context in
            try context.requireInputs(2...2)
            let allowed: [ElementType] = op == .Equal ? ElementType.allCases : ElementwiseOperators.numericTypes
            try context.requireType(0, in: allowed)
            try context.requireType(1, in: allowed)
            _ = try context.sameType([0, 1])
            return LoweredNode(outputs: [.tensor(.bool)]) { inputs in
                let a = try inputs.tensor(0), b = try inputs.tensor(1)
                func run<T: NumericElement>(_ x: [T], _ y: [T]) throws -> Tensor {
                    let f: (T, T) -> Bool
                    switch op {
                    case .Equal: f = (==)
                    case .Less: f = (<)
                    case .LessOrEqual: f = (<=)
                    case .Greater: f = (>)
                    case .GreaterOrEqual: f = (>=)
                    }
                    let (v, s) = try Broadcast.map(x, a.shape, y, b.shape, inputs, f)
                    return .bool(v, shape: s)
                }
                switch (a.storage, b.storage) {
                case let (.float(x), .float(y)): return [.tensor(try run(x, y))]
                case let (.double(x), .double(y)): return [.tensor(try run(x, y))]
                case let (.int32(x), .int32(y)): return [.tensor(try run(x, y))]
                case let (.int64(x), .int64(y)): return [.tensor(try run(x, y))]
                case let (.bool(x), .bool(y)) where op == .Equal:
                    let (v, s) = try Broadcast.map(x, a.shape, y, b.shape, inputs, ==)
                    return [.tensor(.bool(v, shape: s))]
                case let (.string(x), .string(y)) where op == .Equal:
                    let (v, s) = try Broadcast.map(x, a.shape, y, b.shape, inputs, ==)
                    return [.tensor(.bool(v, shape: s))]
                default:
                    throw inputs.fail("cannot compare \(a.elementType) with \(b.elementType)")
                }
            }
        }
    }

    static func logic(_ op: Logic) -> KernelFactory {
        { context in
            try context.requireInputs(2...2)
            try context.requireType(0, in: [.bool])
            try context.requireType(1, in: [.bool])
            return LoweredNode(outputs: [.tensor(.bool)]) { inputs in
                let a = try inputs.tensor(0), b = try inputs.tensor(1)
                let x = try a.elements(Bool.self, inputs), y = try b.elements(Bool.self, inputs)
                let f: (Bool, Bool) -> Bool
                switch op {
                case .And: f = { $0 && $1 }
                case .Or: f = { $0 || $1 }
                case .Xor: f = (!=)
                }
                let (v, s) = try Broadcast.map(x, a.shape, y, b.shape, inputs, f)
                return [.tensor(.bool(v, shape: s))]
            }
        }
    }

    static let not: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: [.bool])
        return LoweredNode(outputs: [.tensor(.bool)]) { inputs in
            let x = try inputs.tensor(0)
            return [.tensor(.bool(try x.elements(Bool.self, inputs).map { !$0 }, shape: x.shape))]
        }
    }

    static let isNaN: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: ElementwiseOperators.floatTypes)
        return LoweredNode(outputs: [.tensor(.bool)]) { inputs in
            let x = try inputs.tensor(0)
            guard let values = x.doubles() else { throw inputs.fail("IsNaN needs a float tensor") }
            return [.tensor(.bool(values.map(\.isNaN), shape: x.shape))]
        }
    }

    static let isInf: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: ElementwiseOperators.floatTypes)
        let positive = try context.attributes.int("detect_positive", default: 1) != 0
        let negative = try context.attributes.int("detect_negative", default: 1) != 0
        return LoweredNode(outputs: [.tensor(.bool)]) { inputs in
            let x = try inputs.tensor(0)
            guard let values = x.doubles() else { throw inputs.fail("IsInf needs a float tensor") }
            let flags = values.map { ($0 == .infinity && positive) || ($0 == -.infinity && negative) }
            return [.tensor(.bool(flags, shape: x.shape))]
        }
    }

    /// Where(condition, X, Y): three-way broadcasting.
    static let whereOperator: KernelFactory = { context in
        try context.requireInputs(3...3)
        try context.requireType(0, in: [.bool])
        let type = try context.sameType([1, 2])
        return LoweredNode(outputs: [.tensorOrUnknown(type)]) { inputs in
            let condition = try inputs.tensor(0), x = try inputs.tensor(1), y = try inputs.tensor(2)
            let flags = try condition.elements(Bool.self, inputs)
            guard let shape = Broadcast.shape(of: [condition.shape, x.shape, y.shape]) else {
                throw inputs.fail("shapes \(condition.shape), \(x.shape) and \(y.shape) do not broadcast")
            }
            let c = Broadcast.offsets(of: condition.shape, in: shape)
            let i = Broadcast.offsets(of: x.shape, in: shape)
            let j = Broadcast.offsets(of: y.shape, in: shape)
            func pick<T: TensorElement>(_ a: [T], _ b: [T]) -> Tensor {
                Tensor(shape: shape, elements: (0..<c.count).map { flags[c[$0]] ? a[i[$0]] : b[j[$0]] })
            }
            switch (x.storage, y.storage) {
            case let (.float(a), .float(b)): return [.tensor(pick(a, b))]
            case let (.double(a), .double(b)): return [.tensor(pick(a, b))]
            case let (.int32(a), .int32(b)): return [.tensor(pick(a, b))]
            case let (.int64(a), .int64(b)): return [.tensor(pick(a, b))]
            case let (.bool(a), .bool(b)): return [.tensor(pick(a, b))]
            case let (.string(a), .string(b)): return [.tensor(pick(a, b))]
            default: throw inputs.fail("X and Y have different types \(x.elementType) and \(y.elementType)")
            }
        }
    }
}
