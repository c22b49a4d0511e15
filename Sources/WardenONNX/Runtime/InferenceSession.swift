/// A loaded, checked model, ready to run. Build it once; call `run` from any number of tasks.
///
/// Loading decodes the file within `DecodingLimits`, compiles the graph (refusing anything the
/// engine cannot run, with the full list) and prepares the execution plan, so a session that
/// exists can answer every well-formed request.
public final class InferenceSession: Sendable {
    public let model: ModelSummary
    public let inputs: [GraphInput]
    public let outputs: [GraphOutput]
    private let plan: ExecutionPlan

    public convenience init(modelBytes: [UInt8], limits: DecodingLimits = DecodingLimits()) throws {
        try self.init(decoded: try ModelDecoder.decode(modelBytes, limits: limits))
    }

    /// A session for a model already decoded (the inspector reads the same model for its report).
    init(decoded proto: ModelProto) throws {
        let plan = try GraphCompiler(model: proto).compile()
        self.plan = plan
        self.inputs = plan.inputs
        self.outputs = plan.outputs
        self.model = ModelSummary(
            irVersion: proto.irVersion, producerName: proto.producerName, producerVersion: proto.producerVersion,
            graphName: proto.graph.name, opsets: plan.opsets, operators: plan.operators, metadata: proto.metadata)
    }

    /// Runs the model. `feeds` must hold every graph input, with its declared element type and a
    /// shape that fits the declared one; `outputNames` selects outputs (all when nil).
    public func run(_ feeds: [String: Value], outputNames: [String]? = nil) throws -> [String: Value] {
        let slotted = try slotFeeds(feeds)
        let wanted =
            try outputNames.map { names in
                try names.map { name in
                    guard let output = outputs.first(where: { $0.name == name }) else { throw InferenceError.unknownOutput(name) }
                    return output
                }
            } ?? outputs
        let slots = try plan.execute(slotted)
        var results: [String: Value] = [:]
        for output in wanted {
            guard let value = slots[output.slot] else {
                throw InferenceError.invalidValue(node: "graph", reason: "output '\(output.name)' was not computed")
            }
            // Float16 outputs are held as float32 inside (see HalfPrecision).
            results[output.name] = output.kind == .tensor(.float16) ? value.tensor.map { .tensor($0.asHalfPrecision) } ?? value : value
        }
        return results
    }

    /// Any values of the graph by name, outputs or not (an explainer reads the explained
    /// operator's input); the feeds are checked as `run` checks them.
    package func values(_ feeds: [String: Value], named names: [String]) throws -> [String: Value] {
        let wanted = try names.map { name in
            guard let slot = plan.slotNames[name] else { throw InferenceError.unknownOutput(name) }
            return (name, slot)
        }
        let slots = try plan.execute(try slotFeeds(feeds), retaining: Set(wanted.map(\.1)))
        var results: [String: Value] = [:]
        for (name, slot) in wanted { results[name] = slots[slot] }
        return results
    }

    /// The feeds by slot, each checked against its declared input.
    private func slotFeeds(_ feeds: [String: Value]) throws -> [Int: Value] {
        var slotted: [Int: Value] = [:]
        var symbols: [String: Int] = [:]
        for input in inputs {
            guard let value = feeds[input.name] else {
                throw InferenceError.invalidInput(name: input.name, reason: "is required but was not given")
            }
            try Self.check(value, against: input, symbols: &symbols)
            slotted[input.slot] = value.tensor.map { .tensor($0.heldAsFloat) } ?? value
        }
        for name in feeds.keys where !inputs.contains(where: { $0.name == name }) {
            throw InferenceError.invalidInput(name: name, reason: "the model has no such input")
        }
        return slotted
    }

    /// Checks a fed value against the declared input: kind, rank, fixed dimensions, and that a
    /// symbolic dimension (such as the batch size) has one size across all inputs.
    private static func check(_ value: Value, against input: GraphInput, symbols: inout [String: Int]) throws {
        let kind = ValueKind(of: value)
        guard kind == input.kind else {
            throw InferenceError.invalidInput(name: input.name, reason: "expected \(input.kind), got \(kind)")
        }
        guard case let .tensor(tensor) = value else { return }
        guard Tensor.checkedElementCount(tensor.shape) == tensor.count else {
            throw InferenceError.invalidInput(name: input.name, reason: "shape \(tensor.shape) does not match its \(tensor.count) elements")
        }
        guard let declared = input.shape else { return }
        guard declared.count == tensor.rank else {
            throw InferenceError.invalidInput(
                name: input.name, reason: "expected rank \(declared.count) \(declared), got shape \(tensor.shape)")
        }
        for (axis, (dimension, size)) in zip(declared, tensor.shape).enumerated() {
            switch dimension {
            case let .fixed(expected) where expected != size:
                throw InferenceError.invalidInput(
                    name: input.name, reason: "dimension \(axis) must be \(expected), got \(size) (shape \(tensor.shape))")
            case let .symbolic(symbol):
                if let bound = symbols[symbol], bound != size {
                    throw InferenceError.invalidInput(
                        name: input.name, reason: "dimension '\(symbol)' is \(size) here but \(bound) in another input")
                }
                symbols[symbol] = size
            default: break
            }
        }
    }
}

/// What a loaded model is, for `warden onnx inspect`, logs and model metadata endpoints.
public struct ModelSummary: Sendable, Equatable {
    public let irVersion: Int64
    public let producerName: String
    public let producerVersion: String
    public let graphName: String
    /// Opset version per domain ("" is ai.onnx).
    public let opsets: [String: Int]
    /// Operators the graph uses, "domain:Op" outside the default domain.
    public let operators: [String]
    public let metadata: [String: String]
}
