import WardenJSON
import WardenONNX

/// The contract's `explanations` section: what the explainer needs that the ONNX file does not
/// carry, written at conversion time by scripts/fixtures/make_explanation_fixtures.py (or the
/// team's own converter) from the trained model:
///
///     "explanations": {
///       "tree_cover": [[1000, 612, 388, …], …],   // per ONNX tree id, per node id
///       "background_mean": [0.1, …],               // linear models: mean of the linear operator's input columns
///       "redacted_features": ["age"],              // never named in a reason code
///       "table_memory_mb": 64                      // Fast TreeSHAP v2's tables (default 64)
///     }
///
/// For an ml-opset-5 `TreeEnsemble`, `tree_cover` is `{"nodes": […], "leaves": […]}`, by
/// `nodes_*` and `leaf_*` index. Explained features are named by the contract's `features`
/// (one matrix input) or by the inputs' names (one column each).
public struct ExplanationContract: Sendable, Equatable {
    public var settings: ExplanationSettings
    public var redactedFeatures: Set<String>

    public static let keys = ["tree_cover", "background_mean", "redacted_features", "table_memory_mb"]

    package init(json: JSONValue) throws {
        let fields = try ContractFields(json, at: "explanations", keys: Self.keys)
        var settings = ExplanationSettings()
        switch fields["tree_cover"] {
        case nil: break
        case let .array(trees)?:
            settings.treeCover = .byTree(
                try trees.enumerated().map { index, tree in try Self.numbers(tree, at: "explanations.tree_cover[\(index)]") })
        case let .object(members)? where Set(members.map(\.key)) == ["nodes", "leaves"]:
            settings.treeCover = .byIndex(
                nodes: try Self.numbers(json["tree_cover"]?["nodes"], at: "explanations.tree_cover.nodes"),
                leaves: try Self.numbers(json["tree_cover"]?["leaves"], at: "explanations.tree_cover.leaves"))
        default:
            throw fields.error("tree_cover", "must be an array per tree of covers by node id, or {\"nodes\": […], \"leaves\": […]}")
        }
        if let mean = fields["background_mean"] { settings.backgroundMean = try Self.numbers(mean, at: "explanations.background_mean") }
        switch fields["table_memory_mb"] {
        case nil: break
        case let .integer(megabytes)? where (0...65_536).contains(megabytes): settings.tableMemoryLimit = Int(megabytes) << 20
        default: throw fields.error("table_memory_mb", "must be an integer from 0 to 65536")
        }
        self.settings = settings
        redactedFeatures = Set(try fields.strings("redacted_features"))
    }

    private static func numbers(_ json: JSONValue?, at path: String) throws -> [Double] {
        guard case let .array(items)? = json else { throw ContractError("\(path) must be an array of numbers") }
        return try items.enumerated().map { index, item in
            switch item {
            case let .integer(value): return Double(value)
            case let .number(value) where value.isFinite: return value
            default: throw ContractError("\(path)[\(index)] must be a finite number")
            }
        }
    }
}
