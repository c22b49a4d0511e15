/// The compiled form of a graph: a straight-line list of kernel calls over numbered slots.
/// Immutable once built, so any number of requests execute it concurrently.
struct ExecutionPlan: Sendable {
    struct Step: Sendable {
        let kernel: any Kernel
        let label: String
        let inputs: [Int?]
        /// -1 for an output the node does not name.
        let outputs: [Int]
        /// Slots no later step reads: dropped after this step so their memory goes back early.
        var releases: [Int] = []
    }

    let slotCount: Int
    let initialSlots: [Value?]
    let steps: [Step]
    let inputs: [GraphInput]
    let outputs: [GraphOutput]
    let opsets: [String: Int]
    let operators: [String]
    /// Every value's slot by name, for values inside the graph (an explainer reads the explained
    /// operator's input).
    let slotNames: [String: Int]
    /// For a subgraph: the enclosing graphs' values it reads, fed like inputs.
    let captured: [GraphInput]

    init(
        slotCount: Int, constants: [Int: Tensor], steps: [Step], inputs: [GraphInput], outputs: [GraphOutput],
        opsets: [String: Int], operators: [String], slotNames: [String: Int] = [:], captured: [GraphInput] = []
    ) {
        self.slotCount = slotCount
        self.captured = captured
        self.slotNames = slotNames
        var initial = [Value?](repeating: nil, count: slotCount)
        for (slot, tensor) in constants { initial[slot] = .tensor(tensor) }
        self.initialSlots = initial
        self.inputs = inputs
        self.outputs = outputs
        self.opsets = opsets
        self.operators = operators
        self.steps = Self.withReleases(steps, keep: Set(outputs.map(\.slot)), constants: Set(constants.keys))
    }

    private static func withReleases(_ steps: [Step], keep: Set<Int>, constants: Set<Int>) -> [Step] {
        var lastUse: [Int: Int] = [:]
        for (index, step) in steps.enumerated() {
            for slot in step.inputs.compactMap({ $0 }) { lastUse[slot] = index }
        }
        var result = steps
        for (slot, index) in lastUse where !keep.contains(slot) && !constants.contains(slot) {
            result[index].releases.append(slot)
        }
        return result
    }

    /// Runs every step; `retaining` slots are kept even where no later step reads them.
    func execute(_ feeds: [Int: Value], retaining: Set<Int> = []) throws -> [Value?] {
        var slots = initialSlots
        for (slot, value) in feeds { slots[slot] = value }
        for step in steps {
            let inputs = step.inputs.map { $0.flatMap { slots[$0] } }
            for slot in step.releases where retaining.isEmpty || !retaining.contains(slot) { slots[slot] = nil }
            let results = try step.kernel.run(KernelInputs(values: inputs, node: step.label))
            for (slot, value) in zip(step.outputs, results) where slot >= 0 { slots[slot] = value }
        }
        return slots
    }
}
