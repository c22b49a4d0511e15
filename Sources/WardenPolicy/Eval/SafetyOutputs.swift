/// Which variables a statement binds once others are (OPA's `outputVarsForExpr`), reading a
/// Warden statement as the expressions OPA's compiler makes of it: nested calls become
/// expressions of their own whose result is bound when their arguments are, so a statement
/// binds what all of its parts bind together.
struct SafetyOutputs {
    /// The argument count of a builtin or user function, for calls given one more argument
    /// that receives the result (`walk(x, [path, value])`).
    let arity: ([String]) -> Int?

    func of(_ statement: Statement, safe: Set<String>) -> Set<String> {
        if case .not = statement.expression { return [] }
        // `with` values must be bound before the expression binds anything.
        for modifier in statement.with where !SafetyVariables.of(modifier.value).isSubset(of: safe) { return [] }
        switch statement.expression {
        case let .term(t):
            if case let .call(name, args) = t, let arity = arity(name), args.count == arity + 1 {
                return callOutputs(args, arity: arity, safe: safe)
            }
            return fixpoint([t], equation: nil, safe: safe)
        case let .assign(a, b), let .unify(a, b): return fixpoint([a, b], equation: (a, b), safe: safe)
        case .someDeclaration, .not: return []
        case let .someIn(key, value, collection):
            // OPA's compiler rewrites `some k, v in coll` to `v = coll[k]`.
            let key = key ?? .variable("$key")
            let element: Term =
                if case let .ref(head, path) = collection { .ref(head: head, path: path + [key]) } else {
                    .ref(head: collection, path: [key])
                }
            return fixpoint([value, element], equation: (value, element), safe: safe).subtracting(["$key"])
        case let .every(_, _, collection, _): return refOutputs([collection], safe: safe)
        }
    }

    /// A call with an output argument: the output's variables, once the inputs are bound.
    private func callOutputs(_ args: [Term], arity: Int, safe: Set<String>) -> Set<String> {
        let output = refOutputs(args, safe: safe)
        var inputs = Set<String>()
        for arg in args.prefix(arity) { SafetyVariables.collect(arg, .callOutputs, into: &inputs) }
        guard inputs.subtracting(output).isSubset(of: safe) else { return output }
        var result = output
        for arg in args.dropFirst(arity) { SafetyVariables.collect(arg, .callOutputs, into: &result) }
        return result.subtracting(safe)
    }

    /// The statement's parts taken in every order: references bind their index variables, a
    /// call's result is bound once its arguments are, and `a = b` unifies.
    private func fixpoint(_ terms: [Term], equation: (Term, Term)?, safe start: Set<String>) -> Set<String> {
        var calls: [(name: String, inputs: Set<String>)] = []
        let operands = equation.map { [hoistCalls($0.0, &calls), hoistCalls($0.1, &calls)] }
        var safe = start
        while true {
            var next = safe.union(refOutputs(terms, safe: safe))
            for call in calls where call.inputs.isSubset(of: next) { next.insert(call.name) }
            if let operands {
                var unifier = SafetyUnifier(safe: next)
                unifier.unify(operands[0], operands[1])
                next.formUnion(unifier.unified)
            }
            if next == safe { break }
            safe = next
        }
        return safe.subtracting(start).filter { !$0.hasPrefix("$") }
    }

    /// `term` with each call (operators included) outside closures replaced by a variable
    /// standing for its result, as OPA's compiler hoists them.
    private func hoistCalls(_ term: Term, _ calls: inout [(name: String, inputs: Set<String>)]) -> Term {
        func result(_ call: Term) -> Term {
            let name = "$call\(calls.count)"
            calls.append((name, SafetyVariables.of(call)))
            return .variable(name)
        }
        switch term {
        case .scalar, .variable, .arrayComprehension, .setComprehension, .objectComprehension: return term
        case .call, .binary, .membership: return result(term)
        case .unaryMinus(.scalar): return term
        case .unaryMinus: return result(term)
        case let .ref(head, path): return .ref(head: hoistCalls(head, &calls), path: path.map { hoistCalls($0, &calls) })
        case let .array(items): return .array(items.map { hoistCalls($0, &calls) })
        case let .set(items): return .set(items.map { hoistCalls($0, &calls) })
        case let .object(pairs): return .object(pairs.map { (hoistCalls($0.0, &calls), hoistCalls($0.1, &calls)) })
        }
    }

    /// The index variables of every reference whose start is bound (OPA's `outputVarsForTerms`).
    func refOutputs(_ terms: [Term], safe: Set<String>) -> Set<String> {
        var outputs = Set<String>()
        func visit(_ term: Term) {
            switch term {
            case .scalar, .variable, .arrayComprehension, .setComprehension, .objectComprehension: return
            case let .ref(head, path):
                guard Self.isBound(head, safe) else { return }
                for segment in path { SafetyVariables.collect(segment, .refOutputs, into: &outputs) }
                visit(head)
                path.forEach(visit)
            case let .array(items), let .set(items): items.forEach(visit)
            case let .object(pairs):
                for (key, value) in pairs {
                    visit(key)
                    visit(value)
                }
            case let .call(_, args): args.forEach(visit)
            case let .membership(key, value, collection): ((key.map { [$0] } ?? []) + [value, collection]).forEach(visit)
            case let .binary(_, a, b):
                visit(a)
                visit(b)
            case let .unaryMinus(a): visit(a)
            }
        }
        terms.forEach(visit)
        return outputs
    }

    /// Whether what a reference starts from is bound (OPA's `isRefSafe`).
    static func isBound(_ head: Term, _ safe: Set<String>) -> Bool {
        if case let .variable(name) = head { return safe.contains(name) }
        return SafetyVariables.of(head).isSubset(of: safe)
    }
}

/// OPA's `unifier`: the variables `a = b` binds, given the bound ones.
struct SafetyUnifier {
    let safe: Set<String>
    private(set) var unified = Set<String>()
    /// Variables that become bound once all of theirs are.
    private var unknown: [String: Set<String>] = [:]

    init(safe: Set<String>) { self.safe = safe }

    private func isSafe(_ name: String) -> Bool { safe.contains(name) || unified.contains(name) }

    mutating func unify(_ a: Term, _ b: Term) {
        switch (a, b) {
        case let (.variable(x), .variable(y)):
            if isSafe(y) {
                markSafe(x)
            } else if isSafe(x) {
                markSafe(y)
            } else {
                unknown[x, default: []].insert(y)
                unknown[y, default: []].insert(x)
            }
        case let (.variable(x), .array), let (.variable(x), .object): unifyAll(x, b)
        case let (.variable(x), .ref(head, _)): if SafetyOutputs.isBound(head, safe.union(unified)) { markSafe(x) }
        case let (.variable(x), _): markSafe(x)
        case let (.ref(head, _), .variable(y)): if SafetyOutputs.isBound(head, safe.union(unified)) { markSafe(y) }
        case (.ref(let head, _), .array), (.ref(let head, _), .object):
            if SafetyOutputs.isBound(head, safe.union(unified)) { markAllSafe(b) }
        case (.arrayComprehension, .variable(let y)), (.setComprehension, .variable(let y)), (.objectComprehension, .variable(let y)):
            markSafe(y)
        case (.arrayComprehension, .array), (.setComprehension, .array), (.objectComprehension, .array): markAllSafe(b)
        case let (.array, .variable(y)), let (.object, .variable(y)): unifyAll(y, a)
        case (.array, .arrayComprehension), (.array, .setComprehension), (.array, .objectComprehension): markAllSafe(a)
        case (.array, .ref(let head, _)), (.object, .ref(let head, _)):
            if SafetyOutputs.isBound(head, safe.union(unified)) { markAllSafe(a) }
        case let (.array(left), .array(right)):
            if left.count == right.count { for (x, y) in zip(left, right) { unify(x, y) } }
        case let (.object(left), .object(right)):
            guard left.count == right.count else { return }
            for (key, value) in left {
                guard case let .scalar(k) = key,
                    let other = right.first(where: { if case let .scalar(k2) = $0.0 { k2 == k } else { false } })
                else { continue }
                unify(value, other.1)
            }
        case (_, .variable(let y)): markSafe(y)
        default: break
        }
    }

    private mutating func unifyAll(_ name: String, _ term: Term) {
        if isSafe(name) { return markAllSafe(term) }
        let pending = SafetyVariables.of(term, .markAll).filter { !isSafe($0) }
        if pending.isEmpty { return markSafe(name) }
        for other in pending { unknown[name, default: []].insert(other) }
    }

    private mutating func markAllSafe(_ term: Term) {
        for name in SafetyVariables.of(term, .markAll) { markSafe(name) }
    }

    private mutating func markSafe(_ name: String) {
        unified.insert(name)
        // What it waited for is bound with it; what waited for it is bound when nothing else is missing.
        if let dependencies = unknown.removeValue(forKey: name) { for other in dependencies { markSafe(other) } }
        for other in Array(unknown.keys) {
            guard var dependencies = unknown[other], dependencies.remove(name) != nil else { continue }
            unknown[other] = dependencies.isEmpty ? nil : dependencies
            if dependencies.isEmpty { markSafe(other) }
        }
    }
}
