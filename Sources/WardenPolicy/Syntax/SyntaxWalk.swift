/// Visits a policy's syntax in source order: each statement, and each term with the location
/// of what holds it. Checks that read the whole AST (OPA's compile-time type checks, what a rule
/// set may raise) share this traversal instead of each spelling it out.
enum SyntaxWalk {
    /// Walks `terms`, then `bodies`, down into every operand, comprehension and `every` body,
    /// and every `with` value.
    static func walk(
        terms: [(Term, SourceLocation)], bodies: [Body], statement onStatement: (Statement) -> Void = { _ in },
        term onTerm: (Term, SourceLocation) -> Void
    ) {
        func body(_ statements: Body) {
            for statement in statements {
                onStatement(statement)
                visit(statement.expression, statement.location)
                for modifier in statement.with { term(modifier.value, statement.location) }
            }
        }
        func visit(_ expression: Expression, _ location: SourceLocation) {
            switch expression {
            case let .term(t): term(t, location)
            case let .not(inner): visit(inner.node, inner.location)
            case let .assign(a, b), let .unify(a, b):
                term(a, location)
                term(b, location)
            case .someDeclaration: break
            case let .someIn(key, value, collection):
                for part in (key.map { [$0] } ?? []) + [value, collection] { term(part, location) }
            case let .every(_, _, collection, nested):
                term(collection, location)
                body(nested)
            }
        }
        func term(_ t: Term, _ location: SourceLocation) {
            onTerm(t, location)
            switch t {
            case .scalar, .variable: break
            case let .ref(head, path): for part in [head] + path { term(part, location) }
            case let .array(items), let .set(items): for item in items { term(item, location) }
            case let .object(pairs):
                for (key, value) in pairs {
                    term(key, location)
                    term(value, location)
                }
            case let .arrayComprehension(head, nested), let .setComprehension(head, nested):
                term(head, location)
                body(nested)
            case let .objectComprehension(key, value, nested):
                term(key, location)
                term(value, location)
                body(nested)
            case let .call(_, args): for arg in args { term(arg, location) }
            case let .membership(key, value, collection):
                for part in (key.map { [$0] } ?? []) + [value, collection] { term(part, location) }
            case let .binary(_, a, b):
                term(a, location)
                term(b, location)
            case let .unaryMinus(a): term(a, location)
            }
        }
        for (t, location) in terms { term(t, location) }
        for statements in bodies { body(statements) }
    }
}
