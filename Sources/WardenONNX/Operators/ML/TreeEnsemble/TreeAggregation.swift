/// How leaf values of the trees combine into a score (regressors; classifiers always sum).
enum TreeAggregate: Sendable {
    case sum, average, minimum, maximum

    init(name: String, _ context: NodeContext) throws {
        switch name {
        case "SUM": self = .sum
        case "AVERAGE": self = .average
        case "MIN": self = .minimum
        case "MAX": self = .maximum
        default: throw context.unsupported("aggregate_function '\(name)'")
        }
    }
}

/// Raw per-row sums over all trees, before base values and transforms: `score[row * targets + t]`
/// and whether any reached leaf fed that target.
struct TreeScores<T: FloatElement> {
    var score: [T]
    var has: [Bool]
}

extension TreeEnsembleModel {
    /// Evaluates every row. With one target, only a leaf's first weight counts and `has` is set
    /// only by MIN/MAX, exactly as ONNX Runtime's single-output path does.
    func aggregate(_ x: [T], rows: Int, stride: Int, _ aggregate: TreeAggregate) -> TreeScores<T> {
        var score = [T](repeating: 0, count: rows * targets)
        var has = [Bool](repeating: false, count: rows * targets)
        for row in 0..<rows {
            let base = row * stride
            let out = row * targets
            if targets == 1 {
                var s: T = 0
                var seen = false
                for root in roots {
                    let weight = leafWeights[Int(nodes[leaf(x, base: base, root: root)].trueChild)]
                    switch aggregate {
                    case .sum, .average: s += weight
                    case .minimum: if !seen || weight < s { s = weight }; seen = true
                    case .maximum: if !seen || weight > s { s = weight }; seen = true
                    }
                }
                score[out] = s
                has[out] = seen
                continue
            }
            for root in roots {
                let node = nodes[leaf(x, base: base, root: root)]
                let start = Int(node.trueChild)
                for w in start..<(start + Int(node.falseChild)) {
                    let slot = out + Int(leafTargets[w])
                    let weight = leafWeights[w]
                    switch aggregate {
                    case .sum, .average: score[slot] += weight
                    case .minimum: if !has[slot] || weight < score[slot] { score[slot] = weight }
                    case .maximum: if !has[slot] || weight > score[slot] { score[slot] = weight }
                    }
                    has[slot] = true
                }
            }
        }
        return TreeScores(score: score, has: has)
    }
}
