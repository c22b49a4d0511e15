/// Trees laid out for evaluation with thresholds and weights of type `T` (Float for float and
/// integer inputs, Double for double inputs, as ONNX Runtime does).
///
/// Nodes are one flat array; children are indices into it, validated when the model is built,
/// so evaluation only follows indices that exist.
struct TreeEnsembleModel<T: FloatElement>: Sendable {
    struct Node: Sendable {
        var feature: Int32
        var mode: TreeEnsembleDefinition.Mode
        var missingTracksTrue: Bool
        var threshold: T
        /// For a leaf: the first index into `leafTargets`/`leafWeights`.
        var trueChild: Int32
        /// For a leaf: the number of weights.
        var falseChild: Int32
        var memberSet: Int32
    }

    let nodes: [Node]
    /// The same nodes in 16 bytes each (for Float): feature index with bit 30 set when missing
    /// values go to the true branch, -1 for a leaf. A single row walking a large forest is
    /// bound by cache misses, which the smaller nodes halve (RandomForest(100) at batch 1:
    /// 9.9 → 6.2 µs); walks of several rows at once measured faster on `nodes`.
    let packed: [PackedNode]

    struct PackedNode: Sendable {
        var featureAndFlag: Int32
        var threshold: T
        var trueChild: Int32
        var falseChild: Int32

        static var missingTracksTrueBit: Int32 { 1 << 30 }
    }
    let roots: [Int32]
    let leafTargets: [Int32]
    let leafWeights: [T]
    let memberSets: [[T]]
    let targets: Int
    let maxFeature: Int
    /// The one comparison every branch node uses, when they all use the same: evaluation then
    /// skips the mode dispatch.
    let uniformMode: TreeEnsembleDefinition.Mode?

    init(_ definition: TreeEnsembleDefinition, context: NodeContext) throws {
        let source = definition.nodes
        var index: [Int: Int] = [:]  // (tree, id) packed → position
        func key(_ tree: Int, _ id: Int) -> Int { tree &* 1_000_003 &+ id }
        for (position, node) in source.enumerated() {
            guard index.updateValue(position, forKey: key(node.tree, node.id)) == nil else {
                throw context.invalid("node (tree \(node.tree), id \(node.id)) is defined twice")
            }
        }

        // Leaf weights, grouped per leaf in (tree, node, attribute order) as ORT sorts them.
        var perLeaf = [[(Int32, T)]](repeating: [], count: source.count)
        for weight in definition.weights {
            guard let position = index[key(weight.tree, weight.node)] else {
                throw context.invalid("a weight refers to node (tree \(weight.tree), id \(weight.node)), which does not exist")
            }
            guard source[position].mode == .leaf else { continue }  // ORT ignores weights on branch nodes
            let value = T.self == Float.self ? T(weight.floatValue ?? Float(weight.value)) : T(weight.value)
            perLeaf[position].append((Int32(weight.target), value))
        }

        var nodes: [Node] = []
        var leafTargets: [Int32] = []
        var leafWeights: [T] = []
        var memberSets: [[T]] = []
        nodes.reserveCapacity(source.count)
        for (position, node) in source.enumerated() {
            guard node.feature >= 0, node.feature < 1 << 24 else { throw context.invalid("feature id \(node.feature) is out of range") }
            // ORT rounds float thresholds to Float even for double inputs unless a double tensor gives them.
            let threshold = T(node.floatThreshold.map(Double.init) ?? node.threshold)
            if node.mode == .leaf {
                guard !perLeaf[position].isEmpty else {
                    throw context.invalid("leaf (tree \(node.tree), id \(node.id)) has no weight")
                }
                nodes.append(
                    Node(
                        feature: 0, mode: .leaf, missingTracksTrue: false, threshold: 0,
                        trueChild: Int32(leafTargets.count), falseChild: Int32(perLeaf[position].count), memberSet: -1))
                for (target, weight) in perLeaf[position] {
                    leafTargets.append(target)
                    leafWeights.append(weight)
                }
                continue
            }
            guard let t = index[key(node.tree, node.trueID)], let f = index[key(node.tree, node.falseID)] else {
                throw context.invalid("node (tree \(node.tree), id \(node.id)) points to a child that does not exist")
            }
            guard t != position, f != position else { throw context.invalid("node (tree \(node.tree), id \(node.id)) is its own child") }
            var set: Int32 = -1
            if node.mode == .member {
                set = Int32(memberSets.count)
                memberSets.append(node.members.map { T($0) })
            }
            nodes.append(
                Node(
                    feature: Int32(node.feature), mode: node.mode, missingTracksTrue: node.missingTracksTrue, threshold: threshold,
                    trueChild: Int32(t), falseChild: Int32(f), memberSet: set))
        }

        // A root starts each run of one tree id, in order of appearance (ONNX Runtime's rule).
        var roots: [Int32] = []
        for (position, node) in source.enumerated() where position == 0 || source[position - 1].tree != node.tree {
            roots.append(Int32(position))
        }
        try Self.checkAcyclic(nodes, roots: roots, context: context)
        self.nodes = nodes
        self.packed = nodes.map { node in
            let flag = node.missingTracksTrue ? PackedNode.missingTracksTrueBit : 0
            return PackedNode(
                featureAndFlag: node.mode == .leaf ? -1 : node.feature | flag, threshold: node.threshold,
                trueChild: node.trueChild, falseChild: node.falseChild)
        }
        self.roots = roots
        self.leafTargets = leafTargets
        self.leafWeights = leafWeights
        self.memberSets = memberSets
        self.targets = definition.targets
        self.maxFeature = source.map(\.feature).max() ?? 0
        let branchModes = Set(nodes.map(\.mode)).subtracting([.leaf])
        self.uniformMode = branchModes.count == 1 ? branchModes.first : nil
    }

    /// Refuses trees with a cycle, which would make evaluation loop forever.
    private static func checkAcyclic(_ nodes: [Node], roots: [Int32], context: NodeContext) throws {
        var state = [UInt8](repeating: 0, count: nodes.count)  // 0 new, 1 on the path, 2 done
        for root in roots {
            var stack: [(Int, Bool)] = [(Int(root), false)]
            while let (node, finished) = stack.popLast() {
                if finished { state[node] = 2; continue }
                if state[node] == 2 { continue }
                if state[node] == 1 { throw context.invalid("the trees contain a cycle") }
                state[node] = 1
                stack.append((node, true))
                if nodes[node].mode != .leaf {
                    for child in [Int(nodes[node].trueChild), Int(nodes[node].falseChild)] {
                        if state[child] == 1 { throw context.invalid("the trees contain a cycle") }
                        if state[child] == 0 { stack.append((child, false)) }
                    }
                }
            }
        }
    }

    /// The leaf reached by `row` (feature values starting at `base` in `x`) in the tree at `root`.
    @inline(__always)
    func leaf(_ x: [T], base: Int, root: Int32) -> Int {
        var index = Int(root)
        while true {
            let node = nodes[index]
            if node.mode == .leaf { return index }
            index = Int(goesTrue(node, x[base + Int(node.feature)]) ? node.trueChild : node.falseChild)
        }
    }

    /// Whether `value` takes a branch node's true child: its comparison, or a missing value
    /// where the node sends those to the true side. (TreeSHAP follows the same routes.)
    @inline(__always)
    func goesTrue(_ node: Node, _ value: T) -> Bool {
        let taken: Bool
        switch node.mode {
        case .lessOrEqual: taken = value <= node.threshold
        case .less: taken = value < node.threshold
        case .greaterOrEqual: taken = value >= node.threshold
        case .greater: taken = value > node.threshold
        case .equal: taken = value == node.threshold
        case .notEqual: taken = value != node.threshold
        case .member: taken = memberSets[Int(node.memberSet)].contains(value)
        case .leaf: taken = false
        }
        return taken || (node.missingTracksTrue && value.isNaN)
    }
}
