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
    /// Rows evaluated together, tree by tree: one tree's nodes stay in cache across the block,
    /// where row by row every tree would be fetched again for each row.
    static var rowBlock: Int { 128 }

    /// Evaluates every row. With one target, only a leaf's first weight counts and `has` is set
    /// only by MIN/MAX, exactly as ONNX Runtime's single-output path does.
    func aggregate(_ x: [T], rows: Int, stride: Int, _ aggregate: TreeAggregate) -> TreeScores<T> {
        var score = [T](repeating: 0, count: rows * targets)
        var has = [Bool](repeating: false, count: rows * targets)
        var leaves = [Int32](repeating: 0, count: min(rows, Self.rowBlock))
        var blockStart = 0
        while blockStart < rows {
            let blockEnd = min(rows, blockStart + Self.rowBlock)
            for root in roots {
                findLeaves(x, rows: blockStart..<blockEnd, stride: stride, root: root, into: &leaves)
                for row in blockStart..<blockEnd {
                    let node = nodes[Int(leaves[row - blockStart])]
                    let out = row * targets
                    if targets == 1 {
                        let weight = leafWeights[Int(node.trueChild)]
                        switch aggregate {
                        case .sum, .average: score[out] += weight
                        case .minimum: if !has[out] || weight < score[out] { score[out] = weight }; has[out] = true
                        case .maximum: if !has[out] || weight > score[out] { score[out] = weight }; has[out] = true
                        }
                        continue
                    }
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
            blockStart = blockEnd
        }
        return TreeScores(score: score, has: has)
    }

    /// The leaf each row of `rows` reaches in the tree at `root`, into `leaves[0...]`.
    private func findLeaves(_ x: [T], rows: Range<Int>, stride: Int, root: Int32, into leaves: inout [Int32]) {
        guard allLessOrEqual else {
            for row in rows { leaves[row - rows.lowerBound] = Int32(leaf(x, base: row * stride, root: root)) }
            return
        }
        // The common case (scikit-learn, XGBoost, LightGBM numeric splits): every branch is
        // BRANCH_LEQ, so the walk needs no mode dispatch. Four rows walk the tree together: a
        // walk is a chain of dependent loads, and four independent chains overlap in the CPU.
        var row = rows.lowerBound
        while row &+ 4 <= rows.upperBound {
            var a = Int(root), b = a, c = a, d = a
            while true {
                let na = nodes[a], nb = nodes[b], nc = nodes[c], nd = nodes[d]
                var moving = false
                if na.mode != .leaf { a = next(na, x[row &* stride &+ Int(na.feature)]); moving = true }
                if nb.mode != .leaf { b = next(nb, x[(row &+ 1) &* stride &+ Int(nb.feature)]); moving = true }
                if nc.mode != .leaf { c = next(nc, x[(row &+ 2) &* stride &+ Int(nc.feature)]); moving = true }
                if nd.mode != .leaf { d = next(nd, x[(row &+ 3) &* stride &+ Int(nd.feature)]); moving = true }
                if !moving { break }
            }
            let slot = row &- rows.lowerBound
            leaves[slot] = Int32(truncatingIfNeeded: a)
            leaves[slot &+ 1] = Int32(truncatingIfNeeded: b)
            leaves[slot &+ 2] = Int32(truncatingIfNeeded: c)
            leaves[slot &+ 3] = Int32(truncatingIfNeeded: d)
            row &+= 4
        }
        while row < rows.upperBound {
            var index = Int(root)
            var node = nodes[index]
            while node.mode != .leaf {
                index = next(node, x[row &* stride &+ Int(node.feature)])
                node = nodes[index]
            }
            leaves[row &- rows.lowerBound] = Int32(truncatingIfNeeded: index)
            row &+= 1
        }
    }

    /// The child a BRANCH_LEQ node sends `value` to.
    @inline(__always)
    private func next(_ node: Node, _ value: T) -> Int {
        let goesTrue = value <= node.threshold || (node.missingTracksTrue && value.isNaN)
        return Int(goesTrue ? node.trueChild : node.falseChild)
    }
}
