/// `graph.reachable` and `graph.reachable_paths` over an adjacency object (node → array or
/// set of neighbours). Each node is visited once, so cycles end.
extension Builtins {
    static let graphBuiltins: [String: Builtin] = [
        "graph.reachable": fixed(2) { args in
            let graph = try adjacency(args)
            var reached = Set<Value>()
            var pending = try args.collection(1)
            while let node = pending.popLast() {
                guard let neighbours = graph[node], reached.insert(node).inserted else { continue }
                pending += neighbours
            }
            return .makeSet(reached)
        },
        // The simple paths of a dense graph grow factorially: the walk checks the deadline.
        "graph.reachable_paths": Builtin(arity: 2) { args, context in
            let graph = try adjacency(args)
            var paths = Set<Value>()
            func extend(_ path: [Value], _ seen: Set<Value>) throws {
                guard ContinuousClock.now <= context.deadline else { throw BuiltinError.deadlinePassed }
                let next = (graph[path[path.count - 1]] ?? []).filter { !seen.contains($0) && graph[$0] != nil }
                guard !next.isEmpty else {
                    paths.insert(.array(path))
                    return
                }
                for node in next { try extend(path + [node], seen.union([node])) }
            }
            for start in try args.collection(1) where graph[start] != nil { try extend([start], [start]) }
            return .makeSet(paths)
        },
    ]

    private static func adjacency(_ args: [Value]) throws -> [Value: [Value]] {
        var graph: [Value: [Value]] = [:]
        for (node, edges) in try args.object(0) {
            switch edges {
            case let .array(items), let .set(items): graph[node] = items
            case .null: graph[node] = []
            default: throw BuiltinError.operand(1, "object of arrays or sets", edges)
            }
        }
        return graph
    }
}
