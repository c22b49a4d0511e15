/// Cast and CastLike between the engine's element types.
enum ConversionOperators {
    static let all: [String: KernelFactory] = ["Cast": cast, "CastLike": castLike]

    static let cast: KernelFactory = { context in
        try context.requireInputs(1...1)
        let code = try context.attributes.required(try context.attributes.int("to"), "to")
        guard let target = ElementType(onnx: Int32(truncatingIfNeeded: code)) else {
            throw context.unsupported("Cast to \(DataTypeName.name(of: Int32(truncatingIfNeeded: code)))")
        }
        return LoweredNode(outputs: [.tensor(target)]) { inputs in
            [.tensor(try Self.convert(try inputs.tensor(0), to: target, inputs))]
        }
    }

    static let castLike: KernelFactory = { context in
        try context.requireInputs(2...2)
        return LoweredNode(outputs: [context.kind(1)]) { inputs in
            [.tensor(try Self.convert(try inputs.tensor(0), to: try inputs.tensor(1).elementType, inputs))]
        }
    }

    /// Converts every element. Float to integer truncates toward zero; NaN and out-of-range
    /// values become the integer minimum, as x86-64 conversion instructions (and so ONNX
    /// Runtime there) produce. Strings parse as numbers and fail the request if they do not.
    static func convert(_ x: Tensor, to target: ElementType, _ inputs: KernelInputs) throws -> Tensor {
        if x.elementType == target { return x }
        let storage: TensorStorage
        switch (x.storage, target) {
        case let (.string(v), _): storage = try parse(v, as: target, inputs)
        case let (.bool(v), .string): storage = .string(v.map { $0 ? "1" : "0" })
        case let (.int32(v), .string): storage = .string(v.map { String($0) })
        case let (.int64(v), .string): storage = .string(v.map { String($0) })
        case let (.float(v), .string): storage = .string(v.map(format))
        case let (.double(v), .string): storage = .string(v.map(format))
        case let (.float(v), _) where target == .double: storage = .double(v.map(Double.init))
        case let (.int64(v), _) where target == .int32: storage = .int32(v.map { Int32(truncatingIfNeeded: $0) })
        default:
            guard let values = x.doubles() else { throw inputs.fail("cannot cast \(x.elementType) to \(target)") }
            storage = fromDoubles(values, target)
        }
        return Tensor(shape: x.shape, storage: storage)
    }

    static func fromDoubles(_ values: [Double], _ target: ElementType) -> TensorStorage {
        switch target {
        case .float: .float(values.map { Float($0) })
        case .double: .double(values)
        case .int32: .int32(values.map { $0.isNaN || $0 >= 2_147_483_648 || $0 < -2_147_483_648 ? Int32.min : Int32($0) })
        case .int64:
            .int64(values.map { $0.isNaN || $0 >= 9.223372036854775807e18 || $0 < -9.223372036854775808e18 ? Int64.min : Int64($0) })
        case .bool: .bool(values.map { $0 != 0 })
        case .string: .string(values.map(format))
        }
    }

    private static func parse(_ values: [String], as target: ElementType, _ inputs: KernelInputs) throws -> TensorStorage {
        if target == .string { return .string(values) }
        let numbers = try values.map { text -> Double in
            let trimmed = text.trimmingCharacters()
            switch trimmed.lowercased() {
            case "nan", "-nan", "+nan": return .nan
            case "inf", "+inf", "infinity", "+infinity": return .infinity
            case "-inf", "-infinity": return -.infinity
            default:
                guard let number = Double(trimmed) else { throw inputs.fail("cannot cast a non-numeric string to \(target)") }
                return number
            }
        }
        return fromDoubles(numbers, target)
    }

    /// Shortest text that reads back as the same value.
    private static func format<T: BinaryFloatingPoint & LosslessStringConvertible>(_ value: T) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-INF" : "INF" }
        return value.description
    }
}

extension String {
    /// ASCII whitespace trimmed from both ends (the engine does not depend on Foundation).
    func trimmingCharacters() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
