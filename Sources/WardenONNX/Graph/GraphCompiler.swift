/// Turns a decoded model into an `ExecutionPlan`, or refuses it.
///
/// Everything that can be known before a request is checked here: opsets, graph structure
/// (single assignment, every input defined, no cycles), operator support and attribute
/// values, and element types along every edge. Problems with operators are collected over
/// the whole graph and reported together, so a model author sees the full list at once.
struct GraphCompiler {
    let model: ModelProto

    func compile() throws -> ExecutionPlan {
        let opsets = try resolveOpsets()
        guard model.functionCount == 0 || !model.graph.nodes.isEmpty else {
            throw ModelLoadError.invalidModel("model has functions but no nodes")
        }
        return try Self.compile(model.graph, opsets: opsets, scope: SubgraphScope())
    }

    /// Compiles `graph`. A subgraph (an If branch, a Scan body) may read values of the graphs
    /// around it: `scope` gives their kinds, and each one read becomes a captured input of
    /// the plan, which the enclosing node passes in after its own inputs.
    static func compile(_ graph: GraphProto, opsets: [String: Int], scope: SubgraphScope) throws -> ExecutionPlan {
        if graph.sparseInitializerCount > 0 {
            throw ModelLoadError.unsupported(["sparse initializers (\(graph.sparseInitializerCount))"])
        }

        var slots = SlotTable()
        var constants: [Int: Tensor] = [:]
        var kinds: [Int: ValueKind] = [:]
        // Declared shapes, known for graph inputs and carried through shape-preserving nodes,
        // so operators can check feature counts against them at load.
        var shapes: [Int: [ShapeDimension]] = [:]

        for initializer in graph.initializers {
            guard !initializer.name.isEmpty else { throw ModelLoadError.invalidGraph("an initializer has no name") }
            let slot = try slots.define(initializer.name, by: "initializer")
            constants[slot] = initializer.tensor.heldAsFloat
            kinds[slot] = .tensor(initializer.tensor.elementType)
        }

        var inputs: [GraphInput] = []
        for (position, info) in graph.inputs.enumerated() where slots[info.name] == nil {
            // Before IR 4, initializers were also listed as inputs; those stay constants.
            let declared = try GraphInput(info, given: scope.formalInputKinds.flatMap { position < $0.count ? $0[position] : nil })
            let slot = try slots.define(info.name, by: "graph input")
            kinds[slot] = declared.kind
            shapes[slot] = declared.shape
            inputs.append(declared.bound(to: slot))
        }
        var captured: [GraphInput] = []
        /// The slot of `name`: defined here, or captured from an enclosing graph on first use.
        func resolve(_ name: String) -> Int? {
            if let slot = slots[name] { return slot }
            guard let kind = scope.outer[name], let slot = try? slots.define(name, by: "enclosing graph") else { return nil }
            kinds[slot] = kind
            captured.append(GraphInput(name: name, kind: kind, shape: nil, slot: slot))
            return slot
        }

        let order = try topologicalOrder(graph.nodes, known: Set(slots.names).union(scope.outer.keys))
        let graphOutputNames = Set(graph.outputs.map(\.name))
        let readByHalfPrecisionKernels = Set(
            graph.nodes.filter { HalfPrecision.materialisingReaders.contains($0.opType) }.flatMap(\.inputs))
        var steps: [ExecutionPlan.Step] = []
        var problems: [String] = []
        var operatorsUsed = Set<String>()

        for index in order {
            let node = graph.nodes[index]
            let label = Self.label(node)
            let domain = OperatorRegistry.normalize(domain: node.domain)
            operatorsUsed.insert(domain.isEmpty ? node.opType : "\(domain):\(node.opType)")

            var inputSlots: [Int?] = try node.inputs.map { name in
                if name.isEmpty { return nil }
                guard let slot = resolve(name) else {
                    throw ModelLoadError.invalidGraph("\(label) reads '\(name)', which nothing defines")
                }
                return slot
            }
            var outputSlots: [Int] = []
            for name in node.outputs {
                outputSlots.append(name.isEmpty ? -1 : try slots.define(name, by: label))
            }

            let inputKinds = inputSlots.map { $0.map { kinds[$0] ?? .unknown } }
            do {
                guard let version = opsets[domain] else {
                    throw ModelLoadError.unsupported([
                        "\(label): domain '\(domain.isEmpty ? "ai.onnx" : domain)' is not imported by the model"
                    ])
                }
                guard let factory = OperatorRegistry.factory(domain: domain, opType: node.opType) else {
                    throw ModelLoadError.unsupported([
                        "operator \(domain.isEmpty ? "" : domain + ":")\(node.opType) (opset \(version)) used by \(label)"
                    ])
                }
                let context = NodeContext(
                    node: node, label: label, opset: version, opsets: opsets,
                    scope: SubgraphScope.enclosing(node, slots: slots, kinds: kinds, outer: scope.outer),
                    attributes: try NodeAttributes(node: label, attributes: node.attributes),
                    inputKinds: HalfPrecision.computeKinds(inputKinds),
                    constants: inputSlots.map { $0.flatMap { constants[$0] } },
                    inputShapes: inputSlots.map { $0.flatMap { shapes[$0] ?? constants[$0].map { $0.shape.map(ShapeDimension.fixed) } } })
                var lowered = try factory(context)
                // Values its subgraphs read from here or further out come after its own inputs.
                for name in lowered.captures {
                    guard let slot = resolve(name) else {
                        throw ModelLoadError.invalidGraph("\(label): a subgraph reads '\(name)', which nothing defines")
                    }
                    inputSlots.append(slot)
                }
                lowered.outputs = HalfPrecision.modelKinds(lowered.outputs, node: node, inputKinds: inputKinds)
                let halfOutputs = Set(
                    zip(node.outputs, lowered.outputs).enumerated().filter { _, pair in
                        pair.1 == .tensor(.float16)
                            && HalfPrecision.isMaterialised(
                                pair.0, producer: node, graphOutputs: graphOutputNames, readByNative: readByHalfPrecisionKernels)
                    }.map(\.offset))
                if !halfOutputs.isEmpty { lowered.kernel = HalfPrecisionRounding(inner: lowered.kernel, outputs: halfOutputs) }
                let ignored = (OperatorRegistry.ignoredAttributes[""] ?? []).union(OperatorRegistry.ignoredAttributes[node.opType] ?? [])
                let unread = context.attributes.unread.subtracting(ignored).sorted()
                if !unread.isEmpty {
                    throw ModelLoadError.unsupported([
                        "\(label): attribute\(unread.count > 1 ? "s" : "") \(unread.joined(separator: ", ")) not supported"
                    ])
                }
                guard node.outputs.count <= lowered.outputs.count else {
                    throw ModelLoadError.invalidGraph(
                        "\(label) declares \(node.outputs.count) outputs, the operator has \(lowered.outputs.count)")
                }
                for (slot, kind) in zip(outputSlots, lowered.outputs) where slot >= 0 { kinds[slot] = kind }
                if Self.shapePreserving.contains(node.opType), let first = inputSlots.first ?? nil, let shape = shapes[first],
                    let output = outputSlots.first, output >= 0
                {
                    shapes[output] = shape
                }

                let presentInputs = inputSlots.compactMap { $0 }
                if presentInputs.allSatisfy({ constants[$0] != nil }) {
                    // Every input is known: compute the node once now instead of on every request.
                    let values = inputSlots.map { $0.flatMap { constants[$0] }.map(Value.tensor) }
                    let results = try lowered.kernel.run(KernelInputs(values: values, node: label))
                    for (slot, value) in zip(outputSlots, results) where slot >= 0 {
                        guard case let .tensor(tensor) = value else { continue }
                        constants[slot] = tensor.heldAsFloat
                    }
                    if outputSlots.allSatisfy({ $0 < 0 || constants[$0] != nil }) { continue }
                }
                steps.append(ExecutionPlan.Step(kernel: lowered.kernel, label: label, inputs: inputSlots, outputs: outputSlots))
            } catch let ModelLoadError.unsupported(items) {
                problems.append(contentsOf: items)
            } catch let error as ModelLoadError {
                problems.append(error.description)
            } catch {
                problems.append("\(label): \(error)")
            }
        }
        if !problems.isEmpty { throw ModelLoadError.unsupported(problems) }

        var outputs: [GraphOutput] = []
        for info in graph.outputs {
            guard let slot = resolve(info.name) else {
                throw ModelLoadError.invalidGraph("graph output '\(info.name)' is never produced")
            }
            outputs.append(GraphOutput(name: info.name, slot: slot, kind: kinds[slot] ?? .unknown, declared: info.type))
        }
        guard !outputs.isEmpty else { throw ModelLoadError.invalidGraph("the graph has no outputs") }

        return ExecutionPlan(
            slotCount: slots.count, constants: constants, steps: steps, inputs: inputs, outputs: outputs,
            opsets: opsets, operators: operatorsUsed.sorted(), slotNames: slots.indicesByName, captured: captured)
    }

    /// Operators whose first output has their first input's shape.
    static let shapePreserving: Set<String> = [
        "Identity", "Cast", "CastLike", "Scaler", "Imputer", "Normalizer", "Binarizer", "Abs", "Neg", "Relu", "Sigmoid",
        "Tanh", "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Erf", "LeakyRelu", "HardSigmoid",
        "Clip", "Dropout", "IsNaN", "IsInf", "Not", "Softmax", "LogSoftmax", "BatchNormalization", "Gelu", "CumSum",
        "LayerNormalization",
    ]

    static func label(_ node: NodeProto) -> String {
        node.name.isEmpty ? "\(node.opType) node producing '\(node.outputs.first ?? "?")'" : "\(node.opType) node '\(node.name)'"
    }

    /// Opset per domain. Duplicate imports of one domain are tolerated (some exporters write
    /// them); the highest version wins, as in ONNX Runtime.
    private func resolveOpsets() throws -> [String: Int] {
        var opsets: [String: Int] = [:]
        for opset in model.opsetImports {
            let domain = OperatorRegistry.normalize(domain: opset.domain)
            opsets[domain] = max(opsets[domain] ?? 0, Int(clamping: opset.version))
        }
        guard !opsets.isEmpty else { throw ModelLoadError.invalidModel("the model imports no opset") }
        var problems: [String] = []
        for (domain, version) in opsets.sorted(by: { $0.key < $1.key }) {
            guard let range = OperatorRegistry.supportedOpsets[domain] else { continue }  // checked per node
            if !range.contains(version) {
                problems.append(
                    "opset \(version) of domain '\(domain.isEmpty ? "ai.onnx" : domain)' (supported: \(range.lowerBound)...\(range.upperBound))"
                )
            }
        }
        if !problems.isEmpty { throw ModelLoadError.unsupported(problems) }
        return opsets
    }

    /// Kahn's algorithm over value dependencies. Node order in the file is only a hint: the
    /// result is topological whatever the file says, and a cycle is named.
    private static func topologicalOrder(_ nodes: [NodeProto], known: Set<String>) throws -> [Int] {
        var producer: [String: Int] = [:]
        for (index, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty {
                if known.contains(output) || producer[output] != nil {
                    throw ModelLoadError.invalidGraph("'\(output)' is assigned more than once (by \(Self.label(node)))")
                }
                producer[output] = index
            }
        }
        var waiting = [Int](repeating: 0, count: nodes.count)
        var dependents = [[Int]](repeating: [], count: nodes.count)
        for (index, node) in nodes.enumerated() {
            // A subgraph's reads of this graph's values are dependencies of its node too.
            let reads = node.inputs + SubgraphScope.freeNames(of: node).sorted()
            for input in reads where !input.isEmpty {
                if let source = producer[input] {
                    waiting[index] += 1
                    dependents[source].append(index)
                } else if !known.contains(input) {
                    throw ModelLoadError.invalidGraph("\(Self.label(node)) reads '\(input)', which nothing defines")
                }
            }
        }
        var ready = (0..<nodes.count).filter { waiting[$0] == 0 }.reversed() as [Int]
        var order: [Int] = []
        order.reserveCapacity(nodes.count)
        while let next = ready.popLast() {
            order.append(next)
            for dependent in dependents[next].reversed() {
                waiting[dependent] -= 1
                if waiting[dependent] == 0 { ready.append(dependent) }
            }
        }
        guard order.count == nodes.count else {
            let stuck = (0..<nodes.count).filter { waiting[$0] > 0 }.prefix(5).map { Self.label(nodes[$0]) }
            throw ModelLoadError.invalidGraph("the graph has a cycle through \(stuck.joined(separator: ", "))")
        }
        return order
    }
}

/// Names to slot indices, enforcing that each name is assigned once.
struct SlotTable {
    private var indices: [String: Int] = [:]
    private(set) var names: [String] = []

    var count: Int { names.count }
    var indicesByName: [String: Int] { indices }

    subscript(name: String) -> Int? { indices[name] }

    mutating func define(_ name: String, by owner: String) throws -> Int {
        guard indices[name] == nil else {
            throw ModelLoadError.invalidGraph("'\(name)' is defined more than once (again by \(owner))")
        }
        indices[name] = names.count
        names.append(name)
        return names.count - 1
    }
}
