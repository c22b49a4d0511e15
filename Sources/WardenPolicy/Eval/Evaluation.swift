import Foundation

/// Local variables of one body: bound values and names declared local (`some`, `:=`, args).
struct Environment {
    var bindings: [String: Value] = [:]
    var declared: Set<String> = []
}

/// Where a body is being evaluated: its package (for rule names) and imports.
struct Scope {
    let package: [String]
    let aliases: [String: [String]]
    static let query = Scope(package: [], aliases: [:])
}

/// Stops an enumeration early (the answer is already known).
struct Halt: Error {}

/// One evaluation of a query against a policy, input and data: top-down, with backtracking by
/// continuations, rule values cached for the evaluation, and bounded in steps, depth and time.
final class Evaluation {
    let policy: Policy
    var input: Value?
    var data: Value
    let options: EvaluationOptions
    var cache: [[String]: Value?] = [:]
    var ruleOverrides: [[String]: Value] = [:]
    var active: Set<[String]> = []
    var steps = 0
    var depth = 0
    let deadline: ContinuousClock.Instant
    let now: Int64
    let memo = BuiltinMemo()
    var printed: [String] = []
    /// `with f as …` replacements of functions and builtins, by mock key.
    var functionMocks: [String: FunctionMock] = [:]

    enum FunctionMock {
        case value(Value)
        case function(Policy.RuleSet)
        case builtin(Builtin, String)
    }

    init(policy: Policy, input: Value?, data: Value, options: EvaluationOptions) {
        self.policy = policy
        self.input = input
        self.data = data
        self.options = options
        deadline = ContinuousClock.now.advanced(by: options.timeout)
        now = options.now ?? Int64(Date().timeIntervalSince1970 * 1_000_000_000)
    }

    // MARK: Entry points

    func solve(_ body: Body, text: String) throws(PolicyError) -> [Solution] {
        var solutions: [Solution] = []
        let names = Self.queryVariables(body)
        do {
            try evalBody(body[...], Environment(), .query, record: true) { env in
                let expressions = (0..<body.count).map { env.bindings["$e\($0)"] ?? .bool(true) }
                var bindings: [String: Value] = [:]
                for name in names { if let value = env.bindings[name] { bindings[name] = value } }
                solutions.append(Solution(expressions: expressions, bindings: bindings))
            }
        } catch {
            throw Self.policyError(error)
        }
        return solutions
    }

    func document(at path: [String]) throws(PolicyError) -> Value? {
        var result: Value?
        do {
            try resolveData(path, [][...], Environment(), .query) { value, _ in result = value }
        } catch {
            throw Self.policyError(error)
        }
        return result
    }

    static func policyError(_ error: any Error) -> PolicyError {
        if let error = error as? PolicyError { return error }
        return PolicyError(.builtin, "\(error)")
    }

    /// User variables of a query, in order of appearance (for its bindings).
    static func queryVariables(_ body: Body) -> [String] {
        var names: [String] = []
        func visit(_ term: Term) {
            switch term {
            case let .variable(name):
                if name != "_", name != "input", name != "data", !names.contains(name) { names.append(name) }
            case let .ref(head, path):
                visit(head)
                path.forEach(visit)
            case let .array(items), let .set(items): items.forEach(visit)
            case let .object(pairs):
                pairs.forEach {
                    visit($0.0); visit($0.1)
                }
            case let .call(_, args): args.forEach(visit)
            case let .membership(key, value, collection):
                key.map(visit)
                visit(value)
                visit(collection)
            case let .binary(_, a, b):
                visit(a)
                visit(b)
            case let .unaryMinus(a): visit(a)
            default: break
            }
        }
        for statement in body {
            switch statement.expression {
            case let .term(t): visit(t)
            case let .assign(a, b), let .unify(a, b):
                visit(a)
                visit(b)
            case let .someIn(key, value, _):
                key.map(visit)
                visit(value)
            case let .someDeclaration(declared): names += declared.filter { !names.contains($0) }
            default: break
            }
        }
        return names
    }

    // MARK: Bodies and statements

    func evalBody(
        _ body: ArraySlice<Statement>, _ env: Environment, _ scope: Scope, record: Bool = false, _ k: (Environment) throws -> Void
    ) throws {
        do {
            return try evalFirst(body, env, scope, record: record, k)
        } catch let error as PolicyError where error.code == .unsafeVariable && !record && body.count > 1 {
            // OPA orders a body so that every variable is bound before it is used: when the
            // first statement needs a variable a later one binds, that one runs first. (A
            // query's expressions keep their order: their values are reported by position.)
            return try reorder(body, env, scope, error, declarationsMayMove: true, k)
        } catch let closure as UnsafeInClosure where !record && body.count > 1 {
            // A comprehension's outer variable bound later by `=` is bound first, as in OPA; one
            // that `:=` or `some` declares later stays unsafe.
            return try reorder(body, env, scope, closure.error, declarationsMayMove: false, k)
        } catch let closure as UnsafeInClosure {
            throw closure.error
        } catch let continued as UnsafeLater {
            throw continued.error
        }
    }

    private func reorder(
        _ body: ArraySlice<Statement>, _ env: Environment, _ scope: Scope, _ error: PolicyError, declarationsMayMove: Bool,
        _ k: (Environment) throws -> Void
    ) throws {
        // Only a statement that mentions the unsafe variable can bind it: the others are not
        // tried, which keeps a body that nothing can fix from being tried in every order.
        let unsafe = Self.unsafeVariableName(error)
        for candidate in body.indices.dropFirst() where unsafe.map({ Self.variables(in: body[candidate]).contains($0) }) ?? true {
            let declared = Self.declaredVariables(body[candidate].expression)
            if !declared.isEmpty {
                guard declarationsMayMove else { continue }
                let above = body[body.startIndex..<candidate].reduce(into: Set<String>()) { $0.formUnion(Self.variables(in: $1)) }
                if let name = declared.first(where: above.contains) {
                    throw PolicyError(.compile, "var \(name) referenced above", at: body[candidate].location)
                }
            }
            var reordered = [body[candidate]]
            reordered += body.indices.filter { $0 != candidate }.map { body[$0] }
            do {
                return try evalFirst(reordered[...], env, scope, record: false, k)
            } catch let later as PolicyError where later.code == .unsafeVariable {
                continue
            } catch is UnsafeInClosure {
                continue
            } catch is UnsafeLater {
                continue
            }
        }
        throw error
    }

    /// The variable an unsafe-variable error names (`var x is unsafe …`).
    static func unsafeVariableName(_ error: PolicyError) -> String? {
        guard error.message.hasPrefix("var "), let end = error.message.range(of: " is unsafe") else { return nil }
        return String(error.message[error.message.index(error.message.startIndex, offsetBy: 4)..<end.lowerBound])
    }

    /// An unsafe-variable error from inside a comprehension of the body's first statement.
    struct UnsafeInClosure: Error {
        let error: PolicyError
    }

    /// An unsafe-variable error from a statement after the first, or from inside a
    /// comprehension (OPA does not reorder a body for a comprehension's variables): not a
    /// reason to reorder.
    struct UnsafeLater: Error {
        let error: PolicyError
    }

    /// Runs the body's first statement, then the rest. Errors about unsafe variables that come
    /// from the rest are wrapped, so that `evalBody` reorders only for the first statement's.
    private func evalFirst(
        _ body: ArraySlice<Statement>, _ env: Environment, _ scope: Scope, record: Bool, _ k: (Environment) throws -> Void
    ) throws {
        guard let statement = body.first else { return try k(env) }
        try tick(statement.location)
        let index = body.startIndex
        // A query's term expressions report their value, false included, as OPA captures them.
        try evalStatement(statement, env, scope, capture: record) { env2, value in
            var next = env2
            if record { next.bindings["$e\(index)"] = value }
            do {
                try evalBody(body.dropFirst(), next, scope, record: record, k)
            } catch let error as PolicyError where error.code == .unsafeVariable && !record {
                throw UnsafeLater(error: error)
            } catch let closure as UnsafeInClosure where !record {
                throw UnsafeLater(error: closure.error)
            }
        }
    }

    /// The variables a statement declares (`:=`, `some`), which may not be used above it.
    static func declaredVariables(_ expression: Expression) -> [String] {
        switch expression {
        case let .assign(pattern, _): patternVariables(pattern)
        case let .someDeclaration(names): names
        case let .someIn(key, value, _): (key.map(patternVariables) ?? []) + patternVariables(value)
        default: []
        }
    }

    /// Every variable name a statement mentions, nested bodies excluded.
    static func variables(in statement: Statement) -> Set<String> {
        switch statement.expression {
        case let .not(inner): return variables(in: Statement(expression: inner.node, with: [], location: inner.location))
        case let .every(_, _, collection, _):
            // The key and value of `every` are its own: they do not name the body's variables.
            return Set(queryVariables([Statement(expression: .term(collection), with: [], location: statement.location)]))
        case let .someIn(_, _, collection):
            return Set(queryVariables([statement]))
                .union(queryVariables([Statement(expression: .term(collection), with: [], location: statement.location)]))
        default: return Set(queryVariables([statement]))
        }
    }

    func tick(_ location: SourceLocation) throws {
        steps += 1
        guard steps <= options.maximumSteps else {
            throw PolicyError(.limit, "evaluation exceeded \(options.maximumSteps) steps", at: location)
        }
        if steps & 1023 == 0, ContinuousClock.now > deadline {
            throw PolicyError(.limit, "evaluation exceeded its time budget", at: location)
        }
    }

    func evalStatement(
        _ statement: Statement, _ env: Environment, _ scope: Scope, capture: Bool = false, _ k: (Environment, Value) throws -> Void
    ) throws {
        guard !statement.with.isEmpty else {
            return try evalExpression(statement.expression, env, scope, statement.location, capture: capture, k)
        }
        // `with`: evaluate the replacement values first, then run the expression in a world
        // where input/data are patched and every cached rule value is forgotten.
        var replacements: [(Term, Value)] = []
        var mocks: [String: FunctionMock] = [:]
        for modifier in statement.with {
            if let name = Self.functionName(modifier.target),
                !["input", "data"].contains(name[0])
                    || name.count > 1 && name[0] == "data"
                        && policy.ruleSets[Array(name.dropFirst())]?.kind == .function
            {
                let key = mockKey(name, scope)
                if let replacement = Self.functionName(modifier.value), let ruleSet = userFunction(replacement, scope) {
                    mocks[key] = .function(ruleSet)
                    continue
                }
                if let replacement = Self.functionName(modifier.value), let builtin = Builtins.table[replacement.joined(separator: ".")],
                    userFunction(replacement, scope) == nil, !isBoundVariable(replacement, env, scope)
                {
                    mocks[key] = .builtin(builtin, replacement.joined(separator: "."))
                    continue
                }
                var mocked: Value?
                try evalTerm(modifier.value, env, scope) { v, _ in
                    mocked = v
                    throw Halt()
                } onHalt: {
                }
                guard let mocked else { return }
                mocks[key] = .value(mocked)
                continue
            }
            var value: Value?
            try evalTerm(modifier.value, env, scope) { v, _ in
                value = v
                throw Halt()
            } onHalt: {
            }
            guard let value else { return }
            replacements.append((modifier.target, value))
        }
        let saved = (input, data, cache, ruleOverrides)
        let savedMocks = functionMocks
        defer {
            (input, data, cache, ruleOverrides) = saved
            functionMocks = savedMocks
        }
        cache = [:]
        functionMocks.merge(mocks) { _, new in new }
        for (target, value) in replacements { try applyWith(target, value, statement.location) }
        var results: [(Environment, Value)] = []
        try evalExpression(statement.expression, env, scope, statement.location, capture: capture) { results.append(($0, $1)) }
        (input, data, cache, ruleOverrides) = saved
        functionMocks = savedMocks
        for (env2, value) in results { try k(env2, value) }
    }

    private func applyWith(_ target: Term, _ value: Value, _ location: SourceLocation) throws {
        var root: String
        var path: [String] = []
        switch target {
        case let .variable(name): root = name
        case let .ref(.variable(name), segments):
            root = name
            for segment in segments {
                guard case let .scalar(.string(part)) = segment else {
                    throw PolicyError(.compile, "with targets must be input or data paths with string keys", at: location)
                }
                path.append(part)
            }
        default: throw PolicyError(.compile, "with target must be input or data", at: location)
        }
        switch root {
        case "input": input = Self.patch(input ?? .object([]), path[...], value)
        case "data":
            if policy.ruleSets[path] != nil || policy.ruleSets.keys.contains(where: { $0.starts(with: path) }) {
                ruleOverrides[path] = value
            } else {
                data = Self.patch(data, path[...], value)
            }
        default:
            throw PolicyError(.compile, "with on functions and builtins (\(root)) is not supported", at: location)
        }
    }

    /// The dotted name a term spells (`f`, `time.now_ns`, `data.lib.f`), if it is one.
    static func functionName(_ term: Term) -> [String]? {
        switch term {
        case let .variable(name): return [name]
        case let .ref(.variable(head), path):
            var names = [head]
            for segment in path {
                guard case let .scalar(.string(part)) = segment else { return nil }
                names.append(part)
            }
            return names
        default: return nil
        }
    }

    private func isBoundVariable(_ name: [String], _ env: Environment, _ scope: Scope) -> Bool {
        name.count == 1 && (env.bindings[name[0]] != nil || env.declared.contains(name[0]))
    }

    static func patch(_ base: Value, _ path: ArraySlice<String>, _ value: Value) -> Value {
        guard let first = path.first else { return value }
        var pairs: [(key: Value, value: Value)] = []
        if case let .object(existing) = base { pairs = existing }
        let key = Value.string(first)
        let child = pairs.first { $0.key == key }?.value ?? .object([])
        pairs.removeAll { $0.key == key }
        pairs.append((key, patch(child, path.dropFirst(), value)))
        return .makeObject(pairs)
    }

    func evalExpression(
        _ expression: Expression, _ env: Environment, _ scope: Scope, _ location: SourceLocation, capture: Bool = false,
        _ k: (Environment, Value) throws -> Void
    ) throws {
        switch expression {
        case let .term(.binary(op, a, b)) where op == "==" && Self.failsBeforeBuilding(a, b, env):
            return
        case let .unify(a, b) where Self.failsBeforeBuilding(a, b, env):
            return
        case let .term(term) where Self.hasNestedCall(term):
            // OPA's compiler hoists the calls nested in a call or comparison into statements of
            // their own that run first, so their errors come before the outer operands are read.
            try hoistNestedCalls(expression, env, scope, refs: false) { rewritten, env2 in
                guard case let .term(flat) = rewritten else { return }
                try evalTerm(flat, env2, scope) { value, env3 in
                    if capture || value != .bool(false) { try k(env3, value) }
                }
            }
        case let .term(term):
            try evalTerm(term, env, scope) { value, env2 in
                if capture || value != .bool(false) { try k(env2, value) }
            }
        case let .not(inner):
            // As OPA's compiler does, calls nested in a negated comparison or call are evaluated
            // before the negation: when one is undefined, the whole expression is.
            try hoistNestedCalls(inner.node, env, scope) { rewritten, env2 in
                var found = false
                try evalExpressionOnce(rewritten, env2, scope, inner.location) { found = true }
                if !found { try k(env2, .bool(true)) }
            }
        case let .assign(pattern, term):
            var env1 = env
            for name in Self.patternVariables(pattern) {
                guard env.bindings[name] == nil, !env.declared.contains(name) else {
                    throw PolicyError(.compile, "var \(name) assigned above", at: location)
                }
                env1.declared.insert(name)
            }
            try evalTerm(term, env1, scope) { value, env2 in
                try unify(pattern, value, env2, scope) { env3 in try k(env3, .bool(true)) }
            }
        case let .unify(a, b):
            try unifyTerms(a, b, env, scope) { env2 in try k(env2, .bool(true)) }
        case let .someDeclaration(names):
            var env1 = env
            for name in names {
                env1.bindings[name] = nil
                env1.declared.insert(name)
            }
            try k(env1, .bool(true))
        case let .someIn(key, value, collection):
            var env1 = env
            for name in (key.map(Self.patternVariables) ?? []) + Self.patternVariables(value) {
                env1.bindings[name] = nil
                env1.declared.insert(name)
            }
            try evalTerm(collection, env1, scope) { container, env2 in
                try iterate(container) { elementKey, element in
                    try unify(value, element, env2, scope) { env3 in
                        if let key {
                            try unify(key, elementKey, env3, scope) { env4 in try k(env4, .bool(true)) }
                        } else {
                            try k(env3, .bool(true))
                        }
                    }
                }
            }
        case let .every(keyName, valueName, collection, body):
            try evalTerm(collection, env, scope) { container, env2 in
                // Over anything but a collection, `every` is undefined, as in OPA.
                switch container {
                case .array, .set, .object: break
                default: return
                }
                var allHold = true
                try iterate(container) { elementKey, element in
                    guard allHold else { return }
                    var inner = env2
                    inner.bindings[valueName] = element
                    inner.declared.insert(valueName)
                    if let keyName {
                        inner.bindings[keyName] = elementKey
                        inner.declared.insert(keyName)
                    }
                    var holds = false
                    do {
                        try evalClosure(body, inner, scope) { _ in
                            holds = true
                            throw Halt()
                        }
                    } catch is Halt {}
                    if !holds { allHold = false }
                }
                if allHold { try k(env2, .bool(true)) }
            }
        }
    }

    /// OPA compiles `a == b` into `a = b`, and its unification of a bound variable with a
    /// comprehension of another kind (a number with an object comprehension) fails before the
    /// comprehension is built, so the comprehension's errors never happen.
    static func failsBeforeBuilding(_ a: Term, _ b: Term, _ env: Environment) -> Bool {
        guard case let .variable(name) = a, let value = env.bindings[name] else { return false }
        switch (value, b) {
        case (.array, .arrayComprehension), (.set, .setComprehension), (.object, .objectComprehension): return false
        case (_, .arrayComprehension), (_, .setComprehension), (_, .objectComprehension): return true
        default: return false
        }
    }

    /// Whether a call or comparison has a call among its operands (outside comprehensions).
    static func hasNestedCall(_ term: Term) -> Bool {
        func isCall(_ operand: Term) -> Bool {
            switch operand {
            case .call, .binary, .unaryMinus(.call), .unaryMinus(.binary), .membership: true
            case let .array(items), let .set(items): items.contains(where: isCall)
            case let .object(pairs): pairs.contains { isCall($0.0) || isCall($0.1) }
            default: false
            }
        }
        switch term {
        case let .binary(_, a, b): return isCall(a) || isCall(b)
        case let .call(_, args): return args.contains(where: isCall)
        default: return false
        }
    }

    func hoistNestedCalls(
        _ expression: Expression, _ env: Environment, _ scope: Scope, refs hoistRefs: Bool = true,
        _ k: (Expression, Environment) throws -> Void
    ) throws {
        guard case let .term(term) = expression else { return try k(expression, env) }
        switch term {
        case let .binary(op, left, right):
            // OPA leaves a reference compared with `==` in place; every other operator is a call
            // whose reference arguments are evaluated before the negation.
            let refs = hoistRefs && op != "=="
            try hoist(left, env, scope, refs: refs) { a, env2 in
                try hoist(right, env2, scope, refs: refs) { b, env3 in try k(.term(.binary(op: op, a, b)), env3) }
            }
        case let .call(name, args):
            try hoistAll(args[...], env, scope, [], refs: hoistRefs) { rewritten, env2 in
                try k(.term(.call(name: name, args: rewritten)), env2)
            }
        case let .membership(key, value, collection):
            try hoistAll((key.map { [$0] } ?? []) + [value, collection], env, scope, [], refs: hoistRefs) { rewritten, env2 in
                try k(
                    .term(
                        .membership(
                            key: key == nil ? nil : rewritten[0], value: rewritten[rewritten.count - 2],
                            collection: rewritten[rewritten.count - 1])), env2)
            }
        case .array, .set, .object:
            // A composite's references and calls are evaluated before the negation too.
            try hoist(term, env, scope) { rewritten, env2 in try k(.term(rewritten), env2) }
        default:
            try k(expression, env)
        }
    }

    /// Evaluates a nested call (and, with `refs`, a reference without free variables) ahead of
    /// the negation around it: when it is undefined, so is the whole expression.
    private func hoist(_ term: Term, _ env: Environment, _ scope: Scope, refs: Bool = true, _ k: (Term, Environment) throws -> Void)
        throws
    {
        switch term {
        case .call, .binary, .unaryMinus, .membership:
            // Only a call whose variables are bound: one that waits for its own statement's
            // bindings (`[a, count(a)] = …`) stays where it is.
            guard refs || isGround(term, env, scope) else { return try k(term, env) }
            try evalTerm(term, env, scope) { value, env2 in try k(.scalar(value), env2) }
        case .ref where refs && isGround(term, env, scope), .variable where refs && isGround(term, env, scope):
            try evalTerm(term, env, scope) { value, env2 in try k(.scalar(value), env2) }
        case let .array(items):
            try hoistAll(items[...], env, scope, [], refs: refs) { rewritten, env2 in try k(.array(rewritten), env2) }
        case let .set(items):
            try hoistAll(items[...], env, scope, [], refs: refs) { rewritten, env2 in try k(.set(rewritten), env2) }
        case let .object(pairs):
            try hoistAll(pairs.flatMap { [$0.0, $0.1] }[...], env, scope, [], refs: refs) { rewritten, env2 in
                try k(.object(stride(from: 0, to: rewritten.count, by: 2).map { (rewritten[$0], rewritten[$0 + 1]) }), env2)
            }
        default:
            try k(term, env)
        }
    }

    private func hoistAll(
        _ terms: ArraySlice<Term>, _ env: Environment, _ scope: Scope, _ done: [Term], refs: Bool = true,
        _ k: ([Term], Environment) throws -> Void
    ) throws {
        guard let first = terms.first else { return try k(done, env) }
        try hoist(first, env, scope, refs: refs) { term, env2 in try hoistAll(terms.dropFirst(), env2, scope, done + [term], refs: refs, k)
        }
    }

    /// Runs `expression` until its first solution.
    func evalExpressionOnce(_ expression: Expression, _ env: Environment, _ scope: Scope, _ location: SourceLocation, _ found: () -> Void)
        throws
    {
        do {
            try evalExpression(expression, env, scope, location) { _, _ in
                found()
                throw Halt()
            }
        } catch is Halt {}
    }

    /// Calls `body` for each (key, value) of a collection: index/element, key/value, element/element.
    func iterate(_ container: Value, _ body: (Value, Value) throws -> Void) throws {
        switch container {
        case let .array(items):
            for (index, item) in items.enumerated() { try body(.integer(Int64(index)), item) }
        case let .object(pairs):
            for pair in pairs { try body(pair.key, pair.value) }
        case let .set(items):
            for item in items { try body(item, item) }
        default:
            return
        }
    }

    static func patternVariables(_ term: Term) -> [String] {
        switch term {
        case let .variable(name): return name == "_" ? [] : [name]
        case let .array(items): return items.flatMap(patternVariables)
        case let .object(pairs): return pairs.flatMap { patternVariables($0.1) }
        default: return []
        }
    }
}

extension Evaluation {
    /// Evaluates a term whose continuation may halt the enumeration early.
    func evalTerm(_ term: Term, _ env: Environment, _ scope: Scope, _ k: (Value, Environment) throws -> Void, onHalt: () -> Void) throws {
        do {
            try evalTerm(term, env, scope, k)
        } catch is Halt {
            onHalt()
        }
    }
}
