/// The variables OPA's safety check reads from a term or a statement (its `VarVisitor` with the
/// parameters each step of the check uses). `_` is left out: every `_` is a variable of its own
/// that the expression holding it binds.
enum SafetyVariables {
    struct Options {
        /// Leave out the variable a reference starts from (`x` in `x[i]`).
        var skipRefHead = false
        var skipObjectKeys = false
        var skipSets = false
        /// Leave out comprehensions (their variables belong to their own body).
        var skipClosures = true

        static let safety = Options()
        static let everything = Options(skipClosures: false)
        static let refOutputs = Options(skipRefHead: true)
        static let markAll = Options(skipRefHead: true, skipObjectKeys: true)
        static let callOutputs = Options(skipRefHead: true, skipObjectKeys: true, skipSets: true)
    }

    static func of(_ term: Term, _ options: Options = .safety) -> Set<String> {
        var names = Set<String>()
        collect(term, options, into: &names)
        return names
    }

    static func collect(_ term: Term, _ options: Options, into names: inout Set<String>) {
        switch term {
        case .scalar: break
        case let .variable(name): if name != "_" { names.insert(name) }
        case let .ref(head, path):
            if !options.skipRefHead { collect(head, options, into: &names) }
            for segment in path { collect(segment, options, into: &names) }
        case let .array(items): for item in items { collect(item, options, into: &names) }
        case let .set(items): if !options.skipSets { for item in items { collect(item, options, into: &names) } }
        case let .object(pairs):
            for (key, value) in pairs {
                if !options.skipObjectKeys { collect(key, options, into: &names) }
                collect(value, options, into: &names)
            }
        case let .arrayComprehension(head, body), let .setComprehension(head, body):
            guard !options.skipClosures else { return }
            collect(head, options, into: &names)
            names.formUnion(everything(in: body))
        case let .objectComprehension(key, value, body):
            guard !options.skipClosures else { return }
            collect(key, options, into: &names)
            collect(value, options, into: &names)
            names.formUnion(everything(in: body))
        case let .call(_, args): for arg in args { collect(arg, options, into: &names) }
        case let .membership(key, value, collection):
            for part in (key.map { [$0] } ?? []) + [value, collection] { collect(part, options, into: &names) }
        case let .binary(_, a, b):
            collect(a, options, into: &names)
            collect(b, options, into: &names)
        case let .unaryMinus(a): collect(a, options, into: &names)
        }
    }

    /// A statement's variables outside its closures: what it must have bound, or binds. A `some`
    /// declaration has none (OPA's compiler removes it), `every` only its domain's.
    static func of(_ statement: Statement) -> Set<String> {
        var names = Set<String>()
        collect(statement.expression, into: &names)
        for modifier in statement.with { collect(modifier.value, .safety, into: &names) }
        return names
    }

    private static func collect(_ expression: Expression, into names: inout Set<String>) {
        switch expression {
        case let .term(t): collect(t, .safety, into: &names)
        case let .not(inner): collect(inner.node, into: &names)
        case let .assign(a, b), let .unify(a, b):
            collect(a, .safety, into: &names)
            collect(b, .safety, into: &names)
        case .someDeclaration: break
        case let .someIn(key, value, collection):
            for part in (key.map { [$0] } ?? []) + [value, collection] { collect(part, .safety, into: &names) }
        case let .every(_, _, collection, _): collect(collection, .safety, into: &names)
        }
    }

    /// Every variable a body mentions, closures included (OPA's plain `VarVisitor`).
    static func everything(in body: Body) -> Set<String> {
        var names = Set<String>()
        for statement in body {
            collectEverything(statement.expression, into: &names)
            for modifier in statement.with { collect(modifier.value, .everything, into: &names) }
        }
        return names
    }

    private static func collectEverything(_ expression: Expression, into names: inout Set<String>) {
        switch expression {
        case let .every(key, value, collection, body):
            names.formUnion([key, value].compactMap { $0 })
            collect(collection, .everything, into: &names)
            names.formUnion(everything(in: body))
        case let .not(inner): collectEverything(inner.node, into: &names)
        case let .someDeclaration(declared): names.formUnion(declared)
        default:
            var statementNames = Set<String>()
            collect(expression, into: &statementNames)
            names.formUnion(statementNames)
            for closure in SafetyClosures.of(expression) { names.formUnion(closure.variables) }
        }
    }

    /// The names a body declares anywhere (`:=`, `some`, `every`'s key and value), closures
    /// included: OPA renames each, so they never name a variable outside.
    static func declared(in body: Body) -> Set<String> {
        var names = Set<String>()
        SyntaxWalk.walk(terms: [], bodies: [body]) { statement in
            names.formUnion(Evaluation.declaredVariables(statement.expression))
            if case let .every(key, value, _, _) = statement.expression { names.formUnion([key, value].compactMap { $0 }) }
        } term: { _, _ in
        }
        return names
    }
}

/// A closure (comprehension or `every` body) inside a statement, seen from the body around it.
struct SafetyClosure {
    /// The comprehension's head terms, which its body must bind; none for `every`.
    let heads: [Term]
    let body: Body
    /// For `every`: its key and value, bound by the iteration.
    let bound: Set<String>

    /// The variables it uses, less those it declares itself.
    var variables: Set<String> {
        var names = SafetyVariables.everything(in: body)
        for head in heads { SafetyVariables.collect(head, .everything, into: &names) }
        return names.subtracting(SafetyVariables.declared(in: body)).subtracting(bound)
    }
}

/// The outermost closures of an expression, in source order.
enum SafetyClosures {
    static func of(_ statement: Statement) -> [SafetyClosure] {
        of(statement.expression) + statement.with.flatMap { of($0.value) }
    }

    static func of(_ expression: Expression) -> [SafetyClosure] {
        switch expression {
        case let .term(t): of(t)
        case let .not(inner): of(inner.node)
        case let .assign(a, b), let .unify(a, b): of(a) + of(b)
        case .someDeclaration: []
        case let .someIn(key, value, collection): ((key.map { [$0] } ?? []) + [value, collection]).flatMap(of)
        case let .every(key, value, collection, body):
            of(collection) + [SafetyClosure(heads: [], body: body, bound: Set([key, value].compactMap { $0 }))]
        }
    }

    static func of(_ term: Term) -> [SafetyClosure] {
        switch term {
        case .scalar, .variable: []
        case let .ref(head, path): ([head] + path).flatMap(of)
        case let .array(items), let .set(items): items.flatMap(of)
        case let .object(pairs): pairs.flatMap { of($0.0) + of($0.1) }
        case let .arrayComprehension(head, body), let .setComprehension(head, body):
            [SafetyClosure(heads: [head], body: body, bound: [])]
        case let .objectComprehension(key, value, body): [SafetyClosure(heads: [key, value], body: body, bound: [])]
        case let .call(_, args): args.flatMap(of)
        case let .membership(key, value, collection): ((key.map { [$0] } ?? []) + [value, collection]).flatMap(of)
        case let .binary(_, a, b): of(a) + of(b)
        case let .unaryMinus(a): of(a)
        }
    }
}
