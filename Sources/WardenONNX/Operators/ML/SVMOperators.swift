/// SVMClassifier and SVMRegressor (libsvm/liblinear models as skl2onnx converts them).
enum SVMOperators {
    static let all: [String: KernelFactory] = ["SVMClassifier": classifier, "SVMRegressor": regressor]

    /// A kernel function over Float vectors, with libsvm's parameters.
    struct KernelFunction: Sendable {
        enum Kind: Sendable { case linear, poly, rbf, sigmoid }
        let kind: Kind
        let gamma: Float, coef0: Float, degree: Float

        init(_ a: NodeAttributes, _ context: NodeContext) throws {
            switch try a.string("kernel_type", default: "LINEAR") {
            case "LINEAR": kind = .linear
            case "POLY": kind = .poly
            case "RBF": kind = .rbf
            case "SIGMOID": kind = .sigmoid
            case let other: throw context.unsupported("kernel_type '\(other)'")
            }
            let parameters = try a.floats("kernel_params") ?? []
            gamma = parameters.count > 0 ? parameters[0] : 0
            coef0 = parameters.count > 1 ? parameters[1] : 0
            degree = parameters.count > 2 ? parameters[2] : 0
        }

        init(linear: Void) { kind = .linear; gamma = 0; coef0 = 0; degree = 0 }

        func callAsFunction(_ x: ArraySlice<Float>, _ v: ArraySlice<Float>) -> Float {
            switch kind {
            case .rbf:
                var sum: Float = 0
                for (a, b) in zip(x, v) { let d = a - b; sum += d * d }
                return expf(-gamma * sum)
            case .linear:
                return dot(x, v)
            case .poly:
                let t = gamma * dot(x, v) + coef0
                return degree == 2 ? t * t : degree == 3 ? t * t * t : powf(t, degree)
            case .sigmoid:
                return tanhf(gamma * dot(x, v) + coef0)
            }
        }

        private func dot(_ x: ArraySlice<Float>, _ v: ArraySlice<Float>) -> Float {
            var acc: Float = 0
            for (a, b) in zip(x, v) { acc += a * b }
            return acc
        }
    }

    static let classifier: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: TreeEnsembleOperators.inputTypes)
        let a = context.attributes
        let labels = try ClassLabels(a, intsName: "classlabels_ints", context)
        let model = try SVMClassifierModel(a, classCount: labels.count, context)
        try context.checkWidth(0, expected: model.features, what: "the SVM")
        return LoweredNode(outputs: [.tensor(labels.elementType), .tensor(.float)]) { inputs in
            let x = try FeatureMatrix(try inputs.tensor(0), inputs)
            guard x.features == model.features else {
                throw inputs.fail("rows have \(x.features) features, the model expects \(model.features)")
            }
            var positions: [Int] = []
            var scores: [Float] = []
            for r in 0..<x.rows {
                let (label, row) = model.evaluate(x.values[(r * x.features)..<((r + 1) * x.features)])
                positions.append(label)
                scores.append(contentsOf: row)
            }
            return [
                .tensor(labels.tensor(positions: positions, shape: [x.rows])),
                .tensor(.float(scores, shape: [x.rows, model.scoreColumns])),
            ]
        }
    }

    static let regressor: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: TreeEnsembleOperators.inputTypes)
        let a = context.attributes
        let supports = Int(try a.int("n_supports", default: 0))
        let coefficients = try a.required(try a.floats("coefficients"), "coefficients")
        let rho = try a.required(try a.floats("rho"), "rho")
        let vectors = try a.floats("support_vectors") ?? []
        let oneClass = try a.int("one_class", default: 0) != 0
        guard !rho.isEmpty else { throw context.invalid("rho is empty") }
        let declared = try KernelFunction(a, context)
        let kernel = supports > 0 ? declared : KernelFunction(linear: ())
        let features = supports > 0 ? vectors.count / supports : coefficients.count
        guard features > 0, supports == 0 || (vectors.count == supports * features && coefficients.count == supports) else {
            throw context.invalid("support vectors and coefficients do not match n_supports=\(supports)")
        }
        try context.checkWidth(0, expected: features, what: "the SVM")
        return LoweredNode(outputs: [.tensor(.float)]) { inputs in
            let x = try FeatureMatrix(try inputs.tensor(0), inputs)
            guard x.features == features else { throw inputs.fail("rows have \(x.features) features, the model expects \(features)") }
            let values = (0..<x.rows).map { r -> Float in
                let row = x.values[(r * features)..<((r + 1) * features)]
                var y: Float = 0
                if supports > 0 {
                    for s in 0..<supports {
                        y += kernel(row, vectors[(s * features)..<((s + 1) * features)]) * coefficients[s]
                    }
                } else {
                    y = kernel(row, coefficients[...])
                }
                y = rho[0] + y
                return oneClass ? (y > 0 ? 1 : -1) : y
            }
            return [.tensor(.float(values, shape: [x.rows, 1]))]
        }
    }
}
