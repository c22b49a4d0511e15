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
        case let (.uint8(v), .string): storage = .string(v.map { String($0) })
        case let (.int8(v), .string): storage = .string(v.map { String($0) })
        case let (.int64(v), _) where target == .uint8: storage = .uint8(v.map { UInt8(truncatingIfNeeded: $0) })
        case let (.int64(v), _) where target == .int8: storage = .int8(v.map { Int8(truncatingIfNeeded: $0) })
        case let (.int32(v), _) where target == .uint8: storage = .uint8(v.map { UInt8(truncatingIfNeeded: $0) })
        case let (.int32(v), _) where target == .int8: storage = .int8(v.map { Int8(truncatingIfNeeded: $0) })
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
        // A float16 value is computed in float32 (see GraphCompiler+Float16); rounding to half
        // precision happens where ORT would materialise it.
        case .float16: .float(values.map { Float($0) })
        // x86-64 converts to 8 bits through int32 and keeps the low byte (NaN, inf and
        // out-of-range values wrap the same way: 300 gives 44).
        case .uint8: .uint8(values.map { UInt8(truncatingIfNeeded: Int32(double: $0)) })
        case .int8: .int8(values.map { Int8(truncatingIfNeeded: Int32(double: $0)) })
        case .int32: .int32(values.map { $0.isNaN || $0 >= 2_147_483_648 || $0 < -2_147_483_648 ? Int32.min : Int32($0) })
        case .int64:
            .int64(values.map { $0.isNaN || $0 >= 9.223372036854775807e18 || $0 < -9.223372036854775808e18 ? Int64.min : Int64($0) })
        case .bool: .bool(values.map { $0 != 0 })
        case .string: .string(values.map(format))
        }
    }

    /// Strings parse as ONNX Runtime parses them (C's strtod family): leading whitespace skipped,
    /// the longest numeric prefix taken ("1.5x" is 1.5, "0x10" is 16 as a float and 0 as an
    /// integer), an error when there is no number at all or an int64 overflows; float overflow
    /// gives ±inf and int32 wraps, as pinned by the ops/cast_string_* fixtures.
    private static func parse(_ values: [String], as target: ElementType, _ inputs: KernelInputs) throws -> TensorStorage {
        func fail() -> InferenceError { inputs.fail("cannot cast a non-numeric or out-of-range string to \(target)") }
        switch target {
        case .string: return .string(values)
        case .float, .float16: return .float(try values.map { try CNumberParsing.float($0).orThrow(fail()) })
        case .double: return .double(try values.map { try CNumberParsing.double($0).orThrow(fail()) })
        case .int64: return .int64(try values.map { try CNumberParsing.int64($0).orThrow(fail()) })
        case .uint8:
            return .uint8(try values.map { UInt8(truncatingIfNeeded: try CNumberParsing.int64($0).orThrow(fail())) })
        case .int8:
            return .int8(try values.map { Int8(truncatingIfNeeded: try CNumberParsing.int64($0).orThrow(fail())) })
        case .int32:
            return .int32(try values.map { Int32(truncatingIfNeeded: try CNumberParsing.int64($0).orThrow(fail())) })
        case .bool: return .bool(try values.map { try CNumberParsing.uint64($0).orThrow(fail()) != 0 })
        }
    }

    /// C's "%.8g", with ONNX Runtime's names for the special values.
    static func format<T: BinaryFloatingPoint>(_ value: T) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-INF" : "INF" }
        return CNumberParsing.format8g(Double(value))
    }
}

/// The C library's number parsing and formatting, for the casts that must match C++.
enum CNumberParsing {
    /// Nil when no character was consumed, or on ERANGE when `rangeMatters`.
    private static func parse<T>(
        _ text: String, rangeMatters: Bool, _ convert: (UnsafePointer<CChar>, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> T
    ) -> T? {
        text.withCString { start in
            var end: UnsafeMutablePointer<CChar>?
            errno = 0
            let value = convert(start, &end)
            guard let end, end != UnsafeMutablePointer(mutating: start), !(rangeMatters && errno == ERANGE) else { return nil }
            return value
        }
    }

    static func float(_ text: String) -> Float? { parse(text, rangeMatters: false) { strtof($0, $1) } }
    static func double(_ text: String) -> Double? { parse(text, rangeMatters: false) { strtod($0, $1) } }
    static func int64(_ text: String) -> Int64? { parse(text, rangeMatters: true) { Int64(strtoll($0, $1, 10)) } }
    static func uint64(_ text: String) -> UInt64? { parse(text, rangeMatters: true) { UInt64(strtoull($0, $1, 10)) } }

    static func format8g(_ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 48)
        _ = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%.8g", $0) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension String {
    /// ASCII whitespace trimmed from both ends (the engine does not depend on Foundation).
    func trimmingCharacters() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
