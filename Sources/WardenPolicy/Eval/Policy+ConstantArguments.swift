extension Policy {
    /// OPA's type checker refuses a builtin call whose constant arguments have the wrong type,
    /// or that has the wrong number of arguments, wherever the call is: also in a rule, branch
    /// or comprehension that is never evaluated, and in the query. Warden checks when the
    /// policy (or the query) compiles, as OPA does; evaluation then never needs to.
    static func checkConstantArguments(
        terms: [(Term, SourceLocation)], bodies: [Body], isUserFunction: ([String]) -> Bool
    ) throws(PolicyError) {
        var failure: PolicyError?
        SyntaxWalk.walk(terms: terms, bodies: bodies) { term, location in
            guard failure == nil, case let .call(name, args) = term, !isUserFunction(name),
                let error = constantArgumentError(name.joined(separator: "."), args)
            else { return }
            failure = PolicyError(.typeError, error, at: location)
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

    /// Whether `name`, called from `package` with these imports, is a user function.
    func isUserFunction(_ name: [String], package: [String], aliases: [String: [String]]) -> Bool {
        if name.first == "data" { return ruleSets[Array(name.dropFirst())]?.kind == .function }
        if let alias = name.first.flatMap({ aliases[$0] }) {
            return ruleSets[Array(alias.dropFirst()) + name.dropFirst()]?.kind == .function
        }
        return ruleSets[package + name]?.kind == .function
    }
}
