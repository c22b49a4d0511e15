extension Policy {
    /// OPA's type checker refuses a builtin call whose constant arguments have the wrong type,
    /// or that has the wrong number of arguments, wherever the call is: also in a rule, branch
    /// or comprehension that is never evaluated, and in the query. Warden checks when the
    /// policy (or the query) compiles, as OPA does; evaluation then never needs to.
    struct ConstantArgumentCheck {
        let isUserFunction: ([String]) -> Bool
        private(set) var failure: PolicyError?

        init(isUserFunction: @escaping ([String]) -> Bool) {
            self.isUserFunction = isUserFunction
        }

        mutating func visit(_ module: Module) {
            for rule in module.rules {
                for term in (rule.key.map { [$0] } ?? []) + rule.headSegments + [rule.value] + rule.elses.map(\.value) {
                    visit(term, at: rule.location)
                }
                for body in [rule.body] + rule.elses.map(\.body) { visit(body) }
            }
        }

        mutating func visit(_ body: Body) {
            for statement in body {
                visit(statement.expression, at: statement.location)
                for modifier in statement.with { visit(modifier.value, at: statement.location) }
            }
        }

        private mutating func visit(_ expression: Expression, at location: SourceLocation) {
            switch expression {
            case let .term(term): visit(term, at: location)
            case let .not(inner): visit(inner.node, at: inner.location)
            case let .assign(a, b), let .unify(a, b):
                visit(a, at: location)
                visit(b, at: location)
            case .someDeclaration: break
            case let .someIn(key, value, collection):
                for term in [value, collection] + (key.map { [$0] } ?? []) { visit(term, at: location) }
            case let .every(_, _, collection, body):
                visit(collection, at: location)
                visit(body)
            }
        }

        private mutating func visit(_ term: Term, at location: SourceLocation) {
            guard failure == nil else { return }
            switch term {
            case .scalar, .variable: break
            case let .ref(head, path): for part in [head] + path { visit(part, at: location) }
            case let .array(items), let .set(items): for item in items { visit(item, at: location) }
            case let .object(pairs):
                for (key, value) in pairs {
                    visit(key, at: location)
                    visit(value, at: location)
                }
            case let .arrayComprehension(head, body), let .setComprehension(head, body):
                visit(head, at: location)
                visit(body)
            case let .objectComprehension(key, value, body):
                visit(key, at: location)
                visit(value, at: location)
                visit(body)
            case let .call(name, args):
                for arg in args { visit(arg, at: location) }
                if !isUserFunction(name), let error = Policy.constantArgumentError(name.joined(separator: "."), args) {
                    failure = PolicyError(.typeError, error, at: location)
                }
            case let .membership(key, value, collection):
                for part in [value, collection] + (key.map { [$0] } ?? []) { visit(part, at: location) }
            case let .binary(_, a, b):
                visit(a, at: location)
                visit(b, at: location)
            case let .unaryMinus(a): visit(a, at: location)
            }
        }
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

    /// Whether `name`, called from `package` with these imports, is a user function.
    func isUserFunction(_ name: [String], package: [String], aliases: [String: [String]]) -> Bool {
        if name.first == "data" { return ruleSets[Array(name.dropFirst())]?.kind == .function }
        if let alias = name.first.flatMap({ aliases[$0] }) {
            return ruleSets[Array(alias.dropFirst()) + name.dropFirst()]?.kind == .function
        }
        return ruleSets[package + name]?.kind == .function
    }
}
