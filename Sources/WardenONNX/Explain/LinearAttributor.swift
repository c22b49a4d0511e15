/// Exact attributions of a LinearClassifier or LinearRegressor: coefficient × (value − the
/// training mean) per input column, against the contract's background mean; the base value is
/// the margin at the mean. Margin space: before the post_transform.
struct LinearAttributor: Attributor {
    let targetNames: [String]
    let baseValues: [Double]
    private let coefficients: [Double]
    private let mean: [Double]
    private let width: Int

    init(_ context: NodeContext, columns: Int, mean: [Double]?) throws {
        let a = context.attributes
        let coefficients = try a.required(try a.floats("coefficients"), "coefficients").map(Double.init)
        let intercepts = (try a.floats("intercepts") ?? []).map(Double.init)
        let targets: Int
        if context.node.opType == "LinearClassifier" {
            let labels = try ClassLabels(a, intsName: "classlabels_ints", context)
            targets = intercepts.isEmpty ? labels.count : intercepts.count
            targetNames = targets == 1 && labels.count == 2 ? [labels.names[1]] : Array(labels.names.prefix(targets))
        } else {
            targets = Int(try a.int("targets", default: 1))
            targetNames = (0..<targets).map { "target_\($0)" }
        }
        guard targets > 0, coefficients.count == targets * columns else {
            throw NotExplainable("\(context.label): \(coefficients.count) coefficients for \(targets) targets of \(columns) columns")
        }
        guard let mean else {
            throw NotExplainable("\(context.label): linear attributions need explanations.background_mean (docs/explanations.md)")
        }
        guard mean.count == columns, mean.allSatisfy(\.isFinite) else {
            throw NotExplainable("explanations.background_mean has \(mean.count) values; the linear model reads \(columns) columns")
        }
        self.coefficients = coefficients
        self.mean = mean
        width = columns
        baseValues = (0..<targets).map { t in
            (0..<columns).reduce(t < intercepts.count ? intercepts[t] : 0) { $0 + coefficients[t * columns + $1] * mean[$1] }
        }
    }

    func attribute(_ x: Tensor, rows: Int, add: (Int, Int, Int, Double) -> Void) throws {
        guard let values = x.doubles() else {
            throw InferenceError.invalidValue(node: "explain", reason: "linear models need a numeric input, got \(x.elementType)")
        }
        for row in 0..<rows {
            for column in 0..<width {
                let centred = values[row * width + column] - mean[column]
                for target in 0..<targetNames.count {
                    let value = coefficients[target * width + column] * centred
                    if value != 0 { add(row, column, target, value) }
                }
            }
        }
    }
}
