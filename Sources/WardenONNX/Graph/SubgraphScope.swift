/// What a subgraph (an If branch, a Scan body) sees of the graphs around it: ONNX lets it
/// read any value of an enclosing graph by name, which makes that value an implicit input of
/// the node holding the subgraph.
struct SubgraphScope: Sendable {
    /// Values of the enclosing graphs, by name, with their kinds.
    var outer: [String: ValueKind] = [:]
    /// The kinds the enclosing node passes to the subgraph's own inputs, by position.
    var formalInputKinds: [ValueKind?]?

    /// The scope for `node`'s subgraphs: every value defined so far, here and further out.
    /// Empty (and free) for the many nodes without a subgraph.
    static func enclosing(_ node: NodeProto, slots: SlotTable, kinds: [Int: ValueKind], outer: [String: ValueKind]) -> SubgraphScope {
        guard node.attributes.contains(where: { $0.g != nil }) else { return SubgraphScope() }
        var visible = outer
        for (name, slot) in slots.indicesByName { visible[name] = kinds[slot] ?? .unknown }
        return SubgraphScope(outer: visible)
    }

    /// Names `node`'s subgraphs read without defining them.
    static func freeNames(of node: NodeProto) -> Set<String> {
        node.attributes.compactMap(\.g).reduce(into: Set<String>()) { $0.formUnion(freeNames(of: $1)) }
    }

    static func freeNames(of graph: GraphProto) -> Set<String> {
        var defined = Set(graph.initializers.map(\.name)).union(graph.inputs.map(\.name))
        for node in graph.nodes { defined.formUnion(node.outputs) }
        var free = Set<String>()
        for node in graph.nodes {
            for name in node.inputs where !name.isEmpty && !defined.contains(name) { free.insert(name) }
            free.formUnion(freeNames(of: node).subtracting(defined))
        }
        for output in graph.outputs where !defined.contains(output.name) { free.insert(output.name) }
        return free
    }
}

extension NodeContext {
    /// Compiles the graph attribute `name`, whose inputs receive values of `inputKinds`.
    func subgraph(_ name: String, inputKinds: [ValueKind?] = []) throws -> ExecutionPlan {
        let graph = try attributes.required(try attributes.graph(name), name)
        var inner = scope
        inner.formalInputKinds = inputKinds
        return try GraphCompiler.compile(graph, opsets: opsets, scope: inner)
    }
}
