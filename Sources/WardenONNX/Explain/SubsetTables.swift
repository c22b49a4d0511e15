/// Fast TreeSHAP v2 (Yang 2021, "Fast TreeSHAP: Accelerating SHAP Value Computation for
/// Trees"): path-dependent TreeSHAP's share of one leaf depends on the row only through which
/// of the leaf's path features the row satisfies (its hot set H). For every subset A of a
/// leaf's n unique path features, with z_j the cover share of the path's splits on j, a table
/// holds
///
///     F(A) = Σ_{S ⊆ A} |S|!(n−|S|−1)!/n! · Π_{j ∈ A∖S} z_j
///
/// and a row adds, with v the leaf's value and Z = Π_{j ∉ H} z_j,
///
///     hot j:   v · (1 − z_j) · Z · F(H ∖ {j})
///     cold j:  −v · Z · F(H)
///
/// which are Algorithm 2's sums, regrouped. A row then costs O(depth) per leaf instead of
/// O(depth²); the tables cost 2^n doubles per leaf, so a tree whose tables would pass the
/// memory limit keeps Algorithm 2 (TreeShap.recurse).
struct SubsetTables: Sendable {
    /// One leaf's unique path features (`features[first..<first+count]`, with their shares)
    /// and its table (`tables[table..<table + 2^count]`, F scaled by the aggregate's scale).
    struct Leaf {
        var first: Int32
        var count: Int32
        var table: Int
    }

    /// The roots of the trees the tables cover.
    let roots: [Int32]
    /// The roots of the trees left to Algorithm 2.
    let otherRoots: [Int32]
    /// Per node: the position of its split's feature among the unique features of its path.
    let position: [UInt8]
    /// Per node: its leaf record (leaves only).
    let leafOf: [Int32]
    let leaves: [Leaf]
    let features: [Int32]
    let shares: [Double]
    let tables: [Double]
    /// The longest path among the covered trees, which sizes a row's walk stack.
    let maxDepth: Int

    var bytes: Int { tables.count * 8 + shares.count * 8 + features.count * 4 + leaves.count * 16 + position.count * 5 }

    /// More unique features than this on one path take Algorithm 2 (a table of 2^n per leaf).
    static let maxUniqueFeatures = 16

    init<T>(model: TreeEnsembleModel<T>, cover: [Double], scale: Double, memoryLimit: Int) {
        let nodes = model.nodes
        var chosen: [Int32] = []
        var others: [Int32] = []
        var budget = memoryLimit / 8
        for root in model.roots {
            let size = Self.tableSize(root: Int(root), nodes: nodes)
            if let size, size <= budget {
                chosen.append(root)
                budget -= size
            } else {
                others.append(root)
            }
        }
        var position = [UInt8](repeating: 0, count: nodes.count)
        var leafOf = [Int32](repeating: -1, count: nodes.count)
        var leaves: [Leaf] = []
        var features: [Int32] = []
        var shares: [Double] = []
        var tables: [Double] = []
        var deepest = 0
        var scratch: [Double] = []
        for root in chosen {
            // Each stack entry carries its path's unique features and their cover shares so far.
            var stack: [(node: Int, depth: Int, features: [Int32], shares: [Double])] = [(Int(root), 0, [], [])]
            while let (index, depth, pathFeatures, pathShares) = stack.popLast() {
                deepest = max(deepest, depth)
                let node = nodes[index]
                if node.mode == .leaf {
                    leafOf[index] = Int32(leaves.count)
                    leaves.append(Leaf(first: Int32(features.count), count: Int32(pathFeatures.count), table: tables.count))
                    features += pathFeatures
                    shares += pathShares
                    Self.appendTable(shares: pathShares, scale: scale, to: &tables, scratch: &scratch)
                    continue
                }
                let p = pathFeatures.firstIndex(of: node.feature) ?? pathFeatures.count
                var childFeatures = pathFeatures
                var childShares = pathShares
                if p == pathFeatures.count {
                    childFeatures.append(node.feature)
                    childShares.append(1)
                }
                position[index] = UInt8(p)
                for child in [Int(node.trueChild), Int(node.falseChild)] {
                    var shares = childShares
                    shares[p] *= cover[child] / cover[index]
                    stack.append((child, depth + 1, childFeatures, shares))
                }
            }
        }
        // A trailing element each, so every table has a base address (a forest of leaves has
        // no features; one left entirely to Algorithm 2 has no tables).
        features.append(0)
        shares.append(0)
        tables.append(0)
        leaves.append(Leaf(first: 0, count: 0, table: 0))
        position.append(0)
        leafOf.append(-1)
        roots = chosen
        otherRoots = others
        self.position = position
        self.leafOf = leafOf
        self.leaves = leaves
        self.features = features
        self.shares = shares
        self.tables = tables
        maxDepth = deepest
    }

    /// Doubles one tree's tables need, or nil past `maxUniqueFeatures` on some path.
    private static func tableSize<T>(root: Int, nodes: [TreeEnsembleModel<T>.Node]) -> Int? {
        var total = 0
        var stack: [(Int, [Int32])] = [(root, [])]
        while let (index, path) = stack.popLast() {
            let node = nodes[index]
            if node.mode == .leaf {
                total += 1 << path.count
                continue
            }
            let unique = path.contains(node.feature) ? path : path + [node.feature]
            if unique.count > maxUniqueFeatures { return nil }
            stack.append((Int(node.trueChild), unique))
            stack.append((Int(node.falseChild), unique))
        }
        return total
    }

    /// Appends F(A) · scale for every subset A (bit j: the path's j-th unique feature). The
    /// coefficients of P_A(t) = Π_{j ∈ A} (z_j + t) give, at t^s, the sum over subsets S of A
    /// of size s of Π_{j ∈ A∖S} z_j; each subset's polynomial extends the one without its
    /// lowest member.
    private static func appendTable(shares z: [Double], scale: Double, to tables: inout [Double], scratch: inout [Double]) {
        let n = z.count
        let width = n + 1
        let subsets = 1 << n
        if scratch.count < subsets * width { scratch = [Double](repeating: 0, count: subsets * width) }
        // w[s] = s!(n−s−1)!/n!, for s < n (F of the full set is never read).
        var weight = [Double](repeating: 0, count: width)
        if n > 0 {
            var factorial = [1.0]
            for k in 1...n { factorial.append(factorial[k - 1] * Double(k)) }
            for s in 0..<n { weight[s] = factorial[s] * factorial[n - s - 1] / factorial[n] }
        }
        scratch.withUnsafeMutableBufferPointer { poly in
            poly[0] = 1
            for k in 1..<width { poly[k] = 0 }
            tables.append(weight[0] * scale)
            guard subsets > 1 else { return }
            for mask in 1..<subsets {
                let low = mask.trailingZeroBitCount
                let previous = (mask & (mask - 1)) * width
                let here = mask * width
                let size = mask.nonzeroBitCount
                poly[here] = poly[previous] * z[low]
                for k in stride(from: 1, to: size, by: 1) {
                    poly[here + k] = poly[previous + k] * z[low] + poly[previous + k - 1]
                }
                poly[here + size] = poly[previous + size - 1]
                var f = 0.0
                for s in 0...size { f += weight[s] * poly[here + s] }
                tables.append(f * scale)
            }
        }
    }
}

extension SubsetTables {
    /// The tables as raw pointers, valid for one call of `body`.
    struct Pointers {
        let position: UnsafePointer<UInt8>
        let leafOf: UnsafePointer<Int32>
        let leaves: UnsafePointer<Leaf>
        let features: UnsafePointer<Int32>
        let shares: UnsafePointer<Double>
        let tables: UnsafePointer<Double>
    }

    func withPointers<R>(_ body: (Pointers) -> R) -> R {
        position.withUnsafeBufferPointer { position in
            leafOf.withUnsafeBufferPointer { leafOf in
                leaves.withUnsafeBufferPointer { leaves in
                    features.withUnsafeBufferPointer { features in
                        shares.withUnsafeBufferPointer { shares in
                            tables.withUnsafeBufferPointer { tables in
                                body(
                                    Pointers(
                                        position: position.baseAddress!, leafOf: leafOf.baseAddress!, leaves: leaves.baseAddress!,
                                        features: features.baseAddress!, shares: shares.baseAddress!, tables: tables.baseAddress!))
                            }
                        }
                    }
                }
            }
        }
    }
}
