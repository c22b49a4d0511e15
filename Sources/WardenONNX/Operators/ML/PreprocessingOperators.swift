/// Feature preprocessing from scikit-learn pipelines: Scaler, Normalizer, Imputer, Binarizer,
/// OneHotEncoder, ArrayFeatureExtractor and FeatureVectorizer.
enum PreprocessingOperators {
    static let all: [String: KernelFactory] = [
        "Scaler": scaler, "Normalizer": normalizer, "Imputer": imputer, "Binarizer": binarizer,
        "OneHotEncoder": oneHotEncoder, "ArrayFeatureExtractor": arrayFeatureExtractor,
        "FeatureVectorizer": featureVectorizer, "LabelEncoder": LabelEncoderOperator.factory,
        "CategoryMapper": categoryMapper,
    ]

    /// Elements per row along axis 1 (rank 1 counts as one row).
    static func stride(_ x: Tensor, _ inputs: KernelInputs) throws -> Int {
        guard x.rank >= 1 else { throw inputs.fail("input must have rank 1 or more") }
        return x.rank == 1 ? x.shape[0] : x.shape[1]
    }

    /// y = (x - offset) * scale per feature; float output whatever the input type.
    static let scaler: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: TreeEnsembleOperators.inputTypes)
        let scale = try context.attributes.required(try context.attributes.floats("scale"), "scale")
        let offset = try context.attributes.floats("offset") ?? Array(repeating: 0, count: scale.count)
        guard !scale.isEmpty, offset.count == scale.count else {
            throw context.invalid("scale and offset must have the same non-zero length")
        }
        if scale.count > 1 { try context.checkWidth(0, expected: scale.count, what: "Scaler") }
        return LoweredNode(outputs: [.tensor(.float)]) { inputs in
            let x = try inputs.tensor(0)
            let width = try stride(x, inputs)
            guard scale.count == width || scale.count == 1 else {
                throw inputs.fail("\(scale.count) scale values for rows of \(width) features")
            }
            // The feature index runs with the flat index (no division per element).
            let values: [Float]
            switch x.storage {
            case let .float(v):
                values = Broadcast.repeatingRow(count: v.count, row: scale.count) { i, k in (v[i] - offset[k]) * scale[k] }
            case let .double(v):
                values = Broadcast.repeatingRow(count: v.count, row: scale.count) { i, k in
                    Float((v[i] - Double(offset[k])) * Double(scale[k]))
                }
            case let .int32(v):
                values = Broadcast.repeatingRow(count: v.count, row: scale.count) { i, k in (Float(v[i]) - offset[k]) * scale[k] }
            case let .int64(v):
                values = Broadcast.repeatingRow(count: v.count, row: scale.count) { i, k in (Float(v[i]) - offset[k]) * scale[k] }
            default: throw inputs.fail("Scaler needs a numeric input")
            }
            return [.tensor(.float(values, shape: x.shape))]
        }
    }

    /// Normalizes along axis 1 by MAX, L1 or L2, with ORT's formulas.
    static let normalizer: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: TreeEnsembleOperators.inputTypes)
        let norm = try context.attributes.string("norm", default: "MAX")
        guard ["MAX", "L1", "L2"].contains(norm) else { throw context.unsupported("norm '\(norm)'") }
        return LoweredNode(outputs: [.tensor(.float)]) { inputs in
            let x = try inputs.tensor(0)
            let width = try stride(x, inputs)
            guard let source = x.doubles() else { throw inputs.fail("Normalizer needs a numeric input") }
            let inner = x.rank > 1 ? x.shape[2...].reduce(1, *) : 1
            var out = [Float](repeating: 0, count: source.count)
            let groups = width == 0 ? 0 : source.count / width
            for n in 0..<groups {
                let offset = (n % inner) + (n / inner) * (width * inner)
                let indices = (0..<width).map { offset + $0 * inner }
                switch norm {
                case "MAX":
                    var m = -Float.greatestFiniteMagnitude
                    for i in indices { m = max(m, Float(source[i])) }
                    for i in indices { out[i] = m != 0 ? Float(source[i]) / m : Float(source[i]) }
                case "L1":
                    var s: Float = 0
                    for i in indices { s += Float(abs(source[i])) }
                    for i in indices { out[i] = s != 0 ? Float(source[i]) / s : Float(source[i]) }
                default:
                    var s: Float = 0
                    for i in indices { s += Float(source[i] * source[i]) }
                    for i in indices {
                        let q = Float(source[i] * source[i])
                        out[i] = s != 0 ? (source[i] < 0 ? -1 : 1) * (q / s).squareRoot() : Float(source[i])
                    }
                }
            }
            return [.tensor(.float(out, shape: x.shape))]
        }
    }

    /// Replaces a sentinel (NaN matches NaN) by per-feature imputed values.
    static let imputer: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: [.float, .int64])
        let a = context.attributes
        let floats = try a.floats("imputed_value_floats") ?? []
        let ints = try a.ints("imputed_value_int64s") ?? []
        let replacedFloat = try a.float("replaced_value_float", default: 0)
        let replacedInt = try a.int("replaced_value_int64", default: 0)
        guard !floats.isEmpty || !ints.isEmpty else { throw context.invalid("has no imputed values") }
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let x = try inputs.tensor(0)
            let width = try stride(x, inputs)
            switch x.storage {
            case let .float(v):
                guard !floats.isEmpty else { throw inputs.fail("no float imputed values for a float input") }
                let values = v.indices.map { i -> Float in
                    let matches = (v[i].isNaN && replacedFloat.isNaN) || v[i] == replacedFloat
                    return matches ? (floats.count == width ? floats[i % width] : floats[0]) : v[i]
                }
                return [.tensor(.float(values, shape: x.shape))]
            case let .int64(v):
                guard !ints.isEmpty else { throw inputs.fail("no int64 imputed values for an int64 input") }
                let values = v.indices.map { i in v[i] == replacedInt ? (ints.count == width ? ints[i % width] : ints[0]) : v[i] }
                return [.tensor(.int64(values, shape: x.shape))]
            default: throw inputs.fail("Imputer needs a float or int64 input")
            }
        }
    }

    static let binarizer: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: [.float])
        let threshold = try context.attributes.float("threshold", default: 0)
        return LoweredNode(outputs: [.tensor(.float)]) { inputs in
            let x = try inputs.tensor(0)
            let v = try x.elements(Float.self, inputs)
            if v.contains(where: \.isNaN) { throw inputs.fail("Binarizer input contains NaN") }
            return [.tensor(.float(v.map { $0 > threshold ? 1 : 0 }, shape: x.shape))]
        }
    }

    /// One-hot over cats_int64s or cats_strings; output shape is the input's plus one axis.
    static let oneHotEncoder: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: [.int64, .float, .double, .string])
        let a = context.attributes
        let ints = try a.ints("cats_int64s") ?? []
        let strings = try a.strings("cats_strings") ?? []
        guard ints.isEmpty != strings.isEmpty else { throw context.invalid("needs exactly one of cats_int64s and cats_strings") }
        let zeros = try a.int("zeros", default: 1) != 0
        // A duplicated category maps to its last position, as in ORT.
        var intIndex: [Int64: Int] = [:]
        for (i, c) in ints.enumerated() { intIndex[c] = i }
        // Categories match by bytes, as ORT compares std::string (not canonical equivalence).
        var stringIndex: [ExactText: Int] = [:]
        for (i, c) in strings.enumerated() { stringIndex[ExactText(c)] = i }
        let categories = max(ints.count, strings.count)
        return LoweredNode(outputs: [.tensor(.float)]) { [intIndex, stringIndex] inputs in
            let x = try inputs.tensor(0)
            let positions: [Int?]
            switch x.storage {
            // A handful of categories (the usual case) is found faster by comparison than by hashing.
            case let .string(v) where strings.count <= 16:
                positions = v.map { value in strings.lastIndex { $0.utf8.elementsEqual(value.utf8) } }
            case let .string(v): positions = v.map { stringIndex[ExactText($0)] }
            case let .int64(v): positions = v.map { intIndex[$0] }
            case let .float(v): positions = v.map { $0.isNaN ? nil : intIndex[Int64(double: Double($0))] }
            case let .double(v): positions = v.map { $0.isNaN ? nil : intIndex[Int64(double: $0)] }
            default: throw inputs.fail("OneHotEncoder needs an int64, float, double or string input")
            }
            var out = [Float](repeating: 0, count: positions.count * categories)
            for (row, position) in positions.enumerated() {
                if let position {
                    out[row * categories + position] = 1
                } else if !zeros {
                    throw inputs.fail("unknown category and zeros = 0")
                }
            }
            return [.tensor(.float(out, shape: x.shape + [categories]))]
        }
    }

    /// Picks elements of the last axis at the given indices.
    static let arrayFeatureExtractor: KernelFactory = { context in
        try context.requireInputs(2...2)
        try context.requireType(1, in: [.int64])
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let x = try inputs.tensor(0)
            let indices = try inputs.tensor(1).integers(inputs, what: "indices")
            guard x.rank >= 1, !indices.isEmpty else { throw inputs.fail("needs a non-scalar input and at least one index") }
            let width = x.shape[x.rank - 1]
            for index in indices where index < 0 || index >= width {
                throw inputs.fail("index \(index) is out of range for \(width) features")
            }
            let rows = width == 0 ? 0 : x.count / width
            var offsets: [Int] = []
            offsets.reserveCapacity(rows * indices.count)
            for r in 0..<rows { for index in indices { offsets.append(r * width + index) } }
            var shape = x.shape
            if x.rank == 1 { shape = [1, indices.count] } else { shape[x.rank - 1] = indices.count }
            return [.tensor(Tensor(shape: shape, storage: x.storage.picking(offsets)))]
        }
    }

    /// Concatenates inputs into rows of `inputdimensions` floats each, padding or truncating.
    static let featureVectorizer: KernelFactory = { context in
        guard context.inputCount >= 1 else { throw context.invalid("needs at least one input") }
        for i in 0..<context.inputCount { try context.requireType(i, in: TreeEnsembleOperators.inputTypes) }
        let dimensions = try context.attributes.required(try context.attributes.ints("inputdimensions"), "inputdimensions").map { Int($0) }
        guard dimensions.count == context.inputCount, dimensions.allSatisfy({ $0 >= 0 }) else {
            throw context.invalid("inputdimensions must give one size per input")
        }
        let total = dimensions.reduce(0, +)
        return LoweredNode(outputs: [.tensor(.float)]) { inputs in
            let tensors = try (0..<inputs.count).map { try inputs.tensor($0) }
            let rows = tensors[0].rank == 1 ? 1 : tensors[0].shape.first ?? 1
            var out = [Float](repeating: 0, count: rows * total)
            var offset = 0
            for (tensor, width) in zip(tensors, dimensions) {
                guard let values = tensor.doubles() else { throw inputs.fail("FeatureVectorizer needs numeric inputs") }
                let rowSize = tensor.rank <= 1 ? tensor.count : tensor.shape[1...].reduce(1, *)
                let inputRows = tensor.rank <= 1 ? 1 : tensor.shape[0]
                let copy = min(rowSize, width)
                for r in 0..<min(rows, inputRows) {
                    for c in 0..<copy { out[r * total + offset + c] = Float(values[r * rowSize + c]) }
                }
                offset += width
            }
            return [.tensor(.float(out, shape: [rows, total]))]
        }
    }

    /// string ↔ int64 by parallel category lists; the last of duplicated pairs wins.
    static let categoryMapper: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: [.string, .int64])
        let a = context.attributes
        let strings = try a.required(try a.strings("cats_strings"), "cats_strings")
        let ints = try a.required(try a.ints("cats_int64s"), "cats_int64s")
        guard strings.count == ints.count else { throw context.invalid("cats_strings and cats_int64s differ in length") }
        let defaultString = try a.string("default_string", default: "_Unused")
        let defaultInt = try a.int("default_int64", default: -1)
        var toInt: [ExactText: Int64] = [:]
        var toString: [Int64: String] = [:]
        for (s, i) in zip(strings, ints) { toInt[ExactText(s)] = i; toString[i] = s }
        let output: ValueKind =
            context.elementType(0) == .string ? .tensor(.int64) : context.elementType(0) == .int64 ? .tensor(.string) : .unknown
        return LoweredNode(outputs: [output]) { [toInt, toString] inputs in
            let x = try inputs.tensor(0)
            switch x.storage {
            case let .string(v): return [.tensor(.int64(v.map { toInt[ExactText($0)] ?? defaultInt }, shape: x.shape))]
            case let .int64(v): return [.tensor(.string(v.map { toString[$0] ?? defaultString }, shape: x.shape))]
            default: throw inputs.fail("CategoryMapper needs a string or int64 input")
            }
        }
    }
}
