/// Whether OPA's rule index can change an answer of a rule set when builtin errors are not
/// strict. The index only keeps bodies from running that would fail anyway; that shows when a
/// body raises an error before failing, and without strict builtin errors only a conflict can
/// be raised, by another rule or function the body evaluates, a comprehension or an object
/// with computed keys. A rule set whose bodies do none of that gets the same answers without
/// the index, so Warden skips it there (it costs a lookup of each expected reference).
struct IndexRelevance {
    /// Whether a name that is not local leads to a rule or function (imports included).
    let isRule: (Term) -> Bool

    func mayRaise(_ body: Body) -> Bool {
        body.contains { statement in !statement.with.isEmpty || mayRaise(statement.expression) }
    }

    func mayRaise(_ expression: Expression) -> Bool {
        switch expression {
        case let .term(term): return mayRaise(term)
        case let .not(inner): return mayRaise(inner.node)
        case let .assign(a, b), let .unify(a, b): return mayRaise(a) || mayRaise(b)
        case .someDeclaration: return false
        case let .someIn(key, value, collection): return (key.map(mayRaise) ?? false) || mayRaise(value) || mayRaise(collection)
        case let .every(_, _, collection, body): return mayRaise(collection) || mayRaise(body)
        }
    }

    func mayRaise(_ term: Term) -> Bool {
        if isRule(term) { return true }
        switch term {
        case .scalar, .variable: return false
        case let .ref(head, path): return mayRaise(head) || path.contains(where: mayRaise)
        case let .array(items), let .set(items): return items.contains(where: mayRaise)
        case let .object(pairs): return pairs.contains { !Evaluation.isLiteral($0.0) || mayRaise($0.0) || mayRaise($0.1) }
        case .arrayComprehension, .setComprehension, .objectComprehension: return true
        case let .call(_, args): return args.contains(where: mayRaise)
        case let .membership(key, value, collection): return (key.map(mayRaise) ?? false) || mayRaise(value) || mayRaise(collection)
        case let .binary(_, a, b): return mayRaise(a) || mayRaise(b)
        case let .unaryMinus(a): return mayRaise(a)
        }
    }
}
