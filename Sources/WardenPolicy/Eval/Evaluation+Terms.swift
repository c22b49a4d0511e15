extension Evaluation {
    /// Is this variable free (unbound, and not a global, rule or import in scope)?
    func isFree(_ name: String, _ env: Environment, _ scope: Scope) -> Bool {
        if name == "_" { return true }
        if env.bindings[name] != nil { return false }
        if env.declared.contains(name) { return true }
        if name == "input" || name == "data" { return false }
        if scope.aliases[name] != nil { return false }
        if policy.ruleHeads.contains(scope.package + [name]) { return false }
        return true
    }

    /// True when evaluating `term` needs no free variable.
    func isGround(_ term: Term, _ env: Environment, _ scope: Scope) -> Bool {
        switch term {
        case .scalar: return true
        case let .variable(name): return !isFree(name, env, scope)
        case let .ref(head, path): return isGround(head, env, scope) && path.allSatisfy { isGround($0, env, scope) }
        case let .array(items), let .set(items): return items.allSatisfy { isGround($0, env, scope) }
        case let .object(pairs): return pairs.allSatisfy { isGround($0.0, env, scope) && isGround($0.1, env, scope) }
        case let .call(_, args): return args.allSatisfy { isGround($0, env, scope) }
        case let .binary(_, a, b): return isGround(a, env, scope) && isGround(b, env, scope)
        case let .unaryMinus(a): return isGround(a, env, scope)
        case let .membership(key, value, collection):
            return (key.map { isGround($0, env, scope) } ?? true) && isGround(value, env, scope) && isGround(collection, env, scope)
        case .arrayComprehension, .setComprehension, .objectComprehension: return true
        }
    }

    /// True when evaluating `term` generates its values, binding its free variables on the
    /// way: a ground term, or a reference whose free variables are whole path segments
    /// (`arr[i]`, `m[k][_]`), which iteration binds, as OPA evaluates them.
    func isEvaluable(_ term: Term, _ env: Environment, _ scope: Scope) -> Bool {
        switch term {
        case let .ref(head, path):
            return isEvaluable(head, env, scope)
                && path.allSatisfy { segment in
                    if case .variable = segment { return true }
                    return isEvaluable(segment, env, scope)
                }
        case let .array(items), let .set(items): return items.allSatisfy { isEvaluable($0, env, scope) }
        case let .object(pairs): return pairs.allSatisfy { isGround($0.0, env, scope) && isEvaluable($0.1, env, scope) }
        case let .call(_, args): return args.allSatisfy { isEvaluable($0, env, scope) }
        case let .binary(_, a, b): return isEvaluable(a, env, scope) && isEvaluable(b, env, scope)
        case let .unaryMinus(a): return isEvaluable(a, env, scope)
        default: return isGround(term, env, scope)
        }
    }

    static func literalKeys(_ pairs: [(Term, Term)]) -> Set<Value>? {
        var keys = Set<Value>()
        for (key, _) in pairs {
            guard case let .scalar(value) = key else { return nil }
            keys.insert(value)
        }
        return keys
    }

    static func isLiteralTerm(_ term: Term) -> Bool {
        switch term {
        case .scalar: true
        case let .array(items), let .set(items): items.allSatisfy(isLiteralTerm)
        default: false
        }
    }

    /// The value of a literal term, without an evaluation.
    static func literalValue(_ term: Term) -> Value? {
        switch term {
        case let .scalar(value): return value
        case let .array(items):
            let values = items.compactMap(literalValue)
            return values.count == items.count ? .array(values) : nil
        case let .set(items):
            let values = items.compactMap(literalValue)
            return values.count == items.count ? .makeSet(values) : nil
        case let .object(pairs):
            let keys = pairs.compactMap { literalValue($0.0) }
            let values = pairs.compactMap { literalValue($0.1) }
            guard keys.count == pairs.count, values.count == pairs.count else { return nil }
            return .makeObject(zip(keys, values).map { (key: $0, value: $1) })
        default: return nil
        }
    }

    // MARK: Terms

    func evalTerm(_ term: Term, _ env: Environment, _ scope: Scope, _ k: (Value, Environment) throws -> Void) throws {
        switch term {
        case let .scalar(value):
            try k(value, env)
        case let .variable(name):
            try evalVariable(name, env, scope, k)
        case let .ref(head, path):
            try evalRef(head, path[...], env, scope, k)
        case let .array(items):
            try evalTerms(items[...], env, scope, []) { values, env2 in try k(.array(values), env2) }
        case let .set(items):
            try evalTerms(items[...], env, scope, []) { values, env2 in try k(.makeSet(values), env2) }
        case let .object(pairs):
            try evalTerms(pairs.flatMap { [$0.0, $0.1] }[...], env, scope, []) { values, env2 in
                var members: [(key: Value, value: Value)] = []
                var index = 0
                while index < values.count {
                    members.append((values[index], values[index + 1]))
                    index += 2
                }
                try k(.makeObject(members), env2)
            }
        case let .arrayComprehension(head, body):
            var items: [Value] = []
            try evalClosure(body, env, scope) { inner in
                try evalTerm(head, inner, scope) { value, _ in items.append(value) }
            }
            try k(.array(items), env)
        case let .setComprehension(head, body):
            var items: [Value] = []
            try evalClosure(body, env, scope) { inner in
                try evalTerm(head, inner, scope) { value, _ in items.append(value) }
            }
            try k(.makeSet(items), env)
        case let .objectComprehension(keyTerm, valueTerm, body):
            var members: [Value: Value] = [:]
            try evalClosure(body, env, scope) { inner in
                try evalTerm(keyTerm, inner, scope) { key, inner2 in
                    try evalTerm(valueTerm, inner2, scope) { value, _ in
                        if let existing = members[key], existing != value {
                            throw PolicyError(.conflict, "object keys must be unique")
                        }
                        members[key] = value
                    }
                }
            }
            try k(.makeObject(members.map { (key: $0.key, value: $0.value) }), env)
        case let .call(name, args):
            try evalCall(name, args, env, scope, k)
        case let .membership(key, value, collection):
            try evalTerm(collection, env, scope) { container, env2 in
                try evalTerm(value, env2, scope) { element, env3 in
                    guard let key else {
                        // `x in coll`: a sorted set answers by binary search, others stop at the first match.
                        switch container {
                        case let .set(items): return try k(.bool(Value.setContains(items, element)), env3)
                        case let .array(items): return try k(.bool(items.contains(element)), env3)
                        case let .object(pairs): return try k(.bool(pairs.contains { $0.value == element }), env3)
                        default: return try k(.bool(false), env3)
                        }
                    }
                    var found = false
                    try iterate(container) { k2, v2 in
                        if found || v2 != element { return }
                        try evalTerm(key, env3, scope) { keyValue, _ in if keyValue == k2 { found = true } }
                    }
                    try k(.bool(found), env3)
                }
            }
        case let .binary(op, left, right):
            if Self.isLiteralTerm(left), Self.isLiteralTerm(right), let a = Self.literalValue(left), let b = Self.literalValue(right),
                ["+", "-", "*", "/", "%", "|", "&"].contains(op),
                Operators.isTypeMismatch(op, a, b)
            {
                throw PolicyError(.typeError, "\(op): operands \(a.typeName) and \(b.typeName) cannot be combined")
            }
            try evalTerm(left, env, scope) { a, env2 in
                try evalTerm(right, env2, scope) { b, env3 in
                    if let result = try Operators.apply(op, a, b, strict: options.strictBuiltinErrors) { try k(result, env3) }
                }
            }
        case let .unaryMinus(operand):
            try evalTerm(operand, env, scope) { value, env2 in
                if let result = try Operators.apply("-", .integer(0), value, strict: options.strictBuiltinErrors) { try k(result, env2) }
            }
        }
    }

    /// A comprehension's body. Its unsafe variables are marked, so that the body around it
    /// reorders only as OPA does for a closure (see `evalBody`).
    func evalClosure(_ body: Body, _ env: Environment, _ scope: Scope, _ k: (Environment) throws -> Void) throws {
        // A name the closure declares (`x := …`, `some x`) is its own, even when the body around
        // it has an `x`: OPA renames declared variables per scope.
        var inner = env
        for statement in body {
            for name in Evaluation.declaredVariables(statement.expression)
            where inner.bindings[name] != nil || inner.declared.contains(name) {
                inner.bindings[name] = nil
                inner.declared.remove(name)
            }
        }
        do {
            try evalBody(body[...], inner, scope, k)
        } catch let error as PolicyError where error.code == .unsafeVariable {
            throw UnsafeInClosure(error: error)
        } catch let later as UnsafeLater {
            throw UnsafeInClosure(error: later.error)
        }
    }

    func evalTerms(
        _ terms: ArraySlice<Term>, _ env: Environment, _ scope: Scope, _ done: [Value], _ k: ([Value], Environment) throws -> Void
    ) throws {
        // Constant items need no continuation each: a literal table of thousands of rows must not
        // nest a stack frame per row.
        var done = done
        var terms = terms
        while let first = terms.first, let value = Self.literalValue(first) {
            done.append(value)
            terms = terms.dropFirst()
        }
        guard let first = terms.first else { return try k(done, env) }
        try evalTerm(first, env, scope) { [done] value, env2 in
            try evalTerms(terms.dropFirst(), env2, scope, done + [value], k)
        }
    }

    func evalVariable(_ name: String, _ env: Environment, _ scope: Scope, _ k: (Value, Environment) throws -> Void) throws {
        if let value = env.bindings[name] { return try k(value, env) }
        if env.declared.contains(name) || name == "_" {
            throw PolicyError(.unsafeVariable, "var \(name) is unsafe (not bound where it is used)")
        }
        switch name {
        case "input":
            if let input { try k(input, env) }
        case "data":
            try resolveData([], [][...], env, scope, k)
        default:
            if let alias = scope.aliases[name] { return try resolveAlias(alias, [][...], env, scope, k) }
            if policy.ruleHeads.contains(scope.package + [name]) { return try resolveData(scope.package + [name], [][...], env, scope, k) }
            throw PolicyError(.unsafeVariable, "var \(name) is unsafe (not bound where it is used)")
        }
    }

    // MARK: References

    func evalRef(_ head: Term, _ path: ArraySlice<Term>, _ env: Environment, _ scope: Scope, _ k: (Value, Environment) throws -> Void)
        throws
    {
        if case let .variable(name) = head, env.bindings[name] == nil, !env.declared.contains(name) {
            switch name {
            case "data": return try resolveData([], path, env, scope, k)
            case "input":
                guard let input else { return }
                return try walk(input, path, env, scope, k)
            default:
                if let alias = scope.aliases[name] { return try resolveAlias(alias, path, env, scope, k) }
                if policy.ruleHeads.contains(scope.package + [name]) { return try resolveData(scope.package + [name], path, env, scope, k) }
            }
        }
        try evalTerm(head, env, scope) { base, env2 in try walk(base, path, env2, scope, k) }
    }

    /// An imported name: `data.…` resolves through rules, `input.…` through the input.
    func resolveAlias(
        _ alias: [String], _ rest: ArraySlice<Term>, _ env: Environment, _ scope: Scope, _ k: (Value, Environment) throws -> Void
    )
        throws
    {
        let prefix = alias.dropFirst().map { Term.scalar(.string($0)) }
        if alias.first == "input" {
            guard let input else { return }
            return try walk(input, (prefix + rest)[...], env, scope, k)
        }
        try resolveData(Array(alias.dropFirst()), rest, env, scope, k)
    }

    /// Follows `path` into `base`: ground segments index, free ones iterate and bind.
    func walk(_ base: Value, _ path: ArraySlice<Term>, _ env: Environment, _ scope: Scope, _ k: (Value, Environment) throws -> Void) throws
    {
        guard let segment = path.first else { return try k(base, env) }
        if isGround(segment, env, scope) {
            try evalTerm(segment, env, scope) { key, env2 in
                if let child = base[key] { try walk(child, path.dropFirst(), env2, scope, k) }
            }
        } else {
            try iterate(base) { key, child in
                try unify(segment, key, env, scope) { env2 in try walk(child, path.dropFirst(), env2, scope, k) }
            }
        }
    }

    /// `data…`: rules (virtual documents) take their values; packages become objects; the rest is
    /// the base data document.
    func resolveData(
        _ path: [String], _ rest: ArraySlice<Term>, _ env: Environment, _ scope: Scope, _ k: (Value, Environment) throws -> Void
    ) throws {
        if let override = ruleOverrides[path] { return try walk(override, rest, env, scope, k) }
        if let ruleSet = policy.ruleSets[path] {
            if ruleSet.kind == .function { throw PolicyError(.typeError, "function \(path.joined(separator: ".")) must be called") }
            if baseDocument(at: path) != nil {
                throw PolicyError(
                    .compile, "conflicting rule for data path \(path.joined(separator: "/")) found", at: ruleSet.definitions.first?.location
                )
            }
            guard let value = try ruleValue(ruleSet) else { return }
            return try walk(value, rest, env, scope, k)
        }
        if policy.packagePaths.contains(path) {
            if let segment = rest.first, isGround(segment, env, scope) {
                return try evalTerm(segment, env, scope) { key, env2 in
                    if case let .string(name) = key {
                        try resolveData(path + [name], rest.dropFirst(), env2, scope, k)
                    } else {
                        try walk(try materialize(path), rest, env2, scope, k)
                    }
                }
            }
            return try walk(try materialize(path), rest, env, scope, k)
        }
        var value = data
        for part in path {
            guard let child = value[.string(part)] else { return }
            value = child
        }
        try walk(value, rest, env, scope, k)
    }

    func baseDocument(at path: [String]) -> Value? {
        var value = data
        for part in path {
            guard let child = value[.string(part)] else { return nil }
            value = child
        }
        return value
    }

    /// A package as an object: its base data, its rules' values, its sub-packages.
    func materialize(_ path: [String]) throws -> Value {
        var members: [(key: Value, value: Value)] = []
        var base = Optional(data)
        for part in path { base = base?[.string(part)] }
        if case let .object(pairs)? = base { members = pairs }
        var names = Set<String>()
        for child in Array(policy.ruleSets.keys) + policy.packagePaths where child.count == path.count + 1 && child.starts(with: path) {
            if let name = child.last { names.insert(name) }
        }
        for name in names.sorted() {
            let childPath = path + [name]
            let value: Value?
            if let override = ruleOverrides[childPath] {
                value = override
            } else if let ruleSet = policy.ruleSets[childPath] {
                value = ruleSet.kind == .function ? nil : try ruleValue(ruleSet)
            } else {
                value = try materialize(childPath)
            }
            if let value {
                members.removeAll { $0.key == .string(name) }
                members.append((.string(name), value))
            }
        }
        return .makeObject(members)
    }

    // MARK: Unification

    /// Binds the free variables of `pattern` so that it equals `value`.
    func unify(_ pattern: Term, _ value: Value, _ env: Environment, _ scope: Scope, _ k: (Environment) throws -> Void) throws {
        switch pattern {
        case let .variable(name) where isFree(name, env, scope):
            if name == "_" { return try k(env) }
            var env2 = env
            env2.bindings[name] = value
            try k(env2)
        case let .array(items) where !isGround(pattern, env, scope):
            guard case let .array(values) = value, values.count == items.count else { return }
            try unifyAll(Array(zip(items, values))[...], env, scope, k)
        case let .object(pairs) where !isGround(pattern, env, scope):
            guard case let .object(members) = value, members.count == pairs.count else { return }
            var matched: [(Term, Value)] = []
            for (keyTerm, valueTerm) in pairs {
                var key: Value?
                try evalTerm(keyTerm, env, scope) { v, _ in key = v }
                guard let key, let member = value[key] else { return }
                matched.append((valueTerm, member))
            }
            try unifyAll(matched[...], env, scope, k)
        default:
            try evalTerm(pattern, env, scope) { actual, env2 in
                if actual == value { try k(env2) }
            }
        }
    }

    func unifyAll(_ pairs: ArraySlice<(Term, Value)>, _ env: Environment, _ scope: Scope, _ k: (Environment) throws -> Void) throws {
        guard let (term, value) = pairs.first else { return try k(env) }
        try unify(term, value, env, scope) { env2 in try unifyAll(pairs.dropFirst(), env2, scope, k) }
    }

    /// `a = b`: evaluates whichever side is ground and unifies the other with it.
    func unifyTerms(_ a: Term, _ b: Term, _ env: Environment, _ scope: Scope, _ k: (Environment) throws -> Void) throws {
        // OPA's compiler: object patterns whose key sets differ can never bind their variables.
        if case let .object(left) = a, case let .object(right) = b, Self.literalKeys(left) != Self.literalKeys(right),
            let free = (Self.patternVariables(a) + Self.patternVariables(b)).first(where: { isFree($0, env, scope) })
        {
            throw PolicyError(.unsafeVariable, "var \(free) is unsafe")
        }
        if case let .array(left) = a, case let .array(right) = b, left.count == right.count,
            !isGround(a, env, scope) || !isGround(b, env, scope)
        {
            return try unifyTermPairs(Array(zip(left, right))[...], env, scope, k)
        }
        if isGround(b, env, scope) {
            try evalTerm(b, env, scope) { value, env2 in try unify(a, value, env2, scope, k) }
        } else if isGround(a, env, scope) {
            try evalTerm(a, env, scope) { value, env2 in try unify(b, value, env2, scope, k) }
        } else if isEvaluable(b, env, scope) {
            try evalTerm(b, env, scope) { value, env2 in try unify(a, value, env2, scope, k) }
        } else if isEvaluable(a, env, scope) {
            try evalTerm(a, env, scope) { value, env2 in try unify(b, value, env2, scope, k) }
        } else {
            throw PolicyError(.unsafeVariable, "both sides of = have unbound variables")
        }
    }

    func unifyTermPairs(_ pairs: ArraySlice<(Term, Term)>, _ env: Environment, _ scope: Scope, _ k: (Environment) throws -> Void) throws {
        guard let (a, b) = pairs.first else { return try k(env) }
        try unifyTerms(a, b, env, scope) { env2 in try unifyTermPairs(pairs.dropFirst(), env2, scope, k) }
    }
}
