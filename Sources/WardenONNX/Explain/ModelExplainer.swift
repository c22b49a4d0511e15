/// Explains a served model's predictions with the model itself: exact TreeSHAP for a tree
/// ensemble, exact linear attributions for a linear model, each mapped back through the
/// preprocessing to the graph's input columns (a one-hot group sums to its source column).
/// Built once at load; a model it cannot explain is reported with the reason.
public final class ModelExplainer: Sendable {
    /// The explained features: every graph-input column, named.
    public let features: [String]
    /// The explained targets' names (class labels, or `target_0`…), one attribution vector each.
    public let targets: [String]
    /// The graph output whose scores are explained (explanations are named after it).
    public let scoreOutput: String
    /// What kind of model, for the load report: "tree ensemble (TreeSHAP; …)" or "linear".
    public let method: String

    private let session: InferenceSession
    /// The explained operator's input: the value the attributions are first computed over.
    private let modelInput: String
    /// The explained feature each model column comes from.
    private let featureOf: [Int]
    private let attributor: any Attributor

    public init(modelBytes: [UInt8], session: InferenceSession, settings: ExplanationSettings) throws(NotExplainable) {
        let proto: ModelProto
        do {
            proto = try ModelDecoder.decode(modelBytes)
        } catch {
            throw NotExplainable("the model does not decode: \(error)")
        }
        let explainable = proto.graph.nodes.filter { Self.explainableOperators.contains($0.opType) }
        guard explainable.count == 1, let node = explainable.first else {
            throw NotExplainable(
                explainable.isEmpty
                    ? "the graph has no tree ensemble or linear model to explain"
                    : "the graph has \(explainable.count) models (\(explainable.map(\.opType).joined(separator: ", "))); Warden explains one"
            )
        }
        let lineage: FeatureLineage
        do {
            lineage = try FeatureLineage(graph: proto.graph)
        } catch {
            throw NotExplainable("\(error)")
        }
        let columns = try lineage.columns(of: node.inputs[0])
        var names: [String] = []
        var firstFeature: [Int] = []
        for input in lineage.inputs {
            firstFeature.append(names.count)
            let width = input.width ?? 0
            names += width == 1 ? [input.name] : (0..<width).map { "\(input.name)[\($0)]" }
        }
        if let given = settings.featureNames {
            guard given.count == names.count else {
                throw NotExplainable("explanations.feature_names has \(given.count) names for \(names.count) input columns")
            }
            names = given
        }
        features = names
        featureOf = columns.map { firstFeature[$0.input] + $0.index }
        modelInput = node.inputs[0]
        self.session = session
        let opset = proto.opsetImports.first { $0.domain == "ai.onnx.ml" }.map { Int($0.version) } ?? 1
        let context: NodeContext
        do {
            context = NodeContext(
                node: node, label: GraphCompiler.label(node), opset: opset,
                attributes: try NodeAttributes(node: GraphCompiler.label(node), attributes: node.attributes), inputKinds: [], constants: [],
                inputShapes: [])
        } catch {
            throw NotExplainable("\(error)")
        }
        do {
            if node.opType.hasPrefix("Linear") {
                attributor = try LinearAttributor(context, columns: columns.count, mean: settings.backgroundMean)
                method = "linear"
            } else {
                let trees = try TreeAttributor(
                    context, cover: settings.treeCover, tableMemoryLimit: settings.tableMemoryLimit, columns: columns.count)
                attributor = trees
                let report = trees.tablesReport
                method =
                    "tree ensemble (TreeSHAP; Fast TreeSHAP v2 tables for \(report.trees) of \(report.of) trees, "
                    + "\((report.bytes + (1 << 19)) >> 20) MiB)"
            }
        } catch let error as NotExplainable {
            throw error
        } catch {
            throw NotExplainable("\(error)")
        }
        targets = attributor.targetNames
        let scoreIndex = node.opType.hasSuffix("Classifier") ? 1 : 0
        scoreOutput = Self.graphOutput(from: node.outputs[scoreIndex], in: proto.graph) ?? node.outputs[scoreIndex]
    }

    static let explainableOperators: Set<String> = [
        "TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble", "LinearClassifier", "LinearRegressor",
    ]

    /// The graph output a value reaches through operators that only reshape or relabel it.
    static func graphOutput(from value: String, in graph: GraphProto) -> String? {
        var current = value
        for _ in 0..<8 {
            if graph.outputs.contains(where: { $0.name == current }) { return current }
            guard
                let next = graph.nodes.first(where: { $0.inputs.first == current && ["Identity", "Cast", "ZipMap"].contains($0.opType) }),
                let output = next.outputs.first
            else { return nil }
            current = output
        }
        return nil
    }

    /// The explanation of every row of `feeds` (already checked against the model's inputs).
    public func explain(_ feeds: [String: Value]) throws -> Explanation {
        guard case let .tensor(x)? = try session.values(feeds, named: [modelInput])[modelInput] else {
            throw InferenceError.invalidValue(node: "explain", reason: "the explained model's input was not computed")
        }
        let rows = x.rank <= 1 ? 1 : x.shape[0]
        let width = x.rank == 0 ? 1 : x.shape[x.rank - 1]
        guard width == featureOf.count else {
            throw InferenceError.invalidValue(
                node: "explain", reason: "the explained model's input has \(width) columns, its lineage \(featureOf.count)")
        }
        let targetCount = targets.count
        var out = [Double](repeating: 0, count: rows * targetCount * features.count)
        try attributor.attribute(x, rows: rows) { row, column, target, value in
            out[(row * targetCount + target) * features.count + featureOf[column]] += value
        }
        return Explanation(rows: rows, targets: targetCount, features: features.count, attributions: out, baseValues: attributor.baseValues)
    }
}

/// The model-specific half: attributions over the explained operator's own input columns.
protocol Attributor: Sendable {
    var targetNames: [String] { get }
    /// Each target's expected margin.
    var baseValues: [Double] { get }
    /// Calls `add(row, column, target, value)` for every non-zero attribution.
    func attribute(_ x: Tensor, rows: Int, add: (Int, Int, Int, Double) -> Void) throws
}
