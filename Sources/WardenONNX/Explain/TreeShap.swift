/// Exact path-dependent TreeSHAP (Lundberg, Erion and Lee 2018, "Consistent individualized
/// feature attribution for tree ensembles", Algorithm 2) over the engine's own trees, so a row
/// is explained by exactly the splits, thresholds and missing-value routes that scored it.
///
/// The conditional expectations come from each node's cover (the training weight that reached
/// it), which ONNX does not carry: the contract supplies it per (tree, node) id. Arithmetic is
/// in Double; the route a row takes uses the engine's comparison in the threshold type `T`.
/// The recursion works on raw buffers: the path is rewritten at every node, and array
/// accesses (bounds and uniqueness checks on each write) cost more than the arithmetic.
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
    /// 1/n for n up to the longest path: the recursion multiplies instead of dividing.
    let reciprocals: [Double]
    /// Fast TreeSHAP v2's per-leaf tables, for the trees they fit.
    let subsets: SubsetTables

    /// One element of the path of unique features from the root (the paper's m). In the
    /// path-dependent algorithm a one-fraction is always 0 or 1 (the row goes one way), so it
    /// never needs dividing by; 1/zeroFraction is kept beside it, computed once per split
    /// instead of once per leaf below it.
    struct PathElement {
        var feature: Int32
        var zeroFraction: Double
        var inverseZeroFraction: Double
        var oneFraction: Double
        var weight: Double
    }

    init(model: TreeEnsembleModel<T>, cover: [Double], scale: Double, subsets: SubsetTables) {
        self.model = model
        self.subsets = subsets
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
        reciprocals = (0...(deepest + 2)).map { $0 == 0 ? 0 : 1 / Double($0) }
    }

    /// Path elements one row's recursion needs: each level copies its parent's path past it.
    var pathCapacity: Int { (maxDepth + 2) * (maxDepth + 3) / 2 }

    /// One pending node of a row's walk through a tree with tables, and the path positions
    /// whose features the row fails on the way to it.
    struct Pending {
        var node: Int32
        var cold: UInt32
    }

    /// Pending nodes one row's walk needs: a depth-first walk of a binary tree.
    var walkCapacity: Int { subsets.maxDepth + 2 }

    /// Each target's expected value over the training distribution the covers describe: every
    /// leaf's weight times the share of cover that reaches it, summed over trees.
    func expectedValues() -> [Double] {
        var expected = [Double](repeating: 0, count: targets)
        for root in model.roots {
            var stack: [(Int, Double)] = [(Int(root), 1)]
            while let (index, share) = stack.popLast() {
                let node = model.nodes[index]
                if node.mode == .leaf {
                    let first = Int(node.trueChild)
                    for w in first..<(first + (targets == 1 ? 1 : Int(node.falseChild))) {
                        expected[Int(model.leafTargets[w])] += share * scale * Double(model.leafWeights[w])
                    }
                    continue
                }
                let total = cover[index]
                stack.append((Int(node.trueChild), share * cover[Int(node.trueChild)] / total))
                stack.append((Int(node.falseChild), share * cover[Int(node.falseChild)] / total))
            }
        }
        return expected
    }

    /// The model's tables as raw pointers, valid for one call of `body`.
    struct Tables {
        let nodes: UnsafePointer<TreeEnsembleModel<T>.Node>
        let cover: UnsafePointer<Double>
        let leafTargets: UnsafePointer<Int32>
        let leafWeights: UnsafePointer<T>
        /// `reciprocal[n]` = 1/n.
        let reciprocal: UnsafePointer<Double>
    }

    func withTables<R>(_ body: (Tables) -> R) -> R {
        model.nodes.withUnsafeBufferPointer { nodes in
            cover.withUnsafeBufferPointer { cover in
                model.leafTargets.withUnsafeBufferPointer { targets in
                    model.leafWeights.withUnsafeBufferPointer { weights in
                        reciprocals.withUnsafeBufferPointer { reciprocal in
                            body(
                                Tables(
                                    nodes: nodes.baseAddress!, cover: cover.baseAddress!, leafTargets: targets.baseAddress!,
                                    leafWeights: weights.baseAddress!, reciprocal: reciprocal.baseAddress!))
                        }
                    }
                }
            }
        }
    }

    /// Adds one row's attributions to `phi[feature * targets + target]`; `x` points at the
    /// row's first value, `path` at `pathCapacity` elements and `walk` at `walkCapacity`
    /// elements of scratch space.
    func explain(
        _ x: UnsafePointer<T>, tables: Tables, subsets: SubsetTables.Pointers, into phi: UnsafeMutablePointer<Double>,
        path: UnsafeMutablePointer<PathElement>, walk: UnsafeMutablePointer<Pending>
    ) {
        for root in self.subsets.roots {
            walkWithTables(root, x: x, tables: tables, subsets: subsets, phi: phi, walk: walk)
        }
        for root in self.subsets.otherRoots {
            recurse(Int(root), depth: 0, parent: path, zeroFraction: 1, oneFraction: 1, feature: -1, x: x, tables: tables, phi: phi)
        }
    }

    /// Fast TreeSHAP v2 over one tree (SubsetTables): every leaf, with the set of its path
    /// features the row fails, adds its share through the leaf's table.
    private func walkWithTables(
        _ root: Int32, x: UnsafePointer<T>, tables: Tables, subsets: SubsetTables.Pointers, phi: UnsafeMutablePointer<Double>,
        walk: UnsafeMutablePointer<Pending>
    ) {
        walk[0] = Pending(node: root, cold: 0)
        var top = 1
        while top > 0 {
            top -= 1
            let pending = walk[top]
            let index = Int(pending.node)
            let node = tables.nodes[index]
            if node.mode != .leaf {
                let hot = model.goesTrue(node, x[Int(node.feature)]) ? node.trueChild : node.falseChild
                let cold = hot == node.trueChild ? node.falseChild : node.trueChild
                walk[top] = Pending(node: cold, cold: pending.cold | 1 << UInt32(subsets.position[index]))
                walk[top + 1] = Pending(node: hot, cold: pending.cold)
                top += 2
                continue
            }
            let leaf = subsets.leaves[Int(subsets.leafOf[index])]
            let count = Int(leaf.count)
            guard count > 0 else { continue }
            let features = subsets.features + Int(leaf.first)
            let shares = subsets.shares + Int(leaf.first)
            // Z: the cover share of the row's cold features, which every term carries.
            var z = 1.0
            var bits = pending.cold
            while bits != 0 {
                z *= shares[bits.trailingZeroBitCount]
                bits &= bits - 1
            }
            if z == 0 { continue }
            let table = subsets.tables + leaf.table
            let hotSet = Int(~pending.cold & (1 << UInt32(count) - 1))
            let coldFactor = -z * table[hotSet]
            let first = Int(node.trueChild)
            let weights = targets == 1 ? 1 : Int(node.falseChild)
            for j in 0..<count {
                let bit = 1 << j
                let factor = hotSet & bit != 0 ? (1 - shares[j]) * z * table[hotSet & ~bit] : coldFactor
                let offset = Int(features[j]) * targets
                for w in first..<(first + weights) {
                    phi[offset + Int(tables.leafTargets[w])] += factor * Double(tables.leafWeights[w])
                }
            }
        }
    }

    /// The paper's RECURSE. The parent's path (depth + 1 elements) is at `parent`; this call
    /// copies it just past its end, extends the copy with the split that led here, and recurses.
    private func recurse(
        _ index: Int, depth inDepth: Int, parent: UnsafeMutablePointer<PathElement>, zeroFraction: Double, oneFraction: Double,
        feature: Int32, x: UnsafePointer<T>, tables: Tables, phi: UnsafeMutablePointer<Double>
    ) {
        // A branch no training weight reached, on the cold side: it contributes nothing.
        if zeroFraction == 0 && oneFraction == 0 { return }
        var depth = inDepth
        let path = parent + depth + 1
        path.update(from: parent, count: depth + 1)
        Self.extend(
            path, depth: depth, zeroFraction: zeroFraction, oneFraction: oneFraction, feature: feature, reciprocal: tables.reciprocal)
        let node = tables.nodes[index]
        if node.mode == .leaf {
            guard depth > 0 else { return }
            let first = Int(node.trueChild)
            // With one target, only a leaf's first weight counts, as the engine scores it.
            let count = targets == 1 ? 1 : Int(node.falseChild)
            for i in 1...depth {
                let element = path[i]
                let factor =
                    Self.unwoundSum(path, depth: depth, index: i, reciprocal: tables.reciprocal)
                    * (element.oneFraction - element.zeroFraction) * scale
                let offset = Int(element.feature) * targets
                for w in first..<(first + count) {
                    phi[offset + Int(tables.leafTargets[w])] += factor * Double(tables.leafWeights[w])
                }
            }
            return
        }
        let value = x[Int(node.feature)]
        let hot = Int(model.goesTrue(node, value) ? node.trueChild : node.falseChild)
        let cold = hot == Int(node.trueChild) ? Int(node.falseChild) : Int(node.trueChild)
        let total = tables.cover[index]
        var incomingZero = 1.0
        var incomingOne = 1.0
        // A feature already on the path: undo its earlier split, to redo it at this node.
        var k = 1
        while k <= depth, path[k].feature != node.feature { k += 1 }
        if k <= depth {
            incomingZero = path[k].zeroFraction
            incomingOne = path[k].oneFraction
            Self.unwind(path, depth: depth, index: k, reciprocal: tables.reciprocal)
            depth -= 1
        }
        recurse(
            hot, depth: depth + 1, parent: path, zeroFraction: incomingZero * tables.cover[hot] / total, oneFraction: incomingOne,
            feature: node.feature, x: x, tables: tables, phi: phi)
        recurse(
            cold, depth: depth + 1, parent: path, zeroFraction: incomingZero * tables.cover[cold] / total, oneFraction: 0,
            feature: node.feature, x: x, tables: tables, phi: phi)
    }

    /// EXTEND: the path grows by one feature, and the weights of every subset size are updated.
    @inline(__always)
    static func extend(
        _ path: UnsafeMutablePointer<PathElement>, depth: Int, zeroFraction: Double, oneFraction: Double, feature: Int32,
        reciprocal: UnsafePointer<Double>
    ) {
        path[depth] = PathElement(
            feature: feature, zeroFraction: zeroFraction, inverseZeroFraction: zeroFraction == 0 ? 0 : 1 / zeroFraction,
            oneFraction: oneFraction, weight: depth == 0 ? 1 : 0)
        let inverseSize = reciprocal[depth + 1]
        var i = depth - 1
        while i >= 0 {
            path[i + 1].weight += oneFraction * path[i].weight * Double(i + 1) * inverseSize
            path[i].weight = zeroFraction * path[i].weight * Double(depth - i) * inverseSize
            i -= 1
        }
    }

    /// UNWIND: removes element `index` from the path, undoing its EXTEND.
    @inline(__always)
    static func unwind(_ path: UnsafeMutablePointer<PathElement>, depth: Int, index: Int, reciprocal: UnsafePointer<Double>) {
        let one = path[index].oneFraction
        let zero = path[index].zeroFraction
        var next = path[depth].weight
        let size = Double(depth + 1)
        let inverseSize = reciprocal[depth + 1]
        var i = depth - 1
        if one != 0 {  // one == 1
            while i >= 0 {
                let saved = path[i].weight
                path[i].weight = next * size * reciprocal[i + 1]
                next = saved - path[i].weight * zero * Double(depth - i) * inverseSize
                i -= 1
            }
        } else {
            let inverseZero = path[index].inverseZeroFraction
            while i >= 0 {
                path[i].weight = path[i].weight * size * inverseZero * reciprocal[depth - i]
                i -= 1
            }
        }
        for j in index..<depth {
            path[j].feature = path[j + 1].feature
            path[j].zeroFraction = path[j + 1].zeroFraction
            path[j].inverseZeroFraction = path[j + 1].inverseZeroFraction
            path[j].oneFraction = path[j + 1].oneFraction
        }
    }

    /// The total weight the path would have with element `index` unwound, without unwinding it.
    @inline(__always)
    static func unwoundSum(_ path: UnsafeMutablePointer<PathElement>, depth: Int, index: Int, reciprocal: UnsafePointer<Double>) -> Double {
        let one = path[index].oneFraction
        let zero = path[index].zeroFraction
        var next = path[depth].weight
        var total = 0.0
        var i = depth - 1
        if one != 0 {  // one == 1
            while i >= 0 {
                let share = next * reciprocal[i + 1]
                total += share
                next = path[i].weight - share * zero * Double(depth - i)
                i -= 1
            }
        } else {
            let inverseZero = path[index].inverseZeroFraction
            while i >= 0 {
                total += path[i].weight * inverseZero * reciprocal[depth - i]
                i -= 1
            }
        }
        return total * Double(depth + 1)
    }
}
