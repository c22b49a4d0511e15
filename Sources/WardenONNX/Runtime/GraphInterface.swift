/// A graph input as declared by the model: what a request must feed.
public struct GraphInput: Sendable, Equatable {
    public let name: String
    public let kind: ValueKind
    /// Declared dimensions; nil when the model does not declare a shape.
    public let shape: [ShapeDimension]?
    let slot: Int

    /// `given`: the kind the enclosing node passes, for a subgraph input whose type the model
    /// leaves out (exporters often do).
    init(_ info: ValueInfo, given: ValueKind? = nil) throws {
        name = info.name
        slot = -1
        let declaresTensor = if case .tensor? = info.type { true } else { false }
        if let given, !declaresTensor {
            kind = given
            shape = nil
            return
        }
        switch info.type {
        case let .tensor(code, shape)?:
            guard let type = ElementType(onnx: code) else {
                throw ModelLoadError.unsupportedDataType(context: "graph input '\(info.name)'", dataType: code)
            }
            kind = .tensor(type)
            self.shape = shape
        case let .map(keyCode, .tensor(valueCode, _)?):
            guard let key = ElementType(onnx: keyCode), key == .int64 || key == .string,
                let value = ElementType(onnx: valueCode)
            else {
                throw ModelLoadError.unsupported(["graph input '\(info.name)' has an unsupported map type"])
            }
            kind = .map(key: key, value: value)
            shape = nil
        case let other:
            throw ModelLoadError.unsupported(["graph input '\(info.name)' has type \(other.map { "\($0)" } ?? "undeclared")"])
        }
    }

    init(name: String, kind: ValueKind, shape: [ShapeDimension]?, slot: Int) {
        self.name = name
        self.kind = kind
        self.shape = shape
        self.slot = slot
    }

    func bound(to slot: Int) -> GraphInput {
        GraphInput(name: name, kind: kind, shape: shape, slot: slot)
    }
}

/// A graph output: its name, what the engine computes for it, and what the model declares.
public struct GraphOutput: Sendable, Equatable {
    public let name: String
    let slot: Int
    public let kind: ValueKind
    public let declared: TypeProto?
}
