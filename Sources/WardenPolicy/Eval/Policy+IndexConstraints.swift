extension Policy {
    /// The rule's definitions with the constraints OPA's index puts on each branch, and the
    /// number of references they read. `nodes` is every package and rule path; `rulePaths` the
    /// paths that hold rules.
    static func withIndexConstraints(
        _ definitions: [Rule], package: [String], aliases: [String: [String]], rulePaths: Set<[String]>, nodes: Set<[String]>
    ) -> (rules: [Rule], levels: Int) {
        // OPA indexes base documents only: a data path that reaches a rule, or a package
        // holding rules, is virtual.
        func isVirtual(_ keys: [Value]) -> Bool {
            var path: [String] = []
            for key in keys {
                guard case let .string(name) = key else { return false }
                path.append(name)
                guard nodes.contains(path) else { return false }
                if rulePaths.contains(path) { return true }
            }
            return true
        }
        var collectors: [[IndexConstraintCollector]] = []
        for rule in definitions {
            let parameters = Set(rule.args.flatMap(Evaluation.patternVariables))
            func globalPath(_ name: String) -> [String]? {
                if parameters.contains(name) { return nil }
                if let alias = aliases[name] { return alias }
                return nodes.contains(package + [name]) && rulePaths.contains(where: { $0.starts(with: package + [name]) })
                    ? ["data"] + package + [name] : nil
            }
            let mainHead = (rule.key.map { [$0] } ?? []) + rule.headSegments + [rule.value]
            let branches = [(rule.body, mainHead)] + rule.elses.map { ($0.body, [$0.value]) }
            collectors.append(
                branches.map { body, head in
                    var collector = IndexConstraintCollector(parameters: rule.args, globalPath: globalPath, isVirtual: isVirtual)
                    collector.collect(body, head: head)
                    return collector
                })
        }
        let order = IndexConstraintCollector.referenceOrder(collectors.flatMap { $0 })
        let rules = zip(definitions, collectors).map { rule, branches in
            var rule = rule
            rule.indexConstraints = branches.map { $0.constraints(order: order) }
            return rule
        }
        return (rules, order.count)
    }
}
