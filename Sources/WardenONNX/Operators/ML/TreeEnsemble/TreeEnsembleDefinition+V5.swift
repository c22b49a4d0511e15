/// The ml-opset-5 `TreeEnsemble` layout: tree_roots, nodes_* and leaf_* with explicit leaf flags.
extension TreeEnsembleDefinition {
    init(v5 a: NodeAttributes, context: NodeContext) throws {
        let targets = Int(try a.required(try a.int("n_targets"), "n_targets"))
        guard targets > 0 else { throw context.invalid("n_targets must be positive") }
        let roots = try a.required(try a.ints("tree_roots"), "tree_roots").map { Int($0) }
        let features = try a.required(try a.ints("nodes_featureids"), "nodes_featureids").map { Int($0) }
        let trueIDs = try a.required(try a.ints("nodes_truenodeids"), "nodes_truenodeids").map { Int($0) }
        let falseIDs = try a.required(try a.ints("nodes_falsenodeids"), "nodes_falsenodeids").map { Int($0) }
        let trueLeafs = try a.required(try a.ints("nodes_trueleafs"), "nodes_trueleafs")
        let falseLeafs = try a.required(try a.ints("nodes_falseleafs"), "nodes_falseleafs")
        let missing = try a.ints("nodes_missing_value_tracks_true") ?? []
        let modes = try a.required(try a.tensor("nodes_modes"), "nodes_modes").integers(context)
        let splitsTensor = try a.required(try a.tensor("nodes_splits"), "nodes_splits")
        let splits = try splitsTensor.doubles().orThrow(context.invalid("nodes_splits must be numeric"))
        let leafTargets = try a.required(try a.ints("leaf_targetids"), "leaf_targetids").map { Int($0) }
        let leafWeights = try a.required(try a.tensor("leaf_weights"), "leaf_weights").doubles().orThrow(
            context.invalid("leaf_weights must be numeric"))
        let membership = try a.tensor("membership_values")?.doubles() ?? []
        let count = features.count
        guard [trueIDs.count, falseIDs.count, trueLeafs.count, falseLeafs.count, modes.count, splits.count].allSatisfy({ $0 == count }),
            leafTargets.count == leafWeights.count
        else { throw context.invalid("the nodes_* (or leaf_*) attributes have different lengths") }

        // MEMBER nodes take the next NaN-terminated run of membership_values, in node order.
        var sets = [[Double]](repeating: [], count: count)
        var cursor = 0
        for i in 0..<count where modes[i] == 6 {
            var set: [Double] = []
            while cursor < membership.count, !membership[cursor].isNaN { set.append(membership[cursor]); cursor += 1 }
            cursor += 1
            guard !set.isEmpty else { throw context.invalid("MEMBER node \(i) has an empty membership set") }
            sets[i] = set
        }

        // Renumber into one node list with leaves as nodes, so both layouts share the evaluator.
        var nodes: [Node] = []
        var weights: [Weight] = []
        let nodeModes: [Mode] = [.lessOrEqual, .less, .greaterOrEqual, .greater, .equal, .notEqual, .member]
        for (tree, root) in roots.enumerated() {
            var ids: [String: Int] = [:]
            func place(_ index: Int, leaf: Bool, depth: Int) throws -> Int {
                guard depth < 1024 else { throw context.invalid("tree \(tree) is deeper than 1024 levels") }
                let key = "\(leaf ? "L" : "N")\(index)"
                if let known = ids[key] { return known }
                let id = nodes.count
                ids[key] = id
                if leaf {
                    guard index >= 0, index < leafTargets.count, leafTargets[index] >= 0, leafTargets[index] < targets else {
                        throw context.invalid("leaf \(index) is out of range")
                    }
                    nodes.append(
                        Node(
                            tree: tree, id: id, feature: 0, mode: .leaf, threshold: 0, trueID: id, falseID: id, missingTracksTrue: false,
                            origin: index))
                    weights.append(Weight(tree: tree, node: id, target: leafTargets[index], value: leafWeights[index]))
                    return id
                }
                guard index >= 0, index < count, modes[index] >= 0, modes[index] < nodeModes.count else {
                    throw context.invalid("node \(index) is out of range or has an unknown mode")
                }
                nodes.append(
                    Node(
                        tree: tree, id: id, feature: features[index], mode: nodeModes[modes[index]], threshold: splits[index],
                        trueID: -1, falseID: -1, missingTracksTrue: index < missing.count && missing[index] == 1, members: sets[index],
                        origin: index))
                let t = try place(trueIDs[index], leaf: trueLeafs[index] != 0, depth: depth + 1)
                let f = try place(falseIDs[index], leaf: falseLeafs[index] != 0, depth: depth + 1)
                nodes[id].trueID = t
                nodes[id].falseID = f
                return id
            }
            // The v5 layout has no flag for a root that is itself a leaf: a root index past the
            // nodes, or a node whose two branches are the same leaf, stands for one. (Equal ids
            // alone are not enough: a node may send both ways to node 4 and to leaf 4.)
            let rootIsLeaf = root >= count || (trueIDs[root] == falseIDs[root] && trueLeafs[root] != 0 && falseLeafs[root] != 0)
            _ = try place(root, leaf: rootIsLeaf, depth: 0)
        }
        self.init(nodes: nodes, weights: weights, targets: targets)
    }
}

extension Optional {
    func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let value = self else { throw error() }
        return value
    }
}

extension Tensor {
    /// Integer contents of an attribute tensor, for load-time use.
    func integers(_ context: NodeContext) throws -> [Int] {
        guard let values = doubles(), elementType != .float, elementType != .double else {
            throw context.invalid("expected an integer tensor attribute")
        }
        return values.map { Int($0) }
    }
}
