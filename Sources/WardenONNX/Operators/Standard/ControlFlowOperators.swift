/// If and Scan: operators that run subgraphs. Both subgraphs are compiled and checked at
/// load like the main graph; at run time they read the node's inputs and any values of the
/// enclosing graphs they name (passed after the node's own inputs).
enum ControlFlowOperators {
    static let all: [String: KernelFactory] = ["If": ifOperator, "Scan": scan]

    static let ifOperator: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: [.bool])
        let thenBranch = try context.subgraph("then_branch")
        let elseBranch = try context.subgraph("else_branch")
        guard thenBranch.outputs.count == elseBranch.outputs.count else {
            throw context.invalid(
                "then_branch has \(thenBranch.outputs.count) outputs, else_branch \(elseBranch.outputs.count)")
        }
        var kinds: [ValueKind] = []
        for (a, b) in zip(thenBranch.outputs, elseBranch.outputs) {
            if a.kind != b.kind, a.kind != .unknown, b.kind != .unknown {
                throw ModelLoadError.typeMismatch("\(context.label): the branches give \(a.kind) and \(b.kind) for one output")
            }
            kinds.append(a.kind == .unknown ? b.kind : a.kind)
        }
        let captures = orderedUnion(thenBranch.captured.map(\.name), elseBranch.captured.map(\.name))
        let firstCapture = context.inputCount
        var lowered = LoweredNode(outputs: kinds) { inputs in
            guard case let .bool(flags) = try inputs.tensor(0).storage, flags.count == 1 else {
                throw inputs.fail("the condition must be one bool")
            }
            let branch = flags[0] ? thenBranch : elseBranch
            var feeds: [Int: Value] = [:]
            for input in branch.captured {
                feeds[input.slot] = try inputs.value(firstCapture + captures.firstIndex(of: input.name)!)
            }
            return try run(branch, feeds, inputs)
        }
        lowered.captures = captures
        return lowered
    }

    /// Scan (opset 9+): N state values carried from step to step, M inputs cut into slices
    /// along an axis (one slice per step, forward or backward), and K per-step outputs
    /// stacked along an axis at the end. Outputs: the final states, then the stacked outputs.
    static let scan: KernelFactory = { context in
        guard context.opset >= 9 else { throw context.unsupported("Scan before opset 9 (the batched, sequence_lens form)") }
        let attributes = context.attributes
        let scanCount = Int(try attributes.required(attributes.int("num_scan_inputs"), "num_scan_inputs"))
        let stateCount = context.inputCount - scanCount
        guard scanCount >= 1, stateCount >= 0 else {
            throw context.invalid("num_scan_inputs \(scanCount) does not fit \(context.inputCount) inputs")
        }
        let inputKinds = (0..<context.inputCount).map { context.kind($0) }
        let body = try context.subgraph("body", inputKinds: inputKinds)
        guard body.inputs.count == context.inputCount else {
            throw context.invalid("the body takes \(body.inputs.count) inputs, the node passes \(context.inputCount)")
        }
        let outputCount = body.outputs.count - stateCount
        guard outputCount >= 0 else { throw context.invalid("the body gives fewer outputs than there are states") }
        func settings(_ name: String, count: Int) throws -> [Int] {
            let values = try attributes.ints(name)?.map { Int($0) } ?? Array(repeating: 0, count: count)
            guard values.count == count else { throw context.invalid("\(name) needs \(count) values") }
            return values
        }
        let shape = ScanShape(
            states: stateCount, inputAxes: try settings("scan_input_axes", count: scanCount),
            inputBackward: try settings("scan_input_directions", count: scanCount).map { $0 == 1 },
            outputAxes: try settings("scan_output_axes", count: outputCount),
            outputBackward: try settings("scan_output_directions", count: outputCount).map { $0 == 1 })
        let firstCapture = context.inputCount
        var lowered = LoweredNode(outputs: body.outputs.map(\.kind)) { inputs in
            try shape.run(body, inputs, firstCapture: firstCapture)
        }
        lowered.captures = body.captured.map(\.name)
        return lowered
    }

    /// Executes a subgraph on `feeds` and returns its outputs in order.
    static func run(_ plan: ExecutionPlan, _ feeds: [Int: Value], _ inputs: KernelInputs) throws -> [Value] {
        let slots = try plan.execute(feeds)
        return try plan.outputs.map { output in
            guard let value = slots[output.slot] else { throw inputs.fail("subgraph output '\(output.name)' was not computed") }
            return value
        }
    }

    private static func orderedUnion(_ a: [String], _ b: [String]) -> [String] {
        var seen = Set<String>()
        return (a + b).filter { seen.insert($0).inserted }
    }
}

/// Scan's attributes, and the loop over the sequence.
private struct ScanShape {
    let states: Int
    let inputAxes: [Int]
    let inputBackward: [Bool]
    let outputAxes: [Int]
    let outputBackward: [Bool]

    func run(_ body: ExecutionPlan, _ inputs: KernelInputs, firstCapture: Int) throws -> [Value] {
        var carried = try (0..<states).map { try inputs.value($0) }
        let sequences = try inputAxes.indices.map { try inputs.tensor(states + $0) }
        let axes = try zip(sequences, inputAxes).map { try Axis.normalize($1, rank: $0.rank, inputs) }
        let length = sequences[0].rank > axes[0] ? sequences[0].shape[axes[0]] : 0
        guard zip(sequences, axes).allSatisfy({ $0.rank > $1 && $0.shape[$1] == length }) else {
            throw inputs.fail("scan inputs differ in sequence length")
        }
        guard length > 0 else { throw inputs.fail("Scan over an empty sequence") }
        var feeds: [Int: Value] = [:]
        for (offset, input) in body.captured.enumerated() { feeds[input.slot] = try inputs.value(firstCapture + offset) }
        var steps: [[Tensor]] = Array(repeating: [], count: outputAxes.count)
        for step in 0..<length {
            for (index, input) in body.inputs.prefix(states).enumerated() { feeds[input.slot] = carried[index] }
            for (j, sequence) in sequences.enumerated() {
                let position = inputBackward[j] ? length - 1 - step : step
                feeds[body.inputs[states + j].slot] = .tensor(Self.slice(sequence, axis: axes[j], at: position))
            }
            let results = try ControlFlowOperators.run(body, feeds, inputs)
            carried = Array(results.prefix(states))
            for k in steps.indices {
                guard case let .tensor(tensor) = results[states + k] else { throw inputs.fail("a scan output is not a tensor") }
                steps[k].append(tensor)
            }
        }
        let stacked = try steps.indices.map { k in
            try Self.stack(outputBackward[k] ? steps[k].reversed() : steps[k], axis: outputAxes[k], inputs)
        }
        return carried + stacked.map(Value.tensor)
    }

    /// The slice at `position` along `axis`, without that axis.
    static func slice(_ tensor: Tensor, axis: Int, at position: Int) -> Tensor {
        let (outer, size, inner) = Axis.split(tensor.shape, at: axis)
        var offsets: [Int] = []
        offsets.reserveCapacity(outer * inner)
        for o in 0..<outer {
            let base = (o * size + position) * inner
            for i in 0..<inner { offsets.append(base + i) }
        }
        var shape = tensor.shape
        shape.remove(at: axis)
        return Tensor(shape: shape, storage: tensor.storage.picking(offsets))
    }

    /// Per-step tensors of one shape, joined along a new axis.
    static func stack(_ parts: [Tensor], axis rawAxis: Int, _ inputs: KernelInputs) throws -> Tensor {
        let shape = parts[0].shape
        guard parts.allSatisfy({ $0.shape == shape && $0.elementType == parts[0].elementType }) else {
            throw inputs.fail("scan outputs change shape or type from step to step")
        }
        let axis = try Axis.normalize(rawAxis, rank: shape.count + 1, inputs)
        let outer = shape[..<axis].reduce(1, *), inner = shape[axis...].reduce(1, *)
        var result = shape
        result.insert(parts.count, at: axis)
        let storage = TensorStorage.concatenate(
            parts.map(\.storage), blocks: Array(repeating: inner, count: parts.count), outer: outer)
        return Tensor(shape: result, storage: storage)
    }
}
