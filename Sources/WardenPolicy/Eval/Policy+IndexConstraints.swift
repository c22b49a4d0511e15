extension Policy {
    /// The rule's definitions with the constraints OPA's index puts on each branch, and the
    /// number of references they read. `nodes` is every package and rule path; `rulePaths` the
    /// paths that hold rules.
    static func withIndexConstraints(
        _ definitions: [Rule], package: [String], aliases: [String: [String]], rulePaths: Set<[String]>, nodes: Set<[String]>
    ) -> (rules: [Rule], levels: Int, mayHideErrors: Bool) {
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
        var mayHideErrors = false
        for rule in definitions {
            let parameters = Set(rule.args.flatMap(Evaluation.patternVariables))
            func globalPath(_ name: String) -> [String]? {
                if parameters.contains(name) { return nil }
                if let alias = aliases[name] { return alias }
                return nodes.contains(package + [name]) && rulePaths.contains(where: { $0.starts(with: package + [name]) })
                    ? ["data"] + package + [name] : nil
            }
            let relevance = IndexRelevance { term in
                Self.leadsToRule(term, globalPath: globalPath, isVirtual: isVirtual, rulePaths: rulePaths, package: package)
            }
            mayHideErrors =
                mayHideErrors || ([rule.body] + rule.elses.map(\.body)).contains(where: relevance.mayRaise)
                || ([rule.value] + rule.headSegments + (rule.key.map { [$0] } ?? []) + rule.elses.map(\.value)).contains(
                    where: relevance.mayRaise)
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
            rule.headConstants = ([rule.value] + rule.elses.map(\.value)).map(Evaluation.literalValue)
            return rule
        }
        return (rules, order.count, mayHideErrors)
    }

    /// A reference to a rule (or a package holding rules), or a call of a user function.
    static func leadsToRule(
        _ term: Term, globalPath: (String) -> [String]?, isVirtual: ([Value]) -> Bool, rulePaths: Set<[String]>, package: [String]
    ) -> Bool {
        func dataPath(_ head: Term, _ path: [Term]) -> [Value]? {
            guard case let .variable(name) = head else { return nil }
            let root: [String]
            if name == "data" {
                root = ["data"]
            } else if let found = globalPath(name), found.first == "data" {
                root = found
            } else {
                return nil
            }
            var keys = root.dropFirst().map(Value.string)
            for segment in path {
                guard case let .scalar(key) = segment else { break }
                keys.append(key)
            }
            return keys
        }
        switch term {
        case .variable:
            return dataPath(term, []).map(isVirtual) ?? false
        case let .ref(head, path):
            return dataPath(head, path).map(isVirtual) ?? false
        case let .call(name, _):
            if name.first == "data" { return rulePaths.contains(Array(name.dropFirst())) }
            if let alias = name.first.flatMap(globalPath), alias.first == "data" {
                return rulePaths.contains(Array(alias.dropFirst()) + name.dropFirst())
            }
            return rulePaths.contains(package + name)
        default:
            return false
        }
    }
}
