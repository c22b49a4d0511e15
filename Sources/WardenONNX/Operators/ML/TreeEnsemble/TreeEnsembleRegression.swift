/// Finalisation of regressor scores (TreeEnsembleRegressor and ml-opset-5 TreeEnsemble).
struct TreeRegression: Sendable {
    let aggregate: TreeAggregate
    let baseValues: [Double]
    let transform: PostTransform

    /// One row of `targets` outputs, in Float (the transforms are Float in ORT).
    func finalize<T: FloatElement>(_ scores: TreeScores<T>, row: Int, targets: Int, trees: Int) -> [T] {
        let offset = row * targets
        if targets == 1 {
            let origin = T(baseValues.count == 1 ? baseValues[0] : 0)
            var y = scores.score[offset]
            switch aggregate {
            case .sum: y += origin
            case .average: y = y / T(trees) + origin
            case .minimum, .maximum: y = scores.has[offset] ? y + origin : origin
            }
            // With one target, ORT applies PROBIT and ignores the other transforms.
            return [transform == .probit ? T(PostTransform.probit(Float(y))) : y]
        }
        let useBase = baseValues.count == targets
        var values = [T](repeating: 0, count: targets)
        var present = [Bool](repeating: false, count: targets)
        for t in 0..<targets {
            var s = scores.score[offset + t]
            present[t] = scores.has[offset + t]
            switch aggregate {
            case .sum: if useBase { s += T(baseValues[t]) }
            case .average: s = useBase ? s / T(trees) + T(baseValues[t]) : s / T(trees)
            case .minimum, .maximum: s = (useBase ? T(baseValues[t]) : 0) + (present[t] ? s : 0)
            }
            values[t] = s
        }
        // A target that no reached leaf fed writes 0, its base value dropped too (ORT's ScoreValue rule).
        for t in 0..<targets where !present[t] { values[t] = 0 }
        if transform == .none { return values }
        var row = values.map { Float($0) }
        transform.applyToRow(&row)
        return row.map { T($0) }
    }
}
