extension Policy {
    /// OPA's recursion check (`CheckRecursion`), when the policy compiles: a rule or function
    /// that depends on itself, directly or through others, is `rego_recursion_error`, whether or
    /// not an evaluation would reach the cycle.
    static func checkRecursion(_ modules: [Module], rulePaths: Set<[String]>) throws(PolicyError) {
        var dependencies: [[String]: Set<[String]>] = [:]
        var locations: [[String]: SourceLocation] = [:]
        for module in modules {
            var aliases: [String: [String]] = [:]
            for (path, alias) in module.imports where path.first == "data" { aliases[alias] = Array(path.dropFirst()) }
            for rule in module.rules {
                let path = module.package + [rule.name] + rule.headPath
                locations[path] = locations[path] ?? rule.location
                var needs = dependencies[path] ?? []
                func visit(_ term: Term) {
                    if let target = referencedPath(term, package: module.package, aliases: aliases) {
                        needs.formUnion(rulePaths.filter { $0.starts(with: target) || target.starts(with: $0) })
                    }
                    switch term {
                    case .scalar, .variable: break
                    // The start of a reference was read with the whole reference.
                    case let .ref(head, path): (head.isVariable ? path : [head] + path).forEach(visit)
                    case let .array(items), let .set(items): items.forEach(visit)
                    case let .object(pairs):
                        pairs.forEach {
                            visit($0.0); visit($0.1)
                        }
                    case let .arrayComprehension(head, _), let .setComprehension(head, _): visit(head)
                    case let .objectComprehension(key, value, _): [key, value].forEach(visit)
                    case let .call(_, args): args.forEach(visit)
                    case let .membership(key, value, collection): ((key.map { [$0] } ?? []) + [value, collection]).forEach(visit)
                    case let .binary(_, a, b): [a, b].forEach(visit)
                    case let .unaryMinus(a): visit(a)
                    }
                }
                (rule.headTerms + rule.elses.map(\.value)).forEach(visit)
                // Every statement, closures' included (comprehension heads are visited above).
                SyntaxWalk.walk(terms: [], bodies: [rule.body] + rule.elses.map(\.body)) { statement in
                    SafetyTerms.of(statement).forEach(visit)
                } term: { _, _ in
                }
                for closureHead in (rule.headTerms + rule.elses.map(\.value)).flatMap(SafetyClosures.of) {
                    SyntaxWalk.walk(terms: [], bodies: [closureHead.body]) { statement in
                        SafetyTerms.of(statement).forEach(visit)
                    } term: { _, _ in
                    }
                }
                dependencies[path] = needs
            }
        }
        // Depth-first search for a cycle, in a stable order so the reported cycle is too.
        var state: [[String]: Bool] = [:]  // false: on the current path, true: done
        var trail: [[String]] = []
        func visit(_ path: [String]) throws(PolicyError) {
            if state[path] == true { return }
            if state[path] == false {
                let cycle = trail.drop(while: { $0 != path }) + [path]
                let names = cycle.map { "data." + $0.joined(separator: ".") }
                throw PolicyError(.recursion, "rule \(names[0]) is recursive: \(names.joined(separator: " -> "))", at: locations[path])
            }
            state[path] = false
            trail.append(path)
            for next in (dependencies[path] ?? []).sorted(by: { $0.lexicographicallyPrecedes($1) }) { try visit(next) }
            trail.removeLast()
            state[path] = true
        }
        for path in dependencies.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) { try visit(path) }
    }

    /// The document a term names below `data`, up to its first non-constant segment: a rule of
    /// the package by name, an import alias, `data.…`, or a user function called by name.
    private static func referencedPath(_ term: Term, package: [String], aliases: [String: [String]]) -> [String]? {
        func start(_ name: String) -> [String]? {
            if name == "data" { return [] }
            if let alias = aliases[name] { return alias }
            if name == "input" { return nil }
            return package + [name]
        }
        switch term {
        case let .variable(name): return name == "data" ? nil : start(name)
        case let .ref(.variable(name), path):
            guard var target = start(name) else { return nil }
            for segment in path {
                guard case let .scalar(.string(key)) = segment else { break }
                target.append(key)
            }
            return target.isEmpty ? nil : target
        case let .call(name, _):
            guard let first = name.first, var target = start(first) else { return nil }
            target += name.dropFirst()
            return target
        default: return nil
        }
    }
}

extension Term {
    var isVariable: Bool { if case .variable = self { true } else { false } }
}

/// The terms a statement holds directly (its closures' statements are statements of their own).
enum SafetyTerms {
    static func of(_ statement: Statement) -> [Term] {
        of(statement.expression) + statement.with.map(\.value)
    }

    private static func of(_ expression: Expression) -> [Term] {
        switch expression {
        case let .term(t): [t]
        case let .not(inner): of(inner.node)
        case let .assign(a, b), let .unify(a, b): [a, b]
        case .someDeclaration: []
        case let .someIn(key, value, collection): (key.map { [$0] } ?? []) + [value, collection]
        case let .every(_, _, collection, _): [collection]
        }
    }
}
