/// The trees of a TreeEnsemble* node, read from either attribute layout (v1/v3 lists, or the
/// ml-opset-5 `TreeEnsemble` tensors) into one form. Values keep double precision here; the
/// model is then built for the threshold type the input needs.
struct TreeEnsembleDefinition: Sendable {
    enum Mode: UInt8, Sendable {
        case lessOrEqual, less, greaterOrEqual, greater, equal, notEqual, member, leaf
    }

    struct Node: Sendable {
        var tree: Int
        var id: Int
        var feature: Int
        var mode: Mode
        /// The threshold as the float attribute holds it (nil when only a double tensor gives it).
        var floatThreshold: Float?
        var threshold: Double
        var trueID: Int
        var falseID: Int
        var missingTracksTrue: Bool
        var members: [Double] = []
        /// ml-opset-5 only: the `nodes_*` index (or, for a leaf, the `leaf_*` index) this node
        /// was read from, by which a contract gives its cover.
        var origin: Int? = nil
    }

    struct Weight: Sendable {
        var tree: Int
        var node: Int
        var target: Int
        var value: Double
        var floatValue: Float?
    }

    var nodes: [Node]
    var weights: [Weight]
    var targets: Int
}

extension TreeEnsembleDefinition {
    /// Reads the v1/v3 attributes. `prefix` is "class" for classifiers, "target" for regressors.
    init(v3 attributes: NodeAttributes, prefix: String, targets: Int, context: NodeContext) throws {
        let a = attributes
        let treeIDs = try a.required(try a.ints("nodes_treeids"), "nodes_treeids")
        let nodeIDs = try a.required(try a.ints("nodes_nodeids"), "nodes_nodeids")
        let features = try a.required(try a.ints("nodes_featureids"), "nodes_featureids")
        let modes = try a.required(try a.strings("nodes_modes"), "nodes_modes")
        let trueIDs = try a.required(try a.ints("nodes_truenodeids"), "nodes_truenodeids")
        let falseIDs = try a.required(try a.ints("nodes_falsenodeids"), "nodes_falsenodeids")
        let missing = try a.ints("nodes_missing_value_tracks_true") ?? []
        let (values, floatValues) = try Self.values(a, "nodes_values", count: treeIDs.count, context)
        let count = treeIDs.count
        guard count > 0, [nodeIDs.count, features.count, modes.count, trueIDs.count, falseIDs.count].allSatisfy({ $0 == count }) else {
            throw context.invalid("the nodes_* attributes must all have the same, non-zero length")
        }
        var nodes: [Node] = []
        nodes.reserveCapacity(count)
        for i in 0..<count {
            let mode: Mode
            switch modes[i] {
            case "BRANCH_LEQ": mode = .lessOrEqual
            case "BRANCH_LT": mode = .less
            case "BRANCH_GTE": mode = .greaterOrEqual
            case "BRANCH_GT": mode = .greater
            case "BRANCH_EQ": mode = .equal
            case "BRANCH_NEQ": mode = .notEqual
            case "LEAF": mode = .leaf
            default: throw context.unsupported("node mode '\(modes[i])'")
            }
            nodes.append(
                Node(
                    tree: Int(treeIDs[i]), id: Int(nodeIDs[i]), feature: Int(features[i]), mode: mode,
                    floatThreshold: floatValues?[i], threshold: values[i], trueID: Int(trueIDs[i]), falseID: Int(falseIDs[i]),
                    missingTracksTrue: i < missing.count && missing[i] == 1))
        }
        let weightTrees = try a.required(try a.ints("\(prefix)_treeids"), "\(prefix)_treeids")
        let weightNodes = try a.required(try a.ints("\(prefix)_nodeids"), "\(prefix)_nodeids")
        let weightTargets = try a.required(try a.ints("\(prefix)_ids"), "\(prefix)_ids")
        let (weightValues, floatWeights) = try Self.values(a, "\(prefix)_weights", count: weightTrees.count, context)
        guard weightNodes.count == weightTrees.count, weightTargets.count == weightTrees.count else {
            throw context.invalid("the \(prefix)_* attributes must all have the same length")
        }
        var weights: [Weight] = []
        for i in 0..<weightTrees.count {
            guard weightTargets[i] >= 0, weightTargets[i] < targets else {
                throw context.invalid("\(prefix)_ids[\(i)] = \(weightTargets[i]) is outside 0..<\(targets)")
            }
            weights.append(
                Weight(
                    tree: Int(weightTrees[i]), node: Int(weightNodes[i]), target: Int(weightTargets[i]),
                    value: weightValues[i], floatValue: floatWeights?[i]))
        }
        self.init(nodes: nodes, weights: weights, targets: targets)
    }

    /// A float list attribute or its `_as_tensor` form (exactly one of them).
    static func values(
        _ a: NodeAttributes, _ name: String, count: Int, _ context: NodeContext
    ) throws -> ([Double], [Float]?) {
        let list = try a.floats(name)
        let tensor = try a.tensor("\(name)_as_tensor")
        if list != nil && tensor != nil { throw context.invalid("both \(name) and \(name)_as_tensor are given") }
        if let list {
            guard list.count == count else { throw context.invalid("\(name) has \(list.count) values, expected \(count)") }
            return (list.map(Double.init), list)
        }
        if let tensor {
            guard tensor.count == count, let values = tensor.doubles(), tensor.elementType.isFloatingPoint else {
                throw context.invalid("\(name)_as_tensor must be a float or double tensor of \(count) values")
            }
            if case let .float(floats) = tensor.storage { return (values, floats) }
            return (values, nil)
        }
        throw context.invalid("is missing \(name)")
    }
}
