/// Operators on maps: ZipMap (scores to one map per row), CastMap and DictVectorizer.
enum MapOperators {
    static let all: [String: KernelFactory] = ["ZipMap": zipMap, "CastMap": castMap, "DictVectorizer": dictVectorizer]

    static let zipMap: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: [.float])
        let a = context.attributes
        let keys: MapKeys
        if let strings = try a.strings("classlabels_strings"), !strings.isEmpty {
            keys = .string(strings)
        } else if let ints = try a.ints("classlabels_int64s"), !ints.isEmpty {
            keys = .int64(ints)
        } else {
            throw context.invalid("needs classlabels_strings or classlabels_int64s")
        }
        return LoweredNode(outputs: [.mapSequence(key: keys.elementType)]) { inputs in
            let x = try inputs.tensor(0)
            guard x.rank == 1 || x.rank == 2, x.shape.last == keys.count else {
                throw inputs.fail("ZipMap input of shape \(x.shape) does not have \(keys.count) columns")
            }
            return [.mapSequence(MapSequence(keys: keys, values: try x.elements(Float.self, inputs)))]
        }
    }

    /// map(int64 → string|float) to a [1, N] tensor, dense (ascending keys) or sparse (0..<max_map).
    static let castMap: KernelFactory = { context in
        try context.requireInputs(1...1)
        let a = context.attributes
        let castTo = try a.string("cast_to", default: "TO_FLOAT")
        let dense = try a.string("map_form", default: "DENSE") == "DENSE"
        let maxMap = Int(try a.int("max_map", default: 1))
        let target: ElementType
        switch castTo {
        case "TO_FLOAT": target = .float
        case "TO_STRING": target = .string
        case "TO_INT64": target = .int64
        default: throw context.unsupported("cast_to '\(castTo)'")
        }
        if !dense && maxMap <= 0 { throw context.invalid("max_map must be positive for SPARSE") }
        return LoweredNode(outputs: [.tensor(target)]) { inputs in
            guard case let .map(map) = try inputs.value(0), case let .int64(keys) = map.keys else {
                throw inputs.fail("CastMap needs a map(int64, ...)")
            }
            let order = keys.indices.sorted { keys[$0] < keys[$1] }
            let picked: [Int?]
            if dense {
                picked = order
            } else {
                if let first = order.first, keys[first] < 0 { throw inputs.fail("CastMap keys must not be negative") }
                var position: [Int64: Int] = [:]
                for i in keys.indices { position[keys[i]] = i }
                picked = (0..<maxMap).map { position[Int64($0)] }
            }
            let values = try castValues(map.values, to: target, inputs)
            let padding: TensorStorage = target == .string ? .string(["0.f"]) : .zeros(target, count: 1)
            var withPad = values
            _ = withPad.appendSameType(padding)
            let storage = withPad.picking(picked.map { $0 ?? values.count })
            return [.tensor(Tensor(shape: [1, picked.count], storage: storage))]
        }
    }

    private static func castValues(_ values: TensorStorage, to target: ElementType, _ inputs: KernelInputs) throws -> TensorStorage {
        switch (values, target) {
        case let (.float(v), .string): return .string(v.map { formatFixed(Double($0)) })
        default:
            return try ConversionOperators.convert(Tensor(shape: [values.count], storage: values), to: target, inputs).storage
        }
    }

    /// C's "%f": six decimals.
    private static func formatFixed(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let scaled = (abs(value) * 1_000_000).rounded(.toNearestOrEven)
        let whole = (scaled / 1_000_000).rounded(.towardZero)
        let fraction = Int(scaled - whole * 1_000_000)
        let digits = String(fraction)
        return "\(value < 0 ? "-" : "")\(Int(whole)).\(String(repeating: "0", count: 6 - digits.count))\(digits)"
    }

    /// map(string|int64 → number|string) to [1, vocabulary] by a vocabulary of keys.
    static let dictVectorizer: KernelFactory = { context in
        try context.requireInputs(1...1)
        let a = context.attributes
        let strings = try a.strings("string_vocabulary")
        let ints = try a.ints("int64_vocabulary")
        guard (strings == nil) != (ints == nil) else { throw context.invalid("needs exactly one vocabulary") }
        var valueType: ValueKind = .unknown
        if case let .map(_, value) = context.kind(0) { valueType = .tensor(value) }
        return LoweredNode(outputs: [valueType]) { inputs in
            guard case let .map(map) = try inputs.value(0) else { throw inputs.fail("DictVectorizer needs a map input") }
            var position: [LabelEncoderOperator.Key: Int] = [:]
            switch map.keys {
            case let .string(keys): for (i, k) in keys.enumerated() { position[.string(k)] = i }
            case let .int64(keys): for (i, k) in keys.enumerated() { position[.integer(k)] = i }
            }
            let vocabulary = strings.map { $0.map(LabelEncoderOperator.Key.string) } ?? ints!.map(LabelEncoderOperator.Key.integer)
            var values = map.values
            let missing = values.count
            _ = values.appendSameType(.zeros(values.elementType, count: 1))
            let storage = values.picking(vocabulary.map { position[$0] ?? missing })
            return [.tensor(Tensor(shape: [1, vocabulary.count], storage: storage))]
        }
    }
}
