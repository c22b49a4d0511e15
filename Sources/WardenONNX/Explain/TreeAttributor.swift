/// TreeSHAP over a TreeEnsembleClassifier, TreeEnsembleRegressor or ml-opset-5 TreeEnsemble,
/// in margin space: each explained target's raw score (leaf weights summed or averaged, plus
/// the base value the engine adds) before the post_transform.
struct TreeAttributor: Attributor {
    let targetNames: [String]
    let baseValues: [Double]
    private let single: TreeShap<Float>
    private let double: TreeShap<Double>
    /// The model target behind each explained target.
    private let explained: [Int]

    /// How many trees take Fast TreeSHAP v2's tables, and their size.
    let tablesReport: (trees: Int, of: Int, bytes: Int)

    init(_ context: NodeContext, cover: ExplanationSettings.TreeCover?, tableMemoryLimit: Int, columns: Int) throws {
        let a = context.attributes
        let definition: TreeEnsembleDefinition
        var aggregate = TreeAggregate.sum
        var base: [Double] = []
        var names: [String]
        switch context.node.opType {
        case "TreeEnsembleClassifier":
            let labels = try ClassLabels(a, intsName: "classlabels_int64s", context)
            definition = try TreeEnsembleDefinition(v3: a, prefix: "class", targets: labels.count, context: context)
            base = try TreeEnsembleOperators.baseValueList(a, context)
            names = labels.names
        case "TreeEnsembleRegressor":
            let targets = Int(try a.required(try a.int("n_targets"), "n_targets"))
            definition = try TreeEnsembleDefinition(v3: a, prefix: "target", targets: targets, context: context)
            aggregate = try TreeAggregate(name: try a.string("aggregate_function", default: "SUM"), context)
            base = try TreeEnsembleOperators.baseValueList(a, context)
            names = (0..<targets).map { "target_\($0)" }
        default:
            definition = try TreeEnsembleDefinition(v5: a, context: context)
            let code = Int(try a.int("aggregate_function", default: 1))
            guard code == 0 || code == 1 else {
                throw NotExplainable("\(context.label): a MIN or MAX aggregate has no additive attribution")
            }
            aggregate = code == 0 ? .average : .sum
            names = (0..<definition.targets).map { "target_\($0)" }
        }
        guard aggregate == .sum || aggregate == .average else {
            throw NotExplainable("\(context.label): a MIN or MAX aggregate has no additive attribution")
        }
        let weighted = Set(definition.weights.map(\.target)).sorted()
        let isClassifier = context.node.opType == "TreeEnsembleClassifier"
        let (targets, offsets) = try Self.explainedTargets(
            classifier: isClassifier, targets: definition.targets, weighted: weighted, base: base, context: context)
        explained = targets
        if isClassifier, definition.targets == 2, weighted.count == 1 { names = [names[1]] } else { names = targets.map { names[$0] } }
        targetNames = names
        let positions = try Self.covers(definition, cover, context: context)
        let maxFeature = definition.nodes.map(\.feature).max() ?? 0
        guard maxFeature < columns else {
            throw NotExplainable("\(context.label) reads feature \(maxFeature) of \(columns) columns")
        }
        let trees = Set(definition.nodes.map(\.tree)).count
        let scale = aggregate == .average ? 1 / Double(max(trees, 1)) : 1
        let singleModel = try TreeEnsembleModel<Float>(definition, context: context)
        // Both models lay the nodes out alike (the definition's order): one set of tables serves both.
        let subsets = SubsetTables(model: singleModel, cover: positions, scale: scale, memoryLimit: tableMemoryLimit)
        tablesReport = (trees: subsets.roots.count, of: singleModel.roots.count, bytes: subsets.bytes)
        single = TreeShap(model: singleModel, cover: positions, scale: scale, subsets: subsets)
        double = TreeShap(
            model: try TreeEnsembleModel<Double>(definition, context: context), cover: positions, scale: scale, subsets: subsets)
        let expected = single.expectedValues()
        baseValues = zip(targets, offsets).map { expected[$0] + $1 }
    }

    /// The targets explained and the base value the engine adds to each: the weighted targets
    /// (a binary classifier weighing one class explains that one score), following the
    /// engine's base-value rules (TreeClassification, TreeRegression).
    static func explainedTargets(classifier: Bool, targets: Int, weighted: [Int], base: [Double], context: NodeContext) throws
        -> ([Int], [Double])
    {
        if !classifier {
            if targets == 1 { return ([0], [base.count == 1 ? base[0] : 0]) }
            return (Array(0..<targets), (0..<targets).map { base.count == targets ? base[$0] : 0 })
        }
        switch targets {
        case 1: return ([0], [base.count == 1 ? base[0] : base.count == 2 ? base[1] : 0])
        case 2 where weighted.count == 1: return (weighted, [base.isEmpty ? 0 : base[0]])
        case 2:
            guard base.isEmpty else {
                throw NotExplainable("\(context.label): two weighted classes with base values score class 1 from class 0's sum")
            }
            return ([0, 1], [0, 0])
        default: return (Array(0..<targets), (0..<targets).map { $0 < base.count ? base[$0] : 0 })
        }
    }

    /// Each node's cover, by model position (the definition's order), from the contract.
    static func covers(_ definition: TreeEnsembleDefinition, _ cover: ExplanationSettings.TreeCover?, context: NodeContext) throws
        -> [Double]
    {
        guard let cover else {
            throw NotExplainable(
                "\(context.label): ONNX trees carry no node cover; the contract needs explanations.tree_cover (docs/explanations.md)")
        }
        var positions: [Double] = []
        positions.reserveCapacity(definition.nodes.count)
        for node in definition.nodes {
            let value: Double?
            switch cover {
            case let .byTree(trees):
                value = trees.indices.contains(node.tree) && trees[node.tree].indices.contains(node.id) ? trees[node.tree][node.id] : nil
            case let .byIndex(nodes, leaves):
                let list = node.mode == .leaf ? leaves : nodes
                value = node.origin.flatMap { list.indices.contains($0) ? list[$0] : nil }
            }
            guard let value, value.isFinite, value > 0 || (node.mode == .leaf && value == 0) else {
                throw NotExplainable("explanations.tree_cover has no positive cover for tree \(node.tree), node \(node.id)")
            }
            positions.append(value)
        }
        return positions
    }

    func attribute(_ x: Tensor, rows: Int, add: (Int, Int, Int, Double) -> Void) throws {
        switch x.storage {
        case let .float(v): run(single, v, rows: rows, add)
        case let .double(v): run(double, v, rows: rows, add)
        case let .int32(v): run(single, v.map(Float.init), rows: rows, add)
        case let .int64(v): run(single, v.map(Float.init), rows: rows, add)
        default: throw InferenceError.invalidValue(node: "explain", reason: "tree ensembles need a numeric input, got \(x.elementType)")
        }
    }

    private func run<T>(_ shap: TreeShap<T>, _ x: [T], rows: Int, _ add: (Int, Int, Int, Double) -> Void) {
        let stride = rows == 0 ? 0 : x.count / rows
        let modelTargets = shap.targets
        var phi = [Double](repeating: 0, count: stride * modelTargets)
        let path = UnsafeMutablePointer<TreeShap<T>.PathElement>.allocate(capacity: shap.pathCapacity)
        defer { path.deallocate() }
        let walk = UnsafeMutablePointer<TreeShap<T>.Pending>.allocate(capacity: shap.walkCapacity)
        defer { walk.deallocate() }
        shap.withTables { tables in
            shap.subsets.withPointers { subsets in
                x.withUnsafeBufferPointer { values in
                    for row in 0..<rows {
                        phi.withUnsafeMutableBufferPointer { phi in
                            phi.update(repeating: 0)
                            shap.explain(
                                values.baseAddress! + row * stride, tables: tables, subsets: subsets, into: phi.baseAddress!, path: path,
                                walk: walk)
                        }
                        for column in 0..<stride {
                            for (target, modelTarget) in explained.enumerated() {
                                let value = phi[column * modelTargets + modelTarget]
                                if value != 0 { add(row, column, target, value) }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension ClassLabels {
    var names: [String] {
        switch self {
        case let .int64(values): values.map(String.init)
        case let .string(values): values
        }
    }
}
