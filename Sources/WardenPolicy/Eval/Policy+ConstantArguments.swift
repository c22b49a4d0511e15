extension Policy {
    /// OPA's type checker refuses a builtin call whose constant arguments have the wrong type,
    /// or that has the wrong number of arguments, wherever the call is: also in a rule, branch
    /// or comprehension that is never evaluated. Warden raised these only when it reached the
    /// call; this pass raises them when the policy compiles, as OPA does.
    static func checkConstantArguments(_ module: Module, isUserFunction: ([String]) -> Bool) throws(PolicyError) {
        var failure: PolicyError?
        func visit(_ term: Term, at location: SourceLocation) {
            guard failure == nil else { return }
            switch term {
            case .scalar, .variable: break
            case let .ref(head, path): ([head] + path).forEach { visit($0, at: location) }
            case let .array(items), let .set(items): items.forEach { visit($0, at: location) }
            case let .object(pairs):
                pairs.forEach {
                    visit($0.0, at: location); visit($0.1, at: location)
                }
            case let .arrayComprehension(head, body), let .setComprehension(head, body):
                visit(head, at: location)
                visit(body)
            case let .objectComprehension(key, value, body):
                visit(key, at: location)
                visit(value, at: location)
                visit(body)
            case let .call(name, args):
                args.forEach { visit($0, at: location) }
                if !isUserFunction(name), let error = Self.constantArgumentError(name.joined(separator: "."), args) {
                    failure = PolicyError(.typeError, error, at: location)
                }
            case let .membership(key, value, collection):
                ([value, collection] + (key.map { [$0] } ?? [])).forEach { visit($0, at: location) }
            case let .binary(_, a, b):
                visit(a, at: location)
                visit(b, at: location)
            case let .unaryMinus(a): visit(a, at: location)
            }
        }
        func visit(_ expression: Expression, at location: SourceLocation) {
            switch expression {
            case let .term(term): visit(term, at: location)
            case let .not(inner): visit(inner.node, at: inner.location)
            case let .assign(a, b), let .unify(a, b):
                visit(a, at: location)
                visit(b, at: location)
            case .someDeclaration: break
            case let .someIn(key, value, collection): ([value, collection] + (key.map { [$0] } ?? [])).forEach { visit($0, at: location) }
            case let .every(_, _, collection, body):
                visit(collection, at: location)
                visit(body)
            }
        }
        func visit(_ body: Body) {
            for statement in body {
                visit(statement.expression, at: statement.location)
                for modifier in statement.with { visit(modifier.value, at: statement.location) }
            }
        }
        for rule in module.rules {
            ((rule.key.map { [$0] } ?? []) + rule.headSegments + [rule.value] + rule.elses.map(\.value)).forEach {
                visit($0, at: rule.location)
            }
            ([rule.body] + rule.elses.map(\.body)).forEach(visit)
        }
        if let failure { throw failure }
    }

    /// The error OPA's type checker gives a call of builtin `name` with these arguments: a
    /// wrong argument count, or constant arguments of a type the builtin refuses.
    static func constantArgumentError(_ name: String, _ args: [Term]) -> String? {
        guard let builtin = Builtins.table[name] else { return nil }
        if let arity = builtin.arity, arity != args.count {
            // One more argument is the call's output, constant or not.
            return args.count == arity + 1 ? nil : "\(name): arity mismatch (takes \(arity), given \(args.count))"
        }
        guard args.allSatisfy(Evaluation.isLiteral) else { return nil }
        let values = args.compactMap(Evaluation.literalValue)
        guard values.count == args.count, let error = Evaluation.literalTypeError(builtin, values) else { return nil }
        return "\(name): \(error)"
    }
}
