/// Exact path-dependent TreeSHAP (Lundberg, Erion and Lee 2018, "Consistent individualized
/// feature attribution for tree ensembles", Algorithm 2) over the engine's own trees, so a row
/// is explained by exactly the splits, thresholds and missing-value routes that scored it.
///
/// The conditional expectations come from each node's cover (the training weight that reached
/// it), which ONNX does not carry: the contract supplies it per (tree, node) id. Arithmetic is
/// in Double; the route a row takes uses the engine's comparison in the threshold type `T`.
struct TreeShap<T: FloatElement>: Sendable {
    let model: TreeEnsembleModel<T>
    /// Cover of each node, by the model's node position.
    let cover: [Double]
    /// The attributed targets: every target some leaf weighs (the ensemble's score columns).
    let targets: Int
    /// 1, or 1/trees for an AVERAGE aggregate.
    let scale: Double
    /// Longest root-to-leaf path, which sizes the path buffer.
    let maxDepth: Int

    /// One element of the path of unique features from the root (the paper's m).
    struct PathElement {
        var feature: Int32
        var zeroFraction: Double
        var oneFraction: Double
        var weight: Double
    }

    init(model: TreeEnsembleModel<T>, cover: [Double], scale: Double) {
        self.model = model
        self.cover = cover
        self.targets = model.targets
        self.scale = scale
        var deepest = 0
        for root in model.roots {
            var stack: [(Int, Int)] = [(Int(root), 0)]
            while let (node, depth) = stack.popLast() {
                deepest = max(deepest, depth)
                if model.nodes[node].mode != .leaf {
                    stack.append((Int(model.nodes[node].trueChild), depth + 1))
                    stack.append((Int(model.nodes[node].falseChild), depth + 1))
                }
            }
        }
        maxDepth = deepest
    }

    /// Each target's expected value over the training distribution the covers describe: every
    /// leaf's weight times the share of cover that reaches it, summed over trees.
    func expectedValues() -> [Double] {
        var expected = [Double](repeating: 0, count: targets)
        for root in model.roots {
            var stack: [(Int, Double)] = [(Int(root), 1)]
            while let (index, share) = stack.popLast() {
                let node = model.nodes[index]
                if node.mode == .leaf {
                    addLeaf(index, times: share * scale, into: &expected, offset: 0)
                    continue
                }
                let total = cover[index]
                guard total > 0 else { continue }
                stack.append((Int(node.trueChild), share * cover[Int(node.trueChild)] / total))
                stack.append((Int(node.falseChild), share * cover[Int(node.falseChild)] / total))
            }
        }
        return expected
    }

    /// Adds one row's attributions to `phi[feature * targets + target]` (row values start at
    /// `base` in `x`); `path` is scratch space reused across rows and trees.
    func explain(_ x: [T], base: Int, into phi: inout [Double], path: inout [PathElement]) {
        let needed = (maxDepth + 2) * (maxDepth + 3) / 2
        if path.count < needed {
            path = Array(repeating: PathElement(feature: -1, zeroFraction: 0, oneFraction: 0, weight: 0), count: needed)
        }
        for root in model.roots {
            recurse(
                Int(root), depth: 0, pathStart: 0, zeroFraction: 1, oneFraction: 1, feature: -1, x: x, base: base, phi: &phi, path: &path)
        }
    }

    /// The paper's RECURSE. The path of depth `depth` sits at `path[pathStart...]`; this call
    /// copies it past its end, extends it with the split that led here, and recurses.
    private func recurse(
        _ index: Int, depth inDepth: Int, pathStart: Int, zeroFraction: Double, oneFraction: Double, feature: Int32, x: [T], base: Int,
        phi: inout [Double], path: inout [PathElement]
    ) {
        var depth = inDepth
        let start = pathStart + depth + 1
        for i in 0...depth { path[start + i] = path[pathStart + i] }
        Self.extend(&path, start: start, depth: depth, zeroFraction: zeroFraction, oneFraction: oneFraction, feature: feature)
        let node = model.nodes[index]
        if node.mode == .leaf {
            guard depth > 0 else { return }
            for i in 1...depth {
                let element = path[start + i]
                let weight = Self.unwoundSum(path, start: start, depth: depth, index: i)
                addLeaf(
                    index, times: weight * (element.oneFraction - element.zeroFraction) * scale, into: &phi,
                    offset: Int(element.feature) * targets)
            }
            return
        }
        let value = x[base + Int(node.feature)]
        let hot = Int(goesTrue(node, value) ? node.trueChild : node.falseChild)
        let cold = hot == Int(node.trueChild) ? Int(node.falseChild) : Int(node.trueChild)
        let total = cover[index]
        guard total > 0 else { return }
        var incomingZero = 1.0
        var incomingOne = 1.0
        // A feature already on the path: undo its earlier split, to redo it at this node.
        if let k = (1...max(depth, 1)).first(where: { $0 <= depth && path[start + $0].feature == node.feature }) {
            incomingZero = path[start + k].zeroFraction
            incomingOne = path[start + k].oneFraction
            Self.unwind(&path, start: start, depth: depth, index: k)
            depth -= 1
        }
        recurse(
            hot, depth: depth + 1, pathStart: start, zeroFraction: incomingZero * cover[hot] / total, oneFraction: incomingOne,
            feature: node.feature, x: x, base: base, phi: &phi, path: &path)
        recurse(
            cold, depth: depth + 1, pathStart: start, zeroFraction: incomingZero * cover[cold] / total, oneFraction: 0,
            feature: node.feature, x: x, base: base, phi: &phi, path: &path)
    }

    /// The engine's branch decision (TreeEnsembleModel.leaf), one node at a time.
    @inline(__always)
    private func goesTrue(_ node: TreeEnsembleModel<T>.Node, _ value: T) -> Bool {
        let taken: Bool
        switch node.mode {
        case .lessOrEqual: taken = value <= node.threshold
        case .less: taken = value < node.threshold
        case .greaterOrEqual: taken = value >= node.threshold
        case .greater: taken = value > node.threshold
        case .equal: taken = value == node.threshold
        case .notEqual: taken = value != node.threshold
        case .member: taken = model.memberSets[Int(node.memberSet)].contains(value)
        case .leaf: taken = false
        }
        return taken || (node.missingTracksTrue && value.isNaN)
    }

    /// Adds a leaf's weights, times `factor`, at `into[offset + target]`.
    @inline(__always)
    private func addLeaf(_ index: Int, times factor: Double, into values: inout [Double], offset: Int) {
        let leaf = model.nodes[index]
        let first = Int(leaf.trueChild)
        // With one target, only a leaf's first weight counts, as the engine scores it.
        let count = targets == 1 ? 1 : Int(leaf.falseChild)
        for w in first..<(first + count) {
            values[offset + Int(model.leafTargets[w])] += factor * Double(model.leafWeights[w])
        }
    }

    /// EXTEND: the path grows by one feature, and the weights of every subset size are updated.
    static func extend(_ path: inout [PathElement], start: Int, depth: Int, zeroFraction: Double, oneFraction: Double, feature: Int32) {
        path[start + depth] = PathElement(
            feature: feature, zeroFraction: zeroFraction, oneFraction: oneFraction, weight: depth == 0 ? 1 : 0)
        var i = depth - 1
        let size = Double(depth + 1)
        while i >= 0 {
            path[start + i + 1].weight += oneFraction * path[start + i].weight * Double(i + 1) / size
            path[start + i].weight = zeroFraction * path[start + i].weight * Double(depth - i) / size
            i -= 1
        }
    }

    /// UNWIND: removes element `index` from the path, undoing its EXTEND.
    static func unwind(_ path: inout [PathElement], start: Int, depth: Int, index: Int) {
        let one = path[start + index].oneFraction
        let zero = path[start + index].zeroFraction
        var next = path[start + depth].weight
        let size = Double(depth + 1)
        var i = depth - 1
        while i >= 0 {
            if one != 0 {
                let saved = path[start + i].weight
                path[start + i].weight = next * size / (Double(i + 1) * one)
                next = saved - path[start + i].weight * zero * Double(depth - i) / size
            } else {
                path[start + i].weight = path[start + i].weight * size / (zero * Double(depth - i))
            }
            i -= 1
        }
        for j in index..<depth {
            path[start + j].feature = path[start + j + 1].feature
            path[start + j].zeroFraction = path[start + j + 1].zeroFraction
            path[start + j].oneFraction = path[start + j + 1].oneFraction
        }
    }

    /// The total weight the path would have with element `index` unwound, without unwinding it.
    static func unwoundSum(_ path: [PathElement], start: Int, depth: Int, index: Int) -> Double {
        let one = path[start + index].oneFraction
        let zero = path[start + index].zeroFraction
        var next = path[start + depth].weight
        var total = 0.0
        var i = depth - 1
        if one != 0 {
            while i >= 0 {
                let share = next / (Double(i + 1) * one)
                total += share
                next = path[start + i].weight - share * zero * Double(depth - i)
                i -= 1
            }
        } else {
            while i >= 0 {
                total += path[start + i].weight / (zero * Double(depth - i))
                i -= 1
            }
        }
        return total * Double(depth + 1)
    }
}
