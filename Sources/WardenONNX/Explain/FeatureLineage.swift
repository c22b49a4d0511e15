/// Why a model cannot be explained: the load report names the reason, and a request for an
/// explanation is refused with it.
public struct NotExplainable: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Which graph-input column each column of a value comes from, found by walking the graph back
/// from the explained model's input through operators that keep columns apart: casts, per-column
/// scaling, imputation and encoding, concatenation, and one-hot encoding (every one-hot column
/// comes from its one source column, so their attributions add up to it). Any other operator
/// mixes columns, and the model is not explainable through it.
struct FeatureLineage {
    /// A graph input's column.
    struct Column: Hashable {
        let input: Int
        let index: Int
    }

    let graph: GraphProto
    /// Each graph input's name and width, in the graph's order.
    let inputs: [(name: String, width: Int?)]
    private let producers: [String: NodeProto]
    private let constants: [String: Tensor]

    init(graph: GraphProto) throws {
        self.graph = graph
        var producers: [String: NodeProto] = [:]
        for node in graph.nodes { for output in node.outputs where !output.isEmpty { producers[output] = node } }
        self.producers = producers
        var constants: [String: Tensor] = [:]
        for initializer in graph.initializers { constants[initializer.name] = initializer.tensor }
        self.constants = constants
        inputs = graph.inputs.filter { constants[$0.name] == nil }.map { info in
            guard case let .tensor(_, shape?)? = info.type else { return (info.name, nil) }
            switch shape.count {
            case 1: return (info.name, 1)
            case 2: if case let .fixed(width) = shape[1] { return (info.name, width) } else { return (info.name, nil) }
            default: return (info.name, nil)
            }
        }
    }

    /// The source column of every column of `value`, or why there is none.
    func columns(of value: String) throws(NotExplainable) -> [Column] {
        if let position = inputs.firstIndex(where: { $0.name == value }) {
            guard let width = inputs[position].width else {
                throw NotExplainable("input '\(value)' does not declare how many columns it has ([N, W] with W fixed)")
            }
            return (0..<width).map { Column(input: position, index: $0) }
        }
        guard let node = producers[value] else { throw NotExplainable("'\(value)' is neither a graph input nor a node's output") }
        let label = GraphCompiler.label(node)
        let attributes: NodeAttributes
        do {
            attributes = try NodeAttributes(node: label, attributes: node.attributes)
        } catch {
            throw NotExplainable("\(label): \(error)")
        }
        switch node.opType {
        case "Identity", "Cast", "Scaler", "Imputer", "Binarizer", "LabelEncoder", "CategoryMapper":
            return try columns(of: node.inputs[0])
        case "Concat":
            let axis = (try? attributes.int("axis")) ?? nil
            guard axis == 1 || axis == -1 else {
                throw NotExplainable("\(label) joins along axis \(axis.map(String.init) ?? "?"), not the columns")
            }
            return try joined(node.inputs.filter { !$0.isEmpty })
        case "FeatureVectorizer":
            return try joined(node.inputs)
        case "OneHotEncoder":
            let source = try columns(of: node.inputs[0])
            guard source.count == 1 else {
                throw NotExplainable("\(label) encodes \(source.count) columns at once; Warden attributes one-hot groups of one column")
            }
            let categories = max(
                ((try? attributes.ints("cats_int64s")) ?? nil)?.count ?? 0, ((try? attributes.strings("cats_strings")) ?? nil)?.count ?? 0)
            return Array(repeating: source[0], count: categories)
        case "Reshape", "Flatten", "Squeeze", "Unsqueeze":
            // Row-major per row: a [N, 1, C] one-hot flattened to [N, C] keeps its columns in order.
            return try columns(of: node.inputs[0])
        case "ArrayFeatureExtractor":
            let source = try columns(of: node.inputs[0])
            guard node.inputs.count > 1, let indices = constants[node.inputs[1]]?.doubles() else {
                throw NotExplainable("\(label) selects columns that are not a constant")
            }
            var selected: [Column] = []
            for index in indices {
                guard index >= 0, Int(index) < source.count else {
                    throw NotExplainable("\(label) selects column \(Int(index)) of \(source.count)")
                }
                selected.append(source[Int(index)])
            }
            return selected
        default:
            throw NotExplainable(
                "\(label) lies between the inputs and the explained model; Warden cannot attribute through \(node.opType)")
        }
    }

    /// The columns of values placed side by side.
    private func joined(_ values: [String]) throws(NotExplainable) -> [Column] {
        var all: [Column] = []
        for value in values { all += try columns(of: value) }
        return all
    }
}
