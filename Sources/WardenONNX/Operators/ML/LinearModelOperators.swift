/// LinearClassifier and LinearRegressor.
enum LinearModelOperators {
    static let all: [String: KernelFactory] = ["LinearClassifier": classifier, "LinearRegressor": regressor]

    static let classifier: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: TreeEnsembleOperators.inputTypes)
        let a = context.attributes
        let coefficients = try a.required(try a.floats("coefficients"), "coefficients")
        let intercepts = try a.floats("intercepts") ?? []
        let labels = try ClassLabels(a, intsName: "classlabels_ints", context)
        let transform = try PostTransform(name: try a.string("post_transform", default: "NONE"), context)
        // ORT takes the number of score columns from the intercepts.
        let classes = intercepts.isEmpty ? labels.count : intercepts.count
        guard classes > 0, coefficients.count % classes == 0 else {
            throw context.invalid("\(coefficients.count) coefficients do not split into \(classes) classes")
        }
        // Each score column's argmax names a label: more columns than labels would name none.
        guard classes == 1 || classes == labels.count else {
            throw context.invalid("\(classes) score columns (from intercepts) but \(labels.count) class labels")
        }
        try context.checkWidth(0, expected: coefficients.count / classes, what: "the classifier")
        let expandBinary = classes == 1 && labels.count == 2
        let columns = expandBinary ? 2 : classes
        return LoweredNode(outputs: [.tensor(labels.elementType), .tensor(.float)]) { inputs in
            let x = try FeatureMatrix(try inputs.tensor(0), inputs)
            guard x.features * classes == coefficients.count else {
                throw inputs.fail("rows have \(x.features) features, the model expects \(coefficients.count / classes)")
            }
            let raw = x.product(weights: coefficients, outputs: classes, bias: intercepts.isEmpty ? nil : intercepts)
            var positions: [Int] = []
            var literals: [Int64] = []
            positions.reserveCapacity(x.rows)
            for r in 0..<x.rows {
                if classes == 1 {
                    let positive = raw[r] > 0
                    if labels.count == 2 { positions.append(positive ? 1 : 0) } else { literals.append(positive ? 1 : 0) }
                } else {
                    var best = 0
                    for k in 1..<classes where raw[r * classes + k] > raw[r * classes + best] { best = k }
                    positions.append(best)
                }
            }
            let label: Tensor
            if literals.isEmpty {
                label = labels.tensor(positions: positions, shape: [x.rows])
            } else if case .string = labels {
                label = .string(literals.map { String($0) }, shape: [x.rows])
            } else {
                label = .int64(literals, shape: [x.rows])
            }
            let scores =
                transform == .none && !expandBinary
                ? raw : BatchedScores.update(raw, columns: classes, transform: transform, secondClass: expandBinary ? .complement : nil)
            let width = scores.count / max(x.rows, 1)
            return [.tensor(label), .tensor(.float(scores, shape: [x.rows, x.rows == 0 ? columns : width]))]
        }
    }

    static let regressor: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: TreeEnsembleOperators.inputTypes)
        let a = context.attributes
        let targets = Int(try a.int("targets", default: 1))
        let coefficients = try a.required(try a.floats("coefficients"), "coefficients")
        let intercepts = try a.floats("intercepts") ?? []
        let transform = try PostTransform(name: try a.string("post_transform", default: "NONE"), context)
        guard targets > 0, coefficients.count % targets == 0 else {
            throw context.invalid("\(coefficients.count) coefficients do not split into \(targets) targets")
        }
        try context.checkWidth(0, expected: coefficients.count / targets, what: "the regressor")
        return LoweredNode(outputs: [.tensor(.float)]) { inputs in
            let x = try FeatureMatrix(try inputs.tensor(0), inputs)
            guard x.features * targets == coefficients.count else {
                throw inputs.fail("rows have \(x.features) features, the model expects \(coefficients.count / targets)")
            }
            let raw = x.product(weights: coefficients, outputs: targets, bias: intercepts.count == targets ? intercepts : nil)
            let values = transform == .none ? raw : BatchedScores.update(raw, columns: targets, transform: transform, secondClass: nil)
            return [.tensor(.float(values, shape: [x.rows, targets]))]
        }
    }
}
