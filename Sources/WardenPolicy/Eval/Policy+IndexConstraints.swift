extension Policy {
    /// The rule's definitions with the constraints OPA's index puts on each branch, and the
    /// number of references they read. `nodes` is every package and rule path; `rulePaths` the
    /// paths that hold rules.
    static func withIndexConstraints(
        _ definitions: [Rule], package: [String], aliases: [String: [String]], rulePaths: Set<[String]>, nodes: Set<[String]>
    ) -> (rules: [Rule], levels: Int, relevance: IndexRelevance) {
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
        var relevance = IndexRelevance { term in
            Self.link(
                term, globalPath: { aliases[$0] ?? Self.packageRule($0, package, nodes, rulePaths) }, isVirtual: isVirtual,
                rulePaths: rulePaths, package: package)
        }
        for rule in definitions {
            let parameters = Set(rule.args.flatMap(Evaluation.patternVariables))
            func globalPath(_ name: String) -> [String]? {
                if parameters.contains(name) { return nil }
                return aliases[name] ?? Self.packageRule(name, package, nodes, rulePaths)
            }
            relevance.visit(
                terms: (rule.headTerms + rule.elses.map(\.value)).map { ($0, rule.location) }, bodies: [rule.body] + rule.elses.map(\.body))
            let branches = [(rule.body, rule.headTerms)] + rule.elses.map { ($0.body, [$0.value]) }
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
        return (rules, order.count, relevance)
    }

    /// A name of the package's own rules (or of a package below it) as a data path.
    static func packageRule(_ name: String, _ package: [String], _ nodes: Set<[String]>, _ rulePaths: Set<[String]>) -> [String]? {
        nodes.contains(package + [name]) && rulePaths.contains(where: { $0.starts(with: package + [name]) })
            ? ["data"] + package + [name] : nil
    }

    /// The rule (or package document) a reference reads, or the user function a call makes.
    static func link(
        _ term: Term, globalPath: (String) -> [String]?, isVirtual: ([Value]) -> Bool, rulePaths: Set<[String]>, package: [String]
    ) -> IndexRelevance.Link {
        func dataLink(_ head: Term, _ path: [Term]) -> IndexRelevance.Link {
            guard case let .variable(name) = head else { return .none }
            let root: [String]
            if name == "data" {
                root = ["data"]
            } else if let found = globalPath(name), found.first == "data" {
                root = found
            } else {
                return .none
            }
            var keys = Array(root.dropFirst())
            for segment in path {
                guard case let .scalar(.string(key)) = segment else { break }
                keys.append(key)
            }
            for length in 0...keys.count where rulePaths.contains(Array(keys.prefix(length))) { return .rule(Array(keys.prefix(length))) }
            return isVirtual(keys.map(Value.string)) ? .package : .none
        }
        switch term {
        case .variable: return dataLink(term, [])
        case let .ref(head, path): return dataLink(head, path)
        case let .call(name, _):
            var path: [String]?
            if name.first == "data" {
                path = Array(name.dropFirst())
            } else if let alias = name.first.flatMap(globalPath), alias.first == "data" {
                path = Array(alias.dropFirst()) + name.dropFirst()
            } else {
                path = package + name
            }
            return path.map { rulePaths.contains($0) ? .rule($0) : .none } ?? .none
        default:
            return .none
        }
    }
}
