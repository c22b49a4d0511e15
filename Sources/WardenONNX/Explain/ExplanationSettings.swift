/// What a model's contract tells the explainer that the ONNX file does not.
public struct ExplanationSettings: Sendable, Equatable {
    /// Node covers (training weight reaching each node), by how the tree operator names nodes.
    public enum TreeCover: Sendable, Equatable {
        /// TreeEnsembleClassifier/Regressor: `[tree id][node id]`.
        case byTree([[Double]])
        /// ml-opset-5 TreeEnsemble: by `nodes_*` index and by `leaf_*` index.
        case byIndex(nodes: [Double], leaves: [Double])
    }

    public var treeCover: TreeCover?
    /// Linear models: the mean of the training data in the linear operator's input columns.
    public var backgroundMean: [Double]?
    /// One name per graph-input column (all inputs, in order); default: the input's name for a
    /// one-column input, `name[j]` otherwise.
    public var featureNames: [String]?

    /// Memory for Fast TreeSHAP v2's per-leaf tables (2^n doubles for a leaf under n unique
    /// features); trees past it are explained by Algorithm 2, slower but in O(depth²) memory.
    public var tableMemoryLimit: Int

    public static let defaultTableMemoryLimit = 64 << 20

    public init(
        treeCover: TreeCover? = nil, backgroundMean: [Double]? = nil, featureNames: [String]? = nil,
        tableMemoryLimit: Int = defaultTableMemoryLimit
    ) {
        self.tableMemoryLimit = tableMemoryLimit
        self.treeCover = treeCover
        self.backgroundMean = backgroundMean
        self.featureNames = featureNames
    }
}

/// One batch's explanation: `attributions[(row * targets + target) * features + feature]`, in
/// the explained model's margin space (before its post_transform), and each target's base value
/// (the expected margin); for every row and target, base value + Σ attributions = margin.
public struct Explanation: Sendable {
    public let rows: Int
    public let targets: Int
    public let features: Int
    public let attributions: [Double]
    public let baseValues: [Double]

    public func attribution(row: Int, target: Int, feature: Int) -> Double {
        attributions[(row * targets + target) * features + feature]
    }
}
