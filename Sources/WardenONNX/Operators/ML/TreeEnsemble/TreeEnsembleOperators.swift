/// TreeEnsembleClassifier, TreeEnsembleRegressor (ml opsets 1 and 3) and TreeEnsemble (ml opset 5).
enum TreeEnsembleOperators {
    static let all: [String: KernelFactory] = [
        "TreeEnsembleClassifier": classifier, "TreeEnsembleRegressor": regressor, "TreeEnsemble": ensembleV5,
    ]

    static let inputTypes: [ElementType] = [.float, .double, .int32, .int64]

    /// The model built for both threshold types; the input's type picks one per request.
    struct Models: Sendable {
        let single: TreeEnsembleModel<Float>
        let double: TreeEnsembleModel<Double>

        init(_ definition: TreeEnsembleDefinition, _ context: NodeContext) throws {
            single = try TreeEnsembleModel<Float>(definition, context: context)
            double = try TreeEnsembleModel<Double>(definition, context: context)
        }
    }

    /// Rows and row stride of the input (rank 1 is one row), checked against the features used.
    static func layout(_ x: Tensor, maxFeature: Int, _ inputs: KernelInputs) throws -> (rows: Int, stride: Int) {
        guard x.rank == 1 || x.rank == 2 else { throw inputs.fail("input must be 1-D or 2-D, got shape \(x.shape)") }
        let rows = x.rank == 1 ? 1 : x.shape[0]
        let stride = x.rank == 1 ? x.shape[0] : x.shape[1]
        guard maxFeature < stride || rows == 0 else {
            throw inputs.fail("the trees read feature \(maxFeature) but rows have \(stride) features")
        }
        return (rows, stride)
    }

    /// Runs `body` with the input as Float (float and integer inputs) or Double.
    static func withThresholdType<R>(
        _ x: Tensor, _ models: Models, _ inputs: KernelInputs,
        float: ([Float], TreeEnsembleModel<Float>) -> R, double: ([Double], TreeEnsembleModel<Double>) -> R
    ) throws -> R {
        switch x.storage {
        case let .float(v): float(v, models.single)
        case let .double(v): double(v, models.double)
        case let .int32(v): float(v.map(Float.init), models.single)
        case let .int64(v): float(v.map(Float.init), models.single)
        default: throw inputs.fail("tree ensembles need a numeric input, got \(x.elementType)")
        }
    }

    static let classifier: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: inputTypes)
        let a = context.attributes
        let labels = try ClassLabels(a, intsName: "classlabels_int64s", context)
        let definition = try TreeEnsembleDefinition(v3: a, prefix: "class", targets: labels.count, context: context)
        let models = try Models(definition, context)
        if let width = context.declaredWidth(0), models.single.maxFeature >= width {
            throw context.invalid("the trees read feature \(models.single.maxFeature), but the input declares \(width) features")
        }
        let base = try baseValueList(a, context)
        let finalizer = TreeClassification(
            definition: definition, classCount: labels.count, baseValues: base,
            transform: try PostTransform(name: try a.string("post_transform", default: "NONE"), context))
        return LoweredNode(outputs: [.tensor(labels.elementType), .tensor(.float)]) { inputs in
            let x = try inputs.tensor(0)
            let (rows, stride) = try layout(x, maxFeature: models.single.maxFeature, inputs)
            let results = try withThresholdType(x, models, inputs) { v, model in
                let scores = model.aggregate(v, rows: rows, stride: stride, .sum)
                return (0..<rows).map { finalizer.finalize(scores, row: $0) }
            } double: { v, model in
                let scores = model.aggregate(v, rows: rows, stride: stride, .sum)
                return (0..<rows).map { finalizer.finalize(scores, row: $0) }
            }
            let label: Tensor
            switch labels {
            case let .int64(values):
                label = .int64(
                    results.map {
                        switch $0.label {
                        case let .position(p): values[p]
                        case let .literal(l): Int64(l)
                        }
                    }, shape: [rows])
            case .string:
                label = labels.tensor(
                    positions: results.map {
                        switch $0.label {
                        case let .position(p): p
                        case let .literal(l): l
                        }
                    }, shape: [rows])
            }
            var scores: [Float] = []
            scores.reserveCapacity(rows * labels.count)
            for result in results {
                scores.append(contentsOf: result.scores.prefix(labels.count))
                for _ in result.scores.count..<max(result.scores.count, labels.count) { scores.append(0) }
            }
            return [.tensor(label), .tensor(.float(scores, shape: [rows, labels.count]))]
        }
    }

    /// `base_values` or `base_values_as_tensor`, or none.
    static func baseValueList(_ a: NodeAttributes, _ context: NodeContext) throws -> [Double] {
        if let list = try a.floats("base_values") { return list.map(Double.init) }
        if let tensor = try a.tensor("base_values_as_tensor") {
            return try tensor.doubles().orThrow(context.invalid("base_values_as_tensor must be numeric"))
        }
        return []
    }

    static let regressor: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: inputTypes)
        let a = context.attributes
        let targets = Int(try a.required(try a.int("n_targets"), "n_targets"))
        guard targets > 0 else { throw context.invalid("n_targets must be positive") }
        let definition = try TreeEnsembleDefinition(v3: a, prefix: "target", targets: targets, context: context)
        let models = try Models(definition, context)
        if let width = context.declaredWidth(0), models.single.maxFeature >= width {
            throw context.invalid("the trees read feature \(models.single.maxFeature), but the input declares \(width) features")
        }
        let regression = TreeRegression(
            aggregate: try TreeAggregate(name: try a.string("aggregate_function", default: "SUM"), context),
            baseValues: try baseValueList(a, context),
            transform: try PostTransform(name: try a.string("post_transform", default: "NONE"), context))
        return LoweredNode(outputs: [.tensor(.float)]) { inputs in
            let x = try inputs.tensor(0)
            let (rows, stride) = try layout(x, maxFeature: models.single.maxFeature, inputs)
            let trees = models.single.roots.count
            let values: [Float] = try withThresholdType(x, models, inputs) { v, model in
                let scores = model.aggregate(v, rows: rows, stride: stride, regression.aggregate)
                return (0..<rows).flatMap { regression.finalize(scores, row: $0, targets: targets, trees: trees) }
            } double: { v, model in
                let scores = model.aggregate(v, rows: rows, stride: stride, regression.aggregate)
                return (0..<rows).flatMap { regression.finalize(scores, row: $0, targets: targets, trees: trees).map { Float($0) } }
            }
            return [.tensor(.float(values, shape: [rows, targets]))]
        }
    }

    /// ml-opset-5 TreeEnsemble: output has the input's type. Its integer enums follow ONNX
    /// Runtime, which reads post_transform 1 as LOGISTIC and 2 as SOFTMAX.
    static let ensembleV5: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: [.float, .double])
        let a = context.attributes
        let definition = try TreeEnsembleDefinition(v5: a, context: context)
        let models = try Models(definition, context)
        if let width = context.declaredWidth(0), models.single.maxFeature >= width {
            throw context.invalid("the trees read feature \(models.single.maxFeature), but the input declares \(width) features")
        }
        let aggregates: [TreeAggregate] = [.average, .sum, .minimum, .maximum]
        let transforms: [PostTransform] = [.none, .logistic, .softmax, .softmaxZero, .probit]
        let aggregateCode = Int(try a.int("aggregate_function", default: 1))
        let transformCode = Int(try a.int("post_transform", default: 0))
        guard aggregates.indices.contains(aggregateCode) else { throw context.unsupported("aggregate_function \(aggregateCode)") }
        guard transforms.indices.contains(transformCode) else { throw context.unsupported("post_transform \(transformCode)") }
        let regression = TreeRegression(aggregate: aggregates[aggregateCode], baseValues: [], transform: transforms[transformCode])
        let targets = definition.targets
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let x = try inputs.tensor(0)
            let (rows, stride) = try layout(x, maxFeature: models.single.maxFeature, inputs)
            let trees = models.single.roots.count
            switch x.storage {
            case let .float(v):
                let scores = models.single.aggregate(v, rows: rows, stride: stride, regression.aggregate)
                let values = (0..<rows).flatMap { regression.finalize(scores, row: $0, targets: targets, trees: trees) }
                return [.tensor(.float(values, shape: [rows, targets]))]
            case let .double(v):
                let scores = models.double.aggregate(v, rows: rows, stride: stride, regression.aggregate)
                let values = (0..<rows).flatMap { regression.finalize(scores, row: $0, targets: targets, trees: trees) }
                return [.tensor(.double(values, shape: [rows, targets]))]
            default: throw inputs.fail("TreeEnsemble needs a float or double input")
            }
        }
    }
}
