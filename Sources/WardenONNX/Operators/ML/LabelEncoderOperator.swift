/// LabelEncoder in its three forms: v1 (string ↔ int64 by `classes_strings`), v2 (typed
/// key/value lists) and v4 (lists or tensors, with double keys and values).
enum LabelEncoderOperator {
    /// A key that hashes the way ONNX Runtime compares: +0 equals -0, and NaN equals NaN.
    enum Key: Hashable {
        case integer(Int64)
        /// Compared by bytes, as ONNX Runtime compares std::string keys.
        case text(ExactText)
        case real(UInt64)

        static func string(_ value: String) -> Key { .text(ExactText(value)) }

        init(_ value: Double) {
            if value.isNaN { self = .real(Double.nan.bitPattern) } else { self = .real((value == 0 ? 0 : value).bitPattern) }
        }

        var isNaN: Bool { self == .real(Double.nan.bitPattern) }
    }

    static let factory: KernelFactory = { context in
        try context.requireInputs(1...1)
        let a = context.attributes
        if context.opset < 2 { return try v1(context) }

        let (keys, keyStorage) = try list(a, prefix: "keys", context)
        let keyType = keyStorage.elementType
        var (_, values) = try list(a, prefix: "values", context)
        let valueType = values.elementType
        guard keys.count == values.count else { throw context.invalid("keys and values differ in length") }
        // The first of duplicated keys wins (ORT builds the map with emplace).
        var table: [Key: Int] = [:]
        for (index, key) in keys.enumerated() where table[key] == nil { table[key] = index }
        let fallback = try defaultValue(a, valueType, context)
        // Before opset 4 a NaN key never matches (plain float equality); from 4, NaN matches NaN.
        let nanMatches = context.opset >= 4
        guard values.appendSameType(fallback) else { throw context.invalid("default value has the wrong type") }
        try context.requireType(0, in: [keyType])
        return LoweredNode(outputs: [.tensor(valueType)]) { [table, values] inputs in
            let x = try inputs.tensor(0)
            let lookup = try keysOf(x, as: keyType, inputs)
            let miss = keys.count
            return [
                .tensor(
                    Tensor(
                        shape: x.shape,
                        storage: values.picking(lookup.map { key in (key.isNaN && !nanMatches) ? miss : table[key] ?? miss })))
            ]
        }
    }

    private static func v1(_ context: NodeContext) throws -> LoweredNode {
        let a = context.attributes
        let classes = try a.required(try a.strings("classes_strings"), "classes_strings")
        let defaultString = try a.string("default_string", default: "_Unused")
        let defaultInt = try a.int("default_int64", default: -1)
        var index: [ExactText: Int64] = [:]
        for (i, c) in classes.enumerated() { index[ExactText(c)] = Int64(i) }  // the last duplicate wins in v1
        let output: ValueKind =
            context.elementType(0) == .string ? .tensor(.int64) : context.elementType(0) == .int64 ? .tensor(.string) : .unknown
        return LoweredNode(outputs: [output]) { [index] inputs in
            let x = try inputs.tensor(0)
            switch x.storage {
            case let .string(v): return [.tensor(.int64(v.map { index[ExactText($0)] ?? defaultInt }, shape: x.shape))]
            case let .int64(v):
                return [.tensor(.string(v.map { $0 >= 0 && $0 < Int64(classes.count) ? classes[Int($0)] : defaultString }, shape: x.shape))]
            default: throw inputs.fail("LabelEncoder v1 needs a string or int64 input")
            }
        }
    }

    /// Reads `<prefix>_floats`, `_int64s`, `_strings` or `_tensor`.
    private static func list(_ a: NodeAttributes, prefix: String, _ context: NodeContext) throws -> ([Key], TensorStorage) {
        if let v = try a.floats("\(prefix)_floats") { return (v.map { Key(Double($0)) }, .float(v)) }
        if let v = try a.ints("\(prefix)_int64s") { return (v.map(Key.integer), .int64(v)) }
        if let v = try a.strings("\(prefix)_strings") { return (v.map(Key.string), .string(v)) }
        if let t = try a.tensor("\(prefix)_tensor") {
            switch t.storage {
            case let .double(v): return (v.map(Key.init), .double(v))
            case let .float(v): return (v.map { Key(Double($0)) }, .float(v))
            case let .int64(v): return (v.map(Key.integer), .int64(v))
            case let .string(v): return (v.map(Key.string), .string(v))
            default: throw context.unsupported("\(prefix)_tensor of type \(t.elementType)")
            }
        }
        throw context.invalid("has no \(prefix)")
    }

    private static func defaultValue(_ a: NodeAttributes, _ type: ElementType, _ context: NodeContext) throws -> TensorStorage {
        if let t = try a.tensor("default_tensor"), t.count >= 1, t.elementType == type { return t.storage.slice(0..<1) }
        switch type {
        case .float: return .float([try a.float("default_float", default: -0.0)])
        case .double: return .double([Double(try a.float("default_float", default: -0.0))])
        case .int64: return .int64([try a.int("default_int64", default: -1)])
        case .string: return .string([try a.string("default_string", default: "_Unused")])
        default: throw context.unsupported("values of type \(type)")
        }
    }

    private static func keysOf(_ x: Tensor, as type: ElementType, _ inputs: KernelInputs) throws -> [Key] {
        switch (x.storage, type) {
        case let (.float(v), .float): v.map { Key(Double($0)) }
        case let (.double(v), .double): v.map(Key.init)
        case let (.int64(v), .int64): v.map(Key.integer)
        case let (.string(v), .string): v.map(Key.string)
        default: throw inputs.fail("LabelEncoder keys are \(type), input is \(x.elementType)")
        }
    }
}
