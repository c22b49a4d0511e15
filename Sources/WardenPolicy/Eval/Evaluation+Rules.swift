/// Ends a branch at its first solution (OPA's early exit).
private struct FirstSolution: Error {}

extension Evaluation {
    /// A rule's value for this evaluation (nil when undefined), computed once and cached.
    func ruleValue(_ ruleSet: Policy.RuleSet) throws -> Value? {
        if let cached = cache[ruleSet.path] { return cached }
        guard !active.contains(ruleSet.path) else {
            throw PolicyError(
                .recursion, "rule \(ruleSet.path.joined(separator: ".")) is recursive", at: ruleSet.definitions.first?.location)
        }
        depth += 1
        defer { depth -= 1 }
        guard depth <= options.maximumDepth else { throw PolicyError(.limit, "rules nest deeper than \(options.maximumDepth)") }
        active.insert(ruleSet.path)
        defer { active.remove(ruleSet.path) }
        let scope = Scope(package: ruleSet.package, aliases: ruleSet.aliases)
        let value: Value?
        switch ruleSet.kind {
        case .complete:
            value = try completeValue(ruleSet, scope)
        case .partialSet:
            var items: [Value] = []
            for rule in ruleSet.lookup(indexDocuments(), strict: options.strictBuiltinErrors).rules {
                try evalBody(rule.body[...], Environment(), scope) { env in
                    guard let key = rule.key else { throw PolicyError(.compile, "a partial set rule without a key") }
                    try evalTerm(key, env, scope) { item, _ in items.append(item) }
                }
            }
            value = .makeSet(items)
        case .partialObject:
            var members: [Value: Value] = [:]
            for rule in ruleSet.lookup(indexDocuments(), strict: options.strictBuiltinErrors).rules {
                try evalBody(rule.body[...], Environment(), scope) { env in
                    guard let ruleKey = rule.key else { throw PolicyError(.compile, "a partial object rule without a key") }
                    try evalTerm(ruleKey, env, scope) { key, env2 in
                        try evalTerm(rule.value, env2, scope) { item, _ in
                            if let existing = members[key], existing != item {
                                throw PolicyError(
                                    .conflict, "object keys must be unique (\(ruleSet.path.joined(separator: ".")) key \(key))",
                                    at: rule.location)
                            }
                            members[key] = item
                        }
                    }
                }
            }
            value = .makeObject(members.map { (key: $0.key, value: $0.value) })
        case .function:
            value = nil
        case let .refHead(multiValue):
            value = try refHeadValue(ruleSet, scope, multiValue: multiValue)
        }
        cache[ruleSet.path] = .some(value)
        return value
    }

    /// A general ref-head rule's document: every body solution files its value (or, for
    /// multi-value rules, adds its element) under the keys its head evaluates to.
    private func refHeadValue(_ ruleSet: Policy.RuleSet, _ scope: Scope, multiValue: Bool) throws -> Value {
        var leaves: [[Value]: [Value]] = [:]
        for rule in ruleSet.lookup(indexDocuments(), strict: options.strictBuiltinErrors).rules {
            try evalBody(rule.body[...], Environment(), scope) { env in
                try evalTerms(rule.headSegments[...], env, scope, []) { keys, env2 in
                    try evalTerm(rule.value, env2, scope) { item, _ in
                        if !multiValue, let existing = leaves[keys]?.first, existing != item {
                            throw PolicyError(
                                .conflict, "object keys must be unique (\(ruleSet.path.joined(separator: ".")))", at: rule.location)
                        }
                        leaves[keys, default: []].append(item)
                    }
                }
            }
        }
        var root = Value.object([])
        for (keys, items) in leaves.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            root = Self.insert(multiValue ? .makeSet(items) : items[0], at: keys[...], into: root)
        }
        return root
    }

    static func insert(_ value: Value, at keys: ArraySlice<Value>, into base: Value) -> Value {
        guard let key = keys.first else { return value }
        var pairs: [(key: Value, value: Value)] = []
        if case let .object(existing) = base { pairs = existing }
        let child = pairs.first { $0.key == key }?.value ?? .object([])
        pairs.removeAll { $0.key == key }
        pairs.append((key, insert(value, at: keys.dropFirst(), into: child)))
        return .makeObject(pairs)
    }

    private func completeValue(_ ruleSet: Policy.RuleSet, _ scope: Scope) throws -> Value? {
        var found: Value?
        let lookup = ruleSet.lookup(indexDocuments(), strict: options.strictBuiltinErrors)
        for (rule, admitted) in zip(lookup.rules, lookup.admitted) {
            guard let value = try definitionValue(rule, Environment(), scope, admitted: admitted, firstOnly: lookup.earlyExit) else {
                continue
            }
            if lookup.earlyExit { return value }
            if let found, found != value {
                throw PolicyError(
                    .conflict, "complete rules must not produce multiple outputs (\(ruleSet.path.joined(separator: ".")))",
                    at: rule.location)
            }
            found = value
        }
        if let found { return found }
        guard let fallback = ruleSet.defaultRule else { return nil }
        var value: Value?
        try evalTerm(fallback.value, Environment(), scope) { v, _ in value = v }
        return value
    }

    /// One definition (with its else chain): the value of its first branch that holds and
    /// that OPA's index lets run. Every solution of that branch must give the same value.
    /// With `firstOnly` (OPA's early exit), the first solution of a branch is its value.
    /// `admitted` says which branches the index lets run (the lookup that chose the rule).
    func definitionValue(_ rule: Rule, _ env: Environment, _ scope: Scope, admitted: [Bool], firstOnly: Bool = false) throws -> Value? {
        for (branch, (valueTerm, body)) in ([(rule.value, rule.body)] + rule.elses.map({ ($0.value, $0.body) })).enumerated() {
            if branch < admitted.count, !admitted[branch] { continue }
            var found: Value?
            do {
                try evalBody(body[...], env, scope) { env2 in
                    try evalTerm(valueTerm, env2, scope) { value, _ in
                        if let found, found != value {
                            throw PolicyError(
                                .conflict, "complete rules must not produce multiple outputs (\(rule.name))", at: rule.location)
                        }
                        found = value
                        if firstOnly { throw FirstSolution() }
                    }
                }
            } catch is FirstSolution {}
            if let found { return found }
        }
        return nil
    }

    /// What the index reads: this evaluation's input and base data, and a call's arguments.
    func indexDocuments(_ arguments: [Value] = []) -> IndexDocuments {
        IndexDocuments(input: input, data: data, arguments: arguments)
    }

    // MARK: Calls

    func evalCall(_ name: [String], _ args: [Term], _ env: Environment, _ scope: Scope, _ k: (Value, Environment) throws -> Void) throws {
        if let mock = functionMocks[mockKey(name, scope)] {
            return try evalTerms(args[...], env, scope, []) { values, env2 in
                switch mock {
                case let .value(value): try k(value, env2)
                case let .function(ruleSet):
                    if let result = try callFunction(ruleSet, values) { try k(result, env2) }
                case let .builtin(builtin, builtinName):
                    if let result = try callBuiltin(builtin, builtinName, values) { try k(result, env2) }
                }
            }
        }
        if let ruleSet = userFunction(name, scope) {
            if args.allSatisfy(Self.isLiteral), !ruleSet.definitions.isEmpty,
                !ruleSet.definitions.contains(where: { zip($0.args, args).allSatisfy { Self.shapesMatch($0, $1) } })
            {
                // OPA's type checker: no definition's parameters have the arguments' shape.
                throw PolicyError(.typeError, "data.\(ruleSet.path.joined(separator: ".")): invalid argument(s)")
            }
            // One argument more than the definitions take binds the result: f(x, out).
            if let arity = ruleSet.definitions.first?.args.count, args.count == arity + 1, let output = args.last {
                return try evalTerms(args.dropLast()[...], env, scope, []) { values, env2 in
                    if let result = try callFunction(ruleSet, values) {
                        try unify(output, result, env2, scope) { env3 in try k(.bool(true), env3) }
                    }
                }
            }
            return try evalTerms(args[...], env, scope, []) { values, env2 in
                if let result = try callFunction(ruleSet, values) { try k(result, env2) }
            }
        }
        let builtinName = name.joined(separator: ".")
        if builtinName == "print" {
            return try evalPrint(args, env, scope) { try k(.bool(true), env) }
        }
        if builtinName == "walk" { return try evalWalk(args, env, scope, k) }
        guard let builtin = Builtins.table[builtinName] else {
            if let reason = Builtins.notOffered[builtinName] {
                throw PolicyError(.typeError, "\(builtinName) is not offered by Warden: \(reason)")
            }
            throw PolicyError(.typeError, "undefined function \(builtinName)")
        }
        if let arity = builtin.arity, arity != args.count {
            // A call with one argument more than the builtin takes binds its output: f(x, out).
            guard args.count == arity + 1, let output = args.last, !Self.isLiteral(output) else {
                throw PolicyError(.typeError, "\(builtinName): arity mismatch (takes \(arity), given \(args.count))")
            }
            return try evalTerms(args.dropLast()[...], env, scope, []) { values, env2 in
                if let result = try callBuiltin(builtin, builtinName, values) {
                    try unify(output, result, env2, scope) { env3 in try k(.bool(true), env3) }
                }
            }
        }
        // Constant arguments of the wrong type were refused when the policy compiled
        // (Policy.ConstantArgumentCheck); here a wrong type is an evaluation error.
        try evalTerms(args[...], env, scope, []) { values, env2 in
            if let result = try callBuiltin(builtin, builtinName, values) { try k(result, env2) }
        }
    }

    /// The type error a call with constant arguments would raise (OPA reports it at compile time).
    static func literalTypeError(_ builtin: Builtin, _ values: [Value]) -> String? {
        do {
            _ = try builtin.body(values, BuiltinContext(now: 0, isTypeCheck: true))
            return nil
        } catch let error as BuiltinError where error.isTypeError && error.isStaticTypeError {
            return error.message
        } catch {
            return nil
        }
    }

    /// Whether a parameter pattern can match a literal argument by shape (array lengths, object keys).
    static func shapesMatch(_ pattern: Term, _ argument: Term) -> Bool {
        switch (pattern, argument) {
        case let (.array(p), .array(a)): return p.count == a.count && zip(p, a).allSatisfy { shapesMatch($0, $1) }
        case (.array, .scalar), (.array, .object), (.array, .set): return false
        case let (.object(p), .object(a)): return p.count == a.count
        default: return true
        }
    }

    /// A term with no variables, references or calls: its type is known before evaluation.
    static func isLiteral(_ term: Term) -> Bool {
        switch term {
        case .scalar: true
        case let .array(items), let .set(items): items.allSatisfy(isLiteral)
        case let .object(pairs): pairs.allSatisfy { isLiteral($0.0) && isLiteral($0.1) }
        default: false
        }
    }

    /// `walk(x, [path, value])`: a relation, not a function. It binds its output once for
    /// every node of `x`, the root first, in OPA's order.
    func evalWalk(_ args: [Term], _ env: Environment, _ scope: Scope, _ k: (Value, Environment) throws -> Void) throws {
        guard args.count == 2 else { throw PolicyError(.typeError, "walk: arity mismatch (takes 1 and an output, given \(args.count))") }
        try evalTerm(args[0], env, scope) { root, env2 in
            var nodes: [Value] = []
            func visit(_ value: Value, _ path: [Value]) {
                nodes.append(.array([.array(path), value]))
                switch value {
                case let .array(items): for (index, item) in items.enumerated() { visit(item, path + [.integer(Int64(index))]) }
                case let .object(pairs): for (key, item) in pairs { visit(item, path + [key]) }
                case let .set(items): for item in items { visit(item, path + [item]) }
                default: break
                }
            }
            visit(root, [])
            for node in nodes {
                try tick(SourceLocation(file: "", line: 0, column: 0))
                try unify(args[1], node, env2, scope) { env3 in try k(.bool(true), env3) }
            }
        }
    }

    func callBuiltin(_ builtin: Builtin, _ name: String, _ values: [Value]) throws -> Value? {
        do {
            return try builtin.body(values, BuiltinContext(now: now, memo: memo, deadline: deadline)).map(ResultBounds.checked)
        } catch let error as BuiltinError {
            if error.isLimit { throw PolicyError(.limit, "\(name): \(error.message)") }
            if options.strictBuiltinErrors || error.alwaysFails {
                throw PolicyError(error.isTypeError ? .typeMismatch : .builtin, "\(name): \(error.message)")
            }
            return nil
        }
    }

    /// The key a `with` mock is stored under: a user function's full path, or the builtin's name.
    func mockKey(_ name: [String], _ scope: Scope) -> String {
        userFunction(name, scope).map { "data." + $0.path.joined(separator: ".") } ?? name.joined(separator: ".")
    }

    func userFunction(_ name: [String], _ scope: Scope) -> Policy.RuleSet? {
        if name.first == "data" { return policy.ruleSets[Array(name.dropFirst())].flatMap { $0.kind == .function ? $0 : nil } }
        if let alias = scope.aliases[name[0]], alias.first == "data",
            let ruleSet = policy.ruleSets[Array(alias.dropFirst()) + Array(name.dropFirst())],
            ruleSet.kind == .function
        {
            return ruleSet
        }
        if let ruleSet = policy.ruleSets[scope.package + name], ruleSet.kind == .function { return ruleSet }
        return nil
    }

    func callFunction(_ ruleSet: Policy.RuleSet, _ args: [Value]) throws -> Value? {
        // Rego forbids recursion; OPA rejects it at compile time, Warden as soon as it happens.
        guard !active.contains(ruleSet.path) else {
            throw PolicyError(
                .recursion, "function \(ruleSet.path.joined(separator: ".")) is recursive", at: ruleSet.definitions.first?.location)
        }
        active.insert(ruleSet.path)
        defer { active.remove(ruleSet.path) }
        depth += 1
        defer { depth -= 1 }
        guard depth <= options.maximumDepth else { throw PolicyError(.limit, "function calls nest deeper than \(options.maximumDepth)") }
        let scope = Scope(package: ruleSet.package, aliases: ruleSet.aliases)
        var found: Value?
        let lookup = ruleSet.lookup(indexDocuments(args), strict: options.strictBuiltinErrors)
        for (rule, admitted) in zip(lookup.rules, lookup.admitted) {
            var matched: [Environment] = []
            var params = Environment()
            for term in rule.args { for name in Self.patternVariables(term) { params.declared.insert(name) } }
            try unifyAll(Array(zip(rule.args, args))[...], params, scope) { matched.append($0) }
            for env in matched {
                guard let value = try definitionValue(rule, env, scope, admitted: admitted, firstOnly: lookup.earlyExit) else { continue }
                if lookup.earlyExit { return value }
                if let found, found != value {
                    throw PolicyError(.conflict, "functions must not produce multiple outputs for same inputs", at: rule.location)
                }
                found = value
            }
        }
        if found == nil, let fallback = ruleSet.defaultRule {
            try evalTerm(fallback.value, Environment(), scope) { v, _ in found = v }
        }
        return found
    }

    private func evalPrint(_ args: [Term], _ env: Environment, _ scope: Scope, _ k: () throws -> Void) throws {
        var parts: [String] = []
        for arg in args {
            var text = "<undefined>"
            try evalTerm(arg, env, scope) { value, _ in
                if case let .string(s) = value { text = s } else { text = value.description }
                throw Halt()
            } onHalt: {
            }
            parts.append(text)
        }
        printed.append(parts.joined(separator: " "))
        try k()
    }
}
