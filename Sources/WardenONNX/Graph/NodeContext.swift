/// Everything a kernel factory may know about its node at load time.
struct NodeContext {
    let node: NodeProto
    /// "Gemm node 'gemm_1'": how messages name this node.
    let label: String
    /// The opset version in force for the node's domain.
    let opset: Int
    /// Every domain's opset, for compiling subgraphs.
    var opsets: [String: Int] = [:]
    /// The values a subgraph of this node may read from enclosing graphs.
    var scope = SubgraphScope()
    let attributes: NodeAttributes
    /// Kinds of the node's inputs; nil for an absent optional input.
    let inputKinds: [ValueKind?]
    /// Values of inputs that are constants (initializers or Constant nodes), when known.
    let constants: [Tensor?]
    /// Declared shapes of inputs, where known at load (graph inputs, constants, and values
    /// passed through shape-preserving nodes).
    let inputShapes: [[ShapeDimension]?]

    var inputCount: Int { inputKinds.count }

    func hasInput(_ index: Int) -> Bool { index < inputKinds.count && inputKinds[index] != nil }

    func kind(_ index: Int) -> ValueKind { index < inputKinds.count ? inputKinds[index] ?? .unknown : .unknown }

    /// Element type of tensor input `index`, or nil if not known at load.
    func elementType(_ index: Int) -> ElementType? { kind(index).elementType }

    func constant(_ index: Int) -> Tensor? { index < constants.count ? constants[index] : nil }

    func requireInputs(_ range: ClosedRange<Int>) throws {
        let present = inputKinds.count
        guard range.contains(present) else {
            throw ModelLoadError.invalidGraph("\(label) has \(present) inputs, expected \(range.lowerBound)...\(range.upperBound)")
        }
        for index in 0..<range.lowerBound where inputKinds[index] == nil {
            throw ModelLoadError.invalidGraph("\(label) is missing required input \(index)")
        }
    }

    /// Checks that input `index` is a tensor of one of `allowed` types when its type is known.
    func requireType(_ index: Int, in allowed: [ElementType]) throws {
        switch kind(index) {
        case .unknown: return
        case let .tensor(type) where allowed.contains(type): return
        case let other:
            throw ModelLoadError.typeMismatch(
                "\(label): input \(index) is \(other), expected one of \(allowed.map(\.description).joined(separator: ", "))")
        }
    }

    /// Checks that all the given inputs have the same element type; returns it when known.
    func sameType(_ indices: [Int]) throws -> ElementType? {
        var known: ElementType?
        for index in indices where hasInput(index) {
            guard let type = elementType(index) else { continue }
            if let known, known != type {
                throw ModelLoadError.typeMismatch("\(label): inputs have different types \(known) and \(type)")
            }
            known = type
        }
        return known
    }

    /// The fixed size of the last axis of input `index` (the feature count of a [N, F] input),
    /// when the model declares it.
    func declaredWidth(_ index: Int) -> Int? {
        guard index < inputShapes.count, let shape = inputShapes[index], let last = shape.last, shape.count <= 2,
            case let .fixed(width) = last
        else { return nil }
        return width
    }

    /// Refuses, at load, an operator that needs `expected` features when its input declares another count.
    func checkWidth(_ index: Int, expected: Int, what: String) throws {
        if let width = declaredWidth(index), width != expected {
            throw invalid("\(what) expects \(expected) features, but the input declares \(width)")
        }
    }

    func unsupported(_ what: String) -> ModelLoadError {
        ModelLoadError.unsupported(["\(label): \(what)"])
    }

    func invalid(_ what: String) -> ModelLoadError {
        ModelLoadError.invalidGraph("\(label): \(what)")
    }
}

extension ValueKind {
    static func tensorOrUnknown(_ type: ElementType?) -> ValueKind {
        type.map(ValueKind.tensor) ?? .unknown
    }
}
