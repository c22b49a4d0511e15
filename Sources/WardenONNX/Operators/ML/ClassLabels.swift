/// The class labels of a classifier: int64 or string, from `classlabels_int64s`/`classlabels_ints`
/// or `classlabels_strings` (strings win when both are given, as in ONNX Runtime).
enum ClassLabels: Sendable {
    case int64([Int64])
    case string([String])

    init(_ a: NodeAttributes, intsName: String, _ context: NodeContext) throws {
        if let strings = try a.strings("classlabels_strings"), !strings.isEmpty {
            self = .string(strings)
        } else if let ints = try a.ints(intsName), !ints.isEmpty {
            self = .int64(ints)
        } else {
            throw context.invalid("has no class labels")
        }
    }

    var count: Int {
        switch self {
        case let .int64(v): v.count
        case let .string(v): v.count
        }
    }

    var elementType: ElementType {
        switch self {
        case .int64: .int64
        case .string: .string
        }
    }

    /// Builds the label tensor from positions into the labels.
    func tensor(positions: [Int], shape: [Int]) -> Tensor {
        switch self {
        case let .int64(labels): .int64(positions.map { labels[$0] }, shape: shape)
        case let .string(labels): .string(positions.map { labels[$0] }, shape: shape)
        }
    }
}
