/// One operator instance, prepared at load with its attributes validated. `run` is called by
/// many requests at once, so a kernel holds only immutable state.
protocol Kernel: Sendable {
    func run(_ inputs: KernelInputs) throws -> [Value]
}

/// The values feeding one node; absent optional inputs are nil.
struct KernelInputs {
    let values: [Value?]
    let node: String

    var count: Int { values.count }

    func isPresent(_ index: Int) -> Bool { index < values.count && values[index] != nil }

    func value(_ index: Int) throws -> Value {
        guard index < values.count, let value = values[index] else {
            throw InferenceError.invalidValue(node: node, reason: "input \(index) is missing")
        }
        return value
    }

    func tensor(_ index: Int) throws -> Tensor {
        guard case let .tensor(tensor) = try value(index) else {
            throw InferenceError.invalidValue(node: node, reason: "input \(index) is not a tensor")
        }
        return tensor
    }

    func optionalTensor(_ index: Int) throws -> Tensor? {
        isPresent(index) ? try tensor(index) : nil
    }

    func fail(_ reason: String) -> InferenceError {
        InferenceError.invalidValue(node: node, reason: reason)
    }
}

/// A kernel made from a closure, for operators whose whole state fits in its captures.
struct ClosureKernel: Kernel {
    let body: @Sendable (KernelInputs) throws -> [Value]
    func run(_ inputs: KernelInputs) throws -> [Value] { try body(inputs) }
}

/// What a factory makes of a node: the kernel and the kinds of the values it produces.
struct LoweredNode {
    var kernel: any Kernel
    var outputs: [ValueKind]
    /// Names its subgraphs read from enclosing graphs, passed after the node's own inputs.
    var captures: [String] = []

    init(_ kernel: any Kernel, outputs: [ValueKind]) {
        self.kernel = kernel
        self.outputs = outputs
    }

    init(outputs: [ValueKind], _ body: @escaping @Sendable (KernelInputs) throws -> [Value]) {
        self.kernel = ClosureKernel(body: body)
        self.outputs = outputs
    }
}
